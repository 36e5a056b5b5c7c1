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
from dataclasses import dataclass, replace

from graph.principal import Directory, Principal
from skills.audience import Audience, WithheldWatch, audience_from_directory
from skills.context import SkillContext

# The operator acting for an audience (no --user): reads what the audience may read, no more.
OPERATOR_ID = "urn:kiw:cli-operator"


def add_audience_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--audience",
        nargs="+",
        metavar="USER",
        default=None,
        help="members of a group chat or channel (object ids or UPNs): show only what all of "
        "them may read, as the bot would post it there",
    )


@dataclass(frozen=True)
class CliAudience:
    audience: Audience
    operator: Principal | None  # stands in for the asker when --user is not given


async def resolve_audience(members: list[str], directory: Directory) -> CliAudience:
    audience = await audience_from_directory(members, directory)
    print(describe(audience), file=sys.stderr)
    operator = Principal(id=OPERATOR_ID, name="", access_groups=audience.access)
    return CliAudience(audience, operator)


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


def watched(ctx: SkillContext, own: frozenset[str], shown: frozenset[str]) -> WithheldWatch | None:
    """A WithheldWatch over ctx.index when the asker reads more than the audience."""
    return None if own <= shown else WithheldWatch(ctx.index, own)


def with_index(ctx: SkillContext, watch: WithheldWatch | None) -> SkillContext:
    return ctx if watch is None else replace(ctx, index=watch)


def report_withheld(watch: WithheldWatch | None) -> None:
    if watch is not None and watch.withheld:
        print(
            "Some results were withheld: the asker may read them, the audience may not.",
            file=sys.stderr,
        )
