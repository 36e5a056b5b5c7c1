"""Probes: /healthz answers while the process is up; /readyz names the backend that failed."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from bot import health
from bot.app import create_app
from bot.settings_problems import SettingsError
from tests.bot.kit import (
    FakeDirectory,
    FakeGenerator,
    FakeIndex,
    make_services,
    make_settings,
)

SAMPLE_DIRECTORY = Path(__file__).resolve().parents[2] / "samples" / "directory.yaml"


async def test_healthz_and_readyz(
    aiohttp_client: Any, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(data_dir)
    services = make_services(settings)
    client = await aiohttp_client(create_app(settings, services=services))
    assert (await client.get("/healthz")).status == 200
    ready = await client.get("/readyz")
    assert ready.status == 200 and (await ready.json())["status"] == "ready"

    assert isinstance(services.index, FakeIndex) and isinstance(services.directory, FakeDirectory)
    services.index.broken = OSError("index folder missing")
    services.directory.broken = True
    response = await client.get("/readyz")
    assert response.status == 503
    failed = (await response.json())["failed"]
    assert set(failed) == {"index", "directory"}
    assert "index folder missing" in failed["index"]
    assert (await client.get("/healthz")).status == 200  # up, just not ready

    services.index.broken = None
    services.directory.broken = False
    assert isinstance(services.generator, FakeGenerator)
    services.generator.slow_ping = 5
    monkeypatch.setattr(health, "PING_TIMEOUT_SECONDS", 0.1)
    response = await client.get("/readyz")
    assert response.status == 503
    assert (await response.json())["failed"] == {"generator": "no answer within 0 s"}


def test_create_app_refuses_local_mode_on_a_network_address(data_dir: Path) -> None:
    from bot.settings import Settings

    settings = Settings(_env_file=None, data_dir=data_dir, host="0.0.0.0")  # type: ignore[call-arg]
    with pytest.raises(SettingsError, match="KIW_INSECURE_LOCAL_MODE_ON_NETWORK"):
        create_app(settings)


async def test_real_services_start_and_answer(aiohttp_client: Any, data_dir: Path) -> None:
    """The composition root with the real embedded seams (no fakes) from settings alone."""
    directory = SAMPLE_DIRECTORY
    if not directory.exists():
        pytest.fail(f"{directory} is missing (the sample directory ships with the repo)")
    settings = make_settings(data_dir, directory_file=directory)
    client = await aiohttp_client(create_app(settings))
    assert (await client.get("/healthz")).status == 200
    response = await client.get("/readyz")
    # A fresh data dir (empty index), the sample directory, the extractive generator: ready.
    assert response.status == 200, await response.text()


async def test_the_index_warms_up_when_the_bot_starts(aiohttp_client: Any, data_dir: Path) -> None:
    settings = make_settings(data_dir)
    services = make_services(settings)
    assert isinstance(services.index, FakeIndex) and not services.index.warmed
    client = await aiohttp_client(create_app(settings, services=services))
    await asyncio.sleep(0)  # the warm-up runs beside serving, not before it
    assert services.index.warmed
    assert (await client.get("/healthz")).status == 200


class BrokenWarmUp(FakeIndex):
    async def warm_up(self) -> None:
        raise OSError("words.sqlite is locked")


async def test_a_failed_warm_up_does_not_stop_the_bot(
    aiohttp_client: Any, data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = make_settings(data_dir)
    services = make_services(settings)
    services.index = BrokenWarmUp()
    client = await aiohttp_client(create_app(settings, services=services))
    await asyncio.sleep(0)
    assert (await client.get("/readyz")).status == 200
    assert "index warm-up failed" in caplog.text
