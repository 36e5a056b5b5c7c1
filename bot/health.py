"""Probes for the platform: /healthz (the process answers) and /readyz (its backends answer)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

log = logging.getLogger("kiw.health")

PING_TIMEOUT_SECONDS = 3.0

Ping = Callable[[], Awaitable[None]]


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _check(ping: Ping) -> str | None:
    """None if the ping answered in time, else a short admin-readable reason."""
    try:
        await asyncio.wait_for(ping(), timeout=PING_TIMEOUT_SECONDS)
    except TimeoutError:
        return f"no answer within {PING_TIMEOUT_SECONDS:.0f} s"
    except Exception as exc:  # any failure of a backend means "not ready", never a 500
        return f"{type(exc).__name__}: {str(exc)[:200]}"
    return None


async def readiness(pings: dict[str, Ping]) -> tuple[bool, dict[str, str]]:
    names = list(pings)
    results = await asyncio.gather(*(_check(pings[name]) for name in names))
    failed = {name: reason for name, reason in zip(names, results, strict=True) if reason}
    for name, reason in failed.items():
        log.warning("readiness: %s failed: %s", name, reason)
    return not failed, failed


def readyz_handler(
    pings: Callable[[], dict[str, Ping]],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def readyz(_request: web.Request) -> web.Response:
        ready, failed = await readiness(pings())
        if ready:
            return web.json_response({"status": "ready"})
        return web.json_response({"status": "not ready", "failed": failed}, status=503)

    return readyz
