"""Who submitted a council paper, read from its files (indexer/submitters.py), and what the
splitter makes of it: factions among the organizations, "Eingereicht von" in the overview.

The texts are written the way council forms print them (a Karlsruhe SessionNet motion form,
a budget-motion letter, a Stellungnahme, minutes), joined into passages as the parser does."""

from __future__ import annotations

from datetime import date

import pytest

from indexer.chunking import Passage
from indexer.model import COUNCIL
from indexer.parts import ChunkSplitter, ParsedFile
from indexer.source import DocumentMeta, FileRef, SourceDocument
from indexer.submitters import (
    FactionNames,
    faction_names,
    factions_of_organizations,
    submitters_of,
)

MOTION = (
    "Antrag Gedruckt auf 100 Prozent Recyclingpapier Vorlage Nr.: 2024/0294 Eingang: "
    "19.03.2024 Lebenswerte Südstadt - Werderplatz autofrei Antrag: DIE LINKE. Gremien Termin "
    "TOP Ö / N Zuständigkeit Gemeinderat 23.04.2024 25 Ö Kenntnisnahme Der Gemeinderat möge "
    "beschließen: Die grüne Mitte des Platzes bleibt, die CDU-Idee eines Parkhauses nicht."
)


def test_the_submitter_line_of_a_motion_form() -> None:
    found = submitters_of([("Antrag", MOTION)])
    # Only the list after "Antrag:" — not "grüne" or "CDU" further down in the motion's text.
    assert found.factions == ("Die Linke",)
    assert found.line() == "Eingereicht von: Die Linke"


@pytest.mark.parametrize(
    ("file_name", "text", "factions"),
    [
        (
            "Antrag",
            "Antrag Vorlage Nr.: 2025/0709 Eingang: 22.07.2025 Begleitete Pflege "
            "Interfraktioneller Antrag: GRÜNE, KAL, SPD, FDP/FW, Die Linke, Volt Gremien Termin",
            (
                "Bündnis 90/Die Grünen",
                "Karlsruher Liste",
                "SPD",
                "FDP",
                "Freie Wähler",
                "Die Linke",
                "Volt",
            ),
        ),
        # A letterhead glued to "Fraktion", in a motion (the first word says so).
        (
            "Antrag",
            "Antrag Vorlage Nr.: 2024/0513 Eingang: 06.05.2024 Aufwertung des öffentlichen Raums "
            "am Schlossplatz SPD-OR-Fraktion Gremien Termin TOP",
            ("SPD",),
        ),
        (
            "Anfrage",
            "Anfrage Vorlage Nr.: 2024/0157 Häuser der Volkswohnung B'90/DIE GRÜNEN-"
            "Ortschaftsratsfraktion Gremien Termin TOP",
            ("Bündnis 90/Die Grünen",),
        ),
        # A budget-motion letter: the faction only in the letterhead and the file name.
        (
            "Antrag Linke_008",
            "Die Linke, Hebelstraße 21, 76133 Karlsruhe Herrn Oberbürgermeister DOPPELHAUSHALT "
            "2024/2025 ANTRAG DHH/2023/3126 Vollständige Ausfinanzierung des Klimaschutzkonzepts",
            ("Die Linke",),
        ),
        (
            "Antrag Interfrak_019",
            "KAL / Die PARTEI Fraktion, FW / FÜR Fraktion, Herrn Oberbürgermeister",
            ("Karlsruher Liste", "Die PARTEI", "Freie Wähler", "FÜR Karlsruhe"),
        ),
        # "FÜR" the group, in capitals; "für" the preposition is nobody.
        (
            "Anfrage",
            "Anfrage Vorlage Nr.: 2026/0527 Auswirkungen sinkender Geburtenzahlen auf die "
            "Planung für Kitas Anfrage: FÜR Gremien Termin",
            ("FÜR Karlsruhe",),
        ),
        (
            "Änderungs-/Ergänzungsantrag",
            "Bauturbo Änderungsantrag: Die Linke Gremien",
            ("Die Linke",),
        ),
        # Nobody: an administration's Vorlage, a member list (factions line by line, no motion).
        ("Beschlussvorlage", "Beschlussvorlage Vorlage Nr.: 2025/0001 Radwege für alle", ()),
        (
            "Mitgliederliste Sanierungsbeirat",
            "Position Name Institution/Fraktion Mitglied Titus Tamm Grüne-Fraktion Mitglied "
            "Siegfried Schönberger CDU-Fraktion",
            (),
        ),
        # Minutes quote other papers' submitters.
        ("Protokoll GR 24.03.2026 TOP 22", "Antrag: KAL Der Gemeinderat beschließt", ()),
    ],
)
def test_submitters_in_the_forms_councils_print(
    file_name: str, text: str, factions: tuple[str, ...]
) -> None:
    assert submitters_of([(file_name, text)]).factions == factions


