"""Plain request and result of a skill: drivable from the bot, a message extension, the CLI, a test."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from graph.principal import Principal
from kiw_common.citations import citation_json
from kiw_common.vocabulary import PUBLIC, Citation
from skills.errors import BadInput, SkillError
from skills.options import SkillOptions
from skills.progress import NO_PROGRESS, Progress
from skills.results import Answer, DocumentSummary, Payload
from skills.summary.text import summary_text
from skills.trace import Trace

Scope = Literal["personal", "team", "groupChat", "cli", "extension", "dashboard"]
Outcome = Literal["ok", "no_answer", "not_found", "denied", "error", "bad_input", "stopped"]
# Re-exported: a skill imports its request, result, options and errors from here.
__all__ = [
    "Attachment",
    "BadInput",
    "Citation",
    "Outcome",
    "Scope",
    "SkillError",
    "SkillOptions",
    "SkillRequest",
    "SkillResult",
]


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    data: bytes  # already downloaded and size-checked by the caller


@dataclass
class SkillRequest:
    text: str  # the user's words after the command (mention already stripped)
    command: str = ""  # the command the router matched ("frage", "suche", ...) or "" for free text
    user: Principal | None = None  # None = local operator (CLI without --user)
    scope: Scope = "personal"
    attachments: tuple[Attachment, ...] = ()
    locale: str = "de-DE"
    options: SkillOptions = field(default_factory=SkillOptions)  # page, query, mode, budget …
    trace: Trace = field(default_factory=Trace)
    progress: Progress = NO_PROGRESS  # what a front end may show while the skill works
    # Groups every reader of the reply may read (skills/audience.py): set in group chats and
    # channels, where everyone there reads the answer; None in a 1:1 chat (the asker reads it).
    audience: frozenset[str] | None = None
    # The name people @mention the bot by here, as Teams sends it (tenants may rename the app);
    # "" outside Teams.
    bot_name: str = ""

    @property
    def own_access(self) -> frozenset[str]:
        """Document access groups of the asker: PUBLIC for the local operator."""
        return self.user.access_groups | {PUBLIC} if self.user else frozenset({PUBLIC})

    @property
    def access(self) -> frozenset[str]:
        """What the reply may draw on: the asker's groups, narrowed to the audience's."""
        if self.audience is None:
            return self.own_access
        return (self.own_access & self.audience) | {PUBLIC}


@dataclass
class SkillResult:
    """What a skill returns: its typed result (skills/results.py) — data, never presentation;
    each front end draws the kind itself (bot/render/: the chat's cards, the plain text) — and
    what every kind may carry: sources, the AI label, the outcome, whether it is personal."""

    payload: Payload
    citations: list[Citation] = field(default_factory=list)
    ai_generated: bool = False  # True: Teams shows the "KI-generiert" label
    grounded: bool = True
    outcome: Outcome = "ok"
    # True: about the person (KI-Pass status, refusal reasons, open steps, access groups). Front
    # ends show it only to that person: the bot sends it to the 1:1 chat (bot/teams/personal.py).
    personal: bool = False

    def as_json(self) -> dict[str, Any]:
        """What `kiw … --json` prints: the typed result as JSON, and the sources where the
        result cites."""
        payload = self.payload
        if isinstance(payload, DocumentSummary):
            text = summary_text(payload, self.ai_generated)
            return {**payload.as_json(text), "citations": self._citations_json()}
        if isinstance(payload, Answer):
            return {**payload.as_json(), "citations": self._citations_json()}
        return payload.as_json()

    def _citations_json(self) -> list[dict[str, object]]:
        return [citation_json(c) for c in self.citations]
