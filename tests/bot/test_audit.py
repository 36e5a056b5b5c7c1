from __future__ import annotations

import json
from pathlib import Path

from bot.audit import AUDIT_KEYS, AuditLog, pseudonymise


def test_audit_line_has_no_identity_and_fixed_keys(tmp_path: Path) -> None:
    log = AuditLog(tmp_path, b"key")
    log.write("turn", skill="help", outcome="ok", latency_ms=12.4, user_id="user-object-id")
    (path,) = log.files()
    line = json.loads(path.read_text().strip())
    assert tuple(line) == AUDIT_KEYS
    assert line["user"] == pseudonymise("user-object-id", b"key") != "user-object-id"
    assert "user-object-id" not in path.read_text()
    assert line["latency_ms"] == 12


def test_pseudonym_depends_on_key() -> None:
    assert pseudonymise("a", b"k1") != pseudonymise("a", b"k2")
    assert pseudonymise("A ", b"k1") == pseudonymise("a", b"k1")
