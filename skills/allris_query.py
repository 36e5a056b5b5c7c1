"""Understand a German search over council business: filters from the words, the rest as text.

"Anträge der Grünen zum Radverkehr seit 2025" -> paper_type Antrag, faction (organization)
"Bündnis 90/Die Grünen", date_from 2025-01-01, text "Radverkehr". Faction names and their
spellings come from indexer/factions.yaml, the same data the indexer uses to record who
submitted a paper (indexer/submitters.py), so the filter and the index agree.
Dates are resolved against `today` (never in the future: "im Oktober" in November means this
October, in September last year's).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from indexer.submitters import faction_names
from kiw_common.references import typed_reference, written_form

# Canonical paper types (as ALLRIS / OParl name them) and the words users type for them.
PAPER_TYPES: list[tuple[str, str]] = [
    ("Änderungsantrag", r"änderungsantr[aä]g\w*|ergänzungsantr[aä]g\w*"),
    ("Beschlussvorlage", r"beschlussvorlage\w*|vorlagen?\b"),
    ("Informationsvorlage", r"informationsvorlage\w*|mitteilungsvorlage\w*|mitteilung\w*"),
    ("Anfrage", r"anfrage\w*"),
    ("Antrag", r"(?:haushalts)?antr[aä]g\w*|beantragt\w*"),
    ("Niederschrift", r"niederschrift\w*|protokoll\w*"),
]
# Committees: canonical organization name -> words that name it. (Factions: factions.yaml.)
ORGANIZATIONS: list[tuple[str, str]] = [
    ("Bauausschuss", r"bauausschuss\w*"),
    ("Hauptausschuss", r"hauptausschuss\w*"),
    ("Bürgerschaft", r"bürgerschaft"),
    ("Gemeinderat", r"gemeinderat\w*"),
    ("Schul- und Sportausschuss", r"schulausschuss\w*|schul-\s?und\s?sportausschuss\w*"),
    ("Ausschuss für Umwelt, Sicherheit und Ordnung", r"umweltausschuss\w*"),
    ("Wirtschaftsausschuss", r"wirtschaftsausschuss\w*"),
]
# A type as a family of the types councils use: Karlsruhe files budget motions as "Haushalt THH
# 1200", others write "Dringlichkeitsantrag" or "Antrag (Fraktion)"; "Anträge der Grünen"
# means all of them: the engine filters on every indexed type of the family
# (`SearchQuery.paper_types`, skills/allris_papers.py `type_filter`).
TYPE_FAMILIES: dict[str, re.Pattern[str]] = {
    "Antrag": re.compile(r"antrag|haushalt", re.IGNORECASE),
    "Änderungsantrag": re.compile(r"änderung|ergänzung", re.IGNORECASE),
    "Anfrage": re.compile(r"anfrage", re.IGNORECASE),
    "Beschlussvorlage": re.compile(r"vorlage", re.IGNORECASE),
    "Informationsvorlage": re.compile(r"information|mitteilung", re.IGNORECASE),
    "Niederschrift": re.compile(r"niederschrift|protokoll", re.IGNORECASE),
}


def in_type_family(paper_type: str | None, wanted: str) -> bool:
    family = TYPE_FAMILIES.get(wanted)
    if not paper_type:
        return False
    return bool(family.search(paper_type)) if family else paper_type.lower() == wanted.lower()


def family_types(indexed: Iterable[str], wanted: str) -> tuple[str, ...]:
    """The types among `indexed` (an index's `paper_types`) in the family of `wanted`."""
    return tuple(sorted(t for t in indexed if in_type_family(t, wanted)))


# "Anträge von Stadtrat Braun": the role is how people name a councillor, not a word of the
# paper ("Antrag: SR Braun"); the name is searched as text.
_COUNCILLOR_ROLE = re.compile(
    r"\b(?:Stadtr(?:at|ätin|äte)|SR|Ratsherrn?|Ratsfrau|Ortschaftsr(?:at|ätin))\s+(?=[A-ZÄÖÜ][a-zäöüß])"
)

MONTHS = {
    "januar": 1, "jan": 1, "februar": 2, "feb": 2, "märz": 3, "maerz": 3, "april": 4, "apr": 4,
    "mai": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "oktober": 10, "okt": 10, "november": 11, "nov": 11, "dezember": 12,
    "dez": 12,
}  # fmt: skip
_MONTH = (
    r"(januar|februar|märz|maerz|april|mai|juni|juli|august|september|oktober|november|dezember)"
)
_DATE = r"(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})"

_LINK = re.compile(r"https?://\S+", re.IGNORECASE)
_FILLER = re.compile(
    r"\b(zum|zur|zu|zum\sthema|thema|über|ueber|für|fuer|betreffend|der|die|das|den|dem|des|von|vom|"
    r"im|in|am|alle|aller|allen|mit|und|zeige?|zeig|mir|finde|suche|gibt\ses|welche|was|"
    r"hat|haben|wurde|wurden|beschlossen|fraktion|fraktionen|ausschuss|sitzung|sitzungen|"
    r"letzte[nrm]?|letzten|jahr|monat|woche|dieses|diesen|seit|ab|bis|nach|vor|zwischen|"
    r"eingereicht|eingebracht|gestellt|drucksache|nr|beraten|besprochen|diskutiert|behandelt|"
    r"gemeinsame[rnm]?|interfraktionelle[rnm]?|gemeinderatsfraktion|ortschaftsratsfraktion)\b",
    re.IGNORECASE,
)


@dataclass
class CouncilQuery:
    text: str  # the words left for full-text search
    paper_type: str | None = None
    organization: str | None = None  # the filter: a faction, else a committee
    organization_words: str = ""  # the words that named it ("Grünen"), for a text retry
    factions: tuple[str, ...] = ()  # every faction named ("Anträge von Grünen und SPD")
    date_from: date | None = None
    date_to: date | None = None
    reference: str | None = None
    last_meeting: bool = False  # "letzte Sitzung": resolved against the hits' dates
    understood: list[str] = field(default_factory=list)  # German labels for the card

    def filters(self) -> dict[str, str]:
        out: dict[str, str] = {}
        if self.paper_type:
            out["Art"] = self.paper_type
        if self.factions:
            out["Fraktion"] = ", ".join(self.factions)
        elif self.organization:
            out["Gremium"] = self.organization
        if self.date_from or self.date_to:
            out["Zeitraum"] = _period_label(self.date_from, self.date_to)
        if self.last_meeting:
            out["Sitzung"] = "letzte Sitzung"
        return out


def _period_label(start: date | None, end: date | None) -> str:
    if start and end:
        return f"{start:%d.%m.%Y} – {end:%d.%m.%Y}"
    if start:
        return f"seit {start:%d.%m.%Y}"
    return f"bis {end:%d.%m.%Y}" if end else ""


def _month_start(year: int, month: int) -> date:
    return date(year, month, 1)


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _latest_year_for_month(month: int, today: date) -> int:
    """The most recent year in which `month` has begun (never a future month)."""
    return today.year if month <= today.month else today.year - 1


def _parse_date(day: str, month: str, year: str) -> date | None:
    y = int(year)
    y = y + 2000 if y < 100 else y
    try:
        return date(y, int(month), int(day))
    except ValueError:
        return None


def parse_council_query(text: str, today: date) -> CouncilQuery:
    rest = f" {text.strip()} "
    q = CouncilQuery(text="")

    link = _LINK.search(rest)
    if link:
        q.reference = link.group(0).rstrip(').,;:!?"“”»')
        rest = rest.replace(link.group(0), " ")
    ref = None if link else typed_reference(rest)
    if ref:
        q.reference = written_form(ref)
        rest = rest.replace(ref.group(0), " ")

    rest = _parse_dates(rest, q, today)

    for canonical, pattern in PAPER_TYPES:
        match = re.search(rf"\b(?:{pattern})", rest, re.IGNORECASE)
        if match:
            q.paper_type = canonical
            rest = rest[: match.start()] + " " + rest[match.end() :]
            break
    named = faction_names().find(rest)
    if named:
        q.factions = tuple(dict.fromkeys(n for f in named for n in f.names))
        q.organization = q.factions[0]
        q.organization_words = rest[named[0].start : named[0].end]
        for f in reversed(named):
            rest = rest[: f.start] + " " + rest[f.end :]
        rest = _COUNCILLOR_ROLE.sub(" ", rest)
    else:
        rest = _COUNCILLOR_ROLE.sub(" ", rest)
        for canonical, pattern in ORGANIZATIONS:
            match = re.search(rf"\b(?:{pattern})\b", rest, re.IGNORECASE)
            if match:
                q.organization = canonical
                q.organization_words = match.group(0)
                rest = rest[: match.start()] + " " + rest[match.end() :]
                break

    words = _FILLER.sub(" ", rest)
    q.text = re.sub(r"[?!.,;:]+|(?<!\w)-+|-+(?!\w)", " ", words)
    q.text = re.sub(r"\s+", " ", q.text).strip()
    return q


# The words that name the paper beside its reference or link ("laut Vorlage", "nach der
# Stellungnahme zur Anfrage", "Antrag DHH", "(Drucksache"): they say which paper, not what the
# question asks of it, so the reader must not look for them in the paper's sentences.
_NAMING_WORDS = re.compile(
    r"(?:\b(?:laut|lt\.|gemäß|nach|in|im|aus|bei|zu|zur|zum|mit|von|vom)\s+)?"
    r"(?:\b(?:der|dem|den|die|das|des)\s+)?"
    r"(?:\bStellungnahme\s+(?:der\s+Verwaltung\s+)?(?:zur|zum|zu)\s+(?:der\s+|dem\s+)?)?"
    r"\(?\s*(?:\b(?:Beschlussvorlage|Informationsvorlage|Vorlage|Vorl\.|Änderungsantrag|"
    r"Ergänzungsantrag|Haushaltsantrag|Antrag|Antr\.|Anfrage|Anfr\.|Drucksache|DS|Offenlage|"
    r"Papier|Vorgang)\s*)?(?:\b(?:DHH|VO)\s*)?\(?\s*$",
    re.IGNORECASE,
)


def without_reference(text: str) -> str:
    """The words of a question around the paper it names ("Was beschließt VO/2025/1?"),
    without the words that name it ("Wer genehmigt laut 2024-0352 die Clubs?" -> "Wer
    genehmigt die Clubs?")."""
    named = _LINK.search(text) or typed_reference(text)
    if named is None:
        return re.sub(r"\s+", " ", text).strip()
    before = _NAMING_WORDS.sub(" ", text[: named.start()])
    after = re.sub(r"^\s*\)", " ", text[named.end() :])
    rest = re.sub(r"\(\s*\)", " ", f"{before} {after}")
    rest = re.sub(r"\s*[,;:]+\s*([?!.])", r"\1", re.sub(r"\s+", " ", rest))
    return re.sub(r"\s+([?!.,;:])", r"\1", rest).strip(" ,;:")


def _parse_dates(rest: str, q: CouncilQuery, today: date) -> str:
    """Fill q's date range from German phrases and remove them from the text."""
    patterns: list[tuple[str, object]] = [
        (rf"\b(?:vom|von|zwischen)\s{_DATE}\s(?:bis|und)\s(?:zum\s)?{_DATE}", "range_dates"),
        (rf"\b(?:seit|ab)\s(?:dem\s)?{_DATE}", "since_date"),
        (rf"\b(?:bis|vor)\s(?:zum\s|dem\s)?{_DATE}", "until_date"),
        (rf"\b(?:zwischen|von)\s{_MONTH}\s(?:und|bis)\s{_MONTH}(?:\s(\d{{4}}))?", "month_range"),
        (rf"\b(?:seit|ab)\s(?:anfang\s)?{_MONTH}(?:\s(\d{{4}}))?", "since_month"),
        (rf"\b(?:im|in|vom)\s{_MONTH}(?:\s(\d{{4}}))?", "in_month"),
        (r"\b(?:seit|ab)\s(?:dem\sjahr\s)?((?:19|20)\d{2})\b", "since_year"),
        (r"\b(?:bis|vor)\s((?:19|20)\d{2})\b", "until_year"),
        (r"\b(?:im\sjahr|in|aus)\s((?:19|20)\d{2})\b", "in_year"),
        (r"\bletzte[nrm]?\s(?:woche|7\stage)\b", "last_week"),
        (r"\bletzte[nrm]?\smonat\b", "last_month"),
        (r"\bletzte[nrm]?\sjahr\b|\bvorjahr\b", "last_year"),
        (r"\b(?:dieses|diesem|in\sdiesem)\sjahr\b", "this_year"),
        (r"\bletzte[nrm]?\ssitzung\b", "last_meeting"),
        # A day or a month on its own: "am 25. November 2025", "18.09.2025", "Oktober 2025".
        (rf"\b(?:am\s)?{_DATE}(?!\d)", "on_date"),
        (rf"\b(?:am\s)?(\d{{1,2}})\.\s?{_MONTH}\s(\d{{4}})", "on_day_of_month"),
        (rf"\b{_MONTH}\s(\d{{4}})", "in_month"),
    ]
    for pattern, kind in patterns:
        match = re.search(pattern, rest, re.IGNORECASE)
        if not match:
            continue
        g = match.groups()
        if kind == "range_dates":
            q.date_from, q.date_to = _parse_date(*g[0:3]), _parse_date(*g[3:6])
        elif kind == "since_date":
            q.date_from = _parse_date(*g[0:3])
        elif kind == "until_date":
            q.date_to = _parse_date(*g[0:3])
        elif kind == "month_range":
            first, last = MONTHS[g[0].lower()], MONTHS[g[1].lower()]
            year = int(g[2]) if g[2] else _latest_year_for_month(last, today)
            q.date_from, q.date_to = _month_start(year, first), _month_end(year, last)
        elif kind == "since_month":
            month = MONTHS[g[0].lower()]
            year = int(g[1]) if g[1] else _latest_year_for_month(month, today)
            q.date_from = _month_start(year, month)
        elif kind == "in_month":
            month = MONTHS[g[0].lower()]
            year = int(g[1]) if g[1] else _latest_year_for_month(month, today)
            q.date_from, q.date_to = _month_start(year, month), _month_end(year, month)
        elif kind == "since_year":
            q.date_from = date(int(g[0]), 1, 1)
        elif kind == "until_year":
            q.date_to = (
                date(int(g[0]) - 1, 12, 31)
                if "vor" in match.group(0).lower()
                else date(int(g[0]), 12, 31)
            )
        elif kind == "in_year":
            q.date_from, q.date_to = date(int(g[0]), 1, 1), date(int(g[0]), 12, 31)
        elif kind == "last_week":
            q.date_from, q.date_to = today - timedelta(days=7), today
        elif kind == "last_month":
            first_this = today.replace(day=1)
            last_prev = first_this - timedelta(days=1)
            q.date_from, q.date_to = last_prev.replace(day=1), last_prev
        elif kind == "last_year":
            q.date_from, q.date_to = date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
        elif kind == "this_year":
            q.date_from, q.date_to = date(today.year, 1, 1), today
        elif kind == "last_meeting":
            q.last_meeting = True
        elif kind == "on_date":
            q.date_from = q.date_to = _parse_date(*g[0:3])
        elif kind == "on_day_of_month":
            q.date_from = q.date_to = _parse_date(g[0], str(MONTHS[g[1].lower()]), g[2])
        rest = rest[: match.start()] + " " + rest[match.end() :]
    return rest


_QUESTION_START = re.compile(
    r"^\s*(wer|wie|was|wann|wo|warum|wieso|weshalb|welche[rsmn]?|wozu|wieviel\w*|gibt\ses|"
    r"ist|sind|hat|haben|wurde|wurden|who|what|when|how|which|did|does|is|are)\b",
    re.IGNORECASE,
)


def is_question(text: str) -> bool:
    """A question ("Was hat … beschlossen?") rather than a search ("Anträge Radverkehr")."""
    return text.rstrip().endswith("?") or bool(_QUESTION_START.search(text))
