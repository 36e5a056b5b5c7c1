"""Which sentences of the passages answer the question, best first."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from indexer.analysis import fold
from indexer.verbs import match_stem
from skills.generator.base import Passage
from skills.reader.answerable import Model, Signals, fitted
from skills.reader.kinds import (
    ASKS_START,
    CONCRETE_DATE,
    NUMERALS,
    REQUIRED_KINDS,
    STARTS,
    UNITS,
    YES_NO_ANSWER,
)
from skills.reader.question import QuestionShape, read_question
from skills.reader.sentences import Sentence, sentences_of
from skills.reader.words import (
    Concept,
    match_strength,
    sentence_stems,
    typo_strength,
    word_tokens,
)

MIN_COVERAGE = 0.5  # share of the question's weighted concepts an answering sentence must have
# In a passage retrieval ranked first for the whole question, a sentence that carries the asked
# kind of answer needs less of the question's words: everyday wording misses the document's.
RANKED_COVERAGE = 0.45
HEADING_WEIGHT = 0.7  # a concept in the section heading or the document title counts 0.7
UNKNOWN_WEIGHT = 1.5  # a concept no sentence has weighs 1.5x the rarest one
VERB_WEIGHT = 0.7  # verbs and adjectives are paraphrased more often than nouns
# The question's focus (its weightiest noun) must stand in the answering sentence or its
# context at least this strongly: by inflection, as a compound's part, a typo or the vocabulary,
# not only through its own compound head ("Gebärdensprache" is no "Leichte Sprache").
FOCUS_MIN = 0.75
# A sentence's score gains this much in the first passage, less in later ones (a tie-breaker).
RANK_BONUS = 0.12
# Kinds whose "welch-" noun is the kind itself ("Innerhalb welcher Zeit …?"): no instance named.
_KIND_NOUNS = frozenset(
    {"duration", "date", "time", "measure", "frequency", "amount", "cost", "contact"}
)


@dataclass
class Reading:
    shape: QuestionShape
    sentences: list[Sentence] = field(default_factory=list)  # answering ones, best first
    all_sentences: list[Sentence] = field(default_factory=list)
    # The best sentence of the asked kind without the coverage bar, what the answerability
    # model weighs about it (answerable.py), and whether the model answered what the rules
    # refused (then `sentences` is that candidate alone).
    candidate: Sentence | None = None
    signals: Signals | None = None
    rescued: bool = False
    # The question's key noun stands in some sentence at hand (or it has none): False for an
    # off-topic question, whose nearest passages are no place to look either (pointers.py).
    focus_found: bool = False

    @property
    def answerable(self) -> bool:
        return bool(self.sentences)

    def passages(self) -> list[int]:
        """Indexes of the passages with an answering sentence, best first."""
        return list(dict.fromkeys(s.passage for s in self.sentences))


def read(
    question: str,
    passages: Sequence[Passage],
    *,
    about: str | None = None,
    typed: bool = True,
    model: Model | Literal["fitted"] | None = "fitted",
) -> Reading:
    """The sentences of `passages` that answer `question`, best first.

    `typed=False` drops the answer-kind requirement (a model judges that itself). `model`: the
    answerability model that may answer what the rules refuse (answerable.py; "fitted": the
    one in answerable.json, None: the rules alone)."""
    shape = read_question(question, about)
    sentences = sentences_of(passages)
    reading = Reading(shape, all_sentences=sentences)
    if not shape.concepts or not sentences:
        return reading
    listing = shape.kind == "list"
    asks_start = shape.kind == "date" and bool(ASKS_START.search(question))
    strengths = {
        c.stem: [
            (
                max(
                    match_strength(c, s.run_stems if listing and s.run_stems else s.stems),
                    typo_strength(c.word, s.words),
                    _starts_compound(c, s.stems, shape.modifiers),
                ),
                max(match_strength(c, s.context), _starts_compound(c, s.context, shape.modifiers)),
            )
            for s in sentences
        ]
        for c in shape.concepts
    }
    weights = _weights(shape.concepts, strengths, len(sentences))
    total = sum(weights.values())
    # Generic words alone never make a question answerable: its most specific noun (the
    # rarest over the sentences at hand; one no sentence has weighs most) must stand in one of
    # them, and the noun a "welch-" question asks an instance of in the answering one.
    focus = _focus(shape, weights)
    focus_found = focus is None or any(
        max(own, ctx) >= FOCUS_MIN for own, ctx in strengths[focus.stem]
    )  # False: the question's key noun stands nowhere in what was found
    reading.focus_found = focus_found
    needed = [shape.asked] if shape.asked is not None and shape.kind not in _KIND_NOUNS else []
    # A hyphenated compound's modifier must be spoken of too: "Die Schulung wird monatlich
    # angeboten" does not answer "Gibt es Gebärdensprach-Videos?", the E-learning on data
    # protection not "Wann ist die nächste Barrierefreiheits-Schulung?".
    # The answering sentence speaks of at least one noun of the question's topic (the noun a
    # "welch-" question asks about is no topic): "bis zur nächsten Sitzung" shares only an
    # adjective with "Wann ist der nächste Kurs?", "Raum 2.17" only what is asked for.
    # A verb the vocabulary knows ("unkenntlich machen" ~ schwärzen) is topic as well.
    # The role a "wer" question names ("Wer ist Chef …?") is what is asked, no topic either.
    topic = [
        c
        for c in shape.concepts
        if (c.noun or c.alternatives) and c is not shape.asked and c is not shape.predicate
    ]

    def speaks_of_topic(s: Sentence) -> bool:
        return (
            not topic
            or any(
                strengths[c.stem][s.index][0] >= FOCUS_MIN
                or strengths[c.stem][s.index][1] >= FOCUS_MIN
                for c in topic
            )
            or _continues_topic(shape, s, topic, strengths)
        )

    plain: dict[int, float] = {}  # each sentence's score without its passage's rank
    for k, s in enumerate(sentences):
        got = sum(
            weights[c.stem] * max(strengths[c.stem][k][0], HEADING_WEIGHT * strengths[c.stem][k][1])
            for c in shape.concepts
        )
        s.coverage = got / total
        s.typed = shape.answer is None or bool(shape.answer.search(s.text))
        if listing and s.run_stems:
            s.typed = True
        if s.typed and shape.kind == "amount":
            s.typed = _counts(shape.counted, s.text)
        if s.typed and shape.kind == "who":
            # "Wer leitet die Stelle?" is not answered by "die Leitung der Stelle": the body
            # must be someone other than what the question itself names.
            s.typed = _names_someone(shape, s.text)
        if s.typed and shape.predicate is not None:
            # "Wer leitet …?" is not answered by a sentence in which someone does something
            # else: the question's verb must stand in the sentence.
            s.typed = strengths[shape.predicate.stem][k][0] > 0
            if s.typed and shape.kind == "who" and shape.answer is not None:
                # ... and not only as the body's own name: "die Leitung der Stelle" says who
                # belongs to a group, not who leads the Stelle.
                rest = sentence_stems(shape.answer.sub(" ", s.text))
                s.typed = match_strength(shape.predicate, rest) > 0
        if not s.typed and shape.counted is not None and shape.kind == "list":
            # "Welche Voraussetzungen …?" is answered by "X setzt Y voraus" too: the sentence
            # states the asked-for relation as its (separable) verb.
            s.typed = _as_verb(shape.counted, s.text)
        density = sum(1 for c in shape.concepts if strengths[c.stem][k][0] > 0) / max(
            len(s.stems), 1
        )
        if asks_start:
            # "Ab wann gilt …?" is answered by when it starts, not by any date ("nach einem
            # Jahr evaluiert").
            s.typed = s.typed and bool(STARTS.search(s.text) or CONCRETE_DATE.search(s.text))
        plain[k] = s.coverage + 0.5 * density + (0.25 if s.typed else 0.0)
        if shape.kind == "rule" and k and YES_NO_ANSWER.match(sentences[k - 1].text):
            # the sentence after an FAQ's "Ja."/"Nein." is its direct answer to the question
            plain[k] += 0.2 if sentences[k - 1].passage == s.passage else 0.0
        s.score = plain[k] + RANK_BONUS / (1 + s.passage)
    ranked = {i for i, p in enumerate(passages) if p.ranked}
    answering = [
        s
        for s in sentences
        if focus_found
        and (
            s.coverage >= MIN_COVERAGE
            or (
                s.passage in ranked
                and s.coverage >= RANKED_COVERAGE
                and s.typed
                and shape.answer is not None
            )
        )
        and (s.typed or not typed or not _required(shape, question))
        and all(
            max(strengths[c.stem][s.index][0], strengths[c.stem][s.index][1]) >= FOCUS_MIN
            for c in needed
        )
        and all(max(strengths[c.stem][s.index]) >= FOCUS_MIN for c in shape.modifiers)
        and speaks_of_topic(s)
        and _quotable(s)
    ]
    reading.sentences = sorted(answering, key=lambda s: (-s.score, s.index))
    # The answerability model (answerable.py) may answer what the rules refuse, with the best
    # quotable sentence of the asked kind: chosen by scores that do not depend on the
    # passages' order, so the gate and the extractive answer pick the same one.
    quotable = [s for s in sentences if _quotable(s)]
    if not quotable:
        return reading
    candidate = max(
        quotable,
        key=lambda s: (
            s.typed,
            plain[s.index] + (RANK_BONUS if s.passage in ranked else 0),
            s.text,
        ),
    )
    k = candidate.index
    reading.candidate = candidate
    reading.signals = Signals(
        coverage=min(candidate.coverage, 1.0),
        focus=max(strengths[focus.stem][k]) if focus is not None else 1.0,
        focus_anywhere=(
            max(max(pair) for pair in strengths[focus.stem]) if focus is not None else 1.0
        ),
        ranked=1.0 if candidate.passage in ranked else 0.0,
        missing=sum(w for c, w in weights.items() if not any(map(max, strengths[c]))) / total,
        typed=1.0 if candidate.typed else 0.0,
        topic=1.0 if speaks_of_topic(candidate) else 0.0,
    )
    if model == "fitted":
        model = fitted()
    if not reading.sentences and model is not None and model.accepts(reading.signals):
        reading.sentences, reading.rescued = [candidate], True
    return reading


def _quotable(s: Sentence) -> bool:
    return len(word_tokens(s.text)) >= 4 and s.text.rstrip("“”\"'»«)").endswith((".", "!", ":"))


# "Welche KI-Anwendungen stehen …?" (a plural verb) asks for several things: a sentence that
# only says there is a list does not answer it. "Welche Frist gilt …?" may be one statement.
_ASKS_SEVERAL = re.compile(r"^\W*welche[nrs]?\s+[\w-]+\s+(?:sind|\w+en)\b", re.I)


def _focus(shape: QuestionShape, weights: dict[str, float]) -> Concept | None:
    nouns = [c for c in shape.concepts if c.noun and not c.part and c is not shape.asked]
    return max(nouns, key=lambda c: weights[c.stem]) if nouns else None


def _starts_compound(c: Concept, stems: frozenset[str], modifiers: Sequence[Concept]) -> float:
    """A hyphenated compound's modifier stands in a compound written in one ("Brandschutz" in
    "Brandschutzschulung" for "Brandschutz-Schulung")."""
    if c not in modifiers or len(c.stem) < 4:
        return 0.0
    return 0.9 if any(t.startswith(c.stem) for t in stems) else 0.0


def _names_someone(shape: QuestionShape, text: str) -> bool:
    assert shape.answer is not None
    for m in shape.answer.finditer(text):
        stems = sentence_stems(m.group(0))
        if not any(match_strength(c, stems) >= 0.8 for c in shape.concepts):
            return True
    return False


def _required(shape: QuestionShape, question: str) -> bool:
    """Whether an answering sentence must carry the kind of answer asked for."""
    if shape.kind == "list":
        return bool(_ASKS_SEVERAL.search(question))
    if shape.kind == "how":
        return shape.predicate is not None
    return shape.kind in REQUIRED_KINDS


def _continues_topic(
    shape: QuestionShape,
    s: Sentence,
    topic: Sequence[Concept],
    strengths: dict[str, list[tuple[float, float]]],
) -> bool:
    """A sentence that names what a "welch-" question asks for continues the topic of the
    sentence before it: "… fordert eine Erhöhung des Radverkehrsbudgets. Als Kompromisslinie
    gilt eine Erhöhung auf 3 Mio. Euro." answers "Welche Kompromisslinie gilt für das
    Radverkehrsbudget?"."""
    asked = shape.asked
    if asked is None or not s.before or strengths[asked.stem][s.index][0] < FOCUS_MIN:
        return False
    return any(match_strength(c, s.before) >= FOCUS_MIN for c in topic)


