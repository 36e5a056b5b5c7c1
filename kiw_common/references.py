"""ALLRIS paper references and ALLRIS links: the one parser every package uses.

A reference comes in two spellings, and each caller says which it reads:
- *written*, as ALLRIS, the index and the papers print it: "VO/2025/12345", "2026/0541",
  "DHH/2026/0012", "2025/0009/1" (slashes, optional spaces around them). The index normalises
  stored references and query words with it (`reference_key`, `find_references`), and the router
  takes one in free text as a sign of council business (`mentions_reference`).
- *typed*, as people type it in a search or a summary request: the written forms plus
  "2024-0453", "2025 0900", "DHH-2025-6607", "AN 2025/12", "2023-0901-2" — never a date
  ("18.09.2025") and never a span of years ("Doppelhaushalt 2026/2027", `typed_reference`).
  The written form is not widened to the typed one: in indexed text and in questions about the
  rules, "2024-2025" is a span of years far more often than a paper.

Both become the same `ReferenceKey` (no zero padding, lower case, "/" separators), so a typed
"vo 2025-012345" finds the paper stored as "VO/2025/12345".

An ALLRIS *link* names a paper by its OParl URL, by ALLRIS's own row ids in the query string
(`vo020.asp?VOLFDNR=1664`, which survive ALLRIS upgrades that change every OParl URL), or by a
reference-like value in the query string: `allris_source_ids`, `allris_ids_in_url`,
`link_lookup_values`, `is_link_to_host`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

# Written: "VO/2025/12345", "2026/0541", "DHH/2026/0012", "2025/0009/1", "Drucksache 2025/123"
WRITTEN_REFERENCE = re.compile(
    r"(?<![\w/])(?:(?P<prefix>[A-Za-zÄÖÜäöü]{1,6})\s*/\s*)?"
    r"(?P<year>(?:19|20)\d{2})\s*/\s*(?P<number>\d{1,6})(?:\s*/\s*(?P<sub>\d{1,3}))?(?![\w/])"
)

# Typed: the written forms and "2024-0453", "2025 0900", "DHH-2025-6607", "dhh/2025/5004",
# "2023-0901-2", and an amendment typed with spaces only, "2025 0381 1" (a space between year and
# number; a bare "2025/0381 1" keeps its "1" out). Not a date ("18.09.2025": no "." on either side).
TYPED_REFERENCE = re.compile(
    r"(?<![\w/.-])(?:(?P<prefix>[A-Za-zÄÖÜäöü][A-Za-zÄÖÜäöü-]{0,11})\s*/\s*"
    r"|(?P<dprefix>[A-Za-zÄÖÜäöü]{1,6})\s*-\s*|(?P<caps>[A-ZÄÖÜ]{2,4})\s+)?"
    r"(?P<year>(?:19|20)\d{2})(?:\s*[/-]\s*|(?P<spaced>\s+))(?P<number>\d{2,6})"
    r"(?:\s*[/-]\s*(?P<sub>\d{1,3})|(?(spaced)\s+(?P<spaced_sub>\d{1,2})(?![\w/.])))?"
    r"(?![\w/.])"
)

# ALLRIS's own row ids (VOLFDNR = Vorlage, SILFDNR = Sitzung, ...) anywhere in a text or link.
ALLRIS_ID = re.compile(r"\b([a-z]{2}lfdnr)=0*(\d{1,12})\b", re.IGNORECASE)
# The row ids the crawler keeps from a paper's web URL, in this order.
ALLRIS_URL_KEYS = ("VOLFDNR", "SILFDNR", "KVLFDNR", "TOLFDNR", "PALFDNR", "AULFDNR", "DOLFDNR")
# Longer query values are no reference or row id (and would make a lookup costly).
MAX_LOOKUP_VALUE = 64
MAX_LINK_CHARS = 2048


@dataclass(frozen=True)
class ReferenceKey:
    """A paper reference in comparable form: no zero padding, lower case, "/" separators."""

    prefix: str  # "vo", "dhh" or ""
    core: str  # "2025/12345" or "2025/9/1"
    family: str  # "2025/9" for the base paper and all its amendments

    @property
    def full(self) -> str:
        return f"{self.prefix}/{self.core}" if self.prefix else self.core

    def index_keys(self) -> tuple[str, ...]:
        """What an index stores for exact matching: with and without prefix."""
        return tuple(dict.fromkeys((self.full, self.core)))


def _fold_prefix(prefix: str) -> str:
    # Prefixes are letters only (the patterns above): lower case and umlauts as two letters,
    # which is what indexer.analysis.fold makes of them.
    return prefix.casefold().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")


def _sub(m: re.Match[str]) -> str | None:
    """The amendment number of a match, typed "2025/0381/1", "2025-0381-1" or "2025 0381 1"."""
    groups = m.groupdict()
    return groups.get("sub") or groups.get("spaced_sub")


def key_from_match(m: re.Match[str]) -> ReferenceKey:
    """The comparable key of a match of either pattern."""
    groups = m.groupdict()
    prefix = _fold_prefix(groups.get("prefix") or groups.get("dprefix") or groups.get("caps") or "")
    year, number = m.group("year"), str(int(m.group("number")))
    family = f"{year}/{number}"
    sub = _sub(m)
    core = f"{family}/{int(sub)}" if sub else family
    return ReferenceKey(prefix=prefix, core=core, family=family)


def reference_key(reference: str) -> ReferenceKey | None:
    """Normalise a written reference ("vo/2025/012345", "2026/541") or None if it is none."""
    m = WRITTEN_REFERENCE.search(reference.strip())
    return key_from_match(m) if m else None


def find_references(text: str) -> Iterator[tuple[ReferenceKey, tuple[int, int]]]:
    """Every written reference in a text, with its position."""
    for m in WRITTEN_REFERENCE.finditer(text):
        yield key_from_match(m), m.span()


# The prefix of a motion to the (double) budget, "DHH/2026/0012": the summary tells such a
# motion by it.
BUDGET_MOTION_PREFIX = "dhh"


def names_budget_motion(text: str) -> bool:
    """Whether a text names a budget motion by its written reference ("DHH/2026/0012")."""
    return any(key.prefix == BUDGET_MOTION_PREFIX for key, _ in find_references(text))


def line_reference(line: str, *, leads: tuple[str, ...] = ()) -> ReferenceKey | None:
    """The reference a line consists of: alone ("DHH/2026/0012") or after one of `leads`
    ("ANTRAG DHH/2026/0012" with leads=("ANTRAG",)); None for a line that says more."""
    m = WRITTEN_REFERENCE.search(line)
    if m is None or line[m.end() :].strip() or line[: m.start()].strip() not in ("", *leads):
        return None
    return key_from_match(m)


def mentions_reference(text: str) -> bool:
    """Whether free text names a paper by its reference, written ("VO/2026/14102") or typed
    ("VO-2026-14102", "2024-0453"); a typed one needs a number of three digits or more, so a
    date ("2025-06-01") or a month ("2025 06") is none."""
    if WRITTEN_REFERENCE.search(text) is not None:
        return True
    typed = typed_reference(text)
    return typed is not None and len(typed.group("number")) >= 3


def typed_reference(text: str) -> re.Match[str] | None:
    """The first reference as people type it, skipping spans of years ("2026/2027")."""
    for m in TYPED_REFERENCE.finditer(text):
        year, number = int(m.group("year")), m.group("number")
        if len(number) == 4 and 0 < int(number) - year <= 5 and not _sub(m):
            continue  # "Doppelhaushalt 2026/2027" is a span of years
        return m
    return None


def written_form(m: re.Match[str]) -> str:
    """A typed reference as ALLRIS writes it: "dhh-2025-6607" -> "DHH/2025/6607" (digits kept
    as typed: the index compares without zero padding)."""
    groups = m.groupdict()
    prefix = (groups.get("prefix") or groups.get("dprefix") or groups.get("caps") or "").upper()
    core = f"{m.group('year')}/{m.group('number')}"
    if sub := _sub(m):
        core += f"/{sub}"
    return f"{prefix}/{core}" if prefix else core


# ---------------------------------------------------------------- ALLRIS links


def allris_source_ids(text: str) -> list[str]:
    """ALLRIS row ids in a web link or typed text, normalised: `…vo020.asp?VOLFDNR=01664` ->
    ["VOLFDNR=1664"]."""
    return [f"{key.upper()}={number}" for key, number in ALLRIS_ID.findall(text)]


def allris_ids_in_url(web_url: str | None) -> tuple[str, ...]:
    """The row ids the index keeps from a paper's web URL (`vo020.asp?VOLFDNR=1664` →
    `VOLFDNR=1664`), the known keys in a fixed order, values as the URL has them."""
    if not web_url:
        return ()
    query = {k.upper(): v for k, v in parse_qsl(urlsplit(web_url).query)}
    return tuple(f"{key}={query[key]}" for key in ALLRIS_URL_KEYS if query.get(key))


def host_name(host: str) -> str:
    """The bare host of a setting that may be a host or a URL ("https://ris.example.de/x")."""
    host = host.strip().lower()
    return (urlsplit(host).hostname or host) if "://" in host else host.split("/")[0]


def is_link_to_host(url: str, host: str) -> bool:
    """Whether `url` is an http(s) link to `host` (a host name or a URL, as configured)."""
    if not host or len(url) > MAX_LINK_CHARS:
        return False
    try:
        parts = urlsplit(url.strip())
        hostname = (parts.hostname or "").lower()
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and hostname == host_name(host)


def link_lookup_values(url: str) -> list[str]:
    """Values in a link's query string that may be a reference or a row id (short, with a
    digit), in the order they appear; [] for a link that does not parse."""
    try:
        query = urlsplit(url).query
    except ValueError:
        return []
    return [
        v
        for _, v in parse_qsl(query)
        if v and len(v) <= MAX_LOOKUP_VALUE and any(c.isdigit() for c in v)
    ]
