"""Read a question for the kind of answer it asks, and passages for sentences that give it.

One reader serves the relevance gate (is the question answerable from these passages?) and
the extractive generator (which sentence answers it?), so the two cannot disagree.

A question asks for a kind of answer: "Wie lange …?" a duration, "Bis wann …?" a date or
deadline, "Wie oft …?" a frequency, "Wie viele/hoch …?" an amount, "Was kostet …?" a price,
"Wer/Wem …?" a body or person, "Wo …?" a place, "Welche Schritte/Daten …?" a list, "Darf ich
…?"/"Muss ich …?" a rule (with its exception), "Warum …?" a reason, "Wann kann ich … anrufen?"
a time of day, "Was passiert, wenn …?" a consequence, "Wie erstelle ich …?"/"Wie wird …
beantragt?" a procedure, "Wie lautet die Telefonnummer …?" a number or an address. A sentence answers it when it carries that kind
of answer *and* speaks about what the question is about: the question's concepts, matched
through stems, inflection, compound heads (Ausschuss ~ Bauausschuss, Fraktionsanträge ~
Anträge), separable verbs and participles (eingereicht ~ reicht … ein), one-letter typos
(Zustimung ~ Zustimmung) and the vocabulary of everyday words (Handy ~ Mobiltelefon). What
makes the question specific must be spoken of: its key noun somewhere in what was found (an
acronym such as "2FA" is a noun too), the modifier of a hyphenated compound in the answering
sentence or its heading ("Barrierefreiheits-Schulung" is not answered by any Schulung).

Coverage is idf-weighted over the sentences at hand; a concept no sentence has weighs most,
so an off-topic question falls below the bar. The bar and the weights were calibrated on the
dev split of bench/questions/rules.yaml (docs/skills.md).

The package, in the order of a reading: `kinds` (what each kind of question asks for and what
an answering sentence carries), `words` (stems and how strongly a sentence speaks of a
concept), `question` (the question's kind and concepts), `sentences` (passages as sentences),
`answers` (which sentences answer, best first: the gate), `answerable` (what a small fitted
model weighs about the best candidate the rules refuse; none is shipped, docs/skills.md says
why), `selection` (what the extractive answer quotes: the best sentence and the coherent unit
around it).
"""

from __future__ import annotations

from skills.reader.answers import MIN_COVERAGE, RANKED_COVERAGE, Reading, read
from skills.reader.question import QuestionShape, concepts_of, read_question
from skills.reader.selection import chosen_sentences
from skills.reader.sentences import Sentence
from skills.reader.words import Concept, match_strength, sentence_stems

__all__ = [
    "MIN_COVERAGE",
    "RANKED_COVERAGE",
    "Concept",
    "QuestionShape",
    "Reading",
    "Sentence",
    "chosen_sentences",
    "concepts_of",
    "match_strength",
    "read",
    "read_question",
    "sentence_stems",
]
