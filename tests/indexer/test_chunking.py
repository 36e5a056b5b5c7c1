"""Cleaning and passage splitting, on constructed text and on real Karlsruhe extractions."""

from __future__ import annotations

from indexer.chunking import (
    HARD_MAX_WORDS,
    TARGET_MAX_WORDS,
    PageText,
    clean_text,
    split_page_markers,
    split_passages,
)
from tests.conftest import shared_path


def _words(n: int, word: str = "Wort") -> str:
    return " ".join(f"{word}{i}" for i in range(n)) + "."


def test_page_markers_become_page_numbers() -> None:
    pages = split_page_markers("erste Seite\n\n-- 1 of 2 --\n\nzweite Seite\n\n-- 2 of 2 --\n")
    assert [(p.number, p.text.strip()) for p in pages] == [(1, "erste Seite"), (2, "zweite Seite")]


def test_text_without_markers_is_one_page_without_number() -> None:
    assert split_page_markers("nur Text") == [PageText(None, "nur Text")]


def test_clean_text_repairs_extraction_artefacts() -> None:
    raw = (
        "Die Instandsetzun-  \ngen der Brücke   \n"
        "☒ Ja ☐ Nein\n– 2 –\n-- 1 of 3 --\nGedruckt auf 100 Prozent Recyclingpapier\n"
        "Bau-\nund Planungsamt\nStadt\ufffe\nreinigung"
    )
    cleaned = clean_text(raw)
    assert "Instandsetzungen der Brücke" in cleaned
    assert "[x] Ja [ ] Nein" in cleaned
    assert "Bau-\nund Planungsamt" in cleaned  # "Bau- und" is not a broken word
    assert "Stadtreinigung" in cleaned
    for gone in ("-- 1 of 3 --", "– 2 –", "Recyclingpapier", "  \n", "☒", "☐"):
        assert gone not in cleaned


def test_headings_travel_with_their_passages() -> None:
    text = (
        "# Dienstvereinbarung\n\n## § 1 Geltungsbereich\n\n" + _words(40) + "\n\n"
        "## § 2 Datenschutz\n\n" + _words(40, "Daten") + "\n"
    )
    passages = split_passages([PageText(None, text)])
    by_heading = {p.heading: p.text for p in passages}
    assert "Daten0" in by_heading["§ 2 Datenschutz"]
    assert "Daten0" not in by_heading["§ 1 Geltungsbereich"]
    assert by_heading["§ 2 Datenschutz"].startswith("§ 2 Datenschutz")


def test_legal_headings_without_markdown_are_recognised() -> None:
    text = "§ 4 Datenschutz\n" + _words(30) + "\n\nAbschnitt 2\n" + _words(30, "Teil")
    headings = [p.heading for p in split_passages([PageText(3, text)])]
    assert headings == ["§ 4 Datenschutz", "Abschnitt 2"]


def test_passages_stay_within_target_size_and_keep_pages() -> None:
    pages = [PageText(n, "\n".join(_words(60, f"S{n}x") for _ in range(5))) for n in (1, 2, 3)]
    passages = split_passages(pages)
    assert all(len(p.text.split()) <= TARGET_MAX_WORDS for p in passages)
    assert {p.page for p in passages} == {1, 2, 3}
    for p in passages:  # a passage starts on the page of its first word
        first = p.text.split()[0]
        assert first.startswith(f"S{p.page}x")
    assert sum(len(p.text.split()) for p in passages) == 3 * 5 * 60


def test_a_numbered_list_is_not_cut_in_half() -> None:
    lead = _words(200, "Vorwort")
    items = "\n".join(f"{i}. Punkt {i} " + _words(15, f"L{i}x") for i in range(1, 9))
    passages = split_passages([PageText(1, lead + "\n\nDer Gemeinderat beschließt:\n" + items)])
    holding = [p for p in passages if "Punkt 1 " in p.text or "Punkt 8 " in p.text]
    assert len(holding) == 1, "the list was split over passages"
    assert "Punkt 4 " in holding[0].text
    assert len(holding[0].text.split()) <= HARD_MAX_WORDS


def test_an_overlong_table_is_split_between_rows_only() -> None:
    rows = "\n".join(f"Zeile {i} | " + " ".join(["Zelle"] * 20) + f" | Ende{i}" for i in range(40))
    passages = split_passages([PageText(1, rows)])
    assert len(passages) > 1
    for p in passages:
        for line in p.text.split("\n"):
            assert line.startswith("Zeile ") and line.split()[-1].startswith("Ende")


def test_real_karlsruhe_antrag() -> None:
    raw = shared_path(
        "data", "oparl", "somacos_karlsruhe", "file-contents", "679592.txt"
    ).read_text()
    passages = split_passages(split_page_markers(raw))
    assert next(p.page for p in passages) == 1 and passages[-1].page == 2
    assert any(p.heading == "Sachverhalt / Begründung" for p in passages)
    joined = "\n".join(p.text for p in passages)
    assert "-- 1 of 2 --" not in joined
    assert "Klimaanlagen" in joined
    # every word of the source survives cleaning (modulo hyphen joins and markers)
    assert len(joined.split()) > 0.9 * len(raw.split())


def test_a_passage_never_crosses_a_page_break() -> None:
    """Every word of a passage is on the page it cites (summaries and answers quote passages)."""
    pages = [
        PageText(1, "Der Gemeinderat beschließt die Sanierung. " + _words(40, "Eins")),
        PageText(2, _words(40, "Zwei") + "\n\n## 3. Finanzielle Auswirkungen\n"),
        PageText(3, "Die Gesamtkosten betragen 1,2 Mio. Euro. " + _words(20, "Drei")),
    ]
    passages = split_passages(pages)
    assert [p.page for p in passages] == [1, 2, 3]
    for passage in passages:
        page_text = " ".join(clean_text(pages[(passage.page or 1) - 1].text).split())
        assert " ".join(passage.text.split()) in page_text
    # The heading at the foot of page 2 heads page 3's passage, not a passage of its own.
    assert passages[2].heading == "3. Finanzielle Auswirkungen"
    assert passages[2].text.startswith("Die Gesamtkosten")


def test_real_karlsruhe_passages_stand_on_their_page() -> None:
    folder = shared_path("data", "oparl", "somacos_karlsruhe", "file-contents")
    checked = 0
    for path in sorted(folder.glob("*.txt")):
        pages = split_page_markers(path.read_text())
        if len(pages) < 2:
            continue
        by_number = {p.number: " ".join(clean_text(p.text).split()) for p in pages}
        for passage in split_passages(pages):
            assert " ".join(passage.text.split()) in by_number[passage.page], (path.name, passage)
            checked += 1
    assert checked > 20, "too few multi-page Karlsruhe extractions to check"
