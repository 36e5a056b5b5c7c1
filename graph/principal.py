"""The directory seam: a principal, what the gate and the index need to know about a user."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Protocol, runtime_checkable

from kiw_common.vocabulary import PUBLIC

# The steps of the KI-Pass, in the order the city lists them (Kiel's model, see ARCHITECTURE.md).
KIPASS_STEPS: dict[str, str] = {
    "schulung": "Schulung besucht",
    "dienstvereinbarung": "Dienstvereinbarung zur KI-Nutzung zur Kenntnis genommen",
    "leitlinien": "KI-Leitlinien zur Kenntnis genommen",
    "checkliste": "Digitale Checkliste abgeschlossen",
}

# A KI-Pass the directory holds without an end date (Graph: group member, no expiry attribute).
NO_EXPIRY = date.max

KipassState = Literal["valid", "expired", "none"]


class DirectoryError(Exception):
    """Base of directory failures. `code` is what the CLI prints and the audit log records.

    The message is plain English for admins (logs, `kiw kipass check`); it never names the user.
    """

    code = "kipass_check_failed"


class UnknownUser(DirectoryError):
    code = "unknown_user"


class DirectoryUnavailable(DirectoryError):
    """Graph down, slow, throttled beyond retries, or answering nonsense: fail closed."""

    code = "kipass_check_failed"


class DirectoryFileError(ValueError):
    """A directory configuration file (the local users file, the Graph client certificate) is
    missing or malformed: raised at start-up, naming the file, the line and the problem."""


@dataclass(frozen=True)
class Principal:
    id: str  # Entra object id (Teams: from.aadObjectId)
    name: str
    upn: str | None = None
    tenant_id: str | None = None
    groups: frozenset[str] = frozenset()  # transitive group memberships (ids or names)
    kipass_valid_until: date | None = None  # None = no KI-Pass; NO_EXPIRY = no end date
    kipass_steps: dict[str, bool] = field(default_factory=dict)  # step -> done, if known
    access_groups: frozenset[str] = frozenset({PUBLIC})  # document access groups; has PUBLIC
    group_names: dict[str, str] = field(default_factory=dict)  # group id -> display name, if known
    # access group -> its display name for users ("fraktion-gruene" -> "Fraktion Bündnis 90/Die
    # Grünen"): from the local file's `group_names`, or the mapped Graph group's displayName.
    access_group_names: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Every principal may read public documents, whatever the backend handed in.
        if PUBLIC not in self.access_groups:
            object.__setattr__(self, "access_groups", frozenset(self.access_groups) | {PUBLIC})

    def kipass_valid(self, today: date) -> bool:
        return self.kipass_valid_until is not None and self.kipass_valid_until >= today

    def kipass_state(self, today: date) -> KipassState:
        if self.kipass_valid_until is None:
            return "none"
        return "valid" if self.kipass_valid(today) else "expired"

    def kipass_days_left(self, today: date) -> int | None:
        """Days until the KI-Pass ends (0 = last day), None without a KI-Pass or an end date."""
        if self.kipass_valid_until is None or self.kipass_valid_until == NO_EXPIRY:
            return None
        return (self.kipass_valid_until - today).days

    def open_kipass_steps(self) -> list[str]:
        """Steps the directory knows to be not done yet, in the city's order."""
        known = [s for s in KIPASS_STEPS if s in self.kipass_steps]
        extra = sorted(s for s in self.kipass_steps if s not in KIPASS_STEPS)
        return [s for s in known + extra if not self.kipass_steps[s]]


class Directory(Protocol):
    async def lookup(self, user_id: str) -> Principal:
        """By object id or UPN. Raises UnknownUser or DirectoryUnavailable (fail closed)."""

    async def ping(self) -> None:
        """Raise DirectoryUnavailable if the directory cannot answer (readiness probe)."""

    async def close(self) -> None: ...


@runtime_checkable
class SourceVersioned(Protocol):
    """A directory read from a source it re-reads when it changes (the local file)."""

    def source_generation(self) -> int:
        """Re-read the source if it changed; return a number that changes with every successful
        re-read. Raise DirectoryUnavailable while the source is broken or missing (fail closed).
        Cheap (a stat call): the cache asks on every lookup."""
        ...
