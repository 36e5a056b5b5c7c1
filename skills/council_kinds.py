"""Council questions typed as keywords: the kind of answer named by a noun, not a question word.

Staff often ask about a paper in note form: "Betrag Ferienerholungsmaßnahmen, Antrag dhh 2023
5046?", "Grund fürs Ausscheiden, DS 2024 / 1326?", "Anzahl Anbauvereinigungen Karlsruhe?",
"Einweggrill erlaubt?". Such a question has no question word, so the reader (skills/reader/)
reads it as "open": any sentence that shares its words answers it, and the sentence that
carries the amount, the reason or the rule is not preferred. The noun in front names the kind
of answer wanted ("Betrag", "Anzahl", "Kosten" an amount, "Grund" a reason) and a trailing
"erlaubt?" asks for the rule; `kind_lead` gives the question word that asks for that kind, and
the reader reads the question with it in front. The lead words are stop words or question
words, so the question's topic (its concepts) stays the same; only the kind is added. A head
that only names the kind ("Betrag", "Grund") is dropped from the topic, and a count compound
names what is counted ("Besucherzahl X" -> "Wie viele Besucher X").

"Wie lange bleibt/gilt …?" asks how long a state lasts, which council papers say by its end
("bleibt … bis 2028"): it is read as "Bis wann …?" ("Wie lange dauert …?" stays a duration).
"In welchem Jahr / welchen Ferienwochen …?" asks when, not where: read with "Wann" in front.
In a yes-or-no rule question the permission word ("erlaubt", "verboten", "zulässig") asks for
the rule, like "darf": it is no topic word (the paper may say "nicht zulässig" or "untersagt").

A question for an amount ("Was kostet …?", "Wie viele …?", "Welche Kosten …?") is answered
only when the sentence the answer would quote names one (`carries_figure`): council papers
speak of costs far more often than they state them ("… und dann im Nachgang mögliche Kosten
darstellt"), and a numbered item ("2. Die Stadtverwaltung prüft … die Kosten") is no amount.

Kept to council questions (the hook in skills/grounded_answer.py): the rules set has its own
calibration, and note-form questions about a named paper are where the council set missed.
"""

from __future__ import annotations

import re

from kiw_common.references import WRITTEN_REFERENCE
from skills.reader import QuestionShape, concepts_of, read_question

# The first word names what is asked: an amount (a sum, a count, a share, a price, a value),
# a reason, a date, or who is responsible.
_HEADS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # "Anzahl Wohnungen …" counts Wohnungen: a number before that noun answers, as for "Wie
    # viele Wohnungen …?" (skills/reader/ counts the noun after "wie viele").
    ("Wie viele", re.compile(r"^(?:anzahl|zahl)$", re.IGNORECASE)),
    # "Besucherzahl Grillplätze 2025?" counts Besucher: "Wie viele Besucher Grillplätze 2025?".
    ("Wie viele", re.compile(r"^\w{3,}zahl(?:en)?$", re.IGNORECASE)),
    (
        "Wie hoch ist",
        re.compile(
            r"^(?:betr[aä]ge?|h[oö]he|summen?|anteil|kosten|\w*preis"
            r"|\w*wert|\w*betrag|zuschuss|zuschüsse|mittel|ausgaben|einnahmen|aufwand|geb[uü]hr"
            r"(?:en)?)$",
            re.IGNORECASE,
        ),
    ),
    ("Warum", re.compile(r"^(?:grund|gr[uü]nde|begr[uü]ndung|anlass)$", re.IGNORECASE)),
    ("Wann", re.compile(r"^(?:datum|termin|zeitpunkt|stichtag|frist)$", re.IGNORECASE)),
    ("Wer ist", re.compile(r"^(?:zust[aä]ndig\w*|vorsitz\w*)$", re.IGNORECASE)),
)
# A figure asked for anywhere in the note: "Kürzung … in Prozent?", "Fahrgäste pro Tag?".
_AMOUNT_ANYWHERE = re.compile(r"\bin\s+(?:prozent|euro)\b|\bpro\s+(?:tag|woche|monat|jahr)\b", re.I)
# "Einweggrill erlaubt?", "Grillen auf der Rennwiese verboten?": yes or no, by the rule.
_RULE_AT_END = re.compile(
    r"\b(?:erlaubt|zulässig|verboten|gestattet|untersagt|nötig|notwendig|pflicht)\W*$", re.I
)


