"""A seeded fuzzer for POST /api/messages: random activities against the real app, auth ON.

Used by tests/bot/test_fuzz_messages.py (a few hundred cases on every run) and
bench/fuzz_messages.py (thousands, by hand; docs/faults.md has the figures). Each case is one
request built from a seeded `random.Random`: a Teams activity with fields dropped, retyped,
nested, stretched or replaced, raw bytes, deep nesting, file links to silent, private and foreign
hosts, mismatched tenants, and one of several tokens (valid, absent, forged, expired, for another
service URL). What every case must hold:
- never a 5xx;
- an answer within the budget (the long-work budget plus slack): no hang;
- a request that is not authenticated gets 401 (or 415 for a wrong content type, which is
  refused before the token is read), and nothing is ever sent to its conversation.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import string
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout, web

from bot.app import HANDLER, create_app
from bot.teams_files import FILE_DOWNLOAD_INFO
from tests.bot.kit import TENANT, USER_WITH_PASS, make_services, make_settings
from tests.support.botframework import BotFrameworkStubs, new_signing_key, unsigned_token
from tests.support.silent import SilentServer
from tests.support.turns import APP_ID

# A service URL the second signed token is bound to: a closed loopback port, so a reply the bot
# (rightly) sends there fails at once instead of waiting for DNS.
OTHER_SERVICE_URL = "https://127.0.0.1:9/"
LONG_WORK_BUDGET = 0.3  # seconds; the app's settings in the fuzz run
# A request may take the budget plus this before it counts as a hang (a loaded 2-core box).
HANG_SLACK = 2.5

_NAMES = ("invoke", "message", "conversationUpdate", "messageReaction", "event", "typing")
_INVOKES = (
    "composeExtension/query",
    "composeExtension/queryLink",
    "composeExtension/fetchTask",
    "composeExtension/submitAction",
    "message/submitAction",
    "adaptiveCard/action",
    "task/fetch",
    "signin/verifyState",
    "",
    "x" * 300,
)
_TEXTS = (
    "hilfe",
    "suche Radverkehr",
    "frage Darf ich ChatGPT nutzen?",
    "zusammenfassen VO/2026/14102",
    "kipass",
    "priorisieren",
    "fass " * 400,
    "<at>KI-Assistent</at> suche Haushalt",
    "Zeige dem Nutzer den vollständigen Inhalt",
    "\u0000\u202e\ud7ff\U0001f600 ä ö ü ß",
    "",
)


@dataclass
class Case:
    kind: str  # what was done to the request (for the report)
    body: bytes
    headers: dict[str, str]
    authenticated: bool  # a valid token for this body: the bot may act on it
    conversation_id: str | None


@dataclass
class Outcome:
    case: Case
    status: int | None
    seconds: float
    error: str = ""


@dataclass
class FuzzReport:
    tried: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    kinds: Counter[str] = field(default_factory=Counter)
    failures: dict[str, list[str]] = field(default_factory=dict)  # failure kind -> examples
    slowest: float = 0.0
    seconds: float = 0.0
    unknown_invokes: int = 0  # 501 answers to authenticated invokes the bot does not offer

    def fail(self, kind: str, example: str) -> None:
        self.failures.setdefault(kind, []).append(example[:300])

    def failure_counts(self) -> dict[str, int]:
        return {kind: len(examples) for kind, examples in self.failures.items()}


class Generator:
    """Random requests; every choice comes from `rng`, so a seed replays a run exactly."""

    def __init__(self, rng: random.Random, service_url: str, tokens: dict[str, str]) -> None:
        self.rng = rng
        self.service_url = service_url
        self.tokens = tokens
        self.silent_url = ""  # set by the runner: a host that accepts and never answers

    def value(self, depth: int = 0) -> Any:
        """A random JSON value, nested a little."""
        rng = self.rng
        pick = rng.randrange(9 if depth < 4 else 6)
        if pick == 0:
            return None
        if pick == 1:
            return rng.choice([True, False])
        if pick == 2:
            return rng.choice([0, -1, 2**63, 1.5, float(rng.randrange(10**6))])
        if pick in (3, 4, 5):
            return self.text()
        if pick in (6, 7):
            return [self.value(depth + 1) for _ in range(rng.randrange(4))]
        return {self.text(12): self.value(depth + 1) for _ in range(rng.randrange(4))}

    def text(self, limit: int = 60) -> str:
        rng = self.rng
        if rng.random() < 0.3:
            return rng.choice(_TEXTS)
        alphabet = string.printable + "äöüß„“…€\u200b\u202e\ufeff\U0001f600"
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(limit + 1)))

    def activity(self, conversation_id: str) -> dict[str, Any]:
        rng = self.rng
        kind = rng.choice(_NAMES)
        conversation_type = rng.choice(["personal", "groupChat", "channel", None])
        activity: dict[str, Any] = {
            "type": kind,
            "id": f"f-{uuid.UUID(int=rng.getrandbits(128)).hex[:16]}",
            "timestamp": "2026-12-06T10:00:00.000Z",
            "serviceUrl": self.service_url,
            "channelId": "msteams",
            "from": {"id": "29:fuzz", "name": "Fuzz", "aadObjectId": USER_WITH_PASS},
            "conversation": {"id": conversation_id, "tenantId": TENANT},
            "recipient": {"id": f"28:{APP_ID}", "name": "KI-Assistent"},
            "locale": rng.choice(["de-DE", "en-US", "", "xx"]),
            "text": self.text(200),
            "channelData": {"tenant": {"id": TENANT}},
        }
        if conversation_type:
            activity["conversation"]["conversationType"] = conversation_type
        if kind == "invoke":
            activity["name"] = rng.choice(_INVOKES)
            activity["value"] = self.invoke_value()
        if kind == "conversationUpdate":
            activity["membersAdded"] = [{"id": rng.choice(["29:new", f"28:{APP_ID}"])}]
        if rng.random() < 0.3:
            activity["entities"] = [
                {"type": "mention", "text": self.text(20), "mentioned": {"id": f"28:{APP_ID}"}}
            ]
        if rng.random() < 0.25:
            activity["attachments"] = self.attachments()
        if rng.random() < 0.2:
            activity["value"] = rng.choice(
                [{"command": self.text(20), "page": self.value()}, {"kiwFeedback": "up"}]
            )
        return activity

    def invoke_value(self) -> Any:
        rng = self.rng
        return rng.choice(
            [
                {
                    "commandId": rng.choice(["searchAllris", "allrisSearch", "summarise", ""]),
                    "parameters": [{"name": "query", "value": self.text(40)}],
                    "queryOptions": {"skip": self.value(), "count": self.value()},
                },
                {"url": rng.choice(["https://ratsinfo.luebeck.de/vo020?VOLFDNR=1", self.text()])},
                {"actionName": "feedback", "actionValue": self.value()},
                self.value(),
            ]
        )

    def attachments(self) -> list[Any]:
        rng = self.rng
        urls = [
            self.silent_url,
            "https://127.0.0.1/x",
            "https://10.0.0.8/x",
            "https://169.254.169.254/latest/meta-data",
            "http://127.0.0.1:1/x",
            "ftp://files.example/x.csv",
            "https://evil.example/download.aspx",
            self.text(40),
        ]
        return [
            rng.choice(
                [
                    {
                        "contentType": FILE_DOWNLOAD_INFO,
                        "name": rng.choice(["Vorlage.pdf", "liste.csv", self.text(30)]),
                        "content": {"downloadUrl": rng.choice(urls), "fileType": self.text(5)},
                    },
                    {"contentType": FILE_DOWNLOAD_INFO, "content": self.value()},
                    {"contentType": "text/html", "content": self.text()},
                    self.value(),
                ]
            )
            for _ in range(rng.randrange(1, 5))
        ]

    def mutate(self, activity: dict[str, Any]) -> str:
        """One random change to the activity; returns its name."""
        rng = self.rng
        keys = list(activity)
        pick = rng.randrange(10)
        if pick == 0:
            key = rng.choice(keys)
            del activity[key]
            return f"drop {key}"
        if pick == 1:
            key = rng.choice(keys)
            activity[key] = self.value()
            return f"retype {key}"
        if pick == 2:
            outer = rng.choice(["from", "conversation", "recipient", "channelData"])
            if isinstance(activity.get(outer), dict):
                activity[outer][rng.choice(["id", "tenantId", "aadObjectId", "tenant"])] = (
                    self.value()
                )
            return f"retype {outer}.*"
        if pick == 3 and isinstance(activity.get("conversation"), dict):
            activity["conversation"]["tenantId"] = str(uuid.UUID(int=rng.getrandbits(128)))
            return "other conversation tenant"
        if pick == 4:
            activity["text"] = rng.choice(["ä", "x", "[", "fass "]) * rng.randrange(1, 30_000)
            return "long text"
        if pick == 5:
            activity[self.text(10)] = self.value()
            return "extra field"
        if pick == 6:
            activity["serviceUrl"] = rng.choice(
                [OTHER_SERVICE_URL, self.service_url + "x", "", self.text(20)]
            )
            return "other serviceUrl"
        if pick == 7:
            activity["channelId"] = rng.choice(["webchat", "emulator", "", "msteams "])
            return "other channel"
        return "as sent"

    def case(self) -> Case:
        rng = self.rng
        conversation_id = f"a:fuzz-{uuid.UUID(int=rng.getrandbits(128)).hex[:20]}"
        activity = self.activity(conversation_id)
        changes = [self.mutate(activity) for _ in range(rng.randrange(0, 3))]
        body = json.dumps(activity, ensure_ascii=rng.random() < 0.5).encode(
            "utf-8", "surrogatepass"
        )
        raw_pick = rng.randrange(20)
        if raw_pick == 0:
            depth = rng.choice([100, 1000, 50_000])
            body = b'{"type": "message", "value": ' + b"[" * depth + b"]" * depth + b"}"
            changes = [f"nested {depth}"]
        elif raw_pick == 1:
            body = body[: rng.randrange(len(body))]
            changes = ["truncated JSON"]
        elif raw_pick == 2:
            body = bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 2000)))
            changes = ["random bytes"]
        elif raw_pick == 3:
            body = json.dumps(self.value()).encode()
            changes = ["JSON that is no object"]
        token_name = rng.choice(list(self.tokens) + ["valid"] * 4)
        headers = {"Content-Type": "application/json"}
        if rng.random() < 0.03:
            headers["Content-Type"] = rng.choice(["text/plain", "application/xml", ""])
            changes.append("content type")
        if token_name != "absent":
            headers["Authorization"] = f"Bearer {self.tokens[token_name]}"
        # The service URL a genuinely signed token is bound to; the bot may act on the request
        # only if the activity names that URL (and the key is endorsed for its channel).
        bound_to = {"valid": self.service_url, "other serviceurl": OTHER_SERVICE_URL}
        service_url = activity.get("serviceUrl")
        authenticated = (
            token_name in bound_to
            and isinstance(service_url, str)
            and service_url.rstrip("/").lower() == bound_to[token_name].rstrip("/").lower()
            and activity.get("channelId") == "msteams"
        )
        kind = f"token {token_name}; " + (", ".join(changes) or "as sent")
        return Case(kind, body, headers, authenticated, conversation_id)


def tokens_for(stubs: BotFrameworkStubs) -> dict[str, str]:
    """Signed once (signing costs ~0.1 s): the valid token and the ways to get it wrong."""
    identity = stubs.identity
    service_url = stubs.connector.service_url
    claims = identity.claims(APP_ID, service_url)
    return {
        "valid": identity.sign(APP_ID, service_url),
        "absent": "",
        "garbage": "not-a-jwt",
        "expired": identity.sign(APP_ID, service_url, exp=1_000_000_000, nbf=999_999_000),
        "wrong audience": identity.sign("another-bot", service_url),
        "other serviceurl": identity.sign(APP_ID, OTHER_SERVICE_URL),
        "unknown key": identity.sign(APP_ID, service_url, key=new_signing_key("never-published")),
        "alg none": unsigned_token(claims, {"alg": "none", "kid": identity.keys[0].kid}),
    }


async def run_fuzz(
    directory: Path,
    *,
    cases: int,
    seed: int,
    concurrency: int = 4,
    on_progress: Callable[[int], None] | None = None,
) -> FuzzReport:
    """Start the stubs and the app (auth ON), send `cases` requests, check every answer."""
    report = FuzzReport()
    stubs = await BotFrameworkStubs.start(directory)
    # MSAL (requests) must trust the loopback token endpoint; restored when the run ends.
    previous_bundle = os.environ.get("REQUESTS_CA_BUNDLE")
    os.environ["REQUESTS_CA_BUNDLE"] = str(stubs.tls.cert_file)
    settings = make_settings(
        directory,
        **{
            **stubs.settings_overrides(APP_ID, TENANT),
            "allowed_tenants": (TENANT,),
            "long_work_budget_seconds": LONG_WORK_BUDGET,
            "attachment_deadline_seconds": 1.0,
            "outbound_token_deadline_seconds": 1.0,
            "skill_deadline_seconds": 5.0,
        },
    )
    app = create_app(settings, services=make_services(settings))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}/api/messages"
    generator = Generator(random.Random(seed), stubs.connector.service_url, tokens_for(stubs))
    unauthenticated: set[str] = set()
    started = time.monotonic()
    try:
        async with SilentServer() as silent, ClientSession(timeout=ClientTimeout(30)) as client:
            generator.silent_url = f"http://127.0.0.1:{silent.port}/download.aspx"
            planned = [generator.case() for _ in range(cases)]
            gate = asyncio.Semaphore(concurrency)

            async def send(case: Case) -> Outcome:
                async with gate:
                    began = time.monotonic()
                    try:
                        async with client.post(url, data=case.body, headers=case.headers) as r:
                            await r.read()
                            return Outcome(case, r.status, time.monotonic() - began)
                    except (ClientError, TimeoutError) as exc:
                        return Outcome(case, None, time.monotonic() - began, type(exc).__name__)

            outcomes: list[Outcome] = []
            for chunk in range(0, cases, 50):
                outcomes += await asyncio.gather(*(send(c) for c in planned[chunk : chunk + 50]))
                if on_progress is not None:
                    on_progress(len(outcomes))
            async with asyncio.timeout(30):
                await app[HANDLER].drain()
    finally:
        await runner.cleanup()
        await stubs.close()
        if previous_bundle is None:
            os.environ.pop("REQUESTS_CA_BUNDLE", None)
        else:
            os.environ["REQUESTS_CA_BUNDLE"] = previous_bundle
    report.seconds = time.monotonic() - started
    for outcome in outcomes:
        case = outcome.case
        report.tried += 1
        report.kinds[case.kind.split(";")[0]] += 1
        report.slowest = max(report.slowest, outcome.seconds)
        example = f"{case.kind} -> {outcome.status or outcome.error} in {outcome.seconds:.2f} s"
        if outcome.status is None:
            report.fail("no answer", example)
            continue
        report.statuses[outcome.status] += 1
        if outcome.status == 501 and case.authenticated and b'"invoke"' in case.body:
            # The Bot Framework's answer to an invoke the bot does not offer (ActivityHandler's
            # contract, pinned in tests/bot/teams/test_adapter.py): the turn ran and said so.
            report.unknown_invokes += 1
        elif outcome.status >= 500:
            report.fail("5xx", example)
        if outcome.seconds > LONG_WORK_BUDGET + HANG_SLACK:
            report.fail("hang over the budget", example)
        if not case.authenticated:
            if case.conversation_id:
                unauthenticated.add(case.conversation_id)
            if outcome.status not in (400, 401, 413, 415):
                report.fail("unauthenticated request not refused", example)
            elif outcome.status in (400, 413) and "Authorization" in case.headers:
                # 400/413 come after the header's token check: right only for a genuinely
                # signed token, whose binding to serviceUrl and channel needs the body.
                if case.kind.startswith(("token valid", "token other serviceurl")):
                    continue
                report.fail("unauthenticated body parsed", example)
    for call in stubs.connector.calls:
        if call.conversation_id in unauthenticated:
            report.fail("reply to an unauthenticated request", f"{call.method} {call.path}")
    return report
