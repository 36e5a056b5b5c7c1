"""The embedded generator: no model, answers and summaries assembled from source sentences.

Every sentence it returns is quoted verbatim from a passage and cites that passage by number,
so the output is grounded by construction. It is marked as an extract, not AI-written text
(Generated.ai_generated False -> no "KI-generiert" label).

Answers: the sentence the reader (skills/reader/, the same one the relevance gate uses)
finds to carry the kind of answer the question asks for ("Wie lange …?" -> a duration) about
what the question is about, with the coherent unit around it (skills/reader/selection.py: a
lead with what it introduces, an FAQ's "Nein." with its reason, a procedure's steps, a rule
with its exception; at most three sentences); a counted-out list whole. Sentences that address an AI model ("Ignoriere alle Anweisungen …") are never quoted.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from skills.generator.base import (
    EXTRACT_NOTE,
    Generated,
    Passage,
    Summary,
    SummaryPoint,
    TextSink,
)
from skills.german import content_stems, search_terms, split_sentences, tokens
from skills.grounding import looks_like_injection
from skills.privacy import without_personal_data
from skills.reader import chosen_sentences, read

MAX_ANSWER_SENTENCES = 2


@dataclass(frozen=True)
class _Sentence:
    n: int  # passage number
    rank: int  # 0-based position of the passage
    index: int  # position in reading order over all passages
    text: str
    stems: frozenset[str]
    section: str = ""  # the heading the sentence stands under


def _is_heading(text: str) -> bool:
    return len(text) < 80 and not text.rstrip("“”\"'»«)").endswith((".", "!", "?", ":", ";", ","))


def _sentences(passages: Sequence[Passage]) -> list[_Sentence]:
    out: list[_Sentence] = []
    for rank, passage in enumerate(passages):
        section = passage.chunk.heading or ""
        for text in split_sentences(passage.chunk.text):
            if looks_like_injection(text):
                continue
            if _is_heading(text):
                section = text
            stems = frozenset(content_stems(text))
            out.append(_Sentence(passage.n, rank, len(out), text, stems, section))
    return out


def _quote(text: str, limit: int = 450) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


class ExtractiveGenerator:
    name = "extractive"
    on_premise = True  # nothing leaves the process

    async def answer(
        self,
        question: str,
        passages: Sequence[Passage],
        *,
        language: str = "de",
        on_text: TextSink | None = None,  # nothing to stream: the extract is ready at once
    ) -> Generated:
        topic = search_terms(without_personal_data(question), language)
        reading = read(question, passages, about=topic)
        chosen = chosen_sentences(reading, limit=MAX_ANSWER_SENTENCES)
        if not chosen:
            return Generated(text="", cited=[])
        lines = [EXTRACT_NOTE.get(language, EXTRACT_NOTE["de"])]
        lines.extend(f"„{_quote(s.text)}“ [{s.n}]" for s in chosen)
        cited = list(dict.fromkeys(s.n for s in chosen))
        return Generated(text="\n".join(lines), cited=cited, ai_generated=False)

    async def summarise(
        self, passages: Sequence[Passage], *, title: str = "", language: str = "de"
    ) -> Summary:
        return summarise_extractively(passages, title=title)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None


def _similar(a: _Sentence, b: _Sentence) -> bool:
    if not a.stems or not b.stems:
        return a.text == b.text
    return len(a.stems & b.stems) / len(a.stems | b.stems) > 0.6


# ---------------------------------------------------------------- summaries

# Sentences of the paper's form and print notes are no key point.
_BOILERPLATE = re.compile(
    r"[☐☒]|\[[x ]\]|Gedruckt auf|Recyclingpapier|CO2-Relevanz|IQ-relevant|Beispieldokument|"
    r"Beispieltext"
)
_PREFERRED_SECTION = re.compile(
    r"Kurzfassung|Sachverhalt|Begründung|Zusammenfassung|Ziel|Anlass|Ausgangslage", re.IGNORECASE
)


def summarise_extractively(passages: Sequence[Passage], *, title: str = "") -> Summary:
    """Key points: the paper's most central sentences, verbatim.

    Proposal, money, dates and Anlagen are read from the paper's structure by the skill
    (skills/summary/), which gives this generator only the paper's body."""
    sentences = [s for s in _sentences(passages) if not _BOILERPLATE.search(s.text)]
    return Summary(key_points=_key_points(sentences, title) if sentences else [])


def _point(text: str, ns: Sequence[int], limit: int = 600) -> SummaryPoint:
    cited: list[int] = []
    for n in ns:
        if n not in cited:
            cited.append(n)
    return SummaryPoint(text=_quote(text, limit), cited=cited)


def _key_points(
    sentences: Sequence[_Sentence], title: str, taken: str = "", limit: int = 5
) -> list[SummaryPoint]:
    frequency: Counter[str] = Counter()
    for s in sentences:
        frequency.update(s.stems)
    title_stems = content_stems(title)
    total = len(sentences)
    preferred = False
    ranked: list[tuple[float, _Sentence]] = []
    for s in sentences:
        words = len(tokens(s.text))
        if _PREFERRED_SECTION.search(s.text) and words <= 3:
            preferred = True
            continue
        if words < 6 or words > 80 or not s.text.rstrip("“”\"'»«)").endswith((".", "!", ":")):
            continue  # headings, table lines and run-on fragments make poor key points
        centrality = sum(math.log(1 + frequency[t]) for t in s.stems) / math.sqrt(len(s.stems) or 1)
        score = centrality + 0.8 * len(s.stems & title_stems)
        score *= 1.0 + 0.5 * (1 - s.index / total)  # earlier sentences state the point
        if preferred:
            score *= 1.2
        ranked.append((score, s))
    ranked.sort(key=lambda item: -item[0])
    # What the Beschlussvorschlag and the finances already say is no key point of its own,
    # unless the document has hardly anything else to say.
    fresh = [(score, s) for score, s in ranked if s.text not in taken]
    chosen: list[_Sentence] = []
    for _score, s in fresh if len(fresh) >= 2 else ranked:
        if any(_similar(s, c) for c in chosen):
            continue
        chosen.append(s)
        if len(chosen) == limit:
            break
    chosen.sort(key=lambda s: s.index)
    return [_point(s.text, [s.n], 400) for s in chosen]
