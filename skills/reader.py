"""Read a question for the kind of answer it asks, and passages for sentences that give it.

One reader serves the relevance gate (is the question answerable from these passages?) and
the extractive generator (which sentence answers it?), so the two cannot disagree.

A question asks for a kind of answer: "Wie lange …?" a duration, "Bis wann …?" a date or
deadline, "Wie oft …?" a frequency, "Wie viele/hoch …?" an amount, "Was kostet …?" a price,
"Wer/Wem …?" a body or person, "Wo …?" a place, "Welche Schritte/Daten …?" a list, "Darf ich
…?"/"Muss ich …?" a rule (with its exception). A sentence answers it when it carries that kind
of answer *and* speaks about what the question is about: the question's concepts, matched
through stems, inflection, compound heads (Ausschuss ~ Bauausschuss, Fraktionsanträge ~
Anträge), separable verbs and participles (eingereicht ~ reicht … ein), one-letter typos
(Zustimung ~ Zustimmung) and the vocabulary of everyday words (Handy ~ Mobiltelefon).

Coverage is idf-weighted over the sentences at hand; a concept no sentence has weighs most,
so an off-topic question falls below the bar. The bar and the weights were calibrated on the
dev split of bench/questions/rules.yaml (docs/skills.md).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from indexer.analysis import (
    QUESTION_WORDS,
    SEPARABLE_PARTICLES,
    STOPWORDS,
    fold,
    match_stem,
    vocabulary,
)
from skills.generator.base import Passage
from skills.german import split_sentences
from skills.grounding import looks_like_injection

MIN_COVERAGE = 0.5  # share of the question's weighted concepts an answering sentence must have
# In a passage retrieval ranked first for the whole question, a sentence that carries the asked
# kind of answer needs less of the question's words: everyday wording misses the document's.
RANKED_COVERAGE = 0.45
HEADING_WEIGHT = 0.7  # a concept in the section heading or the document title counts 0.7
UNKNOWN_WEIGHT = 1.5  # a concept no sentence has weighs 1.5x the rarest one
ALTERNATIVE_MIN = 0.8  # an administrative term matches by inflection at least, not by its head
VERB_WEIGHT = 0.7  # verbs and adjectives are paraphrased more often than nouns

_WORD = re.compile(r"[0-9A-Za-zÄÖÜäöüß][0-9A-Za-zÄÖÜäöüß\-]*")
_NUMBER_WORDS = (
    r"(?:\d+(?:[.,]\d+)?|eine[mnrs]?|ein|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|"
    r"zwölf|fünfzehn|zwanzig|dreißig|vierzig|fünfzig|sechzig|neunzig|hundert|tausend|halbe[nmr]?|"
    r"beide[nr]?|wenige[nr]?|mehrere[nr]?)"
)
# Numbers that count (no articles: "eine Beschäftigte" counts nobody).
_NUMERALS = (
    r"(?:\d+(?:[.,]\d+)?|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|fünfzehn|"
    r"zwanzig|dreißig|vierzig|fünfzig|sechzig|neunzig|hundert|tausend|beide[nr]?|mehrere[nr]?)"
)
_UNITS = (
    r"(?:Jahre?n?|Monate?n?|Wochen?|Tage?n?|Arbeitstage?n?|Kalendertage?n?|Werktage?n?|"
    r"Stunden?|Minuten?|Quartale?n?|Semester)"
)
_DURATION = (
    rf"\b{_NUMBER_WORDS}\s+(?:\w+\s+)?{_UNITS}\b|\b\w*(?:tägig|stündig|wöchig|monatig|jährig)"
    r"\w*|\b(?:unverzüglich|sofort|vorher|Vortag|Vorjahr|befristet|unbefristet)\b"
)
_MONTHS = r"(?:Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember)"
_WEEKDAYS = r"(?:montags?|dienstags?|mittwochs?|donnerstags?|freitags?|samstags?|sonntags?)"
_DATE = (
    rf"{_DURATION}|\b\d{{1,2}}\.\s?\d{{1,2}}\.(?:\s?\d{{2,4}})?|\b\d{{1,2}}(?::\d{{2}})?\s*Uhr\b"
    rf"|\b\d{{1,2}}\.\s{_MONTHS}|\b{_MONTHS}\s\d{{4}}|\b{_WEEKDAYS}\b|\b(?:19|20)\d\d\b"
    r"|\b(?:bis|ab|seit|spätestens|frühestens|vor|nach|innerhalb|am|zum|zur|bei)\s+"
    r"(?:de[mnr]\s+|zu[mr]\s+|eine[mnr]?\s+)?(?:\w+\s+)?(?:Beginn|Ende|Ablauf|Abschluss|Tag|"
    r"Sitzung|Jahresende|Monatsende|Unterzeichnung|Inkrafttreten|Eingang|Zugang)\w*"
    r"|\berst\b.{0,80}?\b(?:wenn|nachdem|sobald)\b|\bsobald\b|\bin\s+Kraft\b|\bjederzeit\b"
)
_FREQUENCY = (
    r"\b(?:täglich|wöchentlich|monatlich|vierteljährlich|halbjährlich|jährlich|regelmäßig|"
    r"ständig|laufend)\b|\b\w+mal\b|\b(?:pro|je|im|jede[ns]?|alle)\s+(?:\w+\s+)?(?:Tag|Woche|"
    r"Monat|Quartal|Jahr|Kalenderjahr|Sitzung)\w*\b"
)
_AMOUNT = rf"\d|\b{_NUMERALS}\b|\b(?:höchstens|mindestens|maximal|Prozent|Euro|keine?)\b|€|%"
# Digits only from the start of a number: "\d[\d.,]*" tried at every digit of a long run of
# digits is quadratic (tests/skills/test_linear_patterns.py).
_COST = (
    r"(?<!\d)(?<!\d[.,])\d[\d.,]*\s*(?:€|Euro|EUR|T€|Mio|Millionen|Mrd)|\b(?:kostenlos|kostenfrei|"
    r"unentgeltlich|Gebühr\w*|Entgelt\w*|Kosten\w*|Euro|Eigenanteil|Pauschale)\b"
)
_ACTOR = (
    r"\b\w*(?:rat|räte|ausschuss|ausschüsse|beauftragte[nr]?|leitung|service|werkstatt|amt|"
    r"ämter|stelle|büro|desk|person|personen|kräfte|kraft|beschäftigte[nr]?|vorgesetzte[nr]?|"
    r"bürgermeister(?:in)?|senator(?:in)?|kämmerei|behörde|team|gremium|gremien|mitglied(?:er|"
    r"ern)?|feuerwehr|verwaltung|bürgerschaft|fraktion(?:en)?|sicherheit|inhaber\w*|"
    r"auszubildende[n]?|beamt\w*|arzt|ärztin|krankenkasse|dezernat|vorsitzende[nr]?|"
    r"niemand|jede[rm]?|alle|sie)\b"
)
_PLACE = (
    r"\b(?:im|ins|in\s+(?:der|dem|den|das|einem|einer)|über\s+(?:das|die|den)|auf\s+(?:der|dem|"
    r"den)|beim|bei\s+der)\s+(?:[\w-]+\s+)?[\w-]*(?:portal|system|raum|räumen|saal|haus|zentrum|"
    r"netz|net|verzeichnis|katalog|amt|büro|gebäude|straße|platz|stadt|liste|seite|programm|app|"
    r"kreis|bezirk|stadtteil|ortsteil|anwendungen|ordner|postfach)\b"
    r"|\b(?:Intranet|Internet|online|Online-[\w-]+|vor\s+Ort|per\s+E-Mail)\b"
    r"|\b(?-i:in\s+[A-ZÄÖÜ][a-zäöüß]{2,}(?:\s+und\s+[A-ZÄÖÜ][a-zäöüß]{2,})?)(?!\w)"
)
_BODY = (
    r"\b\w*(?:werkstatt|stelle|amt|büro|desk|service|beauftragte[nr]?|abteilung|personalrat|"
    r"ausschuss|leitung)\b"
)
_PURPOSE = (
    r"\b(?:soll|sollen|dient|dienen|damit|Ziel\w*|Zweck\w*|bestätigt|ermöglicht|berechtigt|"
    r"entlasten|verbessern)\b|\bum\b[^.;]{0,80}\bzu\b"
)
# "Ab wann / seit wann …?" is answered by when something starts, not by any date.
_ASKS_START = re.compile(r"\b(?:ab|seit)\s+wann\b|\bsince\s+when\b", re.I)
_STARTS = re.compile(
    r"\bin\s+Kraft\b|\bab\s+(?:de[mnr]|sofort|\d)|\bbeginn\w*|\berst\b|\bsobald\b|"
    r"\bnachdem\b|\bfreigeschaltet\b",
    re.I,
)
# "Wie verlängere ich …?", "Wie meldet man sich an?": a procedure, by the verb after "wie".
_ASKS_HOW = re.compile(
    r"^\W*wie\s+(?!lange?\b|oft\b|viel|hoch\b|groß\b|weit\b|schnell\b|früh\b|teuer\b|hei(?:ß|ss)"
    r"|ist\b|sind\b|war\b|wird\b|werden\b)([\wäöüÄÖÜß]+)\s+(?:ich|man|wir|sie|er|es)\b",
    re.I,
)
# A concrete date: "ab dem 1. März", "zum 01.01.2027".
_CONCRETE_DATE = re.compile(
    rf"\b\d{{1,2}}\.\s?\d{{1,2}}\.|\b\d{{1,2}}\.\s{_MONTHS}|\b{_MONTHS}\s\d{{4}}", re.I
)
# In "Wozu ist … gut?" the "gut" belongs to the question, not to its topic.
_PURPOSE_FRAME = frozenset({"gut", "nutz", "bring", "dient", "dien"})
_LIST = r"\bErstens\b|,[^,]+\b(?:und|sowie|oder)\b|:\s*\w+,|\bfolgende\b"
_RULE = (
    r"\b(?:darf|dürfen|muss|müssen|soll|sollen|kann|können|gilt|gelten|ist|sind|wird|werden|"
    r"bleibt|besteht|zählt|erhalten|nicht|kein\w*|nur|ausschließlich|erst|verboten|untersagt|"
    r"gestattet|erlaubt|pflicht\w*|zulässig|unzulässig|ausgenommen)\b"
)
_EXCEPTION = re.compile(
    r"^(?:Ausnahme|Abweichend|Ausgenommen|Das gilt nicht|Dies gilt nicht)|\bes sei denn\b|"
    r"\baußer\b|\bausgenommen\b",
    re.IGNORECASE,
)

# (kind, how a question asks for it, what an answering sentence carries); first match wins.
QUESTION_KINDS: list[tuple[str, re.Pattern[str], re.Pattern[str] | None]] = [
    (
        "cost",
        re.compile(
            r"\bwas\s+kost|\bwie\s*viel\s+kost|\bwie\s+teuer\b|\bzu\s+welchem\s+preis\b|\bwas\s+zahl|"
            r"\b(?:etwas|was)\s+(?:be)?zahlen\b|\bhow\s+much\s+does\b|\bcost",
            re.I,
        ),
        re.compile(_COST, re.I),
    ),
    (
        "duration",
        re.compile(
            r"\bwie\s+lange?\b|\bwie\s+schnell\b|\binnerhalb\s+welche|\bmit\s+welcher\s+frist\b|"
            r"\bwelche\s+frist\b|\bwie\s+früh\b|\bhow\s+long\b|\bkündigungsfrist\b",
            re.I,
        ),
        re.compile(_DURATION, re.I),
    ),
    (
        "frequency",
        re.compile(r"\bwie\s+oft\b|\bwie\s+häufig\b|\ban\s+wie\s+vielen\b|\bhow\s+often\b", re.I),
        re.compile(_FREQUENCY + "|" + _DURATION, re.I),
    ),
    (
        "date",
        re.compile(r"\bwann\b|\bwhen\b|\bab\s+welche[mr]\b|\bum\s+wie\s+viel\s+uhr\b", re.I),
        re.compile(_DATE, re.I),
    ),
    (
        "amount",
        re.compile(
            r"\bwie\s*viel(?:e[nr]?)?\b|\bwie\s+hoch\b|\bwie\s+groß\b|\bwie\s+weit\b|"
            r"\bhow\s+(?:many|much)\b",
            re.I,
        ),
        re.compile(_AMOUNT, re.I),
    ),
    (
        "who",
        re.compile(
            r"^\W*(?:\w+\s+){0,3}?(?:wer|wem|wen|who|whom)\b|\b(?:mit|bei|von|an|für)\s+"
            r"(?:wem|wen)\b",
            re.I,
        ),
        re.compile(_ACTOR, re.I),
    ),
    (
        "name",
        re.compile(
            r"\bwie\s+hei(?:ß|ss)(?:t|en)\b|\bwelchen\s+namen\b|\bwhat\s+is\s+the\s+name\b", re.I
        ),
        re.compile(r"\b(?:Frau|Herrn?|Dr\.)\s+[A-ZÄÖÜ][a-zäöüß]+|„[^“]+“|\"[^\"]+\"", re.I),
    ),
    (
        "where",
        re.compile(r"^\W*(?:wo|wohin|woher|where)\b|\bin\s+welche[nmr]?\b", re.I),
        # "Wo melde ich …?" is answered by an office as much as by a place.
        re.compile(_PLACE + "|" + _BODY, re.I),
    ),
    (
        "how",
        re.compile(
            r"^\W*wie\s+(?!lange?\b|oft\b|viel|hoch\b|groß\b|weit\b|schnell\b|früh\b|teuer\b"
            r"|hei(?:ß|ss)|ist\b|sind\b|war\b|wird\b|werden\b)[\wäöüÄÖÜß]+\s+(?:ich|man|wir|sie|"
            r"er|es)\b",
            re.I,
        ),
        None,
    ),
    (
        "purpose",
        re.compile(
            r"\bwozu\b|\bwofür\b|\bzu\s+welchem\s+zweck\b|\bwas\s+(?:ist|sind)\s+(?:das|der|die)"
            r"\s+(?:ziel|zweck)\w*\b|\bwas\s+bringt\b|\bwhat\s+for\b|\bwhy\b",
            re.I,
        ),
        re.compile(_PURPOSE, re.I),
    ),
    (
        "list",
        re.compile(
            r"^\W*welche[nrs]?\s+[\wäöüÄÖÜß-]+|\bwas\s+muss\s+(?:ich|man)\s+(?:alles\s+)?"
            r"(?:tun|machen)\b|\bwhat\s+steps\b",
            re.I,
        ),
        re.compile(_LIST, re.I),
    ),
    (
        "rule",
        re.compile(
            r"^\W*(?:darf|dürfen|muss|müssen|soll|sollen|kann|können|ist|sind|gilt|gelten|wird|"
            r"werden|zählt|zählen|findet|finden|gibt|gibts|besteht|bestehen|ersetzt|ersetzen|"
            r"dient|dienen|legt|verliere|bekomme|erhalte|sagt|geht|verfallen|may|must|can|is|"
            r"are|do|does)\b",
            re.I,
        ),
        re.compile(_RULE, re.I),
    ),
]
_RULE_ANSWER = next(carries for name, _, carries in QUESTION_KINDS if name == "rule")
# A question that opens with its verb asks yes or no, whatever wh-clause follows, unless it
# only asks to be told something ("Wissen Sie, …", "Kann mir jemand sagen, …").
_YES_NO = re.compile(
    r"^\W*(?:darf|dürfen|muss|müssen|soll|sollen|kann|können|ist|sind|gilt|gelten|wird|werden|"
    r"zählt|zählen|gibt|besteht|verliere|bekomme|erhalte)\b(?![^,]*\b(?:sagen|erklären|"
    r"verraten|nennen|wissen|weiß|mitteilen)\b)[^,?]*,\s*(?:wie|wann|wer|wem|wen|wo|was|welche"
    r"\w*|ob|dass|wenn)\b",
    re.I,
)
# Kinds whose answer must be in the sentence; for the others (a list, a rule, a place) the
# sentence that carries that form is preferred, but a plain statement may answer too.
REQUIRED_KINDS = frozenset(
    {"cost", "duration", "frequency", "date", "amount", "who", "name", "where"}
)
# "Welche Schritte …?" passages that count out a list are quoted whole.
_ORDINALS = ("Erstens", "Zweitens", "Drittens", "Viertens", "Fünftens", "Sechstens")


@dataclass(frozen=True)
class Concept:
    """One thing a question is about: its stem and the stems that stand for it."""

    word: str  # as typed (folded)
    stem: str
    alternatives: tuple[tuple[str, ...], ...] = ()  # administrative terms (all stems match)
    noun: bool = True  # capitalised in the question (or no capitals typed at all)


@dataclass(frozen=True)
class QuestionShape:
    kind: str  # cost, duration, frequency, date, amount, who, where, list, rule, or "open"
    concepts: tuple[Concept, ...]
    counted: Concept | None = None  # "Wie viele Plusstunden …" / "Welche Schritte …": the noun
    # the answer counts or lists
    answer: re.Pattern[str] | None = None  # what an answering sentence carries
    predicate: Concept | None = None  # "Wer prüft …?": the verb a "wer" answer must contain


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


@dataclass
class Reading:
    shape: QuestionShape
    sentences: list[Sentence] = field(default_factory=list)  # answering ones, best first
    all_sentences: list[Sentence] = field(default_factory=list)

    @property
    def answerable(self) -> bool:
        return bool(self.sentences)

    def passages(self) -> list[int]:
        """Indexes of the passages with an answering sentence, best first."""
        return list(dict.fromkeys(s.passage for s in self.sentences))


def read_question(question: str, about: str | None = None) -> QuestionShape:
    """What kind of answer the question wants and what it is about (`about`: the question's
    topic words when they differ from its wording: English glossed, personal data removed)."""
    kind, answer = "open", None
    for name, asks, carries in QUESTION_KINDS:
        if asks.search(question):
            kind, answer = name, carries
            break
    if kind not in ("rule", "open") and _YES_NO.search(question):
        # "Kann mein Chef sehen, wie oft ich …?" asks yes or no; the "wie oft" is part of what
        # it asks about. ("Können Sie mir sagen, wie lange …?" still asks for the duration.)
        kind, answer = "rule", _RULE_ANSWER
    concepts = concepts_of(question if about is None else about)
    if kind == "purpose":
        concepts = tuple(c for c in concepts if c.stem not in _PURPOSE_FRAME)
    if kind == "who":
        # "Wer ist Ansprechpartner für …?", "An wen wende ich mich …?": the role and the light
        # verb are what is asked, no topic.
        concepts = tuple(
            c
            for c in concepts
            if _root(c.stem) not in _ANY_BODY and (c.noun or _root(c.stem) not in _LIGHT_VERBS)
        )
    counted = None
    asked = {
        "amount": r"\bwie\s*viele?n?\s+([\wäöüÄÖÜß-]+)",
        "list": r"^\W*welche[nrs]?\s+([\wäöüÄÖÜß-]+)",
    }
    if kind in asked:
        m = re.search(asked[kind], question, re.I)
        if m:
            counted = next((c for c in concepts if c.word == fold(m.group(1))), None)
    predicate = _predicate(question, concepts) if kind == "who" else None
    if kind == "how":  # "Wie verlängere ich …?" is answered by how one does that
        m = _ASKS_HOW.search(question)
        verb = match_stem(fold(m.group(1))) if m else ""
        predicate = next((c for c in concepts if c.stem == verb), None)
    return QuestionShape(kind, concepts, counted, answer, predicate)


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
        if _root(named) in _ANY_BODY:
            return None
        return next((c for c in concepts if c.stem == named), None)
    verbs = [c for c in concepts if not c.noun]
    m = re.search(r"\b(?:wer|wem|wen)\s+([\wäöüÄÖÜß-]+)", question, re.I)
    after = fold(m.group(1)) if m else ""
    first = next((c for c in verbs if c.word == after), None)
    if first is None:
        last = fold(_tokens(question)[-1]) if _tokens(question) else ""
        first = next((c for c in verbs if c.word == last), None)
    if first is not None and _root(first.stem) in _LIGHT_VERBS:
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
    raw = _tokens(question, keep_case=True)
    has_capitals = any(t[:1].isupper() for t in raw[1:])
    tokens = [fold(t) for t in raw]
    vocab = vocabulary()
    out: dict[str, Concept] = {}
    covered: set[str] = set()  # parts of a hyphenated word taken as a whole
    # "Wer schaltet mich frei?": the particle at the clause end belongs to the verb
    # ("freischalten" ~ "Freischaltung"); it is no concept of its own.
    particles = {fold(m.group(1)) for m in _CLAUSE_END_PARTICLE.finditer(question)}
    covered.update(particles)
    for i, token in enumerate(tokens):
        if token in STOPWORDS or token in QUESTION_WORDS or len(token) < 2 or token in covered:
            continue
        alternatives = vocab.alternatives(tokens, i)
        # The first word of a German question is its verb or a question word ("Verliere ich
        # …?", "Zählt …?"), capitalised by position only.
        noun = not has_capitals or (raw[i][:1].isupper() and i > 0)
        if particles and not noun and len(token) >= 3:
            alternatives += tuple((match_stem(p + token),) for p in sorted(particles))
        if "-" in token:
            if alternatives:
                covered.update(token.split("-"))
                whole = match_stem(token.replace("-", ""))
                out.setdefault(whole, Concept(token, whole, alternatives, noun))
            continue  # otherwise its parts follow as tokens of their own
        s = match_stem(token)
        if s not in out:
            out[s] = Concept(token, s, alternatives, noun)
    return tuple(out.values())


def _tokens(text: str, keep_case: bool = False) -> list[str]:
    out: list[str] = []
    for m in _WORD.finditer(text):
        word = m.group(0).strip("-")
        word = word if keep_case else word.lower()
        if not word:
            continue
        out.append(word)
        if "-" in word:
            out.extend(p for p in word.split("-") if p)
    return out


_CLAUSE_END_PARTICLE = re.compile(
    r"\b(" + "|".join(sorted(SEPARABLE_PARTICLES, key=len, reverse=True)) + r")\s*(?=[,;.:!?)–]|$)",
    re.IGNORECASE,
)


_ADDRESS = re.compile(r"\S+@\S+|\bhttps?://\S+|\bwww\.\S+", re.IGNORECASE)


@lru_cache(maxsize=50_000)
def sentence_stems(text: str) -> frozenset[str]:
    """Stems of a sentence's words; a separable verb's particle at the end of a clause is also
    joined to the sentence's words: "reichen … ein" -> "einreich", "setzt … voraus"."""
    # An address is no word of the sentence: "ki-werkstatt@luebeck.de" does not speak of Lübeck.
    tokens = [fold(t) for t in _tokens(_ADDRESS.sub(" ", text))]
    words = [t for t in tokens if t not in STOPWORDS and len(t) > 1 and "-" not in t]
    out = {match_stem(t) for t in words}
    for particle in {fold(m.group(1)) for m in _CLAUSE_END_PARTICLE.finditer(text)}:
        out.update(match_stem(particle + t) for t in words if len(t) >= 3 and t != particle)
    return frozenset(out)


