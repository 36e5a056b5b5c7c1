"""How a source is named wherever an answer cites it: one label, "S. 4", in every surface.

The chat's citation pills (bot/render/entities.py), the cards' source lists, the summary's page
marks, the plain-text source lists of the CLI and the passages' origin in a model's prompt all
call these, so a page reads the same everywhere (it used to be "S. 4" here, "Seite 4" there).
"""

from __future__ import annotations

from collections.abc import Sequence

from kiw_common.vocabulary import Citation


def page_label(pages: int | Sequence[int]) -> str:
    """ "S. 4" for one page, "S. 4–6" for a run (first to last of `pages`); "" for none."""
    if isinstance(pages, int):
        return f"S. {pages}"
    if not pages:
        return ""
    first, last = pages[0], pages[-1]
    return f"S. {first}" if first == last else f"S. {first}–{last}"


def source_label(
    title: str, reference: str | None = None, heading: str | None = None, page: int | None = None
) -> str:
    """ "Dienstvereinbarung KI, § 4 Datenschutz, S. 4": title, reference, heading, page."""
    parts = [title, reference, heading, page_label(page) if page else None]
    return ", ".join(p for p in parts if p)


def citation_label(citation: Citation) -> str:
    return source_label(citation.title, citation.reference, citation.heading, citation.page)


def citation_json(citation: Citation) -> dict[str, object]:
    """The CLI/JSON shape of one citation."""
    return {
        "n": citation.n,
        "title": citation.title,
        "url": citation.url,
        "doc_id": citation.doc_id,
        "page": citation.page,
        "quote": citation.quote,
        "heading": citation.heading,
        "reference": citation.reference,
    }
