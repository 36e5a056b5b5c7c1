"""What the extractive answer quotes of the answering sentences."""

from __future__ import annotations

from skills.reader.answers import Reading
from skills.reader.kinds import EXCEPTION, ORDINALS, YES_NO_ANSWER
from skills.reader.sentences import Sentence


def chosen_sentences(reading: Reading, limit: int = 2) -> list[Sentence]:
    """What to quote: the best answering sentence, a counted-out list in full, a close second
    from the same passage, and the exception that follows a rule."""
    if not reading.sentences:
        return []
    best = reading.sentences[0]
    if reading.shape.kind == "list":
        run = _enumeration(reading)
        if run:
            return run
    chosen = [best]
    before = _previous_in_passage(reading, best)
    if reading.shape.kind == "rule" and before is not None and YES_NO_ANSWER.match(before.text):
        chosen.insert(0, before)  # "Nein." is the answer; the sentence quoted says why
    following = _next_in_passage(reading, best)
    if following is not None and EXCEPTION.search(following.text):
        return [*chosen, following]
    for s in reading.sentences[1:]:
        if len(chosen) >= limit or s.score < 0.85 * best.score:
            break
        if s.passage != best.passage or _similar(s, best):
            continue
        chosen.append(s)
    return sorted(chosen, key=lambda s: s.index)


def _previous_in_passage(reading: Reading, s: Sentence) -> Sentence | None:
    if s.index == 0:
        return None
    before = reading.all_sentences[s.index - 1]
    return before if before.passage == s.passage else None


def _next_in_passage(reading: Reading, s: Sentence) -> Sentence | None:
    after = [x for x in reading.all_sentences if x.index == s.index + 1]
    return after[0] if after and after[0].passage == s.passage else None


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