def match_strength(concept: Concept, stems: frozenset[str]) -> float:
    """1.0 for the same stem or an administrative word it stands for; less for inflection,
    compound heads and one-letter typos; 0 when the sentence does not speak of it."""
    best = _stem_strength(concept.stem, stems)
    for alternative in concept.alternatives if best < 1.0 else ():
        # An administrative term counts as the word itself, as far as all its stems match; not
        # through its own compound head ("Telearbeit" is no "Arbeit") or a typo it never had.
        found = min(_stem_strength(s, stems) for s in alternative)
        if found >= ALTERNATIVE_MIN:
            best = max(best, found)
    return best


@lru_cache(maxsize=200_000)
def _stem_strength(term: str, stems: frozenset[str]) -> float:
    if term in stems:
        return 1.0
    best = 0.0
    for s in stems:
        strength, modifier = _pair_strength(term, s)
        if modifier and _has_modifier(modifier, stems):
            # The passage has the question compound's head and its modifier as a word of its
            # own: the sentence says the compound in two words ("Sitzungsunterlagen" ~
            # "Unterlagen … der Sitzung").
            strength = 0.9
        best = max(best, strength)
    return best


@lru_cache(maxsize=500_000)
def _pair_strength(term: str, s: str) -> tuple[float, str]:
    """How well one sentence stem stands for the question's term; and, when the sentence
    word is only the head of the question's compound, the compound's modifier."""
    best, modifier = 0.0, ""
    if len(term) >= 4 and len(s) >= 4:
        if (s.startswith(term) and len(s) - len(term) <= 3) or (
            term.startswith(s) and len(term) - len(s) <= 3 and len(s) >= 5
        ):
            best = 0.9  # inflection the stemmer left: "verlang" ~ "verlanger"
        elif s.endswith(term):
            best = 0.8  # the question's word is the head: Ausschuss ~ Bauausschuss
        elif term.endswith(s) and len(s) >= 5:
            best, modifier = 0.7, term[: -len(s)]  # the passage has the compound's head
    if (
        best < 0.7
        and len(term) >= 5
        and len(s) >= 5
        and abs(len(term) - len(s)) <= 1
        and _one_edit(term, s)
    ):
        best = 0.7  # one typo in a long word
    if best < 0.8 and len(term) >= 5 and len(s) >= 4 and _root(term) == _root(s):
        best = 0.8  # a verb and its noun: "prüft" ~ "Prüfung"
    if best < 0.8 and len(term) >= 3 and _undoubled(term) == _undoubled(s):
        best = 0.8  # a doubled letter typed once or twice: "Pas", "Zustimung"
    return best, modifier


