"""Repairs for what real OParl servers (ALLRIS, SessionNet, STERNBERG) actually send.

Every function here is pure and small, so the parser tests can run them on the real broken
responses from ../shared/data/oparl without a server.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from typing import Any

# Values that mean "nothing" on ALLRIS net servers.
_MISSING = {"", "N/A", "n/a", "null", "None"}

# Raw C0 control characters (JSON forbids them unescaped inside strings; ALLRIS sends them).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# CP850 text that was decoded as CP1252: "beschr„nkte" is "beschränkte". Only characters of the
# CP1252 0x80–0x9F block are mapped, and only *inside* a word, so real typography survives.
_CP850_LETTERS = {
    bytes([b]).decode("cp1252"): bytes([b]).decode("cp850")
    for b in range(0x80, 0xA0)
    if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D) and bytes([b]).decode("cp850").isalpha()
}
_MOJIBAKE = re.compile(
    r"(?<=[A-Za-zÄÖÜäöüß])([" + re.escape("".join(_CP850_LETTERS)) + r"])(?=[A-Za-zäöüß])"
)
_DOUBLE_COLON_OFFSET = re.compile(r"([+-]\d{2})::?(\d{2})$")


class OParlFormatError(ValueError):
    """The response cannot be read as OParl JSON even after repair."""


def decode_body(raw: bytes) -> str:
    """UTF-8 as the spec demands; Windows-1252 when a server sends something else."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def parse_json(raw: bytes) -> Any:
    """Parse a response body, tolerating raw control characters inside strings."""
    text = decode_body(raw)
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:
        # strict=False lets control characters through inside strings; repair them after.
        return _repair_strings(json.loads(text, strict=False))
    except json.JSONDecodeError as exc:
        raise OParlFormatError(f"invalid JSON even after repair: {exc}") from exc


def _repair_strings(value: Any) -> Any:
    if isinstance(value, str):
        return repair_text(value)
    if isinstance(value, list):
        return [_repair_strings(v) for v in value]
    if isinstance(value, dict):
        return {k: _repair_strings(v) for k, v in value.items()}
    return value


def repair_text(text: str) -> str:
    """Cut the binary garbage that follows the first raw control character, fix CP850 mojibake."""
    match = _CONTROL.search(text)
    if match:
        text = text[: match.start()].rstrip(" \t\r\n@|^~#*")
    return fix_mojibake(text)


def fix_mojibake(text: str) -> str:
    return _MOJIBAKE.sub(lambda m: _CP850_LETTERS[m.group(1)], text)


def clean(value: Any) -> Any:
    """None for the placeholders servers use instead of leaving a field out."""
    if isinstance(value, str) and value.strip() in _MISSING:
        return None
    return value


def text(obj: dict[str, Any], key: str) -> str | None:
    value = clean(obj.get(key))
    if value is None:
        return None
    if not isinstance(value, str):
        value = str(value)
    value = " ".join(value.split())  # names arrive with \r\n and double spaces
    return value or None


def as_list(value: Any) -> list[Any]:
    """A list field that a server sent as a single object (ALLRIS auxiliaryFile), or not at all."""
    value = clean(value)
    if value is None:
        return []
    if isinstance(value, list):
        return [v for v in value if clean(v) is not None]
    return [value]


def parse_datetime(value: Any) -> datetime | None:
    """ISO 8601 with the known breakages: `+01::00`, empty strings, date-only values."""
    value = clean(value)
    if not isinstance(value, str):
        return None
    value = _DOUBLE_COLON_OFFSET.sub(r"\1:\2", value.strip())
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(value[:10]), datetime.min.time())
        except ValueError:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def parse_date(value: Any) -> date | None:
    parsed = parse_datetime(value)
    return parsed.date() if parsed else None


def last_change(obj: dict[str, Any]) -> datetime | None:
    """When an object last changed: the later of `created` and `modified` (some servers write
    `created` after `modified`)."""
    stamps = [
        d for d in (parse_datetime(obj.get("created")), parse_datetime(obj.get("modified"))) if d
    ]
    return max(stamps) if stamps else None
