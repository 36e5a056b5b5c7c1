"""Patterns applied to user text and to the text of hostile documents stay linear.

An audit of every regular expression the router and the skills apply (issue 12, item 7) found
these quadratic beside the router's own; each fix was a change of one pattern. A size sweep:
10 × the text may cost about 10 × the CPU time, not 100 ×. CPU time of this thread, not wall
time: the shared machine's load preempts long runs more often than short ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from skills import allris_decisions, council_kinds, council_text, german
from skills.privacy import Masker
from skills.reader import read_question


def _cpu_seconds(work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.thread_time()
        work()
        best = min(best, time.thread_time() - start)
    return best


def _growth(apply: Callable[[str], object], fragment: str) -> float:
    small, large = fragment * (2_000 // len(fragment)), fragment * (20_000 // len(fragment))
    return _cpu_seconds(lambda: apply(large)) / max(_cpu_seconds(lambda: apply(small)), 1e-6)


def _amount_in_a_cost_answer(text: str) -> object:
    amount = read_question("Was kostet das?").answer
    assert amount is not None
    return amount.search(text)


CASES: dict[str, tuple[Callable[[str], object], list[str]]] = {
    # A question masked before an external model: e-mail addresses (was 1.8 s for 20 KB of "0-").
    "privacy e-mail": (lambda text: Masker().mask(text, "user"), ["0-", "a.", "x.y-"]),
    # Sentence splitting of any document or pasted text: page markers (20 KB of blank lines).
    "page markers": (german.split_sentences, ["\n", " \n", "\n\t"]),
    # Decisions in search hits: "lehnt … ab" (20 KB of "lehnt ": 1.9 s).
    "decision sentence": (allris_decisions.DECISION_SENTENCE.search, ["lehnt ", "stimmt "]),
    # Amounts for "Was kostet …?": a run of digits (20 KB of "0": 42 s).
    "amount": (_amount_in_a_cost_answer, ["0", "0.", "1,"]),
    # A hostile question: "wann" many times before the word that makes it a time question.
    "time question": (read_question, ["wann ", "wann x "]),
    # A council paper's budget rows (skills/council_text.py) in a hostile text.
    "budget rows": (
        council_text.readable,
        ["A", "Aa ", "Aa (x) ", "2024 ", "A 2024 2025 ", "1.000", "1.000 ", "-1,5 ", "0 "],
    ),
    # A note-form council question (skills/council_kinds.py).
    "note-form question": (
        council_kinds.with_kind,
        ["Betrag ", "a ", "in Prozent ", "in welchem ", "in welchem aaaa", "wie lange "],
    ),
    # The answer reader on a hostile passage: every kind of answer it looks for.
    "answer reader": (
        lambda text: [
            read_question(q).answer.search(text)  # type: ignore[union-attr]
            for q in (
                "Wann?",
                "Wie lange?",
                "Wie oft?",
                "Wie viele?",
                "Wer?",
                "Wo?",
                "Welche X?",
                "Wann kann ich anrufen?",
                "Warum?",
                "Was passiert?",
            )
        ],
        ["erst ", "0", "in Aa ", "im x", ", und ", "eintägig", "9:00 ", "a-", "nach dem "],
    ),
}


@pytest.mark.parametrize(
    ("case", "fragment"), [(case, f) for case, (_, fragments) in CASES.items() for f in fragments]
)
def test_grows_linearly(case: str, fragment: str) -> None:
    apply, _ = CASES[case]
    ratio = _growth(apply, fragment)
    assert ratio < 30, f"{case}, {fragment!r}: 10 × the text took {ratio:.0f} × the time"


def test_the_linear_patterns_still_find_what_they_found() -> None:
    masked = Masker().mask("Schreiben Sie an erika.muster@luebeck.de oder -+.x@y.de.", "user")
    assert "erika.muster@luebeck.de" not in masked and "y.de" not in masked
    assert german.split_sentences("Erster Satz.\n\n-- 2 of 9 --\n\nZweiter Satz.") == [
        "Erster Satz.",
        "Zweiter Satz.",
    ]
    assert allris_decisions.DECISION_SENTENCE.search("Der Ausschuss lehnt den Antrag ab.")
    assert allris_decisions.DECISION_SENTENCE.search("Der Rat stimmt dem Antrag mehrheitlich zu.")
    assert not allris_decisions.DECISION_SENTENCE.search("Die Verwaltung lehnt sich an Kiel an.")
    for amount in ("rd.500.000 €", "ca. 1,2 Mio", "4.500 Euro"):
        assert _amount_in_a_cost_answer(f"Die Kosten betragen {amount}."), amount