def _has_modifier(modifier: str, stems: frozenset[str]) -> bool:
    for link in ("s", "es", "n", "en", ""):
        part = modifier[: -len(link)] if link and modifier.endswith(link) else modifier
        if len(part) >= 4 and any(
            s == part or (s.startswith(part) and len(s) - len(part) <= 2) for s in stems
        ):
            return True
    return False


@lru_cache(maxsize=100_000)
def _root(stem: str) -> str:
    """A stem without what verb forms and their nouns add: "gefalscht"/"falschung" -> "falsch"."""
    if stem.startswith("ge") and stem.endswith("t") and len(stem) >= 8:
        stem = stem[2:]
    for suffix in ("ungen", "ung", "st", "t"):
        if stem.endswith(suffix) and len(stem) - len(suffix) >= 4:
            return stem[: -len(suffix)]
    return stem


@lru_cache(maxsize=100_000)
def _undoubled(word: str) -> str:
    return re.sub(r"(.)\1+", r"\1", word)


def _one_edit(a: str, b: str) -> bool:
    """Levenshtein distance 1 (a swap of neighbours counts as one)."""
    if a == b:
        return True
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :] or (a[i + 1 : i + 2] + a[i : i + 1] + a[i + 2 :] == b[i:])
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[i + 1 :] == shorter[i:]


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