# A question word of its own: no note form ("Was ist erlaubt?").
_ASKS = re.compile(
    r"^\W*(?:wer|wem|wen|was|wie|wo\w*|wann|warum|weshalb|wieso|welch\w*)\b", re.IGNORECASE
)


def kind_lead(question: str) -> str:
    """The question word that asks for the kind a note-form question names, or "" when the
    question asks with words of its own (or names no kind)."""
    if read_question(question).kind != "open" or _ASKS.match(question):
        return ""
    words = re.findall(r"[\wäöüÄÖÜß]+", question)
    if not words:
        return ""
    for lead, head in _HEADS:
        if head.match(words[0]):
            return lead
    if _AMOUNT_ANYWHERE.search(question):
        return "Wie hoch ist"
    if _RULE_AT_END.search(question):
        return "Ist"
    return ""


# Heads that only name the kind ("Betrag", "Grund"): what is asked, not what it is about (a
# sentence that mentions "Gründe" or "den Betrag" answers nothing by that word). "Kosten",
# "Zuschuss", "Besucherzahl" say what is counted and stay.
_KIND_ONLY = re.compile(
    r"^(?:betr[aä]ge?|h[oö]he|summen?|anzahl|zahl|grund|gr[uü]nde|begr[uü]ndung|anlass|datum|"
    r"termin|zeitpunkt|stichtag|zust[aä]ndig\w*|vorsitz)$",
    re.IGNORECASE,
)


# "Wie lange sollen die Änderungen bleiben?", "Wie lange gilt die Satzung?": how long a state
# lasts, which a council paper says by its end ("bis 2027", "bis zum 31.12.2026") more often
# than by a duration. Read as "Bis wann …?" (a date; an anchored duration answers that too).
# "Wie lange dauert …?" keeps asking for a duration.
_STATE_VERBS = (
    r"(?:bleib\w*|gilt|gelten|galt|läuft|laufen|bestehen|besteht|geöffnet|gesperrt|befristet)"
)
_HOW_LONG_A_STATE = re.compile(
    rf"^\W*wie\s+lange\b(?=\s+{_STATE_VERBS}\b|.*\b{_STATE_VERBS}\W*$)", re.IGNORECASE
)
# "In welchem Jahr …?", "In welchen Ferienwochen …?", "In welcher Sitzung …?": a time.
_IN_WHICH_TIME = re.compile(
    r"\bin\s+welche[mnr]?\s+[\wäöüß-]*(?:jahr|jahren|monat|monaten|woche|wochen|tag|tagen|"
    r"quartal|zeitraum|sitzung)\b",
    re.IGNORECASE,
)
_COUNT_COMPOUND = re.compile(r"^(\w{3,}?)zahl(?:en)?$", re.IGNORECASE)


