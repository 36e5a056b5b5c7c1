"""Files a user attaches in a Teams 1:1 chat, downloaded for the skills as `skills.types.Attachment`.

Teams sends a file in a personal chat as an attachment of content type
`application/vnd.microsoft.teams.file.download.info` whose `content.downloadUrl` is a short-lived,
pre-authenticated link (no token needed). Only https links are followed (plain http to a
loopback address only in local mode, for development and tests); each file is read in chunks and dropped past the size limit,
so a huge or endless download cannot exhaust memory. A file that cannot be fetched is left out and
logged; the skill then tells the user what it needs.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any
from urllib.parse import urlsplit

from aiohttp import ClientError, ClientSession, ClientTimeout

from skills.types import Attachment

log = logging.getLogger("kiw.teams_files")

FILE_DOWNLOAD_INFO = "application/vnd.microsoft.teams.file.download.info"
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 3
_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "txt": "text/plain",
}


def _allowed(url: str, *, allow_loopback_http: bool) -> bool:
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    if allow_loopback_http and parts.scheme == "http" and parts.hostname:
        try:
            return ipaddress.ip_address(parts.hostname).is_loopback
        except ValueError:
            return parts.hostname == "localhost"
    return False


def _field(obj: Any, *names: str) -> Any:
    for name in names:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if value is not None:
            return value
    return None


async def download_attachments(
    attachments: list[Any] | None,
    *,
    max_bytes: int = MAX_ATTACHMENT_BYTES,
    timeout_seconds: float = 30.0,
    allow_loopback_http: bool = False,
) -> tuple[Attachment, ...]:
    """The Teams file attachments of one activity, downloaded; other attachments are ignored.

    `allow_loopback_http` is for local mode only: in production a plain-http link is never followed.
    """
    files = [
        a
        for a in attachments or []
        if _field(a, "content_type", "contentType") == FILE_DOWNLOAD_INFO
    ][:MAX_ATTACHMENTS]
    if not files:
        return ()
    out: list[Attachment] = []
    async with ClientSession(timeout=ClientTimeout(total=timeout_seconds)) as session:
        for item in files:
            content = _field(item, "content") or {}
            url = str(_field(content, "downloadUrl", "download_url") or "")
            name = str(_field(item, "name") or "datei")
            if not _allowed(url, allow_loopback_http=allow_loopback_http):
                log.warning("attachment %r: download link refused (not https)", name)
                continue
            data = await _fetch(session, url, max_bytes, name)
            if data is not None:
                file_type = str(_field(content, "fileType", "file_type") or "").lower()
                out.append(
                    Attachment(name, _TYPES.get(file_type, "application/octet-stream"), data)
                )
    return tuple(out)


async def _fetch(session: ClientSession, url: str, max_bytes: int, name: str) -> bytes | None:
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
    except (ClientError, TimeoutError) as exc:
        log.warning("attachment %r: download failed (%s)", name, type(exc).__name__)
        return None
