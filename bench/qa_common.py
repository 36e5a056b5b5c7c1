"""What the question-set benchmarks share: a skill context over an index, and the figures
(shares, percentiles, a share by group, whether an answer holds its fact, an answer's quoted
sentences)."""

from __future__ import annotations

import re
import statistics
from dataclasses import replace
from datetime import date
from typing import Any

from indexer.model import POLICIES, SearchIndex, SearchQuery
from skills.context import SkillConfig, SkillContext
from skills.generator.base import EXTRACT_NOTE, Generator, Passage
from skills.german import detect_language, search_terms, split_sentences
from skills.grounded_answer import RETRIEVE_TOP, retrieve
from skills.grounding import passages_from_hits
from skills.privacy import without_personal_data

TODAY = date(2026, 11, 27)  # the day the sets were written against ("im Oktober" = Oct 2026)


class NoDirectory:
    async def lookup(self, user_id: str) -> Any:
        raise LookupError(user_id)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None


def context(index: SearchIndex, generator: Generator) -> SkillContext:
    return SkillContext(
        index=index,
        generator=generator,
        directory=NoDirectory(),
        config=SkillConfig(),
        today=lambda: TODAY,
    )


def pct(values: list[float]) -> str:
    return f"{statistics.mean(values):.3f}" if values else "n/a"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def has_fact(answer: str, facts: tuple[str, ...]) -> bool:
    lowered = answer.lower()
    return any(f.lower() in lowered for f in facts)


def by_group(rows: list[dict[str, Any]], key: str, value: str) -> str:
    values = [r[value] for r in rows if r.get(value) is not None]
    groups: dict[str, list[float]] = {}
    for r in rows:
        if r.get(value) is not None:
            groups.setdefault(str(r[key]), []).append(r[value])
    parts = " ".join(f"{k} {statistics.mean(v):.2f}" for k, v in sorted(groups.items()))
    return f"{pct(values)}  ({parts})" if values else "n/a"


_QUOTE = re.compile(r"^„(.*)“ \[\d+\]$")


def answer_sentences(answer: str) -> list[str]:
    """An answer's sentences without its frame: the extractive backend's quotes („…“ [n], one
    a line), or a model's sentences."""
    lines = [line for line in answer.split("\n") if line and line not in EXTRACT_NOTE.values()]
    quotes = [m.group(1) for line in lines if (m := _QUOTE.match(line.strip()))]
    return quotes or split_sentences(" ".join(lines))


async def rule_passages(ctx: SkillContext, question: str) -> tuple[str, list[Passage]]:
    """The search text and the passages a rule question retrieves, ranked as
    skills/grounded_answer.py hands them to the reader. The question is read as typed: the
    skill's spelling correction is not applied (the figures in docs/skills.md were measured so)."""
    text = search_terms(without_personal_data(question), detect_language(question))
    query = SearchQuery(
        text=text, collection=POLICIES, top=RETRIEVE_TOP, facets=False, snippets="none"
    )
    got = await retrieve(ctx, query)
    ranked = [replace(p, ranked=i < got.ranked) for i, p in enumerate(passages_from_hits(got.hits))]
    return text, ranked
