"""Turn throughput and latency through the real HTTP endpoint, JWT validation ON.

    .venv/bin/python bench/turns.py            # 1/10/50 concurrent conversations + 10,000-turn memory run
    .venv/bin/python bench/turns.py --quick    # short run (a few hundred turns per level)

Two bots, measured in the same run, each in its own server process on 127.0.0.1:
  bare  stock botbuilder 4.17.1: CloudAdapter + ConfigurationBotFrameworkAuthentication
        (UserAssignedMSI, OpenID metadata on loopback) and a TeamsActivityHandler that answers
        every message with one Adaptive Card; its outbound token comes from a loopback managed
        identity endpoint (the stock password path cannot reach a loopback authority: MSAL's
        instance discovery calls login.microsoftonline.com).
  kiw   the product: bot.app.create_app (KiwAdapter, Teams handler, router, `hilfe` skill, audit)
        with MicrosoftAppId set, real embedded services, outbound token from a loopback Entra
        token endpoint (HTTPS, real MSAL).
This process runs the load generator and the loopback Bot Connector services (OpenID metadata +
JWKS, token endpoints, the connector the bots reply to). Every request carries a token signed
with a key from that JWKS. A turn counts as done when the HTTP response arrives; the reply has
then been posted to the connector stub (checked: replies == turns).

Prints figures; asserts nothing. On a shared 2-core box figures move with the load average,
which is printed alongside.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aiohttp import ClientSession, ClientTimeout, TCPConnector, web  # noqa: E402

from tests.support.botframework import (  # noqa: E402
    BotFrameworkStubs,
    ManagedIdentityEndpoint,
    new_signing_key,
    unsigned_token,
)
from tests.support.turns import (  # noqa: E402
    APP_ID,
    TENANT_ID,
    EchoTeamsBot,
    compose_extension_query,
    message,
)

LEVELS = (1, 10, 50)


# ---------------------------------------------------------------- server processes -----------
async def _serve_app(app: web.Application) -> None:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    print(f"PORT {runner.addresses[0][1]}", flush=True)
    await asyncio.Event().wait()


def serve(target: str, config: dict[str, Any]) -> None:
    logging.basicConfig(level=logging.ERROR)
    if target == "bare":
        from botbuilder.integration.aiohttp import (
            CloudAdapter,
            ConfigurationBotFrameworkAuthentication,
        )

        class Config:
            APP_ID = config["app_id"]
            APP_PASSWORD = ""
            APP_TYPE = "UserAssignedMSI"
            APP_TENANTID = TENANT_ID
            TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL = config["metadata_url"]
            TO_BOT_FROM_CHANNEL_TOKEN_ISSUER = "https://api.botframework.com"

        adapter = CloudAdapter(ConfigurationBotFrameworkAuthentication(Config()))
        bot = EchoTeamsBot()

        async def messages(request: web.Request) -> web.StreamResponse:
            response = await adapter.process(request, bot)
            return response if response is not None else web.Response(status=201)

        app = web.Application()
        app.router.add_post("/api/messages", messages)
    else:
        from bot.app import create_app
        from bot.settings_problems import load_settings

        settings = load_settings(env_file=None, **config["settings"])
        app = create_app(settings)
    profile_path = os.environ.get("KIW_BENCH_PROFILE")
    if profile_path and target == "kiw":
        import cProfile
        import signal

        profiler = cProfile.Profile()

        def dump(*_: Any) -> None:
            profiler.disable()
            profiler.dump_stats(profile_path)
            os._exit(0)

        signal.signal(signal.SIGTERM, dump)
        profiler.enable()
    asyncio.run(_serve_app(app))


@dataclass
class Server:
    name: str
    process: subprocess.Popen[str]
    url: str

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process so far (load-independent cost)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_server(name: str, config: dict[str, Any], env: dict[str, str]) -> Server:
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve", name, "--config", json.dumps(config)],
        cwd=REPO,
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        # The stock SDK prints a stack trace for every rejected token; the probe table says it.
        stderr=subprocess.DEVNULL if name == "bare" else None,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("PORT "):
        process.kill()
        raise SystemExit(f"{name} server did not start (exit {process.poll()})")
    return Server(name, process, f"http://127.0.0.1:{int(line.split()[1])}/api/messages")


# ---------------------------------------------------------------- load generator ------------
@dataclass
class LevelResult:
    concurrency: int
    turns: int
    errors: int
    seconds: float
    latencies: list[float]
    replies: int
    cpu_seconds: float = float("nan")

    def row(self, name: str) -> str:
        q = statistics.quantiles(self.latencies, n=100, method="inclusive")
        return (
            f"{name:5} {self.concurrency:>4} {self.turns:>6} {self.turns / self.seconds:>8.1f}"
            f" {q[49] * 1000:>7.1f} {q[94] * 1000:>7.1f} {q[98] * 1000:>7.1f}"
            f" {self.errors:>6} {self.replies:>7} {self.cpu_seconds / self.turns * 1000:>7.2f}"
        )


async def run_level(
    client: ClientSession, stubs: BotFrameworkStubs, server: Server, concurrency: int, turns: int
) -> LevelResult:
    url = server.url
    cpu_before = server.cpu_seconds()
    service_url = stubs.connector.service_url
    # The Bot Connector reuses a token for its lifetime; sign once per conversation.
    tokens = [stubs.identity.sign(APP_ID, service_url) for _ in range(concurrency)]
    latencies: list[float] = []
    errors = 0
    started = 0
    calls_before = len(stubs.connector.calls)

    async def conversation(index: int) -> None:
        nonlocal errors, started
        conversation_id = f"a:bench-{concurrency}-{index}-{time.monotonic_ns()}"
        headers = {"Authorization": f"Bearer {tokens[index]}"}
        while started < turns:
            started += 1
            body = message(service_url, "hilfe", conversation_id=conversation_id)
            t0 = time.perf_counter()
            try:
                async with client.post(url, json=body, headers=headers) as response:
                    await response.read()
                    ok = response.status in (200, 201)
            except Exception:
                ok = False
            latencies.append(time.perf_counter() - t0)
            errors += 0 if ok else 1

    t0 = time.perf_counter()
    await asyncio.gather(*(conversation(i) for i in range(concurrency)))
    seconds = time.perf_counter() - t0
    replies = len(stubs.connector.calls) - calls_before
    cpu = server.cpu_seconds() - cpu_before
    return LevelResult(concurrency, len(latencies), errors, seconds, latencies, replies, cpu)


async def probe(client: ClientSession, stubs: BotFrameworkStubs, url: str) -> dict[str, int]:
    """HTTP status for each known 4.17.1 defect case."""
    su = stubs.connector.service_url
    good = stubs.identity.sign(APP_ID, su)
    claims = stubs.identity.claims(APP_ID, su)
    cases: dict[str, tuple[Any, dict[str, str]]] = {
        "valid token, message": (message(su, "hilfe"), {"Authorization": f"Bearer {good}"}),
        "composeExtension/query": (
            {
                **compose_extension_query(su),
                "value": {
                    "commandId": "allrisSearch",
                    "parameters": [{"name": "query", "value": "Radverkehr"}],
                },
            },
            {"Authorization": f"Bearer {good}"},
        ),
        "no Authorization header": (message(su), {}),
        "expired token": (
            message(su),
            {
                "Authorization": "Bearer "
                + stubs.identity.sign(APP_ID, su, exp=1_000_000_000, nbf=999_999_000)
            },
        ),
        "wrong audience": (
            message(su),
            {"Authorization": "Bearer " + stubs.identity.sign("other-bot", su)},
        ),
        "unknown key id": (
            message(su),
            {
                "Authorization": "Bearer "
                + stubs.identity.sign(APP_ID, su, key=new_signing_key("rolled-kid"))
            },
        ),
        "alg none": (
            message(su),
            {"Authorization": "Bearer " + unsigned_token(claims, {"alg": "none", "kid": "key-1"})},
        ),
        "channel not endorsed": (
            message(su, channel_id="webchat"),
            {"Authorization": f"Bearer {good}"},
        ),
        "garbage token": (message(su), {"Authorization": "Bearer garbage"}),
        "malformed JSON": (b'{"type": "message",', {"Content-Type": "application/json"}),
        "text/plain body": (json.dumps(message(su)).encode(), {"Content-Type": "text/plain"}),
        "activity without from": (
            {k: v for k, v in message(su).items() if k != "from"},
            {"Authorization": f"Bearer {good}"},
        ),
    }
    statuses: dict[str, int] = {}
    for name, (body, headers) in cases.items():
        kwargs: dict[str, Any] = {"data": body} if isinstance(body, bytes) else {"json": body}
        try:
            async with client.post(url, headers=headers, **kwargs) as response:
                await response.read()
                statuses[name] = response.status
        except Exception:
            statuses[name] = -1
    return statuses


def per_construction_ms() -> dict[str, float]:
    """CPU cost of what the bare SDK builds on every turn."""
    from botframework.connector.aio import ConnectorClient
    from botframework.connector.auth import MicrosoftAppCredentials

    creds = MicrosoftAppCredentials.empty()
    n = 200
    connector = timeit.timeit(
        lambda: ConnectorClient(creds, base_url="https://smba.trafficmanager.net/emea/"), number=n
    )
    return {"ConnectorClient()": connector / n * 1000}


# ---------------------------------------------------------------- main ----------------------
async def main(args: argparse.Namespace) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="kiw-bench-turns-"))
    stubs = await BotFrameworkStubs.start(workdir)
    msi = await ManagedIdentityEndpoint().start()
    per_level = 300 if args.quick else 2000
    bare_per_level = 150 if args.quick else 600
    memory_turns = 1000 if args.quick else 10_000

    kiw_settings = {
        **stubs.settings_overrides(APP_ID, TENANT_ID),
        "data_dir": str(workdir / "kiw-data"),
        "log_level": "WARNING",
    }
    servers = {
        "bare": start_server(
            "bare",
            {"app_id": APP_ID, "metadata_url": stubs.identity.metadata_url},
            {"IDENTITY_ENDPOINT": msi.endpoint, "IDENTITY_HEADER": msi.header},
        ),
        "kiw": start_server(
            "kiw", {"settings": kiw_settings}, {"REQUESTS_CA_BUNDLE": str(stubs.tls.cert_file)}
        ),
    }
    print(f"load average at start: {os.getloadavg()}  cpus: {os.cpu_count()}")
    for name, cost in per_construction_ms().items():
        print(f"bare SDK per-turn construction: {name} {cost:.1f} ms CPU")
    try:
        async with ClientSession(
            connector=TCPConnector(limit=0), timeout=ClientTimeout(total=60)
        ) as client:
            print(
                "\nHTTP status per case (4.17.1 defects; want 401 for bad tokens, 200 for the invoke)"
            )
            probes = {name: await probe(client, stubs, s.url) for name, s in servers.items()}
            print(f"{'case':28} {'bare':>5} {'kiw':>5}")
            for case in probes["bare"]:
                print(f"{case:28} {probes['bare'][case]:>5} {probes['kiw'][case]:>5}")
            print(
                f"signing-key fetches so far: {stubs.identity.jwks_hits}; "
                f"outbound token requests: entra={len(stubs.entra.token_requests)} msi={msi.requests}"
            )

            # Warm up both (imports, first token, key fetch).
            for server in servers.values():
                await run_level(client, stubs, server, 5, 50)

            print(
                f"\n{'bot':5} {'conc':>4} {'turns':>6} {'turns/s':>8} {'p50 ms':>7} {'p95 ms':>7}"
                f" {'p99 ms':>7} {'errors':>6} {'replies':>7} {'cpu ms':>7}"
            )
            for concurrency in LEVELS:
                for name, server in servers.items():
                    turns = bare_per_level if name == "bare" else per_level
                    result = await run_level(client, stubs, server, concurrency, turns)
                    print(result.row(name), flush=True)

            kiw = servers["kiw"]
            entra_before = len(stubs.entra.token_requests)
            rss_before = kiw.rss_mb()
            result = await run_level(client, stubs, kiw, 10, memory_turns)
            rss_after = kiw.rss_mb()
            print(
                f"\nkiw memory: RSS {rss_before:.1f} MB before, {rss_after:.1f} MB after "
                f"{result.turns} turns at 10 concurrent ({rss_after - rss_before:+.1f} MB); "
                f"{result.turns / result.seconds:.1f} turns/s, "
                f"{result.cpu_seconds / result.turns * 1000:.2f} ms server CPU per turn, "
                f"errors {result.errors}, "
                f"replies {result.replies}, new outbound token requests "
                f"{len(stubs.entra.token_requests) - entra_before}"
            )
            print(f"load average at end: {os.getloadavg()}")
    finally:
        for server in servers.values():
            server.stop()
        await msi.close()
        await stubs.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short run")
    parser.add_argument("--serve", choices=("bare", "kiw"), help=argparse.SUPPRESS)
    parser.add_argument("--config", default="{}", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve:
        serve(arguments.serve, json.loads(arguments.config))
    else:
        asyncio.run(main(arguments))
