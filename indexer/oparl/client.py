"""A small OParl HTTP client: retries with backoff, URL rewrites, tolerant parsing, pagination.

It takes its aiohttp session and never builds one, so tests aim it at a local server.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import aiohttp
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
)

from indexer.oparl.quirks import OParlFormatError, parse_json

log = logging.getLogger(__name__)

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER_SECONDS = 60.0


class OParlError(Exception):
    """A request failed for good (after retries) or answered something that is not OParl."""


class TransientHTTPError(OParlError):
    def __init__(self, url: str, status: int, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status} from {url}")
        self.status = status
        self.retry_after = retry_after


class DownloadTooLarge(OParlError):
    pass


@dataclass(frozen=True)
class Page:
    url: str
    items: list[dict[str, Any]]
    next_url: str | None
    total: int | None  # pagination.totalElements, when the server says
    entries: int = 0  # entries in `data`, objects or not: what counts against `total`
    current_page: int | None = None  # pagination.currentPage / totalPages, when given
    total_pages: int | None = None


@dataclass
class Rewrites:
    """Prefix rewrites for URLs a server emits but does not answer (Karlsruhe's `/oparl/`
    that really lives under `/ris/oparl/`). Ids are kept as emitted; only fetches rewrite."""

    pairs: list[tuple[str, str]] = field(default_factory=list)

    def apply(self, url: str) -> str:
        for old, new in self.pairs:
            if url.startswith(old) and not url.startswith(new):
                return new + url[len(old) :]
        return url

    def learn(self, requested: str, emitted_id: str | None) -> None:
        """When an object's `id` differs from the URL it was fetched from only by a path
        prefix, fetch every URL with that prefix from the working location instead."""
        if not emitted_id or emitted_id == requested:
            return
        req, got = urlsplit(requested), urlsplit(emitted_id)
        if req.query != got.query:
            return
        req_path, got_path = req.path.rstrip("/"), got.path.rstrip("/")
        common = 0
        while (
            common < min(len(req_path), len(got_path))
            and req_path[-1 - common] == got_path[-1 - common]
        ):
            common += 1
        # Cut at a path separator so "/oparl/system" vs "/ris/oparl/system" maps "/oparl/".
        tail = req_path[len(req_path) - common :]
        cut = tail.find("/")
        if cut < 0:
            return
        tail = tail[cut:]
        old = urlunsplit((got.scheme, got.netloc, got_path[: len(got_path) - len(tail)], "", ""))
        new = urlunsplit((req.scheme, req.netloc, req_path[: len(req_path) - len(tail)], "", ""))
        if old != new and (old, new) not in self.pairs:
            log.info("OParl server emits %s… but answers at %s…; rewriting", old, new)
            self.pairs.append((old + "/", new + "/"))


def with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    query.extend(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


def query_value(url: str, key: str) -> str | None:
    return dict(parse_qsl(urlsplit(url).query)).get(key)


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return min(float(value), MAX_RETRY_AFTER_SECONDS)
    except ValueError:
        return None


def _count(value: Any) -> int | None:
    """A pagination number, or None when absent or not a non-negative integer."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


class OParlClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        attempts: int = 5,
        backoff_seconds: float = 1.0,
        timeout_seconds: float = 60.0,
        rewrites: Sequence[tuple[str, str]] = (),
    ) -> None:
        self._session = session
        self._attempts = attempts
        self._backoff = backoff_seconds
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self.rewrites = Rewrites(list(rewrites))
        self.requests = 0
        self.retries = 0

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, TransientHTTPError) and exc.retry_after is not None:
            return exc.retry_after
        return float(self._backoff * 2 ** (state.attempt_number - 1))

    def _before_sleep(self, state: RetryCallState) -> None:
        self.retries += 1
        exc = state.outcome.exception() if state.outcome else None
        log.warning("retrying after %s (attempt %d)", exc, state.attempt_number)

    async def _request(self, url: str, *, max_bytes: int | None = None) -> tuple[bytes, str]:
        target = self.rewrites.apply(url)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._attempts),
            wait=self._wait,
            retry=retry_if_exception_type(
                (
                    TransientHTTPError,
                    aiohttp.ClientConnectionError,
                    aiohttp.ClientPayloadError,
                    TimeoutError,
                )
            ),
            before_sleep=self._before_sleep,
            reraise=True,
        )
        try:
            return await self._attempts_for(retrying, target, max_bytes)
        except (aiohttp.ClientError, TimeoutError) as exc:
            # Whatever aiohttp raised last: one error type for callers, in plain words.
            raise OParlError(f"{type(exc).__name__} for {target}: {exc}") from exc

    async def _attempts_for(
        self, retrying: AsyncRetrying, target: str, max_bytes: int | None
    ) -> tuple[bytes, str]:
        async for attempt in retrying:
            with attempt:
                self.requests += 1
                async with self._session.get(target, timeout=self._timeout) as resp:
                    if resp.status in RETRY_STATUS:
                        raise TransientHTTPError(target, resp.status, _retry_after(resp.headers))
                    if resp.status >= 400:
                        raise OParlError(f"HTTP {resp.status} from {target}")
                    if max_bytes is not None and (resp.content_length or 0) > max_bytes:
                        raise DownloadTooLarge(f"{target} is {resp.content_length} bytes")
                    body = bytearray()
                    async for block in resp.content.iter_chunked(1 << 16):
                        body.extend(block)
                        if max_bytes is not None and len(body) > max_bytes:
                            raise DownloadTooLarge(f"{target} exceeds {max_bytes} bytes")
                    return bytes(body), resp.headers.get("Content-Type", "")
        raise AssertionError("unreachable")  # pragma: no cover

    async def get_object(self, url: str) -> dict[str, Any]:
        body, _ = await self._request(url)
        try:
            data = parse_json(body)
        except OParlFormatError as exc:
            raise OParlError(f"{url}: {exc}") from exc
        if not isinstance(data, dict):
            raise OParlError(f"{url}: expected a JSON object")
        return data

    async def get_entry(self, url: str) -> dict[str, Any]:
        """Fetch the System or Body the admin named and learn the server's URL rewrites."""
        data = await self.get_object(url)
        self.rewrites.learn(url, data.get("id"))
        return data

    def list_url(self, url: str, since: datetime | None) -> str:
        if since is None:
            return url
        return with_query(url, modified_since=since.isoformat(timespec="seconds"))

    async def fetch_page(self, url: str, since: datetime | None) -> Page:
        body, _ = await self._request(url)
        try:
            data = parse_json(body)
        except OParlFormatError as exc:
            raise OParlError(f"{url}: {exc}") from exc
        if isinstance(data, list):  # some servers return a bare list without pagination
            return Page(
                url=url,
                items=[d for d in data if isinstance(d, dict)],
                next_url=None,
                total=None,
                entries=len(data),
            )
        if not isinstance(data, dict):
            raise OParlError(f"{url}: expected an OParl list object")
        entries = data.get("data")
        if not isinstance(entries, list):
            # `"data": "oops"`, or no `data` at all: not a page we can count on. Reading it as
            # empty would make a full run believe the list ended here.
            raise OParlError(f"{url}: malformed list page (`data` is not a list)")
        items = [d for d in entries if isinstance(d, dict)]
        links = data.get("links") or {}
        next_url = links.get("next") if isinstance(links, dict) else None
        if not next_url:  # pre-1.0 drafts some servers still speak: a top-level `nextPage`
            next_url = data.get("nextPage") or None
        if next_url is not None and not isinstance(next_url, str):
            next_url = None
        if next_url and since is not None and query_value(next_url, "modified_since") is None:
            # Some ALLRIS versions drop the filter from `next`: re-add it, or page 2 onwards
            # would list everything again.
            next_url = self.list_url(next_url, since)
        if next_url == url:
            next_url = None
        pagination = data.get("pagination") or {}
        if not isinstance(pagination, dict):
            pagination = {}
        return Page(
            url=url,
            items=items,
            next_url=next_url or None,
            total=_count(pagination.get("totalElements")),
            entries=len(entries),
            current_page=_count(pagination.get("currentPage")),
            total_pages=_count(pagination.get("totalPages")),
        )

    async def download(self, url: str, *, max_bytes: int) -> tuple[bytes, str]:
        """A file's bytes and its declared Content-Type."""
        return await self._request(url, max_bytes=max_bytes)
