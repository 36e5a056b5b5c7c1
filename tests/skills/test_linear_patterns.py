"""Patterns applied to user text and to the text of hostile documents stay linear.

An audit of every regular expression the router and the skills apply (issue 12, item 7) found
these quadratic beside the router's own; each fix was a change of one pattern. Each runs on
200 KB of its pathological text under a far guard (tests/support/linear.py says why that and
not a timing): the quadratic versions took 0.8-42 s on 20 KB, the linear ones take at most
about a second on 200 KB.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from skills import allris_decisions, council_kinds, council_text, german
from skills.privacy import Masker
from skills.reader import read_question
from tests.support.linear import ends_in_time, hostile


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
def test_stays_linear_on_hostile_text(case: str, fragment: str) -> None:
    apply, _ = CASES[case]
    text = hostile(fragment)
    failure = ends_in_time(lambda: apply(text))
    assert not failure, f"{case}, {fragment!r} × {len(text) // len(fragment):,}: {failure}"


def test_the_guard_stops_a_quadratic_pattern() -> None:
    """The guard bites: blanks before an "x" that never comes, retried from every position
    (about 2 * 10**10 steps on 200 KB; a minute or more on any machine)."""
    text = hostile(" ")
    failure = ends_in_time(lambda: re.findall(r"\s*x", text), guard_seconds=3)
    assert failure.startswith("still running"), failure


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
