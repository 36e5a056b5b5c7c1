"""Read a question: the kind of answer it asks for and the concepts it is about."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from indexer.analysis import QUESTION_WORDS, STOPWORDS, fold
from indexer.verbs import match_stem
from indexer.vocabulary import vocabulary
from skills.reader.kinds import (
    ASKS_HOW,
    NAME_ANSWER,
    PURPOSE_FRAME,
    QUESTION_KINDS,
    RULE_ANSWER,
    YES_NO,
)
from skills.reader.words import CLAUSE_END_PARTICLE, Concept, root, without_infix, word_tokens


@dataclass(frozen=True)
class QuestionShape:
    kind: str  # cost, duration, frequency, date, amount, who, where, list, rule, or "open"
    concepts: tuple[Concept, ...]
    counted: Concept | None = None  # "Wie viele Plusstunden …" / "Welche Schritte …": the noun
    # the answer counts or lists
    answer: re.Pattern[str] | None = None  # what an answering sentence carries
    predicate: Concept | None = None  # "Wer prüft …?": the verb a "wer" answer must contain
    asked: Concept | None = None  # "In welchem Raum …?", "Welches Gesetz …?": the noun the
    # answer names an instance of
    # The modifiers of a hyphenated compound ("Barrierefreiheits-Schulung": Barrierefreiheit):
    # what makes it this compound and not any one of its head's kind.
    modifiers: tuple[Concept, ...] = ()


def read_question(question: str, about: str | None = None) -> QuestionShape:
    """What kind of answer the question wants and what it is about (`about`: the question's
    topic words when they differ from its wording: English glossed, personal data removed)."""
    kind, answer = "open", None
    for name, asks, carries in QUESTION_KINDS:
        if asks.search(question):
            kind, answer = name, carries
            break
    if kind not in ("rule", "open") and YES_NO.search(question):
        # "Kann mein Chef sehen, wie oft ich …?" asks yes or no; the "wie oft" is part of what
        # it asks about. ("Können Sie mir sagen, wie lange …?" still asks for the duration.)
        kind, answer = "rule", RULE_ANSWER
    if kind == "who" and _ASKS_NAME.search(question):
        # "Wer ist die Datenschutzbeauftragte?" asks for her name, not for a body.
        kind, answer = "name", NAME_ANSWER
    concepts = concepts_of(question if about is None else about)
    if kind in ("purpose", "reason"):
        concepts = tuple(c for c in concepts if c.stem not in PURPOSE_FRAME)
    if kind == "contact":
        # "Wie lautet die Telefonnummer der Poststelle?": the number is what is asked (the kind's
        # pattern finds it), the Poststelle what about.
        concepts = tuple(
            c for c in concepts if not _CONTACT_NOUN.search(c.word) and c.stem not in ("laut",)
        )
    if kind == "who":
        # "Wer ist Ansprechpartner für …?", "An wen wende ich mich …?": the role and the light
        # verb are what is asked, no topic.
        concepts = tuple(
            c
            for c in concepts
            if root(c.stem) not in _ANY_BODY and (c.noun or root(c.stem) not in _LIGHT_VERBS)
        )
    counted = None
    asked = {
        "amount": r"\bwie\s*viele?n?\s+([\wäöüÄÖÜß-]+)",
        "list": r"^\W*welche[nrs]?\s+([\wäöüÄÖÜß-]+)",
    }
    if kind in asked:
        m = re.search(asked[kind], question, re.I)
        if m:
            word = fold(m.group(1))
            counted = next((c for c in concepts if c.word == word), None)
            if counted is None and "-" in word:
                # "Barrierefreiheits-Lotsinnen": the compound's head is what is counted.
                head = word.rsplit("-", 1)[1]
                counted = next((c for c in concepts if c.word == head), None)
    asked_noun = _asked_noun(question, concepts)
    predicate = _predicate(question, concepts) if kind == "who" else None
    if kind == "how":  # "Wie verlängere ich …?" is answered by how one does that
        m = ASKS_HOW.search(question)
        verb = match_stem(fold(m.group(1) or m.group(2))) if m else ""
        predicate = next((c for c in concepts if c.stem == verb), None)
    return QuestionShape(
        kind, concepts, counted, answer, predicate, asked_noun, _modifiers(question, concepts)
    )


_CONTACT_NOUN = re.compile(r"(?:nummer|durchwahl|adresse)n?$")
_HYPHENATED = re.compile(r"[\wäöüÄÖÜß]+(?:-[\wäöüÄÖÜß]+)+")


def _modifiers(question: str, concepts: Sequence[Concept]) -> tuple[Concept, ...]:
    """The parts before the head of each hyphenated compound the question has as parts (one
    the vocabulary knows whole, "KI-Tool", is one concept and has none)."""
    by_word = {c.word: c for c in concepts if c.part}
    out: dict[str, Concept] = {}
    for m in _HYPHENATED.finditer(question):
        for part in m.group(0).split("-")[:-1]:
            c = by_word.get(fold(part))
            if c is not None:
                out.setdefault(c.stem, c)
    return tuple(out.values())


# "Wer ist der/die <Rolle> …?": a person's name is asked ("Wer ist Ansprechpartner" is not).
_ASKS_NAME = re.compile(
    r"^\W*wer\s+ist\s+(?:der|die|unser|unsere|mein|meine)\s+(?!ansprech|kontakt|zuständig)"
    r"(?-i:[A-ZÄÖÜ])",
    re.I,
)


def _asked_noun(question: str, concepts: Sequence[Concept]) -> Concept | None:
    """The noun after "welch-" ("In welchem Raum …?"); the head of a hyphenated one."""
    m = re.search(r"\bwelche[nmrs]?\s+([\wäöüÄÖÜß-]+)", question, re.I)
    if not m:
        return None
    word = fold(m.group(1))
    for candidate in (word, word.rsplit("-", 1)[-1]):
        found = next((c for c in concepts if c.word == candidate), None)
        if found is not None:
            return found
    return None


def _predicate(question: str, concepts: Sequence[Concept]) -> Concept | None:
    """The verb of a "wer" question: right after the question word ("Wer prüft …?"), or last
    when a modal stands there ("Wer muss … zustimmen?"). "Wer ist verantwortlich / Chef …?"
    asks for whoever the word after "ist" names; a light verb ("Wer trägt die Verantwortung?",
    "An wen wende ich mich?") asks for anyone the sentence names, so it requires nothing."""
    copula = re.search(
        r"\b(?:wer|wem|wen)\s+(?:ist|sind|war|wird|werden)\s+(?:(?:de[rmns]|die|das|eine?[rnm]?"
        r"|hier|dort|denn|eigentlich|genau)\s+)*([\wäöüÄÖÜß-]+)",
        question,
        re.I,
    )
    if copula:
        named = match_stem(fold(copula.group(1)))
        if root(named) in _ANY_BODY:
            return None
        return next((c for c in concepts if c.stem == named), None)
    verbs = [c for c in concepts if not c.noun]
    m = re.search(r"\b(?:wer|wem|wen)\s+([\wäöüÄÖÜß-]+)", question, re.I)
    after = fold(m.group(1)) if m else ""
    first = next((c for c in verbs if c.word == after), None)
    if first is None:
        last = fold(word_tokens(question)[-1]) if word_tokens(question) else ""
        first = next((c for c in verbs if c.word == last), None)
    if first is not None and root(first.stem) in _LIGHT_VERBS:
        return None
    return first


# Verbs that name no act of their own in a "wer" question, and words for "whoever deals with
# it" after "Wer ist …": any body the sentence names answers.
_LIGHT_VERBS = frozenset({"trag", "hab", "hat", "wend", "kummer", "kumm", "bekomm", "kriegt"})
_ANY_BODY = frozenset({"ansprechpartn", "ansprechperson", "kontak", "zustand", "anlaufstell"})


def concepts_of(question: str) -> tuple[Concept, ...]:
    """Content words of a question as concepts. A hyphenated word that the vocabulary knows
    ("KI-Tool") is one concept, otherwise its parts are. German capitalises nouns: a word
    written in lower case in a question that has capitals is a verb or an adjective."""
    raw = word_tokens(question, keep_case=True)
    has_capitals = any(t[:1].isupper() for t in raw[1:])
    tokens = [fold(t) for t in raw]
    vocab = vocabulary()
    out: dict[str, Concept] = {}
    covered: set[str] = set()  # parts of a hyphenated word taken as a whole
    # "Wer schaltet mich frei?": the particle at the clause end belongs to the verb
    # ("freischalten" ~ "Freischaltung"); it is no concept of its own.
    particles = {fold(m.group(1)) for m in CLAUSE_END_PARTICLE.finditer(question)}
    covered.update(particles)
    parts: set[str] = set()
    for i, token in enumerate(tokens):
        if token in STOPWORDS or token in QUESTION_WORDS or len(token) < 2 or token in covered:
            continue
        alternatives = vocab.alternatives(tokens, i)
        # The first word of a German question is its verb or a question word ("Verliere ich
        # …?", "Zählt …?"), capitalised by position only.
        # "2FA", "iPhone": a capital inside the word makes a name or an acronym, a noun too.
        noun = not has_capitals or (i > 0 and raw[i] != raw[i].lower())
        if particles and not noun and len(token) >= 3:
            alternatives += tuple((match_stem(p + token),) for p in sorted(particles))
        if "-" in token:
            if alternatives:
                covered.update(token.split("-"))
                whole = match_stem(token.replace("-", ""))
                out.setdefault(whole, Concept(token, whole, alternatives, noun))
            parts.update(token.split("-"))
            continue  # otherwise its parts follow as tokens of their own
        s = match_stem(token)
        if without_infix(token):
            alternatives += ((match_stem(without_infix(token)),),)
        if s not in out:
            out[s] = Concept(token, s, alternatives, noun, part=token in parts)
    return tuple(out.values())
