"""Seams for the message-extension tests: a real embedded index with three council papers (one
visible only to a faction), a directory with and without KI-Pass, the extractive generator."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

from bot.services import Services
from bot.settings import Settings
from graph.principal import Directory, Principal
from indexer.embedded import EmbeddedIndex
from indexer.model import COUNCIL, PUBLIC, Chunk
from skills.generator.extractive import ExtractiveGenerator
from tests.bot.card_schema import card_errors
from tests.bot.kit import (
    USER_WITH_PASS,
    USER_WITHOUT_PASS,
    FakeDirectory,
    make_services,
    make_settings,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "invokes"
ALLRIS = "ratsinfo.luebeck.de"
USER_FACTION = "aad-user-faction"
# A directory entry of another tenant holding the same faction group and a valid KI-Pass.
USER_FOREIGN = "aad-user-foreign-faction"
HOME_TENANT = "11111111-2222-3333-4444-555555555555"  # the recorded invokes' tenant
OTHER_TENANT = "99999999-8888-7777-6666-555555555555"
FACTION = "fraktion-gruene"
OPARL = f"https://{ALLRIS}/bi/oparl/1.0/papers.asp?id="
WEB = f"https://{ALLRIS}/bi/vo020.asp?VOLFDNR="

PAPERS = [
    Chunk(
        id=f"{OPARL}1001#0",
        doc_id=f"{OPARL}1001",
        collection=COUNCIL,
        title="Radverkehrskonzept Innenstadt",
        text="Die Bürgerschaft beschließt das Radverkehrskonzept für die Innenstadt. "
        "Der Radverkehr bekommt neue Radwege in der Königstraße und an der Obertrave.",
        url=f"{WEB}1001",
        reference="VO/2026/1001",
        paper_type="Beschlussvorlage",
        date=date(2026, 10, 14),
        organizations=("Bauausschuss",),
    ),
    Chunk(
        id=f"{OPARL}1002#0",
        doc_id=f"{OPARL}1002",
        collection=COUNCIL,
        title="Fahrradparken am Bahnhof",
        text="Der Radverkehr am Hauptbahnhof braucht 800 zusätzliche Fahrradstellplätze.",
        url=f"{WEB}1002",
        reference="VO/2026/1002",
        paper_type="Antrag",
        date=date(2026, 9, 2),
        organizations=("Bürgerschaft", "Bauausschuss"),
    ),
    Chunk(
        id=f"{OPARL}1003#0",
        doc_id=f"{OPARL}1003",
        collection=COUNCIL,
        title="Vertrauliche Fraktionsvorlage Radverkehr Geheimtitel",
        text="Interne Abstimmung der Fraktion zum Radverkehr, nicht öffentlich.",
        access=(FACTION,),
        url=f"{WEB}1003",
        reference="VO/2026/1003",
        date=date(2026, 11, 1),
        organizations=("Fraktion Bündnis 90/Die Grünen",),
    ),
]


def principals() -> list[Principal]:
    valid = date(2099, 1, 1)
    return [
        Principal(id=USER_WITH_PASS, name="Erika Muster", kipass_valid_until=valid),
        Principal(id=USER_WITHOUT_PASS, name="Max Beispiel"),
        Principal(
            id=USER_FACTION,
            name="Fiona Fraktion",
            kipass_valid_until=valid,
            access_groups=frozenset({PUBLIC, FACTION}),
        ),
        Principal(
            id=USER_FOREIGN,
            name="Frida Fremd",
            tenant_id=OTHER_TENANT,
            kipass_valid_until=valid,
            access_groups=frozenset({PUBLIC, FACTION}),
        ),
    ]


async def seeded_services(
    data_dir: Path, *, directory: Directory | None = None, **overrides: Any
) -> Services:
    """The kit's Services (make_services) with an embedded index holding PAPERS, the
    extractive generator and a directory of `principals()` (or the one given)."""
    settings: Settings = make_settings(data_dir, allris_host=ALLRIS, **overrides)
    index = EmbeddedIndex(data_dir / "index")
    await index.upsert(PAPERS)
    return make_services(
        settings,
        index=index,
        directory=directory or FakeDirectory(principals()),
        generator=ExtractiveGenerator(),
    )


def invoke(name: str, service_url: str = "https://smba.trafficmanager.net/emea/") -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(json.loads((FIXTURES / name).read_text("utf-8")))
    data["serviceUrl"] = service_url
    return data


def cards_in(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Every Adaptive Card in an invoke response (result attachments or a dialog)."""
    out = []
    result = body.get("composeExtension") or {}
    for attachment in result.get("attachments") or []:
        if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
            out.append(attachment["content"])
    task = (body.get("task") or {}).get("value")
    if isinstance(task, dict) and isinstance(task.get("card"), dict):
        out.append(task["card"]["content"])
    return out


def assert_outlook_safe(card: dict[str, Any], *, dialog: bool = False) -> None:
    """Valid against the official Adaptive Card schema; inserted cards only open URLs."""
    assert card_errors(card) == []
    assert card["version"] == "1.4"
    kinds = {a["type"] for a in card.get("actions", [])}
    allowed = {"Action.OpenUrl", "Action.Submit"} if dialog else {"Action.OpenUrl"}
    assert kinds <= allowed, kinds
