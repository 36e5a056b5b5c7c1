"""The one test kit of bot/: settings, the Services builder with small in-memory seams (index,
directory, generator), the message builder, recorded payloads, and the bot under test behind a
loopback Bot Connector that records replies (tests/support/connector.py).

The bot under test is the real aiohttp app (bot/app.py) with the real SDK; only the seams behind
`Services` are fakes, so these tests do not depend on the index or model backends.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from bot.audit import AuditLog
from bot.services import Services
from bot.settings import Settings
from bot.settings_problems import load_settings
from graph.principal import Directory, DirectoryUnavailable, Principal, UnknownUser
from indexer.model import Chunk, SearchIndex, SearchQuery, SearchResults
from skills.generator.base import Generator
from tests.support.connector import ConnectorRecorder

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
BOT_ID = "28:kiw-bot-app-id"
BOT_NAME = "KI-Assistent"
TENANT = "11111111-2222-3333-4444-555555555555"
USER_WITH_PASS = "aad-user-with-kipass"
USER_WITHOUT_PASS = "aad-user-without-kipass"
AUDIT_KEY = b"test-audit-key"


# ---- seams ----
class FakeIndex:
    def __init__(self) -> None:
        self.broken: Exception | None = None
        self.warmed = False

    async def upsert(self, chunks: Sequence[Chunk]) -> None:
        return None

    async def delete_documents(self, doc_ids: Sequence[str]) -> None:
        return None

    async def search(self, query: SearchQuery) -> SearchResults:
        return SearchResults(hits=(), total=0)

    async def corrected(self, text: str, collection: str | None, access: frozenset[str]) -> str:
        return text

    async def warm_up(self) -> None:
        self.warmed = True

    async def document_chunks(self, doc_id: str, access: frozenset[str]) -> list[Chunk]:
        return []

    async def find_reference(self, reference: str, access: frozenset[str]) -> str | None:
        return None

    async def document_ids(self, collection: str | None = None) -> set[str]:
        return set()

    async def paper_types(self, collection: str | None, access: frozenset[str]) -> set[str]:
        return set()

    async def ping(self) -> None:
        if self.broken:
            raise self.broken

    async def close(self) -> None:
        return None


class FakeDirectory:
    """The directory seam (graph/principal.py Protocol) answering from a list of principals;
    `broken` makes it fail as an unreachable Graph does, `lookups` records who was asked."""

    def __init__(self, principals: Sequence[Principal] = ()) -> None:
        self.principals = {p.id: p for p in principals}
        self.broken = False
        self.lookups: list[str] = []

    @classmethod
    def with_groups(cls, groups: Mapping[str, frozenset[str]]) -> FakeDirectory:
        """Users known only by their directory groups (the Werkstatt's admin check)."""
        return cls([Principal(id=user, name="Test", groups=g) for user, g in groups.items()])

    async def lookup(self, user_id: str) -> Principal:
        self.lookups.append(user_id)
        if self.broken:
            raise DirectoryUnavailable("directory down")
        try:
            return self.principals[user_id]
        except KeyError:
            raise UnknownUser(user_id) from None

    async def ping(self) -> None:
        if self.broken:
            raise DirectoryUnavailable("directory down")

    async def close(self) -> None:
        return None


class FakeGenerator:
    name = "fake"
    on_premise = True

    def __init__(self) -> None:
        self.slow_ping = 0.0

    async def answer(
        self, question: str, passages: Any, *, language: str = "de", on_text: Any = None
    ) -> Any:
        raise NotImplementedError

    async def summarise(self, passages: Any, *, title: str = "", language: str = "de") -> Any:
        raise NotImplementedError

    async def ping(self) -> None:
        if self.slow_ping:
            await asyncio.sleep(self.slow_ping)

    async def close(self) -> None:
        return None


def principals() -> list[Principal]:
    return [
        Principal(id=USER_WITH_PASS, name="Erika Muster", kipass_valid_until=date(2099, 1, 1)),
        Principal(id=USER_WITHOUT_PASS, name="Max Beispiel"),
    ]


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"data_dir": data_dir, "audit_key": AUDIT_KEY.decode()}
    values.update(overrides)
    return load_settings(env_file=None, **values)


def make_services(
    settings: Settings,
    *,
    index: SearchIndex | None = None,
    directory: Directory | None = None,
    generator: Generator | None = None,
) -> Services:
    """The one Services builder of the tests: fakes for every seam unless one is given, the real
    audit log under the data dir."""
    return Services(
        settings=settings,
        index=index or FakeIndex(),
        directory=directory or FakeDirectory(principals()),
        generator=generator or FakeGenerator(),
        audit=AuditLog(settings.data_dir / "audit", AUDIT_KEY),
    )


