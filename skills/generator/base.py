"""The generator seam: answers and summaries from numbered passages, citing by number."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from indexer.model import Chunk
from skills.types import SkillError

# The extractive backend marks its output as quotes, not generated text (German / English).
EXTRACT_NOTE = {
    "de": "Auszug aus den Quellen, nicht KI-formuliert:",
    "en": "Excerpt from the sources (German quotes, not AI-written):",
}


class GeneratorUnavailable(SkillError):
    """The model endpoint did not answer (timeout, refused, rate limit beyond retries)."""

    code = "generator_unavailable"

    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "Das Sprachmodell ist gerade nicht erreichbar. Bitte versuchen Sie es in einigen "
            "Minuten erneut.",
        )
        self.detail = detail  # plain English for the admin log


@dataclass(frozen=True)
class Passage:
    n: int  # 1-based number the answer cites as [n]
    chunk: Chunk
    score: float = 0.0
    # Retrieval's own best for the whole question (keyword and, where built, vector leg): the
    # reader lets that evidence stand in for part of the topic match (skills/reader/).
    ranked: bool = False


@dataclass
class Generated:
    text: str  # may contain [n] markers
    cited: list[int] = field(default_factory=list)  # passage numbers actually cited (validated)
    ai_generated: bool = False  # False for the extractive backend ("Auszug aus den Quellen")


@dataclass
class SummaryPoint:
    text: str
    cited: list[int] = field(default_factory=list)  # passage numbers (-> page) it stands on


@dataclass
class Summary:
    key_points: list[SummaryPoint] = field(default_factory=list)  # Kernaussagen
    decision_proposal: SummaryPoint | None = None  # Beschlussvorschlag
    financial_impact: SummaryPoint | None = None  # finanzielle Auswirkungen
    deadlines: list[SummaryPoint] = field(default_factory=list)  # Fristen/Termine
    consultation: list[SummaryPoint] = field(default_factory=list)  # Beratungsfolge
    ai_generated: bool = False


# Called with the answer so far while a model writes it (unmasked, placeholders never split).
TextSink = Callable[[str], Awaitable[None]]


class Generator(Protocol):
    name: str  # "extractive", "openai"
    on_premise: bool  # True: personal data may go to it unmasked (runs in the city's data centre)

    async def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        *,
        language: str = "de",
        on_text: TextSink | None = None,
    ) -> Generated:
        """A short answer citing passages by number; Generated(text="", cited=[]) if unsupported.

        With `on_text`, a backend that can stream calls it with the raw answer so far (before
        validation); the returned Generated is what counts."""

    async def summarise(
        self, passages: Sequence[Passage], *, title: str = "", language: str = "de"
    ) -> Summary:
        """A structured summary of one document; every point cites the passages it stands on."""

    async def ping(self) -> None:
        """Raise if the generator cannot answer (readiness probe)."""

    async def close(self) -> None: ...
