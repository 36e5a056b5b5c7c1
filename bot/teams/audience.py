"""The audience of a Teams conversation: its roster (Bot Connector) looked up in the directory.

A reply in a group chat or channel is read by every member, so it may carry only what all of
them may read (skills/audience.py has the intersection). Here the members are found the way
Teams answers for them: `TeamsInfo.get_paged_members` pages through the team's members in a
standard channel (`/v3/conversations/{teamId}/pagedmembers`) and the chat's members in a group
chat (`/v3/conversations/{conversationId}/pagedmembers`); each member's Entra object id is then
looked up in the directory (cached there with KIW_DIRECTORY_CACHE_TTL).

Fail closed, public documents only, when: a member is unknown to the directory or has no Entra
id; the roster cannot be read in time; the directory fails; the roster is larger than
MAX_ROSTER; the channel is private or shared (its roster is not the team's, and Teams does not
page it through the team call).

The result is cached per team / chat for the directory's TTL. A cached audience is not used for
a sender it does not include (someone new is talking), and conversationUpdate events that add or
remove members drop it (`forget`).

The withheld notice card and the link to the 1:1 chat, which the message extensions use too,
are SDK-free and live in bot/withheld.py.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import Activity

from graph.principal import Directory
from skills.audience import Audience, audience_from_directory
from skills.types import Scope

log = logging.getLogger("kiw.audience")

ROSTER_PAGE_SIZE = 500  # Teams' largest page; it answers at least 50 per page
MAX_ROSTER = 2_000  # a larger conversation is treated as public: looking up more costs too much
ROSTER_TIMEOUT_SECONDS = 4.0  # roster and directory together; past it, public only
LOOKUP_CONCURRENCY = 16  # parallel directory lookups of one roster
MAX_CACHED = 5_000  # conversations kept; the oldest make room first
STANDARD_CHANNEL_TYPES = frozenset({"", "standard"})


class RosterUnreadable(Exception):
    """The Bot Connector did not give the roster (error status, malformed, too slow)."""


@dataclass(frozen=True)
class _Cached:
    expires: float
    audience: Audience
    # Entra object ids (lower case): a sender not on it means the roster changed. None for a
    # public-only audience, which no new member can narrow further.
    member_ids: frozenset[str] | None


# (audience, member ids to check later senders against, ms spent reading the roster pages)
_Resolved = tuple[Audience, frozenset[str] | None, float]


@dataclass(frozen=True)
class AudienceLookup:
    """One resolution, for the trace: what was decided and whether the cache answered."""

    audience: Audience
    cached: bool
    ms: float
    roster_ms: float = 0.0  # of which reading the roster pages from the Bot Connector


def roster_key(activity: Activity) -> str | None:
    """The team (channels share the team's roster) or the chat the activity belongs to."""
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    team = data.get("team")
    if isinstance(team, dict) and team.get("id"):
        return f"team:{team['id']}"
    conversation = activity.conversation.id if activity.conversation else None
    return f"chat:{conversation.split(';')[0]}" if conversation else None


def channel_type(activity: Activity) -> str:
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    channel = data.get("channel")
    kind = channel.get("type") or channel.get("membershipType") if isinstance(channel, dict) else ""
    return str(kind or "").lower()


class AudienceResolver:
    def __init__(
        self,
        directory: Directory,
        ttl_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.directory = directory
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._cache: dict[str, _Cached] = {}
        self._inflight: dict[str, asyncio.Future[_Resolved]] = {}

    async def resolve(self, turn_context: TurnContext, scope: Scope) -> AudienceLookup | None:
        """The audience of a shared conversation; None in a 1:1 chat (the asker reads alone)."""
        if scope == "personal":
            return None
        started = time.perf_counter()
        activity = turn_context.activity
        key = roster_key(activity)
        if key is None:
            return AudienceLookup(Audience.public_only("no_roster"), False, _ms(started))
        if scope == "team" and channel_type(activity) not in STANDARD_CHANNEL_TYPES:
            # Checked before the cache: the team's cached roster is not this channel's.
            return AudienceLookup(Audience.public_only("channel_roster"), False, _ms(started))
        sender = (activity.from_property.aad_object_id or "") if activity.from_property else ""
        entry = self._cache.get(key)
        if entry and entry.expires > self._clock() and _still_valid_for(entry, sender):
            return AudienceLookup(entry.audience, True, _ms(started))
        lookup = self._inflight.get(key)
        if lookup is None:
            # A burst of @mentions in one channel shares one roster read.
            lookup = asyncio.ensure_future(self._look_up(turn_context))
            self._inflight[key] = lookup
            lookup.add_done_callback(lambda task, k=key: self._settle(k, task))  # type: ignore[misc]
        audience, _, roster_ms = await asyncio.shield(lookup)
        return AudienceLookup(audience, False, _ms(started), roster_ms)

    def _settle(self, key: str, task: asyncio.Future[_Resolved]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
        if task.cancelled() or task.exception() is not None:
            return
        audience, member_ids, _ = task.result()
        if audience.fallback not in ("roster_unreadable", "directory_unavailable"):
            # Failures of a service are not kept: the next turn asks again.
            self._remember(key, audience, member_ids)

    def forget(self, activity: Activity) -> None:
        """Members joined or left: the next turn reads the roster again."""
        key = roster_key(activity)
        if key:
            self._cache.pop(key, None)

    async def _look_up(self, turn_context: TurnContext) -> _Resolved:
        """(audience, member ids to check later senders against, ms spent reading the roster)"""
        bot_id = turn_context.activity.recipient.id if turn_context.activity.recipient else None
        ids: list[str] = []
        started = time.perf_counter()
        roster_ms = 0.0
        try:
            async with asyncio.timeout(ROSTER_TIMEOUT_SECONDS):
                roster = await _roster_ids(turn_context, bot_id)
                roster_ms = _ms(started)
                if roster is None:
                    return Audience.public_only("roster_too_large", MAX_ROSTER), None, roster_ms
                ids = roster
                audience = await audience_from_directory(
                    ids, self.directory, concurrency=LOOKUP_CONCURRENCY
                )
        except RosterUnreadable as exc:
            log.warning("conversation roster unreadable, public documents only: %s", exc)
            return Audience.public_only("roster_unreadable"), None, _ms(started)
        except TimeoutError:
            log.warning("conversation roster not read within %.0f s", ROSTER_TIMEOUT_SECONDS)
            return Audience.public_only("roster_unreadable", len(ids)), None, _ms(started)
        if audience.fallback == "directory_unavailable":
            log.warning("directory failed during the roster lookup, public documents only")
        return audience, None if audience.fallback else frozenset(ids), roster_ms

    def _remember(self, key: str, audience: Audience, member_ids: frozenset[str] | None) -> None:
        if self.ttl_seconds <= 0:
            return
        while len(self._cache) >= MAX_CACHED:
            self._cache.pop(next(iter(self._cache)))
        self._cache[key] = _Cached(self._clock() + self.ttl_seconds, audience, member_ids)


async def _roster_ids(turn_context: TurnContext, bot_id: str | None) -> list[str] | None:
    """Entra object ids of every member but this bot ("" for a member without one), or None if
    the roster is larger than MAX_ROSTER. Raises RosterUnreadable."""
    ids: list[str] = []
    token: str | None = None
    seen_tokens: set[str] = set()
    while True:
        try:
            page = await TeamsInfo.get_paged_members(turn_context, token, ROSTER_PAGE_SIZE)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # msrest raises its own errors, aiohttp its own: all mean "no"
            raise RosterUnreadable(type(exc).__name__) from exc
        members = getattr(page, "members", None)
        if not isinstance(members, list):
            raise RosterUnreadable("page without members")
        for member in members:
            if bot_id and getattr(member, "id", None) == bot_id:
                continue
            ids.append(str(getattr(member, "aad_object_id", None) or "").lower())
        if len(ids) > MAX_ROSTER:
            return None
        token = getattr(page, "continuation_token", None) or None
        if token is None:
            return ids
        if token in seen_tokens:  # a connector handing out the same page forever
            raise RosterUnreadable("continuation token repeats")
        seen_tokens.add(token)


def _still_valid_for(entry: _Cached, sender: str) -> bool:
    return entry.member_ids is None or sender.lower() in entry.member_ids


def _ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000
