"""Streaming to Teams: what a user sees while a model writes, and what it costs the connector.

    .venv/bin/python bench/streaming.py            # 5 answers one after another, then 10 at once
    .venv/bin/python bench/streaming.py --quick

The real bot (bot.app.create_app, policy Q&A over the sample corpus in an embedded index,
the OpenAI generator) answers in 1:1 chats. The model is a loopback OpenAI-compatible server
that streams the answer in word pieces at a fixed pace (default 10 words/s, ~5 s per answer).
Replies go to the loopback Bot Connector of the tests, which refuses (400) every update that
breaks Teams' streaming rules. Settings are the production defaults: the stream opens after
KIW_STREAM_AFTER_SECONDS=1, updates are spaced KIW_STREAM_INTERVAL_SECONDS=1.5.

Per answer it reports: time from the user's message to the first thing Teams shows (stream
opened), to the final message; how long the final trails the model's last piece; connector
requests per answer against the model's pieces (coalescing); protocol violations.
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aiohttp.test_utils import TestClient, TestServer  # noqa: E402

from bot.app import create_app  # noqa: E402
from kiw_common.openai_connection import OpenAIConnection  # noqa: E402
from skills import help as help_skill  # noqa: E402
from skills import policy_qa  # noqa: E402
from skills.generator.openai_chat import OpenAIGenerator  # noqa: E402
from tests.bot.kit import (  # noqa: E402
    USER_WITH_PASS,
    make_services,
    make_settings,
    message,
)
from tests.skills.helpers import sample_context  # noqa: E402
from tests.skills.openai_server import FakeOpenAI, Reply, openai_server  # noqa: E402
from tests.support.connector import ConnectorRecorder  # noqa: E402

QUESTION = "frage Wie lange ist der KI-Pass gültig?"
ANSWER = (
    "Der KI-Pass ist zwei Jahre gültig [1]. Danach muss er durch eine Auffrischungsschulung "
    "verlängert werden, sonst erlischt die Berechtigung zur Nutzung von KI-Anwendungen [1]. "
    "Die Auffrischung dauert einen halben Tag und wird von der KI-Werkstatt angeboten [1]. "
    "Den Stand Ihres KI-Passes sehen Sie jederzeit mit dem Befehl kipass [1]."
)


class PacedModel(FakeOpenAI):
    def __init__(self, pieces_per_second: float) -> None:
        super().__init__()
        self.delay = 1.0 / pieces_per_second
        words = ANSWER.split(" ")
        self.pieces = [w + " " for w in words[:-1]] + [words[-1]]
        self.finished: dict[str, float] = {}

    def next_reply(self, body: dict[str, Any]) -> Reply:
        return Reply(ANSWER, chunks=self.pieces, chunk_delay=self.delay)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def _final(connector: ConnectorRecorder, conversation: str) -> bool:
    return any(
        c.conversation_id == conversation and c.body["type"] == "message" for c in connector.calls
    )


async def ask(client: TestClient, connector: ConnectorRecorder, n: int) -> dict[str, Any]:
    conversation = f"a:bench-{n}"
    activity = message(
        QUESTION, connector.service_url, user=USER_WITH_PASS, conversation_id=conversation
    )
    started = time.monotonic()
    response = await client.post("/api/messages", json=activity)
    await response.read()
    # A turn past the long-work budget (5 s) answers HTTP first and sends the final later.
    async with asyncio.timeout(60):
        while not _final(connector, conversation):  # noqa: ASYNC110 - polls a plain list
            await asyncio.sleep(0.01)
    calls = [c for c in connector.calls if c.conversation_id == conversation]
    updates = [c for c in calls if c.body["type"] == "typing"]
    final = calls[-1]
    return {
        "first_shown": (calls[0].at - started) if updates else None,
        "final": final.at - started,
        "requests": len(calls),
        "streamed": bool(updates) and "streaminfo" in str(final.body),
    }


async def run(concurrent: int, answers: int, pace: float, data_dir: Path) -> None:
    model = PacedModel(pace)
    connector = await ConnectorRecorder().start()
    try:
        async with openai_server(model), sample_context(data_dir / "ctx") as ctx:
            generator = OpenAIGenerator(
                model="bench",
                connection=OpenAIConnection(
                    base_url=model.base_url, on_premise=True, max_retries=0
                ),
            )
            settings = make_settings(data_dir)
            services = make_services(settings, index=ctx.index, generator=generator)
            app = create_app(
                settings, services=services, skills=lambda: [help_skill.SKILL, policy_qa.SKILL]
            )
            client = TestClient(TestServer(app, host="127.0.0.1", port=0))
            await client.start_server()
            try:
                results: list[dict[str, Any]] = []
                for batch in range(answers // concurrent):
                    results += await asyncio.gather(
                        *(ask(client, connector, batch * concurrent + i) for i in range(concurrent))
                    )
            finally:
                await client.close()
                await generator.close()
    finally:
        await connector.close()
    model_seconds = len(model.pieces) * model.delay
    first = [r["first_shown"] for r in results if r["first_shown"] is not None]
    finals = [r["final"] for r in results]
    requests = [r["requests"] for r in results]
    print(
        f"{concurrent:>2} at once, {len(results)} answers, model {len(model.pieces)} pieces in "
        f"{model_seconds:.1f} s: streamed {sum(r['streamed'] for r in results)}/{len(results)}; "
        f"first shown p50 {statistics.median(first):.2f} s p95 {percentile(first, 0.95):.2f} s; "
        f"final p50 {statistics.median(finals):.2f} s p95 {percentile(finals, 0.95):.2f} s "
        f"(trails the model by p50 {statistics.median(finals) - model_seconds:.2f} s); "
        f"connector requests per answer {statistics.mean(requests):.1f} "
        f"(model pieces {len(model.pieces)}); protocol violations {len(connector.stream_violations)}"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--pace", type=float, default=10.0, help="model pieces (words) per second")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(f"load average {os.getloadavg()[0]:.1f}; interval 1.5 s, stream after 1.0 s")
    with tempfile.TemporaryDirectory() as tmp:
        await run(1, 2 if args.quick else 5, args.pace, Path(tmp) / "one")
        await run(10, 10, args.pace, Path(tmp) / "ten")


if __name__ == "__main__":
    asyncio.run(main())
