"""The Bot Connector REST API (v3 conversations) on loopback: what the bot replies to.

One stub for every test and benchmark: it records each accepted call (method, decoded
conversation id, activity id, body, Authorization header, arrival time), answers with a reply
id, and can throttle (`fail_next`), refuse updates (`fail_updates`), answer without a body
(`empty_bodies`, as the Agents Playground does) and play Teams' streaming rules
(`_check_stream`: 400 for every update that breaks them, 403 for Stop and the like).

It also serves conversation rosters as Teams does (`rosters`): GET
/v3/conversations/{id}/members (all at once) and /v3/conversations/{id}/pagedmembers (pages of
`roster_page_size`, whatever pageSize the bot asks for, with a continuationToken), where the id is
a group chat's conversation id or, for channels, the team id (TeamsInfo asks the team).
`fail_rosters` answers every roster call with that status.

`POST /v3/conversations` (create conversation, as the bot's proactive 1:1 messages use it) is
recorded in `created` and answered with the personal conversation's id, or with
`fail_create_conversation` (e.g. 403: the app is not installed for the user).
"""

from __future__ import annotations

import asyncio
import itertools
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class ConnectorCall:
    method: str
    conversation_id: str  # decoded, e.g. "19:abc@thread.tacv2;messageid=1700000000000"
    activity_id: str | None  # the activity replied to (POST) or updated (PUT)
    body: dict[str, Any]
    reply_id: str  # the id the stub gave the new message
    path: str = ""  # the request path as sent
    authorization: str = ""  # the Authorization header ("" when the bot sent none)
    at: float = field(default_factory=time.monotonic)  # arrival (bench/streaming.py)


