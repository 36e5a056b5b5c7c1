"""The Redis state store against a REAL redis-server on loopback (started here, random port),
and two bot instances sharing it: a Teams retry delivered to the other instance is not answered
twice."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from redis.exceptions import RedisError

from bot.settings import StateBackend
from bot.state import build_state_store
from bot.state_redis import RedisStateStore
from bot.state_store import dedupe_key
from tests.bot.kit import (
    BOT_ID,
    TENANT,
    make_services,
    make_settings,
    message,
)
from tests.support.connector import ConnectorRecorder

pytestmark = pytest.mark.redis

REDIS_SERVER = "/usr/bin/redis-server"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = shutil.which("redis-server") or REDIS_SERVER
    if not Path(binary).exists():
        pytest.fail(
            "redis-server is not installed (Debian package 'redis-server'; .ci/run installs it)"
        )
    workdir = tmp_path_factory.mktemp("redis")
    port = _free_port()
    options = ["--save", "", "--appendonly", "no", "--dir", str(workdir)]
    process = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    err = process.stderr.read().decode() if process.stderr else ""
                    pytest.fail(f"redis-server did not start on port {port}: {err}")
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()


@pytest.fixture
async def store(redis_url: str, request: pytest.FixtureRequest) -> AsyncIterator[RedisStateStore]:
    built = RedisStateStore.from_url(redis_url, prefix=f"test:{request.node.name}:")
    yield built
    await built.close()


async def test_claim_is_atomic_and_expires(store: RedisStateStore) -> None:
    key = dedupe_key("a:conv", "activity-1")
    results = await asyncio.gather(*(store.claim(key, 60) for _ in range(20)))
    assert results.count(True) == 1
    assert await store.claim("short", 0.2) is True
    assert await store.claim("short", 0.2) is False
    await asyncio.sleep(0.35)
    assert await store.claim("short", 0.2) is True  # the mark expired
    assert await store.claim("forever", None) is True
    assert await store.claim("forever", None) is False


async def test_references_round_trip(store: RedisStateStore) -> None:
    reference = {"conversation": {"id": "a:conv"}, "serviceUrl": "https://smba.example/emea/"}
    assert await store.load_reference("ref-1") is None
    await store.save_reference("ref-1", reference)
    assert await store.load_reference("ref-1") == reference


async def test_prefixes_keep_environments_apart(redis_url: str) -> None:
    a = RedisStateStore.from_url(redis_url, prefix="env-a:")
    b = RedisStateStore.from_url(redis_url, prefix="env-b:")
    try:
        assert await a.claim("same-key", 60) is True
        assert await b.claim("same-key", 60) is True
        assert await a.claim("same-key", 60) is False
    finally:
        await a.close()
        await b.close()


async def test_unreachable_redis_fails_open_and_never_raises() -> None:
    down = RedisStateStore.from_url(f"redis://127.0.0.1:{_free_port()}/0")
    try:
        assert await down.claim("k", 60) is True
        await down.save_reference("r", {"a": 1})
        assert await down.load_reference("r") is None
        with pytest.raises(RedisError):
            await down.ping()
    finally:
        await down.close()


async def test_settings_select_the_redis_store(redis_url: str, data_dir: Path) -> None:
    settings = make_settings(data_dir, state_backend=StateBackend.redis, redis_url=redis_url)
    built = build_state_store(settings)
    try:
        assert isinstance(built, RedisStateStore)
        await built.ping()
    finally:
        await built.close()


@asynccontextmanager
async def two_instances(
    aiohttp_client: Any, redis_url: str, data_dir: Path, prefix: str
) -> AsyncIterator[list[Any]]:
    """Two bot instances (test clients) sharing one Redis, as behind a load balancer."""
    from bot.app import create_app

    stores = [RedisStateStore.from_url(redis_url, prefix=prefix) for _ in range(2)]
    try:
        settings = make_settings(data_dir)
        yield [
            await aiohttp_client(
                create_app(settings, services=make_services(settings), state=store)
            )
            for store in stores
        ]
    finally:
        for store in stores:
            await store.close()


async def drained(instances: list[Any]) -> None:
    """Every reply either instance is still working on has gone out (no wall-clock wait)."""
    from bot.app import HANDLER

    async with asyncio.timeout(30):
        for instance in instances:
            await instance.app[HANDLER].drain()


async def test_two_instances_answer_a_retried_activity_once(
    aiohttp_client: Any, redis_url: str, data_dir: Path, connector: ConnectorRecorder
) -> None:
    async with two_instances(aiohttp_client, redis_url, data_dir, "two-instances:") as instances:
        activity = message("hilfe", connector.service_url)
        first = await instances[0].post("/api/messages", json=activity)
        # Teams did not see the answer in time and retries; the load balancer picks instance 2.
        retry = await instances[1].post("/api/messages", json=activity)
        assert first.status in (200, 201) and retry.status in (200, 201)
        await drained(instances)  # a (wrong) second reply would have been sent by now
        replies = [m for m in connector.messages() if m.activity_id == activity["id"]]
        assert len(replies) == 1

        # A NEW activity on instance 2 is answered: the store dedupes, it does not block.
        other = message("hilfe", connector.service_url)
        await instances[1].post("/api/messages", json=other)
        await connector.wait_for(2)
        assert [m.activity_id for m in connector.messages()] == [activity["id"], other["id"]]


async def test_welcome_is_sent_once_across_instances(
    aiohttp_client: Any, redis_url: str, data_dir: Path, connector: ConnectorRecorder
) -> None:
    """The bot installed in a team, and Teams' second install event lands on the other instance."""
    async with two_instances(aiohttp_client, redis_url, data_dir, "welcome:") as instances:
        conversation = "19:general@thread.tacv2"
        for n, instance in enumerate(instances, start=1):
            update = {
                "type": "conversationUpdate",
                "id": f"f:update-{n}",
                "channelId": "msteams",
                "serviceUrl": connector.service_url,
                "from": {"id": "29:admin"},
                "recipient": {"id": BOT_ID, "name": "KI-Assistent"},
                "conversation": {
                    "id": conversation,
                    "conversationType": "channel",
                    "tenantId": TENANT,
                },
                "membersAdded": [{"id": BOT_ID}],
                "channelData": {"tenant": {"id": TENANT}, "eventType": "teamMemberAdded"},
            }
            response = await instance.post("/api/messages", json=update)
            assert response.status in (200, 201)
        await drained(instances)
        assert [m.conversation_id for m in connector.messages()] == [conversation]


async def test_readiness_includes_the_shared_store(
    aiohttp_client: Any, redis_url: str, data_dir: Path
) -> None:
    from bot.app import create_app

    settings = make_settings(data_dir)
    up = RedisStateStore.from_url(redis_url, prefix="ready:")
    down = RedisStateStore.from_url(f"redis://127.0.0.1:{_free_port()}/0")
    try:
        ready = await aiohttp_client(
            create_app(settings, services=make_services(settings), state=up)
        )
        assert (await ready.get("/readyz")).status == 200
        broken = await aiohttp_client(
            create_app(settings, services=make_services(settings), state=down)
        )
        response = await broken.get("/readyz")
        assert response.status == 503
        assert "state" in (await response.json())["failed"]
    finally:
        await up.close()
        await down.close()
