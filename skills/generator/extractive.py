"""The embedded generator: no model, answers and summaries assembled from source sentences.

Every sentence it returns is quoted verbatim from a passage and cites that passage by number,
so the output is grounded by construction. It is marked as an extract, not AI-written text
(Generated.ai_generated False -> no "KI-generiert" label).

Scoring of a sentence for a question: the idf-weighted share of the question's content stems
(Snowball German) found in the sentence, plus a small bonus for the passage's retrieval rank.
Sentences that address an AI model ("Ignoriere alle Anweisungen …") are never quoted.
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
from skills.german import content_stems, matched_terms, search_terms, split_sentences, tokens
from skills.grounding import looks_like_injection
from skills.privacy import without_personal_data

MIN_COVERAGE = 0.45  # below this share of the question's weighted terms a sentence is no answer
MAX_ANSWER_SENTENCES = 2
RANK_BONUS = 0.12
ANSWER_TYPE_BONUS = 0.25
DENSITY_WEIGHT = 0.5

# What kind of statement answers a question word: a duration, a date, a number, an actor.
_ANSWER_TYPES: list[tuple[re.Pattern[str], re.Pattern[str]]] = [
    (
        re.compile(r"\bwie\s+lange\b|\bwie\s+schnell\b|\bhow\s+long\b|\bgültig", re.IGNORECASE),
        re.compile(
            r"\b(?:\d+|ein|einen|eine|zwei|drei|vier|fünf|sechs|zwölf|90)\s+"
            r"(?:Jahre?n?|Monate?n?|Wochen?|Tage?n?|Arbeitstage?n?|Stunden?)\b",
            re.IGNORECASE,
        ),
    ),
    (
        re.compile(r"\bwann\b|\bwhen\b|\bbis\s+wann\b|\bab\s+wann\b", re.IGNORECASE),
        re.compile(
            r"\d{1,2}\.\d{1,2}\.\d{2,4}|\bQuartal\b|\b20\d\d\b|\bnach\s+\w+\s+Jahr", re.IGNORECASE
        ),
    ),
    (
        re.compile(r"\bwie\s+viele?\b|\bwie\s+hoch\b|\bhow\s+(?:many|much)\b", re.IGNORECASE),
        re.compile(r"\d"),
    ),
    (
        re.compile(
            r"\bwelche\s+(?:schritte|voraussetzungen)\b|\bwas\s+brauch|\brequire", re.IGNORECASE
        ),
        re.compile(r"\bvoraus\b|\bVoraussetzung|\bErstens\b|\bZweitens\b", re.IGNORECASE),
    ),
    (
        re.compile(r"\bkoste\w*|\bwie\s+teuer\b|\bcost", re.IGNORECASE),
        re.compile(r"(?<!\d)(?<!\d[.,])\d[\d.,]*\s*(?:€|Euro|Mio|Millionen)", re.IGNORECASE),
    ),
    (
        re.compile(r"^\s*(?:wer|wem|who|whom)\b", re.IGNORECASE),
        re.compile(
            r"Personalrat|Beauftragte|Werkstatt|Bürgermeister|Verwaltung|Bürgerschaft|"
            r"Informationssicherheit|Organisationsservice|Ausschuss",
            re.IGNORECASE,
        ),
    ),
]


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


def _idf(sentences: Sequence[_Sentence]) -> dict[str, float]:
    df: Counter[str] = Counter()
    for s in sentences:
        df.update(s.stems)
    total = len(sentences) or 1
    return {term: math.log(1 + total / count) for term, count in df.items()}


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
        query = search_terms(without_personal_data(question), language)
        question_stems = content_stems(query)
        sentences = _sentences(passages)
        if not question_stems or not sentences:
            return Generated(text="", cited=[])
        idf = _idf(sentences)
        # A question word no passage contains weighs most: the question is about something else.
        default_weight = 1.5 * max(idf.values(), default=1.0)
        weights = {t: idf.get(t, default_weight) for t in question_stems}
        total = sum(weights.values())
        scored: list[tuple[float, float, _Sentence]] = []
        wanted = [answer for ask, answer in _ANSWER_TYPES if ask.search(question)]
        for s in sentences:
            if len(tokens(s.text)) < 4 or not s.text.rstrip("“”\"'»«)").endswith((".", "!", ":")):
                continue  # headings, fragments and questions are no answer
            matched = sorted(matched_terms(question_stems, s.stems))
            # Words of the section heading count half: "Die vier Schritte zum KI-Pass" says
            # what the sentences below it are about.
            in_heading = matched_terms(question_stems, content_stems(s.section)) - set(matched)
            coverage = (
                sum(weights[t] for t in matched) + 0.5 * sum(weights[t] for t in in_heading)
            ) / total
            if coverage < MIN_COVERAGE:
                continue
            density = len(matched) / max(len(s.stems), 1)
            score = coverage + RANK_BONUS / (1 + s.rank) + DENSITY_WEIGHT * density
            if any(pattern.search(s.text) for pattern in wanted):
                score += ANSWER_TYPE_BONUS
            scored.append((score, coverage, s))
        if not scored:
            return Generated(text="", cited=[])
        scored.sort(key=lambda item: -item[0])
        best_score = scored[0][0]
        chosen: list[_Sentence] = []
        if _LIST_QUESTION.search(question):
            chosen = _enumeration([s for _score, _coverage, s in scored], sentences)
        for score, _coverage, s in scored if not chosen else []:
            if len(chosen) == MAX_ANSWER_SENTENCES or score < 0.85 * best_score:
                break
            if any(_similar(s, c) for c in chosen):
                continue
            if chosen and s.n != chosen[0].n:
                continue  # a second quote from the same passage only: one coherent source
            chosen.append(s)
        lines = [EXTRACT_NOTE.get(language, EXTRACT_NOTE["de"])]
        lines.extend(f"„{_quote(s.text)}“ [{s.n}]" for s in chosen)
        cited: list[int] = []
        for s in chosen:
            if s.n not in cited:
                cited.append(s.n)
        return Generated(text="\n".join(lines), cited=cited, ai_generated=False)

    async def summarise(
        self, passages: Sequence[Passage], *, title: str = "", language: str = "de"
    ) -> Summary:
        return summarise_extractively(passages, title=title)

    async def ping(self) -> None:
        return None

    async def close(self) -> None:
        return None


# "Welche Schritte …?" asks for a list; a passage that counts them out ("Erstens …, Zweitens …")
# is quoted as a whole list, not as its two best sentences.
_LIST_QUESTION = re.compile(
    r"\bwelche\s+(?:schritte|voraussetzungen|bedingungen|punkte|stufen)\b|\bwhat\s+steps\b",
    re.IGNORECASE,
)
_ORDINALS = ("Erstens", "Zweitens", "Drittens", "Viertens", "Fünftens", "Sechstens")


def _enumeration(
    candidates: Sequence[_Sentence], sentences: Sequence[_Sentence]
) -> list[_Sentence]:
    """The counted-out run that starts at the best qualifying "Erstens" sentence, else []."""
    first = next((s for s in candidates if s.text.startswith(_ORDINALS[0])), None)
    if first is None:
        return []
    run = [first]
    for s in sentences[first.index + 1 :]:
        if (
            s.n != first.n
            or len(run) == len(_ORDINALS)
            or not s.text.startswith(_ORDINALS[len(run)])
        ):
            break
        run.append(s)
    return run if len(run) >= 2 else []


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
