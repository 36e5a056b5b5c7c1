"""What the extractive answer quotes of the answering sentences.

The reader ranks sentences; the answer quotes the best one and, where the answer continues
beyond it, the coherent unit around it — never more than `UNIT_SENTENCES` sentences and
`UNIT_CHARS` characters, so that answers do not grow to catch a fact by length:
- a lead that ends in ":" with what it introduces;
- a sentence that goes on from the best one ("Vor allem aber …", "Diese Vorschläge …") when
  it carries the kind of answer asked for too;
- an FAQ's "Ja."/"Nein."/"Ja, aber …" with the sentences that say why, up to the best one;
- the steps of a procedure ("Erstellen Sie …", "Setzen Sie dabei …") for "Wie erstelle ich …?";
- a rule with the exception that follows it, an exception with the rule before it; a
  counted-out list whole for a list question.
For a yes/no question about a specific thing, the sentence that names that thing is preferred
to the general rule ("auch der KI-Werkstatt Assistent" for "Kann ich den Assistenten …?").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from skills.reader.answers import Reading
from skills.reader.kinds import EXCEPTION, EXCEPTION_OPENS, ORDINALS, STEP, YES_NO_ANSWER
from skills.reader.sentences import CONTINUES, Sentence
from skills.reader.words import match_strength

UNIT_SENTENCES = 3  # a quoted unit: at most three sentences …
UNIT_CHARS = 450  # … and about as many characters as one long sentence is cut to
# A sentence naming more of the question's nouns than the best one is preferred when it scores
# at least this share of the best one's score (yes/no questions about a specific thing).
SPECIFIC_SHARE = 0.7
HEADING_MATCH = 0.7  # a concept stands in a heading by inflection, compound or typo


def chosen_sentences(reading: Reading, limit: int = 2) -> list[Sentence]:
    """What to quote: the best answering sentence and the coherent unit around it, a
    counted-out list in full, or a close second from the same passage."""
    if not reading.sentences:
        return []
    best = _preferred(reading)
    if reading.shape.kind == "list":
        run = _enumeration(reading)
        if run:
            return run
    unit = _unit(reading, best)
    if len(unit) > 1:
        return unit
    chosen = [best]
    for s in reading.sentences:
        if len(chosen) >= limit or s.score < 0.85 * best.score:
            break
        if s is best or s.passage != best.passage or _similar(s, best):
            continue
        chosen.append(s)
    return sorted(chosen, key=lambda s: s.index)


def _preferred(reading: Reading) -> Sentence:
    """The best answering sentence; for a yes/no question whose thing the best one names only
    by the vocabulary's general term ("Assistent" as a KI-Anwendung), a close rule that names
    the thing itself ("auch der KI-Werkstatt Assistent")."""
    best = reading.sentences[0]
    if reading.shape.kind != "rule":
        return best
    general = [
        c
        for c in reading.shape.concepts
        if c.noun
        and c.alternatives
        and match_strength(c, best.stems) > 0
        and match_strength(replace(c, alternatives=()), best.stems) == 0
    ]
    if not general:
        return best
    closer = [
        s
        for s in reading.sentences
        if s.typed
        and s.score >= SPECIFIC_SHARE * best.score
        and all(match_strength(replace(c, alternatives=()), s.stems) > 0 for c in general)
    ]
    return closer[0] if closer else best


def _unit(reading: Reading, best: Sentence) -> list[Sentence]:
    """The coherent unit the best sentence belongs to (itself alone when nothing continues)."""
    passage = [s for s in reading.all_sentences if s.passage == best.passage]
    at = next(k for k, s in enumerate(passage) if s.index == best.index)
    kind = reading.shape.kind
    start, end = at, at + 1  # passage[start:end] is quoted
    if kind == "how" and STEP.match(best.text):
        while start > 0 and STEP.match(passage[start - 1].text) and end - start < UNIT_SENTENCES:
            start -= 1
        while end < len(passage) and STEP.match(passage[end].text):
            end += 1
        return _within(passage[start:end], best)
    lead = _yes_no_lead(reading, passage, at) if kind == "rule" else None
    if lead is not None:
        start = lead  # "Nein." and what the FAQ says after it, up to the best sentence
    elif at > 0 and EXCEPTION_OPENS.match(best.text) and not EXCEPTION.search(passage[at - 1].text):
        start = at - 1  # "Ausgenommen sind …": the rule it is an exception to
    if YES_NO_ANSWER.match(best.text) or best.text.rstrip().endswith(":"):
        end = min(len(passage), at + UNIT_SENTENCES)  # what the lead announces
    elif at + 1 < len(passage):
        following = passage[at + 1]
        if EXCEPTION.search(following.text) or (
            CONTINUES.match(following.text) and following.typed and kind != "open"
        ):
            end = at + 2
    return _within(passage[start:end], best)


def _yes_no_lead(reading: Reading, passage: Sequence[Sentence], at: int) -> int | None:
    """Where the FAQ's "Ja."/"Nein." stands that the best sentence belongs to: right before
    it, or before sentences that answer the question too ("Nein. Dokumente mit bis zu zehn
    Seiten prüfen Sie selbst. Dokumente mit mehr … gibt … zur Prüfung.")."""
    answering = {s.index for s in reading.sentences}
    asks_heading = _asks_the_heading(reading, passage[at])
    for k in range(at - 1, max(-1, at - UNIT_SENTENCES), -1):
        if YES_NO_ANSWER.match(passage[k].text):
            return k
        if passage[k].index not in answering and not asks_heading:
            return None
    return None


def _asks_the_heading(reading: Reading, s: Sentence) -> bool:
    """Whether the question asks what the sentence's heading asks (an FAQ's own question):
    half of its nouns or more stand in the heading."""
    nouns = [c for c in reading.shape.concepts if c.noun]
    found = sum(1 for c in nouns if match_strength(c, s.section) >= HEADING_MATCH)
    return bool(nouns) and 2 * found >= len(nouns)


def _within(unit: Sequence[Sentence], best: Sentence) -> list[Sentence]:
    """The unit cut to the size limits, always keeping the best sentence: sentences after it
    are dropped first, then those before it."""
    kept = list(unit)
    while len(kept) > 1 and (
        len(kept) > UNIT_SENTENCES or sum(len(s.text) for s in kept) > UNIT_CHARS
    ):
        kept.pop(-1 if kept[-1] is not best else 0)
    return kept


def _enumeration(reading: Reading) -> list[Sentence]:
    first = next((s for s in reading.sentences if s.text.startswith(ORDINALS[0])), None)
    if first is None:
        first = next(
            (
                s
                for s in reading.all_sentences
                if s.text.startswith(ORDINALS[0]) and s.passage == reading.sentences[0].passage
            ),
            None,
        )
    if first is None:
        return []
    run = [first]
    for s in reading.all_sentences[first.index + 1 :]:
        if s.passage != first.passage or len(run) == len(ORDINALS):
            break
        if not s.text.startswith(ORDINALS[len(run)]):
            break
        run.append(s)
    return run if len(run) >= 2 else []


def _similar(a: Sentence, b: Sentence) -> bool:
    if not a.stems or not b.stems:
        return a.text == b.text
    return len(a.stems & b.stems) / len(a.stems | b.stems) > 0.6