def _sentences(passages: Sequence[Passage]) -> list[Sentence]:
    out: list[Sentence] = []
    for i, passage in enumerate(passages):
        chunk = passage.chunk
        context = sentence_stems(" ".join(filter(None, [chunk.title, chunk.heading])))
        section = context
        for text, stems, heading in _read_text(chunk.text):
            if heading:
                section = context | stems  # what the sentences below it are about
                continue
            out.append(Sentence(i, passage.n, len(out), text, stems, section))
    return _with_enumerations(out)


@lru_cache(maxsize=4096)
def _read_text(text: str) -> tuple[tuple[str, frozenset[str], bool], ...]:
    """A passage's sentences once: (text, stems, is a heading); injections left out."""
    return tuple(
        (sentence, sentence_stems(sentence), _is_heading(sentence))
        for sentence in split_sentences(_table_sentences(text))
        if not looks_like_injection(sentence)
    )


def _with_enumerations(sentences: list[Sentence]) -> list[Sentence]:
    """A counted-out run ("Erstens …, Zweitens …") answers as a whole: its first sentence
    carries the words of the run (a list question is then matched against all of it)."""
    for k, s in enumerate(sentences):
        if not s.text.startswith(_ORDINALS[0]):
            continue
        run = [s]
        for t in sentences[k + 1 :]:
            if t.passage != s.passage or len(run) == len(_ORDINALS):
                break
            if not t.text.startswith(_ORDINALS[len(run)]):
                break
            run.append(t)
        if len(run) >= 2:
            s.run_stems = frozenset().union(*(r.stems for r in run))
    return sentences


