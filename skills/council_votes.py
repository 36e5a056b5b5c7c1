"""How a council voted on a paper: its recorded results, quoted, for a question that asks.

"Wie hat der Gemeinderat über … abgestimmt?", "Ist der Antrag durchgekommen?", "Was wurde
beschlossen?": the reader (skills/reader/) finds the paper and the sentence that speaks of the
question's topic — usually the decision text ("Der Gemeinderat genehmigt den Verkauf …") — but
the vote itself stands in a line that shares none of the question's words: a protocol's
"Abstimmungsergebnis: Mehrheitlich abgelehnt (3 JA, 39 Nein)." or the overview's consultation
"Gemeinderat 21.11.2023 (Entscheidung): mehrheitlich abgelehnt." (both made sentences by
skills/council_text.py). So a vote question's answer gets the recorded results of the paper it
is answered from, and a vote question about a named paper is answered from those results even
when no sentence matched its words: the paper is what it asks about, the vote is the answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from indexer.model import Chunk
from skills.council_text import readable
from skills.german import split_sentences

VOTE_QUESTION = re.compile(
    r"\b(?:abgestimmt|abstimmung\w*|durchgekommen|angenommen|abgelehnt|zugestimmt|"
    r"beschlossen|mehrheit\w*|einstimmig\w*|mit\s+welchem\s+ergebnis|votum|"
    r"(?:dafür|dagegen)\s+gestimmt)\b",
    re.IGNORECASE,
)
_PROTOCOL_RESULT = re.compile(r"^Abstimmungsergebnis:\s*\S")
# The overview's consultation with a result ("Gemeinderat 21.11.2023 (Entscheidung): …").
_CONSULTATION_RESULT = re.compile(r"^[^()]+\([^()]+\):\s*\S.*\.$")
MAX_RESULTS = 2


def asks_for_vote(question: str) -> bool:
    return VOTE_QUESTION.search(question) is not None


def vote_topic(text: str) -> str:
    """`text` without the words that ask for the vote ("Wie wurde über X abgestimmt?" is about X)."""
    rest = re.sub(r"\s+", " ", VOTE_QUESTION.sub(" ", text)).strip()
    return rest or text


def recorded_results(chunks: Sequence[Chunk]) -> list[tuple[Chunk, str]]:
    """The paper's recorded votes as (chunk, sentence), protocol results first (they carry the
    counts), else the overview's consultation results; at most MAX_RESULTS."""
    protocol: list[tuple[Chunk, str]] = []
    overview: list[tuple[Chunk, str]] = []
    for chunk in chunks:
        text = readable(chunk.text)
        if "Abstimmungsergebnis:" not in text and "):" not in text:
            continue  # most passages: nothing to split
        for sentence in split_sentences(text):
            if _PROTOCOL_RESULT.match(sentence):
                protocol.append((chunk, sentence))
            elif chunk.file_id is None and _CONSULTATION_RESULT.match(sentence):
                overview.append((chunk, sentence))
    found = protocol or overview
    unique = list({sentence: (chunk, sentence) for chunk, sentence in found}.values())
    return unique[:MAX_RESULTS]
