"""Verb forms for reading questions: a participle or a "zu" infinitive compared as its verb.

`match_stem` is the stem under which the skills (skills/german.py, skills/reader/) compare a
question word with a passage word: the index's `stem` (indexer/analysis.py) after participles
of separable and strong verbs are turned into their verb. The index keeps `stem` unchanged, so
indexes built before stay valid.
"""

from __future__ import annotations

import re
from functools import lru_cache

from indexer.analysis import fold, stem

# Separable particles: "eingereicht" / "reicht … ein" / "einreichen" are one verb.
SEPARABLE_PARTICLES = frozenset(
    [
        "ab",
        "an",
        "auf",
        "aus",
        "bei",
        "dazu",
        "ein",
        "fest",
        "frei",
        "heraus",
        "hin",
        "hinzu",
        "hoch",
        "los",
        "mit",
        "nach",
        "statt",
        "vor",
        "voraus",
        "weg",
        "weiter",
        "zu",
        "zurueck",
        "zusammen",
    ]
)
# Weak participles only ("eingereicht"); "-en" forms are ambiguous ("eingehen" is an
# infinitive) and strong participles go through the table below.
_PARTICIPLE = re.compile(
    r"^(" + "|".join(sorted(SEPARABLE_PARTICLES, key=len, reverse=True)) + r")ge([a-z]{3,}t)$"
)
# "vorzulegen", "einzureichen": the infinitive with "zu" of a separable verb ("-enden" left
# alone: "Auszubildenden" is a noun).
_ZU_INFINITIVE = re.compile(
    r"^("
    + "|".join(sorted(SEPARABLE_PARTICLES, key=len, reverse=True))
    + r")zu([a-z]{3,}(?<!end)en)$"
)
# Participles of strong verbs a city's rules use, to the verb's stem ("geschlossen" ->
# "schliess"), so "abgeschlossen" meets "schließt … ab" and "Abschluss".
_STRONG_PARTICIPLES = {
    "geschlossen": "schliessen",
    "gegeben": "geben",
    "genommen": "nehmen",
    "gezogen": "ziehen",
    "getroffen": "treffen",
    "geschrieben": "schreiben",
    "gegangen": "gehen",
    "gewiesen": "weisen",
    "gefunden": "finden",
    "gehalten": "halten",
    "gelassen": "lassen",
    "getragen": "tragen",
    "gesprochen": "sprechen",
    "gestanden": "stehen",
    "gewesen": "sein",
    "geworden": "werden",
    "geboten": "bieten",
    "verboten": "verbieten",
    "entschieden": "entscheiden",
    "beschlossen": "beschliessen",
    "vorgeschlagen": "vorschlagen",
    "gelesen": "lesen",
    "gesehen": "sehen",
    "erhalten": "erhalten",
    "gerufen": "rufen",
    "angeboten": "anbieten",
    "eingegangen": "eingehen",
    "aufgenommen": "aufnehmen",
    "ausgenommen": "ausnehmen",
    "abgenommen": "abnehmen",
    "vorgelegen": "vorliegen",
}


@lru_cache(maxsize=100_000)
def match_stem(word: str) -> str:
    """The stem under which a question word and a passage word are compared: the index's
    `stem`, after participles are turned into their verb ("freigeschaltet" -> "freischalt",
    "abgeschlossen" -> "abschliess", "eingereicht" -> "einreicht" ~ "einreich")."""
    folded = fold(word)
    strong = _STRONG_PARTICIPLES.get(folded)
    if strong is None:
        for particle in SEPARABLE_PARTICLES:
            rest = folded[len(particle) :]
            if folded.startswith(particle) and rest in _STRONG_PARTICIPLES:
                strong = particle + _STRONG_PARTICIPLES[rest]
                break
    if strong is not None:
        return stem(strong)
    return stem(_ZU_INFINITIVE.sub(r"\1\2", _PARTICIPLE.sub(r"\1\2", folded)))