def _is_heading(text: str) -> bool:
    return len(text) < 80 and not text.rstrip("“”\"'»«)").endswith((".", "!", "?", ":", ";", ","))


def read(
    question: str, passages: Sequence[Passage], *, about: str | None = None, typed: bool = True
) -> Reading:
    """The sentences of `passages` that answer `question`, best first.

    `typed=False` drops the answer-kind requirement (a model judges that itself)."""
    shape = read_question(question, about)
    sentences = _sentences(passages)
    reading = Reading(shape, all_sentences=sentences)
    if not shape.concepts or not sentences:
        return reading
    listing = shape.kind == "list"
    asks_start = shape.kind == "date" and bool(_ASKS_START.search(question))
    strengths = {
        c.stem: [
            (
                match_strength(c, s.run_stems if listing and s.run_stems else s.stems),
                match_strength(c, s.context),
            )
            for s in sentences
        ]
        for c in shape.concepts
    }
    weights = _weights(shape.concepts, strengths, len(sentences))
    total = sum(weights.values())
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
        if s.typed and shape.predicate is not None:
            # "Wer leitet …?" is not answered by a sentence in which someone does something
            # else: the question's verb must stand in the sentence.
            s.typed = strengths[shape.predicate.stem][k][0] > 0
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
            s.typed = s.typed and bool(_STARTS.search(s.text) or _CONCRETE_DATE.search(s.text))
        s.score = s.coverage + 0.12 / (1 + s.passage) + 0.5 * density + (0.25 if s.typed else 0.0)
    ranked = {i for i, p in enumerate(passages) if p.ranked}
    answering = [
        s
        for s in sentences
        if (
            s.coverage >= MIN_COVERAGE
            or (
                s.passage in ranked
                and s.coverage >= RANKED_COVERAGE
                and s.typed
                and shape.answer is not None
            )
        )
        and (s.typed or not typed or not _required(shape, question))
        and len(_tokens(s.text)) >= 4
        and s.text.rstrip("“”\"'»«)").endswith((".", "!", ":"))
    ]
    reading.sentences = sorted(answering, key=lambda s: (-s.score, s.index))
    return reading


