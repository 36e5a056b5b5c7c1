"""Plain text from what a chat client sends: HTML out (kiw_common/html_text.py, the same rule
the indexer reads web pages by), whitespace tidied.

SDK-free, so the message extensions, the CLI and the Teams handler (bot/teams/normalise.py,
which also strips the bot's @mention) share one rule.
"""

from __future__ import annotations

import re

from kiw_common.html_text import html_to_text

# Linear in the text (user input, before any size cap of the router): no pattern may scan to
# the end of the text from each of many start positions (a 20 KB run of spaces took 1 s).
# Hence newline runs that start only where a run of whitespace starts.
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b\u202f]+")
_NEWLINES = re.compile(r"(?<![^\S\n])[^\S\n]*\n\s*")


def plain_text(markup: str) -> str:
    """The words of a chat message: no markup, no heading or list marks, lines kept."""
    return tidy(html_to_text(markup, markdown=False))


def tidy(text: str) -> str:
    text = _SPACES.sub(" ", text)
    text = _NEWLINES.sub("\n", text)
    return text.strip()
