"""The sentences of passages, as the reader sees them: table rows, headings, counted-out runs."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from skills.generator.base import Passage
from skills.german import split_sentences
from skills.grounding import looks_like_injection
from skills.reader.kinds import ORDINALS
from skills.reader.words import sentence_stems, sentence_words


@dataclass
class Sentence:
    passage: int  # index into the passages
    n: int  # the passage's citation number
    index: int  # reading order over all passages
    text: str
    stems: frozenset[str]
    context: frozenset[str]  # stems of the section heading and the document title
    score: float = 0.0
    coverage: float = 0.0
    typed: bool = False  # carries the kind of answer asked for
    run_stems: frozenset[str] | None = None  # the first of a counted-out list: the run's stems
    words: frozenset[str] = frozenset()  # its long words as written (typos the stems hide)
    before: frozenset[str] = frozenset()  # stems of the sentence before it under one heading
    section: frozenset[str] = frozenset()  # stems of its heading alone (an FAQ's question)


def _table_sentences(text: str) -> str:
    """Markdown table rows as sentences that name their columns, so a row can be quoted as the
    answer: "| Sonderurlaub | drei Wochen vorher |" -> "Sonderurlaub – Frist: drei Wochen vorher."."""
    lines = text.split("\n")
    out: list[str] = []
    header: list[str] = []
    for line in lines:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.strip().startswith("|"):
            header = []
            out.append(line)
        elif all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
            continue
        elif not header:
            header = cells
        else:
            labelled = [cells[0]] + [
                f"{h}: {c}" if h else c for h, c in zip(header[1:], cells[1:], strict=False)
            ]
            out.append("\n" + " – ".join(labelled) + ".\n")
    return "\n".join(out)


def sentences_of(passages: Sequence[Passage]) -> list[Sentence]:
    out: list[Sentence] = []
    for i, passage in enumerate(passages):
        chunk = passage.chunk
        title = sentence_stems(chunk.title or "")
        section = sentence_stems(chunk.heading or "")
        previous: frozenset[str] = frozenset()
        lead: frozenset[str] = frozenset()  # a run-in heading: "**Regel 15 – Auskunft.** …"
        for text, stems, role in _read_text(chunk.text):
            if role == _HEADING:
                section = section | stems  # what the sentences below it are about
                previous, lead = frozenset(), frozenset()
                continue
            if role == _LEAD:
                previous, lead = frozenset(), stems  # up to the next one
                continue
            # "Ihr gehören … an.", "Ausgenommen sind …": a sentence that points back speaks of
            # what the sentence before it named.
            local = section | lead | (previous if POINTS_BACK.match(text) else frozenset())
            out.append(
                Sentence(
                    i,
                    passage.n,
                    len(out),
                    text,
                    stems,
                    title | local,
                    words=sentence_words(text),
                    before=previous,
                    section=section | lead,
                )
            )
            previous = stems
    return _with_enumerations(out)


# Openers that refer to the sentence before: pronouns, demonstratives, connectives.
POINTS_BACK = re.compile(
    r"(?:Sie|Er|Es|Ihr|Ihm|Ihnen|Ihre[nmrs]?|Sein\w*|Dies\w*|Das|Dabei|Dafür|Dazu|Daher|Darüber|"
    r"Dort|Deren|Dessen|Ausgenommen|Ebenfalls|Außerdem|Zudem|Hierfür|Hierzu|Diese\w*)\b"
)
# Openers that go on from the sentence before, for quoting it with that one: a pronoun ("Das
# gilt …", "Sie ergänzen dann …" — not the article of "Das Ersuchen …"), a demonstrative
# ("Diese Vorschläge …"), a connective ("Vor allem aber …", "Außerdem …", "Andernfalls …").
CONTINUES = re.compile(
    r"(?:Das|Dies|Es|Er|Sie|Ihr)\s+(?-i:[a-zäöüß])|(?:Diese[nmrs]?|Deren|Dessen|Dabei|Dafür|Dazu|"
    r"Daher|Darüber|Dort|Hierfür|Hierzu|Ebenfalls|Außerdem|Zudem|Ausgenommen|Vor\s+allem|"
    r"Insbesondere|Auch|Allerdings|Jedoch|Aber|Dann|Danach|Anschließend|Andernfalls|Sonst|"
    r"Ansonsten|Gleiches|Dasselbe)\b"
)


_HEADING, _LEAD, _SENTENCE = "heading", "lead", "sentence"
# A bold run-in heading before a paragraph's first sentence: "**Regel 2 – Zweckbindung.** Daten
# …". It is what the paragraph's sentences are about, not a part of the first one.
_RUN_IN = re.compile(r"\*\*([^*]{1,150})\*\*\s*(.*)", re.DOTALL)


@lru_cache(maxsize=4096)
def _read_text(text: str) -> tuple[tuple[str, frozenset[str], str], ...]:
    """A passage's sentences once: (text, stems, role: a heading, a run-in heading, or a
    sentence); injections left out."""
    out: list[tuple[str, frozenset[str], str]] = []
    for sentence in split_sentences(_table_sentences(text)):
        if looks_like_injection(sentence):
            continue
        run_in = _RUN_IN.fullmatch(sentence)
        if run_in:
            out.append((run_in.group(1), sentence_stems(run_in.group(1)), _LEAD))
            sentence = run_in.group(2).strip()
            if not sentence:
                continue
        role = _HEADING if _is_heading(sentence) else _SENTENCE
        out.append((sentence, sentence_stems(sentence), role))
    return tuple(out)


def _with_enumerations(sentences: list[Sentence]) -> list[Sentence]:
    """A counted-out run ("Erstens …, Zweitens …") answers as a whole: its first sentence
    carries the words of the run (a list question is then matched against all of it)."""
    for k, s in enumerate(sentences):
        if not s.text.startswith(ORDINALS[0]):
            continue
        run = [s]
        for t in sentences[k + 1 :]:
            if t.passage != s.passage or len(run) == len(ORDINALS):
                break
            if not t.text.startswith(ORDINALS[len(run)]):
                break
            run.append(t)
        if len(run) >= 2:
            s.run_stems = frozenset().union(*(r.stems for r in run))
    return sentences


def _is_heading(text: str) -> bool:
    return len(text) < 80 and not text.rstrip("“”\"'»«)").endswith((".", "!", "?", ":", ";", ","))
