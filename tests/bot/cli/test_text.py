"""What `kiw ask`, `kiw summarise` and `kiw chat` print without --json: each result kind's plain
text (bot/render/text.py) in the German a user reads — the answer with its sources, the
summary, an empty search, help, the KI-Pass status, the gate's refusal (stderr, exit 3) and a
request that cannot be served (stderr)."""

from __future__ import annotations

from pathlib import Path

from tests.bot.cli.conftest import KiwRun

CLARA = "5d0c3a51-8f0e-4c39-9a57-0d7d2f1a0003"  # no KI-Pass yet: two steps open
STEPS_OPEN = "Noch offen: KI-Leitlinien zur Kenntnis genommen; Digitale Checkliste abgeschlossen."
NEXT_STEP = "Ihr nächster Schritt: Nehmen Sie die KI-Leitlinien zur Kenntnis."
LINK = "Zum KI-Pass im Intranet: https://intranet.luebeck.de/ki-pass"
CONTACT = "Fragen beantwortet die KI-Werkstatt (ki-werkstatt@luebeck.de)."
REFUSAL = [
    "Für „Fragen zu den KI-Regeln“ brauchen Sie einen gültigen KI-Pass. Sie haben noch keinen.",
    STEPS_OPEN,
    NEXT_STEP,
    LINK,
    CONTACT,
]


def test_an_answer_with_its_sources(corpus_data: Path, kiw: KiwRun) -> None:
    code, out, _ = kiw(corpus_data, "ask", "Wie lange ist der KI-Pass gültig?")
    assert code == 0
    assert out.splitlines() == [
        "Auszug aus den Quellen, nicht KI-formuliert:",
        "„Der KI-Pass ist zwei Jahre gültig.“ [1]",
        "",
        "Quellen:",
        "[1] Der KI-Pass – Voraussetzungen, Ablauf und Gültigkeit (Beispiel), KI-PASS-Muster, "
        "Gültigkeit und Verlängerung – https://intranet.luebeck.de/ki-pass",
    ]


def test_a_summary_with_its_sections(corpus_data: Path, kiw: KiwRun) -> None:
    code, out, _ = kiw(corpus_data, "summarise", "VO/2026/14311")
    assert code == 0
    lines = out.splitlines()
    assert lines[:5] == [
        "Zusammenfassung: Sanierung und Erweiterung der Grundschule Kücknitz",
        "(Auszug aus den Quellen, nicht KI-formuliert)",
        "",
        "Beschlussvorschlag:",
        "Die Bürgerschaft beschließt die Sanierung und Erweiterung der Grundschule Kücknitz um "
        "sechs Klassenräume und eine Mensa nach der Entwurfsplanung vom 15.08.2026. Die "
        "Verwaltung wird beauftragt, die Bauleistungen bis zum 31.03.2027 auszuschreiben. [1]",
    ]
    assert "- Die Gesamtkosten betragen 14,8 Mio. Euro. [1]" in lines
    assert "- Bürgerschaft 29.10.2026 (Entscheidung) [1]" in lines
    assert lines[-2:] == [
        "Ergebnis laut Ratsinformationssystem:",
        "- Schul- und Sportausschuss 22.09.2026: einstimmig empfohlen; Bürgerschaft 29.10.2026: "
        "einstimmig beschlossen",
    ]


def test_the_refusal_on_stderr_as_in_the_chat(corpus_data: Path, kiw: KiwRun) -> None:
    code, out, err = kiw(corpus_data, "ask", "Darf ich ChatGPT nutzen?", "--user", CLARA)
    assert (code, out) == (3, "") and err.splitlines() == REFUSAL
    code, out, _ = kiw(corpus_data, "chat", "frage Darf ich ChatGPT nutzen?", "--user", CLARA)
    assert code == 0 and out.splitlines() == REFUSAL


def test_the_kipass_status(corpus_data: Path, kiw: KiwRun) -> None:
    code, out, _ = kiw(corpus_data, "chat", "kipass", "--user", CLARA)
    assert code == 0
    assert out.splitlines() == [
        "Sie haben noch keinen gültigen KI-Pass.",
        "- Schulung besucht: ✓ erledigt",
        "- Dienstvereinbarung zur KI-Nutzung zur Kenntnis genommen: ✓ erledigt",
        "- KI-Leitlinien zur Kenntnis genommen: offen",
        "- Digitale Checkliste abgeschlossen: offen",
        f"{STEPS_OPEN} {NEXT_STEP}",
        LINK,
        "Ihre Dokumentzugänge: öffentliche Dokumente.",
        CONTACT,
    ]


def test_help_an_empty_search_and_problems(corpus_data: Path, kiw: KiwRun) -> None:
    code, out, _ = kiw(corpus_data, "chat", "hilfe suche")
    assert code == 0 and out.splitlines() == [
        "Ratsinformationen durchsuchen: Findet Anträge, Vorlagen und Niederschriften im "
        "Ratsinformationssystem (ALLRIS) – mit Filtern nach Fraktion, Gremium und Zeitraum.",
        "So schreiben Sie es: „suche …“ (auch: search)",
        "Die Suche funktioniert ohne KI-Pass; für Antworten auf Fragen brauchen Sie einen "
        "gültigen KI-Pass.",
    ]
    code, out, _ = kiw(corpus_data, "chat", "suche Xylophonorchester")
    assert code == 0 and out == "Zu „Xylophonorchester“ habe ich nichts gefunden.\n"
    code, out, _ = kiw(corpus_data, "chat", "priorisieren")
    assert code == 0 and out.startswith(
        "Bitte hängen Sie eine Inventarliste als CSV- oder Excel-Datei (.xlsx) an und schreiben "
        "Sie „priorisieren“ dazu"
    )
    code, out, err = kiw(corpus_data, "ask", "  ")
    assert (code, out) == (2, "") and err == (
        "Bitte stellen Sie Ihre Frage nach dem Befehl, zum Beispiel: „frage Darf ich "
        "personenbezogene Daten in ChatGPT eingeben?“\n"
    )
    code, out, err = kiw(corpus_data, "summarise", "GR-INTERN/2026/07")
    assert (code, out) == (1, "")
    assert (
        err == "„GR-INTERN/2026/07“ habe ich nicht gefunden. Bitte prüfen Sie das Aktenzeichen.\n"
    )
