"""Plain text from what a chat client sends: HTML tags and entities out, whitespace tidied.

SDK-free, so the message extensions, the CLI and the Teams handler (bot/teams/normalise.py,
which also strips the bot's @mention) share one rule.
"""

from __future__ import annotations

import html
import re

# Linear in the text (user input, before any size cap of the router): no pattern may scan to
# the end of the text from each of many start positions (a 20 KB run of spaces took 1 s).
# Hence tags that end at the next "<", and newline runs that start only where a run of
# whitespace starts.
_BLOCK_END = re.compile(r"<br\s*/?>|</p\s*>|</div\s*>|</li\s*>|</h\d\s*>", re.IGNORECASE)
_TAG = re.compile(r"</?[a-zA-Z][^<>]*>")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0\u200b\u202f]+")
_NEWLINES = re.compile(r"(?<![^\S\n])[^\S\n]*\n\s*")


def html_to_text(text: str) -> str:
    if "<" in text and _TAG.search(text):
        text = _BLOCK_END.sub("\n", text)
        text = _TAG.sub("", text)
    if "&" in text:
        text = html.unescape(text)
    return text


def tidy(text: str) -> str:
    text = _SPACES.sub(" ", text)
    text = _NEWLINES.sub("\n", text)
    return text.strip()
