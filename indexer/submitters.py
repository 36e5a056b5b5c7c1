"""Who submitted a council paper: factions and councillors, read from the paper's own files.

OParl has `originatorOrganization` and `originatorPerson`, but many council systems leave them
empty and name the submitter only in the document: Karlsruhe writes "Antrag: GRÜNE",
"Interfraktioneller Antrag: CDU, SPD, Volt", "Antrag: SR Braun" under the title, letterheads
such as "SPD-OR-Fraktion" or "AfD-Gruppe, Hebelstraße 21", and file names such as
"Antrag Linke_008". The splitter (indexer/pipeline.py) reads these from the head of each file
and gives every chunk of the paper the canonical faction names as organizations, so "Anträge
der Grünen" is an organization filter in the engine (both backends) rather than a hope that
the word stands in the passage; the overview chunk also gets a line "Eingereicht von: …",
so a councillor's name is found as text.

Faction names and their spellings are data (indexer/factions.yaml), shared with the query
side (skills/allris_query.py), so the index and the filter always use the same name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from indexer.analysis import fold

FACTIONS_FILE = Path(__file__).with_name("factions.yaml")

HEADER_CHARS = 1500  # the submitter stands under the title, before the text of the motion
# Minutes and vote sheets quote other papers' submitters ("Antrag: KAL" for a GRÜNE motion).
_NOT_THE_PAPER = re.compile(r"^\s*(protokoll|niederschrift|auszug|abstimmung)", re.IGNORECASE)
# What introduces the submitters: "Antrag: GRÜNE", "Interfraktioneller Antrag der FDP-, CDU-",
# "Anfrage Bündnis 90 / Die Grünen", "eingereicht von", a file named "Antrag Linke_008".
_CUE = re.compile(
    r"\b(?:\w*antrag|\w*anfrage|antragsteller(?:in)?|eingereicht\s+(?:von|durch|für))\b",
    re.IGNORECASE,
)
# Between and around the names of one submitter list: separators, articles, "-OR-Fraktion";
# one at a time, so that "für" never swallows the group "FÜR" that follows it.
_FILLER = re.compile(
    r"[\s,;:/|&()\[\]-]+|\b(?:und|sowie|der|des|von|die|den|durch|für|OR)\b"
    r"|\b[\w-]*(?:fraktion(?:en)?|gruppe)\b",
    re.IGNORECASE,
)
# Only in a motion or a query (file name or first words say so): a faction glued to
# "Fraktion" ("SPD-OR-Fraktion", "GRÜNE Gemeinderatsfraktion", "Fraktion Die Linke") starts a
# submitter list too. Member lists and nominations name factions like that line by line.
_MOTION = re.compile(r"antrag|anfrage|antr[aä]ge", re.IGNORECASE)
_GLUED_AFTER = re.compile(r"\s*-?\s*(?:OR-|[\w]*)(?:fraktion|gruppe)", re.IGNORECASE)
_GLUED_BEFORE = re.compile(r"fraktion(?:en)?\s*$", re.IGNORECASE)
_ROLES = {
    "sr": "Stadtrat",
    "stadtrat": "Stadtrat",
    "stadträtin": "Stadträtin",
    "or": "Ortschaftsrat",
    "ortschaftsrat": "Ortschaftsrat",
    "ortschaftsrätin": "Ortschaftsrätin",
    "ratsherr": "Ratsherr",
    "ratsfrau": "Ratsfrau",
}
# A name is one or two capitalised words; a street of the letterhead or the next word of the
# form is none.
_NOT_NAME = r"(?![\w-]*stra(?:ß|ss)e|Fraktion|Gruppe|Antrag|Anfrage|Gremi|Vorlage)"
_NAME = rf"(?:Dr\.\s+)?{_NOT_NAME}[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ][a-zäöüß]+)?"
# "Ortschaftsrat Durlach" is a body, "Ortschaftsrat Breier (FDP)" a person: the long form of
# that role counts only with a party in brackets after the name.
_PERSON = re.compile(
    rf"(?:(?P<role>SR|OR|Stadtr(?:at|ätin)|Ratsherr|Ratsfrau)\s+(?P<name>{_NAME}(?:[ \t]+{_NAME})?)"
    rf"|(?P<local>Ortschaftsr(?:at|ätin))\s+(?P<lname>{_NAME})\s*\((?=[^)]{{1,40}}\)))"
)


@dataclass(frozen=True)
class FactionMatch:
    start: int
    end: int
    names: tuple[str, ...]  # canonical names (several for a joint faction: "FDP/FW")


def _pattern(spelling: str) -> str:
    """A spelling as a regex that accepts umlauts typed as ae/oe/ue, any case, and "/", "|",
    "-" or spaces between its parts ("B'90/DIE GRÜNEN", "KAL / Die PARTEI")."""
    out = []
    for ch in spelling:
        if ch in "äöü":
            out.append(f"(?:{ch}|{ {'ä': 'ae', 'ö': 'oe', 'ü': 'ue'}[ch] })")
        elif ch in "ÄÖÜ":
            low = ch.lower()
            out.append(f"(?:{ch}|{low}|{ {'ä': 'ae', 'ö': 'oe', 'ü': 'ue'}[low] })")
        elif ch == "ß":
            out.append("(?:ß|ss)")
        elif ch in "/|-":
            out.append(r"\s*[/|-]\s*")
        elif ch == " ":
            out.append(r"[\s-]+")
        elif ch in "'´’":
            out.append("['´’`]?")
        else:
            out.append(re.escape(ch))
    return "".join(out)


def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(text))


class FactionNames:
    """The factions of factions.yaml: find them in a text, map a spelling to its name(s)."""

    def __init__(self, raw: dict[str, object]) -> None:
        self._by_key: dict[str, tuple[str, ...]] = {}
        self._exact: dict[str, tuple[str, ...]] = {}
        loose: list[str] = []
        exact: list[str] = []
        names: list[str] = []
        for item in raw.get("factions") or []:  # type: ignore[attr-defined]
            name = str(item["name"])
            names.append(name)
            for spelling in [name, *(str(w) for w in item.get("words") or [])]:
                self._by_key[_key(spelling)] = (name,)
                loose.append(spelling)
            for spelling in (str(w) for w in item.get("exact") or []):
                self._exact[spelling] = (name,)
                exact.append(spelling)
        for spelling, members in (raw.get("joint") or {}).items():  # type: ignore[attr-defined]
            unknown = [m for m in members if m not in names]
            if unknown:
                raise ValueError(f"factions.yaml: joint {spelling!r} names unknown {unknown}")
            self._by_key[_key(str(spelling))] = tuple(str(m) for m in members)
            loose.append(str(spelling))
        self.canonical = frozenset(names)
        self._canonical_keys = {_key(n): n for n in names}
        by_length = sorted(set(loose), key=len, reverse=True)  # the longest spelling wins
        self._loose = re.compile(
            r"(?<!\w)(?:" + "|".join(_pattern(s) for s in by_length) + r")(?![^\W_])",
            re.IGNORECASE,
        )
        self._exact_re = (
            re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, exact)) + r")(?!\w)")
            if exact
            else None
        )

    def find(self, text: str) -> list[FactionMatch]:
        """Every faction named in `text`, left to right, without overlaps."""
        found: list[FactionMatch] = []
        for m in self._loose.finditer(text):
            names = self._by_key.get(_key(m.group(0)))
            if names:
                found.append(FactionMatch(m.start(), m.end(), names))
        if self._exact_re is not None:
            for m in self._exact_re.finditer(text):
                if not any(f.start <= m.start() < f.end for f in found):
                    found.append(FactionMatch(m.start(), m.end(), self._exact[m.group(0)]))
        return sorted(found, key=lambda f: f.start)

    def match_at(self, text: str, pos: int) -> FactionMatch | None:
        """The faction named exactly at `pos`, if any."""
        m = self._loose.match(text, pos)
        names = self._by_key.get(_key(m.group(0))) if m else None
        if m and names:
            return FactionMatch(m.start(), m.end(), names)
        e = self._exact_re.match(text, pos) if self._exact_re is not None else None
        return FactionMatch(e.start(), e.end(), self._exact[e.group(0)]) if e else None

    def names_in(self, text: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(n for f in self.find(text) for n in f.names))

    def canonical_name(self, name: str) -> str | None:
        """`name` if it is a canonical faction name, in any case or umlaut spelling."""
        return self._canonical_keys.get(_key(name))


@lru_cache(maxsize=1)
def faction_names() -> FactionNames:
    return FactionNames(yaml.safe_load(FACTIONS_FILE.read_text(encoding="utf-8")) or {})


@dataclass(frozen=True)
class Submitters:
    factions: tuple[str, ...] = ()  # canonical names
    persons: tuple[str, ...] = ()  # "Stadtrat Braun"

    def line(self) -> str | None:
        """The overview line, or None when nobody was found."""
        who = [*self.factions, *self.persons]
        return "Eingereicht von: " + ", ".join(who) if who else None


def _submitter_list(text: str, pos: int) -> tuple[list[str], list[str]]:
    """The factions and councillors listed from `pos` on: names, separators and "Fraktion"
    words, up to the first other word ("Antrag der CDU-Fraktion zur Datenerhebung" -> CDU)."""
    names = faction_names()
    factions: list[str] = []
    persons: list[str] = []
    end = min(len(text), pos + HEADER_CHARS)
    while pos < end:
        faction = names.match_at(text, pos)
        if faction:
            factions.extend(faction.names)
            pos = faction.end
            continue
        person = _PERSON.match(text, pos)
        if person and person.group("local") and not names.match_at(text, person.end()):
            person = None  # "Ortschaftsrat Durlach (öffentlich)" is the body
        if person:
            role = person.group("role") or person.group("local")
            persons.append(
                f"{_ROLES[role.lower()]} {person.group('name') or person.group('lname')}"
            )
            pos = person.end() - (1 if person.group("local") else 0)
            continue
        filler = _FILLER.match(text, pos)
        if not filler or filler.end() == pos:
            break
        pos = filler.end()
    return factions, persons


def _submitters_in_head(text: str, motion: bool) -> tuple[list[str], list[str]]:
    head = text[:HEADER_CHARS]
    factions: list[str] = []
    persons: list[str] = []
    starts = [m.end() for m in _CUE.finditer(head)]
    if motion:
        for found in faction_names().find(head):
            if _GLUED_AFTER.match(head, found.end) or _GLUED_BEFORE.search(head[: found.start]):
                starts.append(found.start)
    for start in starts:
        f, p = _submitter_list(head, start)
        factions.extend(f)
        persons.extend(p)
    return factions, persons


def submitters_of(files: Iterable[tuple[str | None, str]]) -> Submitters:
    """Factions and councillors named as submitters in the heads of a paper's files, given as
    (file name, text) pairs in the paper's order."""
    factions: list[str] = []
    persons: list[str] = []
    for file_name, text in files:
        name = (file_name or "").replace("_", " ")
        if _NOT_THE_PAPER.match(name):
            continue
        motion = bool(_MOTION.search(name) or _MOTION.search(text[:40]))
        for source in (text, name if _CUE.match(name.strip()) else ""):
            f, p = _submitters_in_head(source, motion)
            factions.extend(f)
            persons.extend(p)
    return Submitters(tuple(dict.fromkeys(factions)), tuple(dict.fromkeys(persons)))


def factions_of_organizations(organizations: Sequence[str]) -> tuple[str, ...]:
    """Canonical faction names for organization names from OParl that are factions
    ("Fraktion BÜNDNIS 90/DIE GRÜNEN" -> "Bündnis 90/Die Grünen"); committees give none."""
    names = faction_names()
    out: list[str] = []
    for org in organizations:
        if re.search(r"fraktion|gruppe", org, re.IGNORECASE) or names.canonical_name(org):
            out.extend(names.names_in(org))
    return tuple(dict.fromkeys(out))