def audit_lines(services: Services) -> list[dict[str, Any]]:
    lines: list[dict[str, Any]] = []
    for path in services.audit.files():
        lines += [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]
    return lines


# ---- the Bot Connector the bot replies to: tests/support/connector.py ----


# ---- activities ----
_ids = itertools.count(1)


def message(
    text: str,
    service_url: str,
    *,
    conversation_type: str = "personal",
    user: str | None = USER_WITH_PASS,
    tenant: str | None = TENANT,
    activity_id: str | None = None,
    conversation_id: str | None = None,
    entities: list[dict[str, Any]] | None = None,
    value: dict[str, Any] | None = None,
    sender_id: str | None = None,
    bot_id: str = BOT_ID,
    channel_id: str = "msteams",
) -> dict[str, Any]:
    """A message activity as the Bot Connector posts it for Teams. `user` is the sender's Entra
    object id (None: Teams sent none), `sender_id` their Teams id."""
    n = next(_ids)
    conv = (
        conversation_id
        or {
            "personal": f"a:personal-{n}",
            "groupChat": f"19:group-{n}@thread.v2",
            "channel": f"19:channel-{n}@thread.tacv2;messageid=17000000{n:05d}",
        }[conversation_type]
    )
    sender: dict[str, Any] = {"id": sender_id or f"29:user-{n}", "name": "Erika Muster"}
    if user:
        sender["aadObjectId"] = user
    activity: dict[str, Any] = {
        "type": "message",
        "id": activity_id or f"17000000{n:05d}",
        "timestamp": "2026-11-27T06:00:00.000Z",
        "channelId": channel_id,
        "serviceUrl": service_url,
        "from": sender,
        "recipient": {"id": bot_id, "name": BOT_NAME},
        "conversation": {"id": conv, "conversationType": conversation_type},
        "text": text,
        "textFormat": "plain",
        "locale": "de-DE",
        "entities": entities or [],
        "channelData": {"tenant": {"id": tenant}} if tenant else {},
    }
    if tenant:
        activity["conversation"]["tenantId"] = tenant
    if value is not None:
        activity["value"] = value
    return activity


def mention(text: str | None = f"<at>{BOT_NAME}</at>", name: str = BOT_NAME) -> dict[str, Any]:
    entity: dict[str, Any] = {"type": "mention", "mentioned": {"id": BOT_ID, "name": name}}
    if text is not None:
        entity["text"] = text
    return entity


def fixture(name: str, service_url: str) -> dict[str, Any]:
    """A recorded Teams payload with its serviceUrl pointed at the loopback connector."""
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text("utf-8"))
    data = copy.deepcopy(data)
    data["serviceUrl"] = service_url
    return data


# ---- the bot under test ----
@dataclass
class BotUnderTest:
    client: Any  # aiohttp.test_utils.TestClient
    connector: ConnectorRecorder
    services: Services
    traces: list[Any]
    clock: Any = (
        None  # the test's clock the delivery waits by (tests/support/clock.py); None: the loop's
    )

    async def post(self, activity: Any, **kwargs: Any) -> Any:
        if isinstance(activity, dict | list):
            return await self.client.post("/api/messages", json=activity, **kwargs)
        return await self.client.post("/api/messages", data=activity, **kwargs)

    @property
    def handler(self) -> Any:
        from bot.app import HANDLER

        return self.client.server.app[HANDLER]

    def audit(self) -> list[dict[str, Any]]:
        return audit_lines(self.services)


async def start_bot(
    aiohttp_client: Any,
    connector: ConnectorRecorder,
    data_dir: Path,
    *,
    skills: Any = None,
    services: Services | None = None,
    clock: Any = None,
    **overrides: Any,
) -> BotUnderTest:
    """`clock`: what the replies' delivery waits by (tests/support/clock.py), else the loop's."""
    from bot.app import create_app

    settings = make_settings(data_dir, **overrides)
    services = services or make_services(settings)
    traces: list[Any] = []
    kwargs: dict[str, Any] = {"services": services, "trace_sink": traces.append}
    if skills is not None:
        kwargs["skills"] = skills
    if clock is not None:
        kwargs["clock"] = clock
    client = await aiohttp_client(create_app(settings, **kwargs))
    return BotUnderTest(client, connector, services, traces, clock)
