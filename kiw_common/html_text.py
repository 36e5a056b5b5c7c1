"""Text out of HTML: one rule for what a chat client sends and for downloaded web pages.

The rule is the browser's: inline markup (`<b>`, `<a>`, `<span>`, `<at>`) joins the words it
wraps; `<br>` ends a line; blocks (`<p>`, `<div>`, lists, tables, headings) end a paragraph;
whitespace in the source, newlines included, is one space (except in `<pre>`); entities are
decoded after the tags are gone, so `&lt;b&gt;` stays text. Scripts, styles and page chrome
(`nav`, `header`, `footer`, `form`) are dropped with their content.

`markdown=True` (the indexer: indexer/extract.py) marks the structure the chunker reads:
headings as `#` lines, list items as `- ` lines. Chat (`markdown=False`, bot/plain_text.py)
wants words only: a heading "frage …" typed in Teams' formatting bar must still be the command.
Table cells are separated by " | " in both.

Linear in the input (chat text is hostile input, read before any size cap): a tag ends at the
next "<" or ">", quantifiers are possessive, and the search for a closing tag never rescans.
"""

from __future__ import annotations

import html
import re

_TAG = re.compile(r"<(/?+)([a-zA-Z][a-zA-Z0-9:-]*+)[^<>]*+>")
_COMMENT_START = "<!--"
_DECLARATION = re.compile(r"<[!?][^<>]*+>")
_SPACE = re.compile(r"\s+")
_SPACES = re.compile(r" {2,}")  # where two text pieces meet
# What the tags leave in the text before it is tidied: "\n" (a <br>: a line, an empty one if
# two follow each other), a paragraph break, and a line break that never makes an empty line
# (list items and table rows: "</li> <li>" is one break, not two).
_PARAGRAPH_BREAK = "\x02"
_SOFT_BREAK = "\x01"
_BREAKS = re.compile("(\n|\x01)")

# Dropped with everything inside them.
_DROPPED = frozenset({"script", "style", "noscript", "template", "nav", "header", "footer", "form"})
_PARAGRAPH = frozenset(
    {
        "p", "div", "section", "article", "main", "aside", "blockquote", "pre", "table",
        "ul", "ol", "dl", "figure", "figcaption", "address", "hr", "caption", "body",
    }
)  # fmt: skip
_LINE = frozenset({"tr", "li", "dt", "dd"})
_HEADING = {f"h{level}": level for level in range(1, 7)}


def html_to_text(markup: str, *, markdown: bool = True) -> str:
    """Plain text (no tag) comes back as it is, only its entities decoded."""
    if "<" not in markup or not (_TAG.search(markup) or _DECLARATION.search(markup)):
        return html.unescape(markup) if "&" in markup else markup
    return _Reader(markup, markdown).read()


class _Reader:
    def __init__(self, markup: str, markdown: bool) -> None:
        self.markup = markup
        self.lowered = markup.lower()
        self.markdown = markdown
        self.out: list[str] = []
        self.pre = 0  # depth of <pre>: whitespace kept
        self.cells = 0  # cells so far in the current table row
        self.unclosed: set[str] = set()  # dropped tags without a closing tag further on

    def read(self) -> str:
        markup, pos = self.markup, 0
        while pos < len(markup):
            start = markup.find("<", pos)
            if start < 0:
                self.text(markup[pos:])
                break
            self.text(markup[pos:start])
            pos = self.tag(start)
        return _tidy("".join(self.out))

    def text(self, raw: str) -> None:
        if not raw:
            return
        text = html.unescape(raw) if "&" in raw else raw
        text = text.replace(_PARAGRAPH_BREAK, "").replace(_SOFT_BREAK, "")
        self.out.append(text if self.pre else _SPACE.sub(" ", text))

    def tag(self, start: int) -> int:
        """Handle the markup at `start` ("<"); return where reading goes on."""
        markup = self.markup
        if markup.startswith(_COMMENT_START, start):
            end = markup.find("-->", start + 4)
            return len(markup) if end < 0 else end + 3
        declaration = _DECLARATION.match(markup, start)
        if declaration:
            return declaration.end()
        match = _TAG.match(markup, start)
        if not match:  # a lone "<" is text
            self.text("<")
            return start + 1
        closing, name = match.group(1) == "/", match.group(2).lower()
        if name in _DROPPED and not closing:
            return self.skip(name, match.end())
        self.mark(name, closing)
        return match.end()

    def skip(self, name: str, pos: int) -> int:
        """After an opening dropped tag: past its closing tag. Without one, a script or style
        swallows the rest (as a browser does); page chrome is then read as text."""
        if name not in self.unclosed:
            end = self.lowered.find(f"</{name}", pos)
            if end >= 0:
                close = self.markup.find(">", end)
                return len(self.markup) if close < 0 else close + 1
            self.unclosed.add(name)  # none further on from here, so none from any later point
        return len(self.markup) if name in ("script", "style") else pos

    def mark(self, name: str, closing: bool) -> None:
        out = self.out
        if name == "br":
            out.append("\n")
        elif name == "pre":
            self.pre = max(self.pre - 1, 0) if closing else self.pre + 1
            out.append(_PARAGRAPH_BREAK)
        elif name in _HEADING:
            out.append(_PARAGRAPH_BREAK)
            if not closing and self.markdown:
                out.append("#" * _HEADING[name] + " ")
        elif name in _PARAGRAPH:
            out.append(_PARAGRAPH_BREAK)
        elif name in _LINE:
            out.append(_SOFT_BREAK)
            if name == "tr":
                self.cells = 0
            elif name == "li" and not closing and self.markdown:
                out.append("- ")
        elif name in ("td", "th") and not closing:
            if self.cells:
                out.append(" | ")
            self.cells += 1


def _tidy(text: str) -> str:
    """Lines stripped, single spaces, paragraphs apart by one empty line."""
    paragraphs: list[str] = []
    for paragraph in text.split(_PARAGRAPH_BREAK):
        lines: list[str] = []
        line = ""
        for piece in _BREAKS.split(paragraph):
            if piece == "\n" or piece == _SOFT_BREAK:
                line = _SPACES.sub(" ", line).strip()
                if line or (piece == "\n" and lines and lines[-1]):
                    lines.append(line)
                line = ""
            else:
                line += piece
        lines.append(_SPACES.sub(" ", line).strip())
        while lines and not lines[-1]:
            lines.pop()
        if lines:
            paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)
