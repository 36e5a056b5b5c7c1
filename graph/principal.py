"""The directory seam: a principal, what the gate and the index need to know about a user."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from indexer.model import PUBLIC


class DirectoryError(Exception):
    """Base of directory failures. `code` is what the CLI prints and the audit log records."""

    code = "kipass_check_failed"


class UnknownUser(DirectoryError):
    code = "unknown_user"


class DirectoryUnavailable(DirectoryError):
    """Graph down, slow, throttled beyond retries, or answering nonsense: fail closed."""

    code = "kipass_check_failed"


@dataclass(frozen=True)
class Principal:
    id: str  # Entra object id (Teams: from.aadObjectId)
    name: str
    upn: str | None = None
    tenant_id: str | None = None
    groups: frozenset[str] = frozenset()  # transitive group memberships (ids or names)
    kipass_valid_until: date | None = None  # None = no KI-Pass
    kipass_steps: dict[str, bool] = field(default_factory=dict)  # step -> done, if known
    access_groups: frozenset[str] = frozenset({PUBLIC})  # document access groups; has PUBLIC

    def kipass_valid(self, today: date) -> bool:
        return self.kipass_valid_until is not None and self.kipass_valid_until >= today


class Directory(Protocol):
    async def lookup(self, user_id: str) -> Principal:
        """By object id or UPN. Raises UnknownUser or DirectoryUnavailable (fail closed)."""

    async def ping(self) -> None:
        """Raise DirectoryUnavailable if the directory cannot answer (readiness probe)."""

    async def close(self) -> None: ...