# "Welche KI-Anwendungen stehen …?" (a plural verb) asks for several things: a sentence that
# only says there is a list does not answer it. "Welche Frist gilt …?" may be one statement.
_ASKS_SEVERAL = re.compile(r"^\W*welche[nrs]?\s+[\w-]+\s+(?:sind|\w+en)\b", re.I)


def _required(shape: QuestionShape, question: str) -> bool:
    """Whether an answering sentence must carry the kind of answer asked for."""
    if shape.kind == "list":
        return bool(_ASKS_SEVERAL.search(question))
    if shape.kind == "how":
        return shape.predicate is not None
    return shape.kind in REQUIRED_KINDS


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
    plain = frozenset(match_stem(fold(t)) for t in _tokens(text))
    return match_strength(concept, sentence_stems(text)) >= 0.7 > match_strength(concept, plain)


_DURATION_AFTER = re.compile(rf"\s+(?:[\w-]+\s+)?{_UNITS}\b", re.IGNORECASE)


def _counts(counted: Concept | None, text: str) -> bool:
    """A number followed (within two words) by the counted noun ("höchstens 40 Plusstunden");
    without a counted noun ("Wie viele haben …?") any number that is no duration."""
    for m in re.finditer(rf"\b(?:{_NUMERALS})\b|€|%", text, re.I):
        following = text[m.end() : m.end() + 60]
        if counted is None:
            if not _DURATION_AFTER.match(following):
                return True
            continue
        words = re.findall(r"[\wäöüÄÖÜß-]+", following)[:3]
        if words and match_strength(counted, sentence_stems(" ".join(words))) >= 0.7:
            return True
    return False


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
    following = _next_in_passage(reading, best)
    if following is not None and _EXCEPTION.search(following.text):
        return [best, following]
    for s in reading.sentences[1:]:
        if len(chosen) == limit or s.score < 0.85 * best.score:
            break
        if s.passage != best.passage or _similar(s, best):
            continue
        chosen.append(s)
    return sorted(chosen, key=lambda s: s.index)


def _next_in_passage(reading: Reading, s: Sentence) -> Sentence | None:
    after = [x for x in reading.all_sentences if x.index == s.index + 1]
    return after[0] if after and after[0].passage == s.passage else None


def _enumeration(reading: Reading) -> list[Sentence]:
    first = next((s for s in reading.sentences if s.text.startswith(_ORDINALS[0])), None)
    if first is None:
        first = next(
            (
                s
                for s in reading.all_sentences
                if s.text.startswith(_ORDINALS[0]) and s.passage == reading.sentences[0].passage
            ),
            None,
        )
    if first is None:
        return []
    run = [first]
    for s in reading.all_sentences[first.index + 1 :]:
        if s.passage != first.passage or len(run) == len(_ORDINALS):
            break
        if not s.text.startswith(_ORDINALS[len(run)]):
            break
        run.append(s)
    return run if len(run) >= 2 else []


def _similar(a: Sentence, b: Sentence) -> bool:
    if not a.stems or not b.stems:
        return a.text == b.text
    return len(a.stems & b.stems) / len(a.stems | b.stems) > 0.6
