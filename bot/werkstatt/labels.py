"""German names for what the audit log records by code: the one mapping the dashboard shows.

Skills are named by the title each skill declares (skills.context.Skill.title, the same words
as on the help card), in the order of the registry the app runs. Reason codes get a German label here; a code
without one, and a skill name the registry no longer knows (old audit lines), is counted
under OTHER. The row lists are fixed, so whether a row appears says nothing about who used what.
"""

from __future__ import annotations

from collections.abc import Container, Iterable

from skills.context import Skill

OTHER = "other"
OTHER_SKILL_LABEL = "Sonstige (ohne Zuordnung)"
OTHER_REASON_LABEL = "Sonstige Gründe"

# Gate refusals (skills/gate.py reason codes).
DENIAL_REASONS: dict[str, str] = {
    "kipass_required": "Kein KI-Pass",
    "kipass_expired": "KI-Pass abgelaufen",
    "kipass_check_failed": "KI-Pass nicht prüfbar",
    "unknown_user": "Person nicht im Verzeichnis",
    "no_identity": "Keine Anmeldung erkennbar (z. B. Gast)",
    "foreign_tenant": "Konto einer anderen Organisation",
}

# Failed turns (outcome "error"/"bad_input"), by reason code (SkillError.code, bot/pipeline.py).
FAILURE_REASONS: dict[str, str] = {
    "timeout": "Zeitüberschreitung",
    "too_long": "Nachricht zu lang",
    "bad_input": "Ungültige Eingabe",
    "no_text": "Datei ohne Text (Scan)",
    "password_protected": "Datei mit Passwortschutz",
    "unreadable": "Datei nicht lesbar",
    "skill_error": "Fehler in der Funktion",
}

# Figures, as the CSV export names them (the page has its own column headings).
METRICS: dict[str, str] = {
    "turns": "Anfragen",
    "latency_p50_ms": "Antwortzeit Median (ms)",
    "latency_p95_ms": "Antwortzeit p95 (ms)",
    "citation_share": "Anteil mit Quellenangabe",
    "no_answer_rate": "Anteil „keine Aussage“",
    "stopped_rate": "Anteil abgebrochen",
    "feedback_up": "Rückmeldungen „hilfreich“",
    "feedback_down": "Rückmeldungen „nicht hilfreich“",
    "count": "Anzahl",
}


# (name, German title) per dashboard row.
Rows = tuple[tuple[str, str], ...]


def skill_rows(skills: Iterable[Skill]) -> Rows:
    """(name, German title) of every skill of the registry the app runs (create_app builds it,
    bot/app.py), then the row for everything else."""
    return (*((s.name, s.title) for s in skills), (OTHER, OTHER_SKILL_LABEL))


def reason_rows(labels: dict[str, str]) -> Rows:
    return (*labels.items(), (OTHER, OTHER_REASON_LABEL))


def row_key(code: str | None, known: Container[str]) -> str:
    """The row a code is counted under: itself if it has a German name, else OTHER."""
    return code if code and code in known else OTHER
