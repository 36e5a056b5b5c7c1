"""Mask personal data before text goes to an external (not on-premise) model.

The Dienstvereinbarung forbids personal data in external AI tools; the assistant enforces it:
e-mail addresses, phone numbers, IBANs, street addresses and person names (where a title,
a salutation or a signature makes them detectable) become placeholders like `[EMAIL_1]`.
The reply is unmasked only for values the user typed in their own question; values that came
from documents stay replaced by a neutral label ("[E-Mail-Adresse]").

Detection is pattern-based on purpose: predictable, fast, no model. It misses names that stand
without a title; the docs say so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

Source = Literal["user", "document"]

# Starts only where a run of address characters starts: linear, where \b was quadratic.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){3,7}(?:[ ]?[A-Z0-9]{1,3})?\b")
# +49 / 0 prefix and at least 7 digits; dots excluded so dates and amounts never match.
_PHONE = re.compile(r"(?<![\w/])(?:\+\d{2}[ -]?|\(?0)\d[\d /()-]{5,}\d(?![\w/])")
_STREET_SUFFIX = (
    r"(?:straße|strasse|str\.|weg|allee|platz|gasse|ring|damm|ufer|chaussee|stieg|twiete|"
    r"grube|markt|kai|brücke|hof|berg|tor)"
)
_STREET = re.compile(
    rf"\b(?:[A-ZÄÖÜ][\wäöüß-]*[ ])?[A-ZÄÖÜ][\wäöüß-]*{_STREET_SUFFIX}[ ]\d{{1,4}}(?:[ ]?[a-z])?\b"
    rf"(?:,?[ ]\d{{5}}[ ][A-ZÄÖÜ][\wäöüß-]+)?"
    rf"|\b(?:Große|Kleine|Breite|Obere|Untere|Lange|Am|An der|Auf dem|Im)[ ][A-ZÄÖÜ][\wäöüß-]+"
    rf"[ ]\d{{1,4}}(?:[ ]?[a-z])?\b(?:,?[ ]\d{{5}}[ ][A-ZÄÖÜ][\wäöüß-]+)?"
)
_NAME_WORD = r"[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ][a-zäöüß]+)?"
_PERSON = re.compile(
    rf"\b(?:Herrn?|Frau|Dr\.|Prof\.|Dipl\.-\w+\.?|Senator(?:in)?|Bürgermeister(?:in)?|"
    rf"Oberbürgermeister(?:in)?|Mr\.?|Mrs\.?|Ms\.?)\s(?:(?:Dr\.|Prof\.)\s)*"
    rf"({_NAME_WORD}(?:\s{_NAME_WORD})?)"
)
_SIGNATURE = re.compile(
    rf"(?:\bgez\.\s?|(?:Mit\s)?(?:freundlichen|besten|herzlichen)\sGrüßen,?\s*\n?\s*)"
    rf"((?:Dr\.\s)?{_NAME_WORD}\s{_NAME_WORD})"
)
# Words after a title that are not names ("Frau Senatorin", "Herr Bürgermeister").
_NOT_NAMES = frozenset(
    [
        "Senatorin",
        "Senator",
        "Bürgermeister",
        "Bürgermeisterin",
        "Oberbürgermeister",
        "Oberbürgermeisterin",
        "Vorsitzende",
        "Vorsitzender",
        "Präsidentin",
        "Präsident",
        "Stadtpräsidentin",
        "Stadtpräsident",
        "Kollegin",
        "Kollege",
        "Abgeordnete",
        "Abgeordneter",
    ]
)

LABELS = {
    "EMAIL": "[E-Mail-Adresse]",
    "IBAN": "[IBAN]",
    "TELEFON": "[Telefonnummer]",
    "ADRESSE": "[Adresse]",
    "PERSON": "[Name]",
}
_PLACEHOLDER = re.compile(r"\[(EMAIL|IBAN|TELEFON|ADRESSE|PERSON)_(\d+)\]")


@dataclass
class Masker:
    """Masks one conversation turn consistently: the same value gets the same placeholder."""

    placeholders: dict[str, str] = field(default_factory=dict)  # value -> placeholder
    originals: dict[str, tuple[str, Source]] = field(default_factory=dict)  # placeholder -> …
    counts: dict[str, int] = field(default_factory=dict)

    def mask(self, text: str, source: Source) -> str:
        text = self._replace(_EMAIL, "EMAIL", text, source)
        text = self._replace(_IBAN, "IBAN", text, source)
        text = self._replace(_STREET, "ADRESSE", text, source)
        text = self._replace(_PHONE, "TELEFON", text, source, min_digits=7)
        text = self._replace(_PERSON, "PERSON", text, source, group=1)
        text = self._replace(_SIGNATURE, "PERSON", text, source, group=1)
        return text

    def unmask(self, text: str) -> str:
        """User-typed values come back; document values stay a neutral label."""

        def restore(match: re.Match[str]) -> str:
            entry = self.originals.get(match.group(0))
            if entry is None:
                return LABELS[match.group(1)]
            value, source = entry
            return value if source == "user" else LABELS[match.group(1)]

        return _PLACEHOLDER.sub(restore, text)

    @property
    def masked_count(self) -> int:
        return len(self.originals)

    def _replace(
        self,
        pattern: re.Pattern[str],
        kind: str,
        text: str,
        source: Source,
        *,
        group: int = 0,
        min_digits: int = 0,
    ) -> str:
        def substitute(match: re.Match[str]) -> str:
            value = match.group(group)
            whole = match.group(0)
            if min_digits and sum(ch.isdigit() for ch in value) < min_digits:
                return whole
            if kind == "PERSON" and value.split()[0] in _NOT_NAMES:
                return whole
            placeholder = self._placeholder(kind, value, source)
            if group == 0:
                return placeholder
            start, end = match.span(group)
            offset = match.start(0)
            return whole[: start - offset] + placeholder + whole[end - offset :]

        return pattern.sub(substitute, text)

    def _placeholder(self, kind: str, value: str, source: Source) -> str:
        existing = self.placeholders.get(value)
        if existing:
            # A value the user typed themselves may come back even if a document has it too.
            if source == "user":
                self.originals[existing] = (value, "user")
            return existing
        self.counts[kind] = self.counts.get(kind, 0) + 1
        placeholder = f"[{kind}_{self.counts[kind]}]"
        self.placeholders[value] = placeholder
        self.originals[placeholder] = (value, source)
        return placeholder


def contains_personal_data(text: str) -> bool:
    """True when the masker would replace anything (used for the trace, never for content)."""
    return Masker().mask(text, "document") != text


def without_personal_data(text: str) -> str:
    """The text with personal data removed (for matching a question's topic, not for display)."""
    return _PLACEHOLDER.sub(" ", Masker().mask(text, "user"))


def masked_for_service(text: str) -> str:
    """The text with personal data replaced by neutral labels ("[Name]", "[E-Mail-Adresse]"),
    for a service whose answer never comes back as text to unmask: an embeddings endpoint that
    is not on-premise gets questions and passages this way (bot/services.py)."""
    masker = Masker()
    return masker.unmask(masker.mask(text, "document"))
