"""The one parser of ALLRIS references and links, with every spelling its three predecessors
accepted (the router's, the council search's and the index's patterns)."""

from __future__ import annotations

import pytest

from kiw_common.references import (
    allris_ids_in_url,
    allris_source_ids,
    find_references,
    is_link_to_host,
    line_reference,
    link_lookup_values,
    mentions_reference,
    names_budget_motion,
    reference_key,
    typed_reference,
    written_form,
)


@pytest.mark.parametrize(
    ("text", "full"),
    [
        ("VO/2025/12345", "vo/2025/12345"),
        ("2026/0541", "2026/541"),
        ("DHH/2026/0012", "dhh/2026/12"),
        ("2025/0009/1", "2025/9/1"),
        ("Drucksache 2025/123", "2025/123"),
        ("vo / 2025 / 012345", "vo/2025/12345"),
        ("AN/2025/0012-01", "an/2025/12"),  # the router's amendment spelling: base paper
        ("Ä/2025/7", "ae/2025/7"),
    ],
)
def test_written_references_as_the_index_reads_them(text: str, full: str) -> None:
    key = reference_key(text)
    assert key is not None and key.full == full
    assert mentions_reference(f"Was steht in {text}?")


def test_written_reference_key_forms() -> None:
    amendment = reference_key("2025/0009/1")
    assert amendment is not None and amendment.family == "2025/9"
    assert amendment.index_keys() == ("2025/9/1",)
    vo = reference_key("VO/2025/12345")
    assert vo is not None and vo.index_keys() == ("vo/2025/12345", "2025/12345")
    assert reference_key("Drucksache 2025/123") == reference_key("2025/0123")


@pytest.mark.parametrize(
    "text", ["Radverkehr", "18.09.2025", "2025", "x2025/12", "2025/1234567", "a/b/2025/12"]
)
def test_no_written_reference(text: str) -> None:
    assert reference_key(text) is None
    assert not mentions_reference(text)


def test_budget_motions_are_told_by_their_prefix() -> None:
    assert names_budget_motion("Fraktion X  DHH/2026/0012  Antrag zum Doppelhaushalt")
    assert names_budget_motion("dhh / 2025 / 5004")
    assert not names_budget_motion("VO/2026/0012 zum Doppelhaushalt 2026/2027")
    assert not names_budget_motion("DHH/26/12")  # no year: no reference


def test_a_line_that_is_a_reference() -> None:
    key = line_reference("ANTRAG DHH/2026/0012", leads=("ANTRAG",))
    assert key is not None and key.full == "dhh/2026/12"
    assert line_reference("  DHH/2026/0012 ") == key
    assert line_reference("ANTRAG DHH/2026/0012") is None  # a lead word only when allowed
    assert line_reference("ANTRAG DHH/2026/0012 der Fraktion", leads=("ANTRAG",)) is None
    assert line_reference("Haushalt 2026", leads=("Haushalt",)) is None


def test_find_references_gives_each_with_its_span() -> None:
    text = "VO/2025/1 und 2026/0541"
    found = [(key.full, text[a:b]) for key, (a, b) in find_references(text)]
    assert found == [("vo/2025/1", "VO/2025/1"), ("2026/541", "2026/0541")]


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("VO/2025/12345", "VO/2025/12345"),
        ("2024-0453", "2024/0453"),
        ("Vorlage 2025 0900 bitte", "2025/0900"),
        ("DHH-2025-6607", "DHH/2025/6607"),
        ("dhh/2025/5004", "DHH/2025/5004"),
        ("2023-0901-2", "2023/0901/2"),
        ("Vorlage 2025 0381 1", "2025/0381/1"),  # an amendment typed with spaces only
        ("Was steht in 2025 0381 1?", "2025/0381/1"),
        ("2025/0381 1", "2025/0381"),  # slashes: the trailing "1" is not part of it
        ("AN 2025/12", "AN/2025/12"),
        ("Bau-A/2025/12", "BAU-A/2025/12"),
        ("Doppelhaushalt 2026/2027 und 2025/0900", "2025/0900"),  # a span of years is skipped
        ("2026/2027/1", "2026/2027/1"),  # with an amendment number it is a paper
    ],
)
def test_typed_references_as_people_type_them(text: str, written: str) -> None:
    m = typed_reference(text)
    assert m is not None and written_form(m) == written
    assert reference_key(written_form(m)) is not None  # and the index reads what it makes


@pytest.mark.parametrize(
    "text", ["am 18.09.2025 beschlossen", "Doppelhaushalt 2026/2027", "2025/1", "Radverkehr"]
)
def test_no_typed_reference(text: str) -> None:
    assert typed_reference(text) is None


def test_allris_row_ids_in_text_and_links() -> None:
    link = "https://ris.example.de/bi/vo020.asp?VOLFDNR=01664&x=1"
    assert allris_source_ids(link) == ["VOLFDNR=1664"]
    assert allris_source_ids("silfdnr=7 und kvlfdnr=0008") == ["SILFDNR=7", "KVLFDNR=8"]
    assert allris_ids_in_url(link) == ("VOLFDNR=01664",)  # as the crawler always stored them
    assert allris_ids_in_url("https://x/to020.asp?TOLFDNR=5&VOLFDNR=3") == (
        "VOLFDNR=3",
        "TOLFDNR=5",
    )
    assert allris_ids_in_url(None) == ()
    assert allris_ids_in_url("https://x/plain") == ()


@pytest.mark.parametrize(
    ("url", "host", "ours"),
    [
        ("https://allris.luebeck.de/public/vo020?VOLFDNR=1", "allris.luebeck.de", True),
        ("http://ALLRIS.luebeck.de/x", "https://allris.luebeck.de/public/", True),
        ("https://allris.luebeck.de/x", "allris.luebeck.de/public", True),
        ("  https://allris.luebeck.de/x  ", "allris.luebeck.de", True),
        ("https://evil.example/x?allris.luebeck.de", "allris.luebeck.de", False),
        ("ftp://allris.luebeck.de/x", "allris.luebeck.de", False),
        ("https://allris.luebeck.de/x", "", False),
        ("https://[::1/x", "allris.luebeck.de", False),  # does not parse: not ours, no error
        ("https://allris.luebeck.de/" + "x" * 2100, "allris.luebeck.de", False),
    ],
)
def test_is_link_to_host(url: str, host: str, ours: bool) -> None:
    assert is_link_to_host(url, host) is ours


def test_link_lookup_values_are_short_and_carry_a_digit() -> None:
    url = "https://x/vo020?VOLFDNR=1664&view=full&ref=VO%2F2025%2F1&long=" + "1" * 70
    assert link_lookup_values(url) == ["1664", "VO/2025/1"]
    assert link_lookup_values("https://[::1/x?a=1") == []
