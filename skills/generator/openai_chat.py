"""The production generator: any OpenAI-compatible chat endpoint through the `openai` package.

The endpoint (OpenAI, an on-premise server, or Azure OpenAI with the deployment as `model`) and
its client come from `kiw_common.openai_connection`, shared with the embeddings encoder.
Passages go into a delimited, numbered context (skills.grounding),
budgeted to `max_context_tokens` by dropping the lowest-ranked ones. Unless the endpoint is
on-premise, personal data is masked before the call (skills.privacy) and only what the user
typed comes back in the reply. Every answer is validated: uncited sentences and citations of
passages that were not provided are dropped.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any, cast

import openai
from openai.types.chat import ChatCompletionChunk

from kiw_common.openai_connection import OpenAIConnection
from skills.generator.base import (
    Generated,
    GeneratorUnavailable,
    Passage,
    Summary,
    SummaryPoint,
    TextSink,
)
from skills.grounding import numbered_context, validate_answer
from skills.privacy import Masker
from skills.reader import read_question

log = logging.getLogger(__name__)

PROMPTS = Path(__file__).resolve().parent / "prompts"
NO_ANSWER_TOKEN = "KEINE_AUSSAGE"
# The token anywhere in a reply means "not answerable", also after a sentence that only names
# the topic ("Die Quellen nennen den KI-Pass [1], aber keine Dauer. KEINE_AUSSAGE"), in
# Markdown or lower case; such a reply must not pass as a cited answer.
_NOT_ANSWERABLE = re.compile(r"KEINE[_ ]AUSSAGE", re.IGNORECASE)
# What the prompt says is asked for, by the reader's kind of question.
ASKED = {
    "duration": "eine Dauer oder Frist (wie lange)",
    "date": "ein Zeitpunkt oder Termin (wann, bis wann, ab wann)",
    "frequency": "eine Häufigkeit (wie oft)",
    "amount": "eine Anzahl oder Menge",
    "cost": "ein Betrag oder Preis",
    "who": "eine Stelle, ein Gremium oder eine Person (wer)",
    "name": "ein Name",
    "where": "ein Ort oder eine zuständige Stelle (wo)",
    "list": "eine Aufzählung (welche)",
    "rule": "eine Regel (ja oder nein) mit ihrer Ausnahme, falls die Quelle eine nennt",
    "purpose": "ein Zweck oder Ziel (wozu)",
    "reason": "ein Grund, ein Zweck oder die Vorschrift, die es verlangt (warum)",
    "time": "eine Uhrzeit, Sprech- oder Öffnungszeit (wann erreichbar)",
    "consequence": "was dann geschieht oder gilt (was passiert, wenn)",
    "open": "eine Aussage, die die Frage beantwortet",
}
ANSWER_MAX_TOKENS = 600
SUMMARY_MAX_TOKENS = 1_500
CHARS_PER_TOKEN = 3.0  # German text in GPT-style tokenizers: ~3-4 chars; 3 errs on the safe side
_LANGUAGE_NAMES = {"de": "Deutsch", "en": "Englisch (English)"}


@cache
def prompt(name: str) -> str:
    return (PROMPTS / f"{name}.txt").read_text(encoding="utf-8")


def estimate_tokens(text: str) -> int:
    return int(len(text) / CHARS_PER_TOKEN) + 1


def budget_passages(
    passages: Sequence[Passage], fixed_text: str, max_context_tokens: int, reserve: int
) -> list[Passage]:
    """Keep the best passages that fit; drop the lowest-ranked first. Order is preserved.

    Rank is the passage's score when retrieval gave one, else its position (1 = best).
    """
    available = max_context_tokens - estimate_tokens(fixed_text) - reserve
    by_rank = (
        sorted(passages, key=lambda p: (-p.score, p.n))
        if any(p.score for p in passages)
        else list(passages)
    )
    kept: set[int] = set()
    used = 0
    for p in by_rank:
        cost = estimate_tokens(p.chunk.text) + 30  # delimiters and source label
        if used + cost <= available:
            kept.add(p.n)
            used += cost
    return [p for p in passages if p.n in kept]


class OpenAIGenerator:
    name = "openai"

    def __init__(
        self,
        *,
        model: str,
        connection: OpenAIConnection,
        max_context_tokens: int = 12_000,
        temperature: float = 0.0,
        azure_token_provider: Callable[[], Awaitable[str]] | None = None,
    ) -> None:
        """`model`: the model name, or on Azure the deployment."""
        self.model = model
        self.on_premise = connection.on_premise
        self.max_context_tokens = max_context_tokens
        self.temperature = temperature
        self._client = connection.async_client(
            azure_deployment=model, token_provider=azure_token_provider
        )

    # ---- helpers

    def _masker(self) -> Masker | None:
        return None if self.on_premise else Masker()

    def _messages(
        self,
        system: str,
        user_prompt: str,
        fields: dict[str, str],
        passages: Sequence[Passage],
        masker: Masker | None,
        reserve: int,
    ) -> tuple[list[dict[str, str]], list[Passage]]:
        """System and user message: the prompt's {fields} filled in, and as many passages as
        the token budget allows (masked unless on-premise) in the numbered {context}."""
        fixed = system + user_prompt + "".join(fields.values())
        kept = budget_passages(passages, fixed, self.max_context_tokens, reserve)
        texts = [masker.mask(p.chunk.text, "document") if masker else p.chunk.text for p in kept]
        user = user_prompt.replace("{context}", numbered_context(kept, texts))
        for name, value in fields.items():
            user = user.replace("{" + name + "}", value)
        return [{"role": "system", "content": system}, {"role": "user", "content": user}], kept

    def _answer_messages(
        self, question: str, passages: Sequence[Passage], language: str, masker: Masker | None
    ) -> tuple[list[dict[str, str]], list[Passage]]:
        system = prompt("answer_system").replace(
            "{language_name}", _LANGUAGE_NAMES.get(language, "Deutsch")
        )
        shown_question = masker.mask(question, "user") if masker else question
        # The kind of answer the reader sees in the question (skills/reader/): the model
        # judges answerability by it, over the passages it is given (the reader's first).
        asked = ASKED.get(read_question(question).kind, ASKED["open"])
        return self._messages(
            system, prompt("answer_user"), {"question": shown_question, "asked": asked},
            passages, masker, ANSWER_MAX_TOKENS,
        )  # fmt: skip

    async def _complete(self, messages: list[dict[str, str]], max_tokens: int, **extra: Any) -> str:
        with _endpoint_errors():
            response = await self._client.chat.completions.create(
                model=self.model,
                messages=messages,  # type: ignore[arg-type]
                temperature=self.temperature,
                max_tokens=max_tokens,
                **extra,
            )
        if not response.choices:
            return ""
        return response.choices[0].message.content or ""

    # ---- the Generator interface

    async def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        *,
        language: str = "de",
        on_text: TextSink | None = None,
    ) -> Generated:
        if not passages:
            return Generated(text="", cited=[], ai_generated=True)
        masker = self._masker()
        messages, kept = self._answer_messages(question, passages, language, masker)
        if on_text is None:
            raw = await self._complete(messages, ANSWER_MAX_TOKENS)
        else:
            raw = await self._stream(messages, masker, on_text)
        return self._checked(raw, kept, masker)

    async def _stream(
        self, messages: list[dict[str, str]], masker: Masker | None, on_text: TextSink
    ) -> str:
        """The completion, streamed: `on_text` gets the unmasked answer so far, never with half
        a placeholder ("[PERS") or a beginning of the no-answer token; returns the raw text."""
        raw = ""
        shown = ""
        with _endpoint_errors():
            stream = cast(
                "openai.AsyncStream[ChatCompletionChunk]",
                await self._client.chat.completions.create(
                    model=self.model,
                    messages=messages,  # type: ignore[arg-type]
                    temperature=self.temperature,
                    max_tokens=ANSWER_MAX_TOKENS,
                    stream=True,
                ),
            )
            async for event in stream:
                if not event.choices:
                    continue
                raw += event.choices[0].delta.content or ""
                ready = _settled(raw)
                if NO_ANSWER_TOKEN.startswith(ready.strip()[: len(NO_ANSWER_TOKEN)]):
                    continue  # possibly "KEINE_AUSSAGE": show nothing of it
                if _NOT_ANSWERABLE.search(ready):
                    continue  # not answerable after all: show nothing more
                text = masker.unmask(ready) if masker else ready
                if text != shown:
                    shown = text
                    await on_text(text)
        return raw

    def _checked(self, raw: str, kept: Sequence[Passage], masker: Masker | None) -> Generated:
        text = raw.strip()
        if not text or _NOT_ANSWERABLE.search(text):
            return Generated(text="", cited=[], ai_generated=True)
        if masker:
            text = masker.unmask(text)
        checked = validate_answer(text, kept)
        checked.ai_generated = True
        return checked

    async def summarise(
        self, passages: Sequence[Passage], *, title: str = "", language: str = "de"
    ) -> Summary:
        if not passages:
            return Summary(ai_generated=True)
        masker = self._masker()
        shown_title = masker.mask(title, "document") if masker else title
        messages, kept = self._messages(
            prompt("summarise_system"), prompt("summarise_user"), {"title": shown_title},
            passages, masker, SUMMARY_MAX_TOKENS,
        )  # fmt: skip
        raw = await self._complete(messages, SUMMARY_MAX_TOKENS)
        return parse_summary(raw, {p.n for p in kept}, masker)

    async def ping(self) -> None:
        try:
            await self._client.models.list()
        except openai.OpenAIError as exc:
            raise GeneratorUnavailable(f"model endpoint not ready: {exc}") from exc

    async def close(self) -> None:
        await self._client.close()


@contextmanager
def _endpoint_errors() -> Iterator[None]:
    """The openai client's failures as GeneratorUnavailable (German for the user, the detail
    in plain English for the admin log)."""
    try:
        yield
    except openai.APIStatusError as exc:
        raise GeneratorUnavailable(f"model endpoint answered HTTP {exc.status_code}") from exc
    except openai.APITimeoutError as exc:
        raise GeneratorUnavailable("model endpoint timed out") from exc
    except openai.APIConnectionError as exc:
        raise GeneratorUnavailable(f"model endpoint unreachable: {exc}") from exc


def _settled(raw: str) -> str:
    """`raw` without a trailing unclosed bracket (a placeholder or citation still being written)."""
    cut = raw.rfind("[")
    return raw[:cut] if cut != -1 and "]" not in raw[cut:] else raw


def _json_object(raw: str) -> dict[str, Any]:
    """The first JSON object in the reply (models like to wrap it in ``` fences)."""
    match = re.search(r"\{.*\}", raw, re.DOTALL)
    if not match:
        return {}
    try:
        value = json.loads(match.group(0))
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def parse_summary(raw: str, valid: set[int], masker: Masker | None) -> Summary:
    """A Summary from the model's JSON; points without a valid citation are dropped."""
    data = _json_object(raw)

    def point(value: Any) -> SummaryPoint | None:
        if not isinstance(value, dict) or not isinstance(value.get("text"), str):
            return None
        cited_raw = value.get("cited") or []
        cited = [int(n) for n in cited_raw if isinstance(n, int | str) and str(n).isdigit()]
        cited = [n for n in dict.fromkeys(cited) if n in valid]
        text = value["text"].strip()
        if not cited or not text:
            return None
        return SummaryPoint(text=masker.unmask(text) if masker else text, cited=cited)

    def points(value: Any) -> list[SummaryPoint]:
        items = value if isinstance(value, list) else []
        return [p for p in (point(v) for v in items) if p]

    return Summary(
        key_points=points(data.get("key_points"))[:5],
        decision_proposal=point(data.get("decision_proposal")),
        financial_impact=point(data.get("financial_impact")),
        deadlines=points(data.get("deadlines")),
        consultation=points(data.get("consultation")),
        ai_generated=True,
    )
