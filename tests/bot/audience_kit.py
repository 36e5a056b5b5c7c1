"""Shared conversations for the audience tests: the sample corpus and directory, rosters served
by the loopback Bot Connector, and activities from group chats and team channels.

The sample corpus holds one faction-internal paper (samples/council/gruene-intern-klausur.md,
access `fraktion-gruene`); the sample directory has Dirk (Grünen), Alex (Grünen + Bauausschuss)
and Eva (CDU), all with a valid KI-Pass.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.services import build_services
from indexer.embedded import EmbeddedIndex
from indexer.model import COUNCIL, POLICIES, Chunk
from skills.audience import WITHHELD_NOTICE
from skills.trace import Trace
from tests.bot.kit import BotUnderTest, make_settings, mention, message, start_bot
from tests.support.connector import ConnectorRecorder

REPO = Path(__file__).resolve().parents[2]
KIW = REPO / ".venv" / "bin" / "kiw"
TENANT = "00000000-0000-0000-0000-0000000000001"  # the sample directory's tenant
DIRK = "5d0c3a51-8f0e-4c39-9a57-0d7d2f1a0004"  # fraktion-gruene
EVA = "5d0c3a51-8f0e-4c39-9a57-0d7d2f1a0005"  # fraktion-cdu
ALEX = "00000000-0000-0000-0000-0000000000020"  # fraktion-gruene, ausschuss-bau
STRANGER = "9f9f9f9f-0000-0000-0000-00000000dead"  # not in the directory (a guest)
INTERNAL_LINK = "https://allris.luebeck.de/public/vo020?VOLFDNR=90007"
# A rule of the Grünen faction, planted beside the sample policies: what `frage` may find.
INTERNAL_POLICY = Chunk(
    id="file:fraktion-gruene-ki-regel.md#0",
    doc_id="file:fraktion-gruene-ki-regel.md",
    collection=POLICIES,
    title="Fraktionsinterne KI-Regel",
    text="Fraktionsinterne Regel: Entwürfe der Fraktion dürfen nur mit Zustimmung des "
    "Fraktionsvorstands in einen KI-Assistenten eingegeben werden. Der Fraktionsvorstand "
    "entscheidet innerhalb von zwei Tagen.",
    access=("fraktion-gruene",),
    heading="Zustimmung des Fraktionsvorstands",
)
# Public council papers that outrank the internal one for MORE_QUERY, so it lands on page 2.
PUBLIC_BUDGET_PAPERS = [
    Chunk(
        id=f"https://allris.luebeck.de/oparl/papers/budget-{n}#0",
        doc_id=f"https://allris.luebeck.de/oparl/papers/budget-{n}",
        collection=COUNCIL,
        title=f"Haushaltsberatungen 2027: Änderungsantrag {n}",
        text=f"Änderungsantrag {n} zu den Haushaltsberatungen 2027. Die Haushaltsberatungen "
        "2027 beginnen im November; der Antrag betrifft die Haushaltsberatungen.",
        reference=f"VO/2026/77{n:02d}",
        paper_type="Antrag",
        date=date(2026, 10, n),
    )
    for n in range(1, 8)
]
MORE_QUERY = "Haushaltsberatungen 2027"
# Words that stand only in the faction-internal paper and rule, and that no request here types.
SECRET_MARKERS = (
    "Fraktionsinterne",
    "nur für die Fraktion",
    "4,5 Mio",
    "20.11.2026",
    "Fraktionsvorstand",
)
# What each way into a shared conversation asks; each finds an internal text for Dirk alone.
CHAT_PATHS = {
    "suche": "suche Kompromisslinie Radverkehrsbudget",
    "frage": "frage Wer muss zustimmen, bevor Entwürfe in einen KI-Assistenten eingegeben werden?",
    "ratsfrage": "suche Welche Kompromisslinie gilt für das Radverkehrsbudget 2027?",
    "zusammenfassen": "zusammenfassen GR-INTERN/2026/07",
    "zusammenfassen_link": f"zusammenfassen {INTERNAL_LINK}",
}


async def index_samples(data_dir: Path) -> None:
    """`kiw index samples` into `data_dir`: a real run of the console script, off the loop."""
    if not KIW.exists():
        pytest.fail(f"{KIW} is missing: `make install` installs the kiw console script")
    proc = await asyncio.create_subprocess_exec(
        str(KIW),
        "index",
        "samples",
        "--data-dir",
        str(data_dir),
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await proc.communicate()
    if proc.returncode != 0:
        pytest.fail("kiw index samples failed:\n" + output.decode(errors="replace"))


def index_samples_once(target: Path) -> Path:
    """The samples and the planted papers above in `target` (once per run, the `indexed`
    fixture; tests take a copy, `sample_data`)."""

    async def build() -> None:
        await index_samples(target)
        await _plant(target / "index", [INTERNAL_POLICY, *PUBLIC_BUDGET_PAPERS])

    asyncio.run(build())
    return target


async def _plant(path: Path, chunks: list[Chunk]) -> None:
    index = EmbeddedIndex(path)
    try:
        await index.upsert(chunks)
    finally:
        await index.close()


async def start_sample_bot(
    aiohttp_client: Any, connector: ConnectorRecorder, data_dir: Path, **overrides: Any
) -> BotUnderTest:
    settings = make_settings(
        data_dir,
        directory_file=REPO / "samples" / "directory.yaml",
        allowed_tenants=TENANT,
        **overrides,
    )
    return await start_bot(aiohttp_client, connector, data_dir, services=build_services(settings))


def member(aad_object_id: str | None, n: int) -> dict[str, Any]:
    """A roster entry as Teams lists it (a guest may come without an Entra object id)."""
    entry: dict[str, Any] = {
        "id": f"29:roster-member-{n}",
        "name": f"Mitglied {n}",
        "userPrincipalName": f"mitglied{n}@luebeck.de",
        "tenantId": TENANT,
        "userRole": "user",
    }
    if aad_object_id:
        entry["aadObjectId"] = aad_object_id
    return entry


def roster(*aad_object_ids: str | None) -> list[dict[str, Any]]:
    return [member(aad, n) for n, aad in enumerate(aad_object_ids, start=1)]


def group_chat(text: str, connector: ConnectorRecorder, user: str, chat: str) -> dict[str, Any]:
    return message(
        f"<at>KI-Assistent</at> {text}",
        connector.service_url,
        conversation_type="groupChat",
        conversation_id=chat,
        user=user,
        tenant=TENANT,
        entities=[mention()],
    )


def channel_post(
    text: str,
    connector: ConnectorRecorder,
    user: str,
    team: str,
    *,
    channel_type: str | None = None,
    value: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A post in a team channel: Teams names the team (whose roster the channel shares) and the
    channel in channelData; a private or shared channel says so in the channel's `type`."""
    channel_id = f"19:channel-of-{team.removeprefix('19:')}"
    activity = message(
        f"<at>KI-Assistent</at> {text}" if text else "",
        connector.service_url,
        conversation_type="channel",
        conversation_id=f"{channel_id};messageid=1764225600000",
        user=user,
        tenant=TENANT,
        entities=[mention()] if text else [],
        value=value,
    )
    channel: dict[str, Any] = {"id": channel_id}
    if channel_type:
        channel["type"] = channel_type
    activity["channelData"].update({"team": {"id": team}, "channel": channel})
    return activity


@dataclass
class Seen:
    """What one request put into the conversation, and the turn's trace."""

    text: str  # every reply body, as JSON
    trace: Trace

    def leaked(self) -> list[str]:
        return [m for m in SECRET_MARKERS if m in self.text]

    @property
    def withheld(self) -> bool:
        return WITHHELD_NOTICE in self.text

    def audience(self) -> dict[str, Any]:
        step = self.trace.step("audience")
        assert step is not None, self.trace.names()
        return step.details


async def ask(bot: BotUnderTest, activity: dict[str, Any]) -> Seen:
    before, traced = len(bot.connector.calls), len(bot.traces)
    response = await bot.post(activity)
    assert response.status in (200, 201), await response.text()
    async with asyncio.timeout(60):
        await bot.handler.drain()
    replies = [c.body for c in bot.connector.calls[before:] if c.body.get("type") == "message"]
    assert replies, "the bot did not answer"
    text = "\n".join(json.dumps(body, ensure_ascii=False) for body in replies)
    assert "Fehler-ID" not in text, text
    assert len(bot.traces) == traced + 1
    return Seen(text, bot.traces[-1])
