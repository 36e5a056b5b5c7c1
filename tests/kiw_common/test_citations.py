"""One citation label for every surface (kiw_common/citations.py)."""

from __future__ import annotations

from kiw_common.citations import citation_label, page_label, source_label
from kiw_common.vocabulary import Citation


def test_a_page_and_a_run_of_pages() -> None:
    assert page_label(4) == "S. 4"
    assert page_label([4]) == "S. 4"
    assert page_label([4, 5, 6]) == "S. 4–6"
    assert page_label([]) == ""


def test_a_source_names_what_it_has_in_order() -> None:
    assert source_label("DV KI", "VO/2025/1", "§ 4 Datenschutz", 4) == (
        "DV KI, VO/2025/1, § 4 Datenschutz, S. 4"
    )
    assert source_label("DV KI", None, None, None) == "DV KI"
    assert source_label("DV KI", page=0) == "DV KI"  # no page 0: extractors count from 1


def test_a_citation_is_labelled_like_its_source() -> None:
    citation = Citation(2, "Leitlinien", None, "doc", 7, "…", heading="3. Grundsätze")
    assert citation_label(citation) == "Leitlinien, 3. Grundsätze, S. 7"