def with_kind(question: str, as_typed: str | None = None) -> str:
    """`question` with the question word its note form implies in front, and without a head
    that only names the kind ("Betrag X?" -> "Wie hoch ist X?", "Kosten X?" -> "Wie hoch ist
    Kosten X?", "Besucherzahl X?" -> "Wie viele Besucher X?"); "Wie lange bleibt X?" as "Bis
    wann bleibt X?"; unchanged otherwise. `as_typed`: the question before spelling
    correction, which decides (a corrector may read the head "Betrag" as a word of the papers,
    "Beitrag")."""
    typed = question if as_typed is None else as_typed
    if _HOW_LONG_A_STATE.search(typed) and _HOW_LONG_A_STATE.search(question):
        return _HOW_LONG_A_STATE.sub("Bis wann", question, count=1)
    if _IN_WHICH_TIME.search(typed):
        # "In welchem Jahr …?" asks when, not where ("in welche…" otherwise asks for a place);
        # the time noun stays a word of the question.
        return f"Wann: {question}"
    lead = kind_lead(typed)
    if not lead:
        return _without_modality(question)
    head = re.match(r"\W*([\wäöüÄÖÜß]+)\W*", typed)
    first = re.match(r"\W*([\wäöüÄÖÜß]+)\W*", question)
    rest = question[first.end() :] if first else ""
    if head and first and rest.strip():
        counted = _COUNT_COMPOUND.match(first.group(1))
        if counted and not _KIND_ONLY.match(first.group(1)):
            question = f"{counted.group(1)} {rest}"
        elif _KIND_ONLY.match(head.group(1)):
            question = rest
    return _without_modality(f"{lead} {question}")


# "Sind Einweggrills … erlaubt?": the permission word asks for the rule, like "darf"; the
# paper's rule may say "nicht zulässig" or "untersagt". Kept as a topic word it preferred
# any sentence with "erlaubt" ("Feuer ist nur zum Grillen erlaubt").
_MODALITY = re.compile(
    r"\b(?:erlaubt|zulässig|unzulässig|gestattet|verboten|untersagt)\b\s*", re.IGNORECASE
)


def _without_modality(question: str) -> str:
    """A yes-or-no rule question without the word that only asks whether something is
    permitted ("Ist X erlaubt?" -> "Ist X?"); other questions unchanged."""
    if read_question(question).kind != "rule":
        return question
    rest = re.sub(r"\s+([?!.,])", r"\1", _MODALITY.sub("", question)).strip()
    return rest if concepts_of(rest) else question


# What looks like a number but is no amount: a numbered item or paragraph ("2. Die
# Stadtverwaltung prüft … die Kosten"), a legal reference ("§ 31 Abs. 1 Satz 4", "Nr. 2"), a
# date or a year. A paper's reference ("2023/1357", "VO/2025/12345") is removed before, by the
# one reference parser (kiw_common/references.py).
_NO_FIGURE = re.compile(
    r"^\s*\(?\d{1,2}[.)]\s|§+\s*\d+\w?|\b(?:Abs|Nr|Satz|Ziff|TOP|Art)\.?\s*\d+\w?"
    r"|\b\d{1,2}\.\s?\d{1,2}\.\s?(?:\d{2,4})?|\b(?:19|20)\d\d\b",
    re.IGNORECASE,
)
_FIGURE = re.compile(
    r"\d|\b(?:zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|zwanzig|dreißig|"
    r"vierzig|fünfzig|hundert|tausend|Hälfte|Drittel|Viertel|kostenlos|kostenfrei|"
    r"unentgeltlich|gebührenfrei)\w*",
    re.IGNORECASE,
)


def carries_figure(sentence: str) -> bool:
    """Whether `sentence` states an amount: a number that is no item number, legal or paper
    reference, date or year, a number word, or "kostenlos". A council sentence that only
    mentions "die Kosten" or a numbered item answers no "Was kostet …?" or "Wie viele …?"."""
    without = _NO_FIGURE.sub(" ", WRITTEN_REFERENCE.sub(" ", sentence))
    return _FIGURE.search(without) is not None


# "Welche Kosten nennt …?", "Welchen Betrag …?": a list question about a sum asks for one.
_AMOUNT_NOUN = re.compile(
    r"^(?:kosten|betrag|betraege|summen?|preis\w*|gebuehr\w*|zuschuss\w*|zuschuess\w*)$"
)


def asks_for_amount(shape: QuestionShape) -> bool:
    """Whether the question asks for an amount: its kind, or the sum a "welch-" question
    names."""
    if shape.kind in ("cost", "amount"):
        return True
    return shape.asked is not None and _AMOUNT_NOUN.match(shape.asked.word) is not None
