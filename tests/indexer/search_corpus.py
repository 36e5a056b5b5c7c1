"""A small German corpus, written for these tests, shared by the search-backend tests.

Words recur on purpose: the embedded backend learns its compound vocabulary from the corpus,
so "Radverkehr" and "Förderung" appear as words of their own in several chunks.
"""

from __future__ import annotations

from datetime import date

from indexer.model import COUNCIL, POLICIES, PUBLIC, Chunk

FACTION = "fraktion-gruen"
SECRET_WORD = "Geheimplan"  # appears only in the faction-internal document


def paper(
    n: int,
    title: str,
    texts: list[str],
    *,
    reference: str | None,
    paper_type: str = "Antrag",
    day: date = date(2025, 3, 10),
    organizations: tuple[str, ...] = ("Gemeinderat",),
    access: tuple[str, ...] = (PUBLIC,),
    collection: str = COUNCIL,
) -> list[Chunk]:
    doc_id = f"https://ris.example.test/oparl/papers/{n}"
    return [
        Chunk(
            id=f"{doc_id}#{i}",
            doc_id=doc_id,
            collection=collection,
            title=title,
            text=text,
            access=access,
            url=f"https://ris.example.test/vo020?VOLFDNR={n}",
            page=i + 1,
            reference=reference,
            paper_id=doc_id if collection == COUNCIL else None,
            paper_type=paper_type if collection == COUNCIL else None,
            date=day,
            organizations=organizations,
            file_name="Antrag",
        )
        for i, text in enumerate(texts)
    ]


RAD_ANTRAG = paper(
    1,
    "Förderung des Radverkehrs in der Innenstadt",
    [
        "Die Fraktion beantragt die Förderung des Radverkehrs. Der Radverkehr in der Innenstadt "
        "braucht sichere Radwege und mehr Abstellanlagen.",
        "Zur Förderung gehören auch Fahrradstraßen. Der Radverkehr soll bis 2030 verdoppelt werden.",
    ],
    reference="2025/0123",
)
RAD_VORLAGE = paper(
    2,
    "Radverkehrsförderung im Stadtteil Durlach",
    ["Die Verwaltung legt ein Konzept zur Radverkehrsförderung in Durlach vor."],
    reference="VO/2025/12345",
    paper_type="Beschlussvorlage",
    day=date(2025, 6, 1),
    organizations=("Bauausschuss",),
)
NAHMOBILITAET = paper(
    3,
    "Radverkehr und Fußverkehr stärken",
    ["Förderung der Nahmobilität: Radverkehr und Fußverkehr sollen Vorrang erhalten."],
    reference="2024/0456",
    day=date(2024, 11, 5),
)
BAEDER = paper(
    4,
    "Änderung der Öffnungszeiten der Bäder",
    ["Die Öffnungszeiten der städtischen Bäder werden ab Mai geändert. Die Straßenbahn hält."],
    reference="2026/0541",
    paper_type="Informationsvorlage",
    day=date(2026, 2, 1),
    organizations=("Sportausschuss",),
)
HAUSHALT_DHH = paper(
    5,
    "Haushaltsantrag Schulsanierung",
    ["Mehr Mittel für die Sanierung der Schulen im Doppelhaushalt."],
    reference="DHH/2026/0012",
    day=date(2025, 12, 16),
)
HAUSHALT_PLAIN = paper(
    6,
    "Bebauungsplan Nordstadt",
    ["Der Bebauungsplan für die Nordstadt wird öffentlich ausgelegt."],
    reference="2026/0012",
    paper_type="Beschlussvorlage",
    day=date(2026, 1, 20),
)
POLICY = paper(
    7,
    "Dienstvereinbarung zur Nutzung Künstlicher Intelligenz",
    [
        "§ 1 Geltungsbereich. Diese Dienstvereinbarung gilt für alle Beschäftigten der "
        "Stadtverwaltung.",
        "§ 2 Grundsätze. Künstliche Intelligenz darf nur nach Abschluss des KI-Passes genutzt werden.",
        "§ 3 Datenschutz. Personenbezogene Daten dürfen nicht an externe Dienste übermittelt werden.",
    ],
    reference=None,
    collection=POLICIES,
)
FACTION_INTERNAL = paper(
    8,
    "Fraktionsinterne Strategie Radverkehr",
    [
        f"Vertraulich: {SECRET_WORD} zur Förderung des Radverkehrs und der Straßenbahn. "
        "Radverkehrsförderung hat Vorrang vor Änderung der Öffnungszeiten.",
    ],
    reference="2026/0777",
    day=date(2026, 3, 3),
    organizations=("Fraktion Grüne",),
    access=(FACTION,),
)

ALL_CHUNKS: list[Chunk] = [
    *RAD_ANTRAG,
    *RAD_VORLAGE,
    *NAHMOBILITAET,
    *BAEDER,
    *HAUSHALT_DHH,
    *HAUSHALT_PLAIN,
    *POLICY,
    *FACTION_INTERNAL,
]
