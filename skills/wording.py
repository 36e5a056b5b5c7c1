"""German wording every front end shares: counts with the right noun form, text shortened at a
word with „…“, German quotation marks, and one label per fact.

Small on purpose: the bot, the message extensions, the CLI and the skills call these instead of
formatting by hand, so "1 Vorgänge", a snippet ending in "in ge" or a »quote« next to a „quote“
cannot come back in one place while fixed in another.
"""

from __future__ import annotations

import re

# clip lives beside the snippet code, which the index backends (below skills/) use too.
from indexer.snippets import ELLIPSIS as ELLIPSIS
from indexer.snippets import clip as clip
from kiw_common.wording import count_of as count_of
from kiw_common.wording import german_number as german_number

# Council bodies on a paper: the same label on the chat card, the extension card and the CLI.
COMMITTEE_LABEL = ("Gremium", "Gremien")


def committee_label(count: int) -> str:
    """ "Gremium" for one body, "Gremien" for several (or none shown)."""
    singular, plural = COMMITTEE_LABEL
    return singular if count == 1 else plural


# »Zitat« (German book style) and «Zitat» (Swiss style) become „Zitat“; only balanced pairs,
# within one paragraph and short enough to be a quote, so a stray sign is left alone.
_GUILLEMETS = re.compile(r"»([^»«\n]{1,400})«|«([^»«\n]{1,400})»")
_STRAIGHT = re.compile(r'(?<![\w"])"([^"\n]{1,400})"(?![\w"])')


def german_quotes(text: str) -> str:
    """Quotation marks as the city writes them: „…“ (from »…«, «…» and "…")."""
    text = _GUILLEMETS.sub(lambda m: f"„{m.group(1) or m.group(2)}“", text)
    return _STRAIGHT.sub(lambda m: f"„{m.group(1)}“", text)
