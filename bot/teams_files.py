"""Files a user attaches in a Teams 1:1 chat, downloaded for the skills as `skills.types.Attachment`.

Teams sends a file in a personal chat as an attachment of content type
`application/vnd.microsoft.teams.file.download.info` whose `content.downloadUrl` is a short-lived,
pre-authenticated link (no token needed) into the sender's OneDrive, i.e. a
`https://<tenant>-my.sharepoint.com/.../download.aspx?...` address. The URL comes from the
activity body, so it is untrusted input: the bot would otherwise fetch any address it is given
(a request-forgery hole into the city's network) and wait for it as long as it likes.

So (docs/faults.md):
- only https, port 443, to a host on the allow-list (`KIW_ATTACHMENT_HOSTS`, default
  `*.sharepoint.com`; bots cannot receive files in GCC High, DoD or 21Vianet, Microsoft says);
- the host's addresses are checked *when the connection is made* (a resolver that drops every
  non-public address), so a name that resolves, or later re-resolves, to 127.0.0.1, 10.x or
  169.254.x is refused; IP literals are refused outright;
- local mode (development, tests) additionally allows loopback over http or https;
- all files of one turn share one deadline (`KIW_ATTACHMENT_DEADLINE_SECONDS`), and the handler
  runs the download inside the long-work budget, so Teams gets its answer in time;
- each file is read in chunks and dropped past the size limit.
A file whose host does not deliver is left out, logged, and named in `Downloads.failed` so the
user is told to send it again; a refused link or a file that arrived unusable (too large, an
HTTP error) is left out and logged, and the skill says what it needs.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp import ClientError, ClientSession, ClientTimeout, TCPConnector
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

from skills.types import Attachment

log = logging.getLogger("kiw.teams_files")

FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 3
# Teams stores chat files in the sender's OneDrive for Business (<tenant>-my.sharepoint.com).
DEFAULT_ATTACHMENT_HOSTS = ("*.sharepoint.com",)
# Inside Teams' ~15 s retry window even if the long-work budget were switched off.
DEFAULT_DEADLINE_SECONDS = 10.0
_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "txt": "text/plain",
}
_LOOPBACK_NAMES = frozenset({"localhost", "localhost."})


@dataclass(frozen=True)
class DownloadPolicy:
    """Where attachment links may point and how long one turn may spend on them."""

    hosts: tuple[str, ...] = DEFAULT_ATTACHMENT_HOSTS
    local_mode: bool = False
    deadline_seconds: float = DEFAULT_DEADLINE_SECONDS
    max_bytes: int = MAX_ATTACHMENT_BYTES

    def refusal(self, url: str) -> str | None:
        """Why `url` must not be fetched (plain English), or None if it may be."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return "not a valid URL"
        host = (parts.hostname or "").lower()
        if not host:
            return "no host"
        if parts.username is not None or parts.password is not None:
            return "credentials in the URL"
        if self.local_mode and _is_loopback_name(host) and parts.scheme in ("http", "https"):
            return None
        if parts.scheme != "https":
            return f"scheme {parts.scheme or '(none)'!r} is not https"
        if port not in (None, 443):
            return f"port {port} is not 443"
        if _ip_literal(host) is not None:
            return "an IP address instead of a host name"
        if not any(_host_matches(host, pattern) for pattern in self.hosts):
            return f"host {host!r} is not on the attachment host list"
        return None


@dataclass(frozen=True)
class Downloads:
    files: tuple[Attachment, ...] = ()
    # Names of the files whose host did not deliver in time (worth sending again); a refused
    # link or a file that arrived unusable (too large, an error status) is only left out.
    failed: tuple[str, ...] = ()


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _is_loopback_name(host: str) -> bool:
    address = _ip_literal(host)
    return address.is_loopback if address is not None else host in _LOOPBACK_NAMES


def _host_matches(host: str, pattern: str) -> bool:
    """`*.example.com` matches every subdomain (not the bare domain); otherwise exact."""
    pattern = pattern.strip().lower().rstrip(".")
    host = host.rstrip(".")
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern


class PublicAddressResolver(AbstractResolver):
    """Resolves like aiohttp's default resolver, then keeps only public addresses.

    The connection is made to an address checked here, so DNS rebinding (a name that answers
    a public address to a first lookup and 127.0.0.1 to the next) cannot slip past the check.
    `allow_loopback` is for local mode."""

    def __init__(self, *, allow_loopback: bool = False) -> None:
        self._inner = DefaultResolver()
        self._allow_loopback = allow_loopback

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        kept = [r for r in results if self._permitted(r["host"])]
        if not kept:
            # aiohttp replaces this message with its own; the log keeps the reason for admins.
            log.warning("attachment host %s resolves to no public address: refused", host)
            raise OSError(f"{host} resolves to no public address")
        return kept

    def _permitted(self, address: str) -> bool:
        ip = _ip_literal(address.split("%", 1)[0])
        if ip is None:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        return ip.is_global or (self._allow_loopback and ip.is_loopback)

    async def close(self) -> None:
        await self._inner.close()


def _field(obj: Any, *names: str) -> Any:
    for name in names:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if value is not None:
            return value
    return None


def file_attachments(attachments: list[Any] | None) -> list[Any]:
    """The Teams file links among an activity's attachments (at most MAX_ATTACHMENTS)."""
    return [
        a
        for a in attachments or []
        if _field(a, "content_type", "contentType") == FILE_DOWNLOAD_INFO
    ][:MAX_ATTACHMENTS]


async def download_attachments(
    attachments: list[Any] | None,
    policy: DownloadPolicy,
    *,
    ssl: Any = True,
) -> Downloads:
    """The Teams file attachments of one activity, downloaded within the policy's deadline.

    Other attachments are ignored. `ssl` is aiohttp's `ssl` argument (tests pass a context that
    trusts their loopback certificate)."""
    files = file_attachments(attachments)
    if not files:
        return Downloads()
    wanted: list[tuple[str, str, str]] = []  # (name, url, file type)
    for item in files:
        content = _field(item, "content") or {}
        url = str(_field(content, "downloadUrl", "download_url") or "")
        name = str(_field(item, "name") or "datei")[:200]
        reason = policy.refusal(url)
        if reason is not None:
            log.warning("attachment %r: download link refused (%s)", name, reason)
            continue
        file_type = str(_field(content, "fileType", "file_type") or "").lower()
        wanted.append((name, url, file_type))
    if not wanted:
        return Downloads()

    connector = TCPConnector(
        resolver=PublicAddressResolver(allow_loopback=policy.local_mode), ssl=ssl
    )
    timeout = ClientTimeout(total=policy.deadline_seconds)
    async with ClientSession(connector=connector, timeout=timeout) as session:
        tasks = [
            asyncio.ensure_future(_fetch(session, url, policy.max_bytes, name))
            for name, url, _ in wanted
        ]
        # One deadline for the turn, not one per file: three hanging links cost it once.
        done, pending = await asyncio.wait(tasks, timeout=policy.deadline_seconds)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
    out: list[Attachment] = []
    failed: list[str] = []
    for (name, _, file_type), task in zip(wanted, tasks, strict=True):
        if task not in done:
            log.warning("attachment %r: no answer within %.1f s", name, policy.deadline_seconds)
            failed.append(name)
        elif task.exception() is not None:
            failed.append(name)
        elif (data := task.result()) is not None:
            out.append(Attachment(name, _TYPES.get(file_type, "application/octet-stream"), data))
    return Downloads(tuple(out), tuple(failed))


class _Unreachable(Exception):
    """The file host could not be reached (as opposed to a file that arrived but is unusable)."""


async def _fetch(session: ClientSession, url: str, max_bytes: int, name: str) -> bytes | None:
    """The file's bytes; None if it arrived unusable (too large, an error status): the skill
    then says what it needs. Raises _Unreachable when the host did not deliver at all."""
    try:
        async with session.get(url, allow_redirects=False) as response:
            if response.status != 200:
                log.warning("attachment %r: download answered %s", name, response.status)
                return None
            buffer = bytearray()
            async for chunk in response.content.iter_chunked(64 * 1024):
                buffer.extend(chunk)
                if len(buffer) > max_bytes:
                    log.warning("attachment %r: larger than %d bytes, dropped", name, max_bytes)
                    return None
            return bytes(buffer)
    except (ClientError, TimeoutError, OSError, ValueError) as exc:
        log.warning("attachment %r: download failed (%s: %s)", name, type(exc).__name__, exc)
        raise _Unreachable(name) from exc
