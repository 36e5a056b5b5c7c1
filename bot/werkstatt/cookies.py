"""The dashboard's cookies: HMAC-signed JSON with an expiry (bot/werkstatt/auth.py sets them)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any


class SignedCookie:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def dump(self, payload: dict[str, Any]) -> str:
        body = base64.urlsafe_b64encode(
            json.dumps(payload, separators=(",", ":")).encode()
        ).decode()
        return f"{body}.{self._sign(body)}"

    def load(self, value: str | None) -> dict[str, Any] | None:
        if not value or "." not in value:
            return None
        body, signature = value.rsplit(".", 1)
        if not hmac.compare_digest(signature, self._sign(body)):
            return None
        try:
            payload = json.loads(base64.urlsafe_b64decode(body.encode()))
        except ValueError:
            return None
        if not isinstance(payload, dict) or payload.get("exp", 0) < time.time():
            return None
        return payload

    def _sign(self, body: str) -> str:
        return hmac.new(self._key, body.encode(), hashlib.sha256).hexdigest()


def session_key(audit_key: bytes) -> bytes:
    return hmac.new(audit_key, b"kiw-werkstatt-session-v1", hashlib.sha256).digest()