def test_councillors_as_submitters() -> None:
    found = submitters_of(
        [("Antrag", "Interfraktioneller Antrag: Die Linke, SR Braun Gremien Termin TOP")]
    )
    assert found.factions == ("Die Linke",) and found.persons == ("Stadtrat Braun",)
    local = submitters_of(
        [("Antrag", "Antrag der SPD-Ortschaftsratsfraktion und Ortschaftsrat Breier (FDP)")]
    )
    assert local.factions == ("SPD", "FDP") and local.persons == ("Ortschaftsrat Breier",)
    # "Ortschaftsrat Durlach" is a body; a street after a name is no part of it.
    body = submitters_of([("Antrag", "Antrag: SPD Ortschaftsrat Durlach 11.09.2024 6 Ö")])
    assert body.persons == ()
    street = submitters_of([("Antrag SR Braun_004", "Stadtrat Braun Hebelstraße 21, Karlsruhe")])
    assert street.persons == ("Stadtrat Braun",)


def test_oparl_organization_names_that_are_factions() -> None:
    assert factions_of_organizations(
        ["Fraktion BÜNDNIS 90/DIE GRÜNEN", "Bauausschuss", "CDU-Fraktion", "Gemeinderat"]
    ) == ("Bündnis 90/Die Grünen", "CDU")


def test_the_faction_file_is_checked() -> None:
    with pytest.raises(ValueError, match="unknown"):
        FactionNames({"factions": [{"name": "SPD"}], "joint": {"SPD/XY": ["SPD", "XY"]}})
    assert faction_names().canonical_name("buendnis 90/die gruenen") == "Bündnis 90/Die Grünen"


def _paper(paper_type: str, organizations: tuple[str, ...] = ()) -> SourceDocument:
    meta = DocumentMeta(
        doc_id="https://oparl.example/papers/1",
        collection=COUNCIL,
        title="Werderplatz autofrei",
        paper_id="https://oparl.example/papers/1",
        paper_type=paper_type,
        date=date(2024, 3, 19),
        organizations=organizations,
    )
    return SourceDocument(meta=meta, overview=f"{paper_type} 2024/0294: Werderplatz autofrei")


def _file(name: str, text: str) -> ParsedFile:
    return ParsedFile(
        FileRef(file_id=f"f-{name}", name=name, fingerprint="1"), [Passage(text, 1, None)]
    )


def test_the_splitter_gives_every_chunk_the_submitting_faction() -> None:
    doc = _paper("Antrag", organizations=("Gemeinderat",))
    chunks = ChunkSplitter().split(doc, [_file("Antrag", MOTION)])
    assert all(c.organizations == ("Gemeinderat", "Die Linke") for c in chunks)
    assert chunks[0].text.endswith("Eingereicht von: Die Linke")


def test_the_splitter_leaves_meetings_and_administration_papers_alone() -> None:
    vorlage = _paper("Beschlussvorlage", organizations=("Gemeinderat",))
    chunks = ChunkSplitter().split(vorlage, [_file("Beschlussvorlage", "Die Verwaltung …")])
    assert chunks[0].organizations == ("Gemeinderat",)
    assert "Eingereicht von" not in chunks[0].text
    meeting = SourceDocument(
        meta=DocumentMeta(doc_id="m1", collection=COUNCIL, title="Gemeinderat am 1.1.2026"),
        passages=[Passage("Tagesordnung: TOP 1 Antrag: CDU Werderplatz", None, "Tagesordnung")],
    )
    assert ChunkSplitter().split(meeting, [])[0].organizations == ()