def _weights(
    concepts: Sequence[Concept], strengths: dict[str, list[tuple[float, float]]], n: int
) -> dict[str, float]:
    """idf over the sentences at hand; a concept that no sentence has weighs most."""
    idf: dict[str, float] = {}
    for c in concepts:
        df = sum(1 for own, ctx in strengths[c.stem] if own > 0 or ctx > 0)
        if df:
            idf[c.stem] = math.log(1 + n / df)
    unknown = UNKNOWN_WEIGHT * max(idf.values(), default=1.0)
    return {c.stem: idf.get(c.stem, unknown) * (1.0 if c.noun else VERB_WEIGHT) for c in concepts}


def _as_verb(concept: Concept, text: str) -> bool:
    plain = frozenset(match_stem(fold(t)) for t in word_tokens(text))
    return match_strength(concept, sentence_stems(text)) >= 0.7 > match_strength(concept, plain)


# A number that numbers rather than counts: "(3) Beschäftigte, die …", "2. Beschäftigte …",
# "nach § 3", "Absatz 2", "Regel 15".
_OPENS_NUMBERED = re.compile(r"(?:^|\n)\W*\(?$")
_REFERENCE_BEFORE = re.compile(
    r"(?:§§?|\bNr\.|\bAbs\.|\bAbsatz|\bZiffer|\bRegel|\bAbschnitt|\bKapitel|\bAnlage|\bSatz|"
    r"\bPunkt|\bArtikel|\bArt\.)\s*$",
    re.I,
)


def _numbering(before: str, following: str) -> bool:
    return bool(
        (_OPENS_NUMBERED.search(before) and following[:1] in (".", ")"))
        or _REFERENCE_BEFORE.search(before)
    )


_DURATION_AFTER = re.compile(rf"\s+(?:[\w-]+\s+)?{UNITS}\b", re.IGNORECASE)


def _counts(counted: Concept | None, text: str) -> bool:
    """A number followed (within two words) by the counted noun ("höchstens 40 Plusstunden");
    without a counted noun ("Wie viele haben …?") any number that is no duration."""
    for m in re.finditer(rf"\b(?:{NUMERALS})\b|€|%", text, re.I):
        following = text[m.end() : m.end() + 60]
        if _numbering(text[: m.start()], following):
            continue
        if counted is None:
            if not _DURATION_AFTER.match(following):
                return True
            continue
        if _DURATION_AFTER.match(following) and not re.fullmatch(UNITS, counted.word, re.I):
            # "bei mehr als sechs Stunden Arbeit" counts hours, not "Mitarbeiter"
            continue
        words = re.findall(r"[\wäöüÄÖÜß-]+", following)[:3]
        if words and match_strength(counted, sentence_stems(" ".join(words))) >= 0.7:
            return True
    return False
