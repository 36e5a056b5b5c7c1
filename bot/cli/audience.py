"""`--audience USER…` for `kiw search/ask/summarise`: what a group chat or channel of these
members would see, with the same rule as in Teams (skills/audience.py).

    kiw search "Radverkehr" --audience dirk.moeller@luebeck.de eva.schulz@luebeck.de
    kiw ask "…" --collection council --user dirk.moeller@luebeck.de --audience … …

Each member is looked up in the configured directory; the documents every member may read are
the audience's. An unknown member or a directory failure means public documents only, as in
Teams, and the command says so on stderr. With --user the asker's own groups are narrowed to the
audience's (what the bot would post for that asker); without --user the operator sees exactly
what the audience may read. A note on stderr says when the asker alone would have found more.
"""

from __future__ import annotations

import argparse
import sys

from graph.principal import Directory
from skills.audience import Audience, audience_from_directory


def add_audience_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--audience",
        nargs="+",
        metavar="USER",
        default=None,
        help="members of a group chat or channel (object ids or UPNs): show only what all of "
        "them may read, as the bot would post it there",
    )


async def resolve_audience(members: list[str], directory: Directory) -> Audience:
    """The members' shared groups (said on stderr). Without --user the pipeline lets the
    operator read exactly what the audience may (bot/pipeline.py OPERATOR_ID)."""
    audience = await audience_from_directory(members, directory)
    print(describe(audience), file=sys.stderr)
    return audience


def describe(audience: Audience) -> str:
    """One line for the admin: the shared groups, or why the audience gets public only."""
    if audience.fallback:
        why = {
            "unknown_member": "a member is not in the directory",
            "directory_unavailable": "the directory did not answer",
            "no_roster": "no members were given",
        }.get(audience.fallback, audience.fallback)
        return f"Audience of {audience.roster_size}: public documents only ({why})."
    groups = ", ".join(sorted(audience.access))
    return f"Audience of {audience.roster_size}: documents of {groups}."


def report_withheld(withheld: bool) -> None:
    if withheld:
        print(
            "Some results were withheld: the asker may read them, the audience may not.",
            file=sys.stderr,
        )