@dataclass
class ConnectorRecorder:
    calls: list[ConnectorCall] = field(default_factory=list)
    base_url: str = ""
    fail_updates: bool = False
    # Statuses to answer the next calls with (e.g. [429] for one throttled reply), then normal.
    fail_next: list[int] = field(default_factory=list)
    refused: list[ConnectorCall] = field(default_factory=list)  # calls answered >= 400
    empty_bodies: bool = False  # answer 201 without a body, as the Agents Playground sometimes does
    # Teams' streaming rules (bot/teams/streaming.py): broken ones are answered 400 and listed here.
    stream_violations: list[str] = field(default_factory=list)
    streams: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # id -> accepted
    # (updates accepted before refusing, 403 message): "Content stream was cancelled by user."
    refuse_stream: tuple[int, str] | None = None
    refuse_final: str | None = None  # 403 message for the final message
    # Conversation or team id -> members as Teams lists them ({"id", "name", "aadObjectId", ...}).
    rosters: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    roster_page_size: int = 100
    fail_rosters: int | None = None  # answer roster calls with this status (e.g. 500, 403)
    roster_delay: float = 0.0  # seconds before answering a roster call (a slow Bot Connector)
    roster_calls: list[str] = field(default_factory=list)  # "GET <path>?<query>" as asked
    created: list[ConnectorCall] = field(default_factory=list)  # POST /v3/conversations
    fail_create_conversation: int | None = None  # status for every create-conversation call
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _runner: web.AppRunner | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def service_url(self) -> str:
        return self.base_url + "/"

    async def start(self) -> ConnectorRecorder:
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_post("/v3/conversations", self._create_conversation)
        app.router.add_post("/v3/conversations/{conversation}/activities", self._record)
        app.router.add_post("/v3/conversations/{conversation}/activities/{activity}", self._record)
        app.router.add_put("/v3/conversations/{conversation}/activities/{activity}", self._record)
        app.router.add_get("/v3/conversations/{conversation}/members", self._members)
        app.router.add_get("/v3/conversations/{conversation}/pagedmembers", self._paged_members)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.base_url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"
        return self

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _record(self, request: web.Request) -> web.Response:
        body = await request.json()
        call = ConnectorCall(
            request.method,
            urllib.parse.unquote(request.match_info["conversation"]),
            request.match_info.get("activity"),
            body,
            "",
            path=request.path,
            authorization=request.headers.get("Authorization", ""),
        )
        refused = self._refusal_for(request.method, body)
        if refused is not None:
            self.refused.append(call)
            return refused
        info = _stream_info(body)
        call.reply_id = f"reply-{next(self._ids)}"
        if info is not None and "streamId" not in info:
            call.reply_id = f"stream-{call.reply_id}"
            self.streams[call.reply_id] = []
        if info is not None:
            self.streams[info.get("streamId", call.reply_id)].append(body)
        self.calls.append(call)
        self._changed.set()
        if self.empty_bodies:
            return web.Response(status=201)
        return web.json_response({"id": call.reply_id})

    def _roster(self, request: web.Request) -> list[dict[str, Any]] | web.Response:
        self.roster_calls.append(f"GET {request.path_qs}")
        if self.fail_rosters is not None:
            return web.json_response({"error": {"code": "ServiceError"}}, status=self.fail_rosters)
        conversation = urllib.parse.unquote(request.match_info["conversation"])
        members = self.rosters.get(conversation.split(";")[0])
        if members is None:
            return web.json_response(
                {"error": {"code": "ConversationNotFound", "message": "Conversation not found."}},
                status=404,
            )
        return members

    async def _members(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.roster_delay)
        members = self._roster(request)
        return members if isinstance(members, web.Response) else web.json_response(members)

    async def _paged_members(self, request: web.Request) -> web.Response:
        await asyncio.sleep(self.roster_delay)
        members = self._roster(request)
        if isinstance(members, web.Response):
            return members
        token = request.query.get("continuationToken", "")
        start = int(token.removeprefix("page-")) if token.startswith("page-") else 0
        end = start + self.roster_page_size
        page: dict[str, Any] = {"members": members[start:end]}
        if end < len(members):
            page["continuationToken"] = f"page-{end}"
        return web.json_response(page)

    async def _create_conversation(self, request: web.Request) -> web.Response:
        """Teams answers a 1:1 create with the personal conversation of bot and member (the
        same one each time): `a:personal-<member id>` here."""
        body = await request.json()
        members = body.get("members") or []
        member = members[0].get("id", "") if members and isinstance(members[0], dict) else ""
        call = ConnectorCall(
            request.method,
            "",
            None,
            body,
            f"a:personal-{member}",
            path=request.path,
            authorization=request.headers.get("Authorization", ""),
        )
        if self.fail_create_conversation is not None:
            self.refused.append(call)
            return web.json_response(
                {"error": {"code": "Forbidden", "message": "The bot is not installed."}},
                status=self.fail_create_conversation,
            )
        if body.get("isGroup") or len(members) != 1 or not body.get("bot"):
            self.refused.append(call)
            return web.json_response({"error": {"code": "BadArgument"}}, status=400)
        self.created.append(call)
        return web.json_response({"id": call.reply_id}, status=201)

    def _refusal_for(self, method: str, body: dict[str, Any]) -> web.Response | None:
        if self.fail_next:
            return web.json_response(
                {"error": {"code": "Throttled"}},
                status=self.fail_next.pop(0),
                headers={"Retry-After": "0"},
            )
        if method == "PUT" and self.fail_updates:
            return web.json_response({"error": {"code": "Forbidden"}}, status=403)
        info = _stream_info(body)
        return self._check_stream(body, info) if info is not None else None

    def replies_to(self, conversation_id: str) -> list[ConnectorCall]:
        return [c for c in self.calls if c.conversation_id == conversation_id]

    def _check_stream(self, body: dict[str, Any], info: dict[str, Any]) -> web.Response | None:
        """Teams' documented streaming rules; None when the activity is accepted."""
        kind, stream_id = info.get("streamType", "streaming"), info.get("streamId")
        problem = ""
        if body.get("channelData", {}).get("streamType") != kind:
            problem = "channelData and the streaminfo entity disagree"
        elif kind == "final":
            if body["type"] != "message" or stream_id not in self.streams:
                problem = "a final needs type message and a known streamId"
            elif "streamSequence" in info:
                problem = "the final must not carry a streamSequence"
            elif self.refuse_final:
                return _refusal(self.refuse_final)
        else:
            accepted = self.streams.get(stream_id, []) if stream_id else []
            last = accepted[-1] if accepted else None
            texts = [a["text"] for a in accepted if a["entities"][0]["streamType"] == "streaming"]
            if body["type"] != "typing" or not (body.get("text") or "").strip():
                problem = "an update is a typing activity with text"
            elif stream_id is not None and (stream_id not in self.streams or not accepted):
                problem = f"unknown streamId {stream_id}"
            elif last is not None and last["type"] == "message":
                problem = "the stream has already ended"
            elif info.get("streamSequence") != len(accepted) + 1:
                problem = f"streamSequence {info.get('streamSequence')} after {len(accepted)}"
            elif kind == "streaming" and texts and not body["text"].startswith(texts[-1]):
                problem = "a streaming text must contain the previous one"
            elif kind == "informative" and len(body["text"]) > 1000:
                problem = "an informative update has at most 1000 characters"
            elif self.refuse_stream and len(accepted) >= self.refuse_stream[0]:
                return _refusal(self.refuse_stream[1])
        if not problem:
            return None
        self.stream_violations.append(problem)
        return web.json_response({"error": {"code": "BadArgument", "message": problem}}, status=400)

    def messages(self) -> list[ConnectorCall]:
        return [c for c in self.calls if c.body.get("type") == "message"]

    async def wait_for(self, count: int, within: float = 10.0) -> list[ConnectorCall]:
        async with asyncio.timeout(within):
            while len(self.calls) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.calls


def _refusal(message: str) -> web.Response:
    return web.json_response(
        {"error": {"code": "ContentStreamNotAllowed", "message": message}}, status=403
    )


def _stream_info(body: dict[str, Any]) -> dict[str, Any] | None:
    return next((e for e in body.get("entities") or [] if e.get("type") == "streaminfo"), None)
