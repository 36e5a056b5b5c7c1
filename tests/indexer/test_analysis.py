from __future__ import annotations

from indexer.analysis import fold, fold_key, stem, stems, words
from indexer.compounds import Decompounder
from indexer.queries import parse_query
from kiw_common.references import reference_key


def test_fold_treats_umlaut_spellings_alike() -> None:
    assert fold("Änderung") == fold("Aenderung") == "aenderung"
    assert fold("Straße") == fold("STRASSE") == "strasse"
    assert fold("Café") == "cafe"
    assert fold_key("  Haupt-   Ausschuss ") == "haupt- ausschuss"


def test_inflections_share_a_stem() -> None:
    assert stem("dienstvereinbarungen") == stem("dienstvereinbarung")
    assert stems("Förderungen") == stems("Foerderung")
    assert stem("radverkehrs") == stem("radverkehr")


def test_words_join_hyphenation_and_hyphenated_compounds() -> None:
    assert "instandsetzungen" in words("Instandsetzun-\ngen der Brücke")
    assert {"radverkehrs", "foerderung", "radverkehrsfoerderung"} <= set(
        words("Radverkehrs-Förderung")
    )


def test_stopwords_are_dropped_and_numbers_normalised() -> None:
    assert stems("die Förderung des Radverkehrs 0541") == [stem("foerderung"), "radverkehr", "541"]


def test_decompounder_uses_only_known_parts() -> None:
    known = {stem("radverkehr"), stem("foerderung"), stem("verwaltung"), stem("stadt")}
    d = Decompounder(lambda s: s in known)
    assert set(d.parts("radverkehrsfoerderung")) == {"radverkehr", stem("foerderung")}
    assert set(d.parts("stadtverwaltung")) == {stem("stadt"), stem("verwaltung")}
    assert d.parts("dienstvereinbarung") == ()  # parts unknown: no split
    assert d.parts("kurz") == ()


def test_reference_numbers_with_and_without_prefix() -> None:
    vo = reference_key("VO/2025/12345")
    assert vo is not None and vo.full == "vo/2025/12345" and vo.core == "2025/12345"
    plain = reference_key("2026/0541")
    assert plain is not None and plain.index_keys() == ("2026/541",)
    amendment = reference_key("2025/0009/1")
    assert amendment is not None and amendment.core == "2025/9/1" and amendment.family == "2025/9"
    assert reference_key("Radverkehr") is None
    assert reference_key("Drucksache 2025/123") == reference_key("2025/0123")


def test_parse_query_survives_any_input() -> None:
    for text in [
        "",
        "   ",
        '"***" AND (OR) -- ~2 ^3 \\ : [ ] { }',
        "x" * 2000,
        "a " * 1000,
        "\x00\n",
    ]:
        parse_query(text)  # no exception
    assert parse_query("").empty
    assert len(parse_query(" ".join(f"wort{i}" for i in range(500))).words) == 32
    q = parse_query("Antrag 2026/0541 und VO/2025/12345")
    assert [r.full for r in q.references] == ["2026/541", "vo/2025/12345"]
    assert [w.word for w in q.words] == ["antrag"]
