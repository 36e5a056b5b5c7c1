"""Snippets end at a whole word with „…“, in both index backends, also when nothing matched."""

from __future__ import annotations

from indexer.azure_search import _snippet
from indexer.snippets import SNIPPET_CHARS, make_snippet

TEXT = ("Die Verwaltung wird beauftragt, die Radverkehrsförderung fortzuschreiben. " * 12).strip()


def _ends_at_a_word(snippet: str, text: str) -> bool:
    head = snippet.removesuffix("…").rstrip()
    return snippet.endswith("…") and (" ".join(text.split()) + " ").startswith(head + " ")


def test_embedded_snippet_without_a_match_ends_at_a_whole_word() -> None:
    snippet = make_snippet(TEXT, lambda word: False)
    assert len(snippet) <= SNIPPET_CHARS
    assert _ends_at_a_word(snippet, TEXT), snippet


def test_azure_snippet_without_highlights_ends_at_a_whole_word() -> None:
    snippet = _snippet({"text": TEXT})
    assert _ends_at_a_word(snippet, TEXT), snippet


def test_short_text_is_shown_whole() -> None:
    assert make_snippet("Kurzer Text.", lambda word: False) == "Kurzer Text."
    assert _snippet({"text": "Kurzer  Text."}) == "Kurzer Text."
