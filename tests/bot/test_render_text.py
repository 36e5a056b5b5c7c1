"""The plain text of every typed result kind (bot/render/text.py): the same facts, labels and
citations as the chat's cards, without card markup, in the German users read (`kiw chat`
without --json: tests/bot/cli; extension hints: tests/bot/test_extensions.py)."""

from __future__ import annotations

from datetime import date

from bot.render.chat_cards import result_card
from bot.render.text import answer_text, paper_list_text, result_text
from graph.principal import Principal
from kiw_common.vocabulary import Citation
from skills import help as help_skill
from skills import kipass, prioritise
from skills.context import SkillConfig, SkillContext
from skills.gate import gate
from skills.help import WELCOME
from skills.policy_qa import PRIVACY_NOTE, check_question
from skills.registry import all_skills
from skills.results import Answer, CitedPoint, DocumentSummary, Notice, Paper, PaperList, Pointer
from skills.types import Attachment, SkillRequest, SkillResult
from tests.bot.kit import FakeDirectory
from tests.conftest import REPO

DV = Citation(1, "Dienstvereinbarung KI", "https://intranet.example/dv.pdf", "dv", 4, "…", "§ 4")


def test_an_answer_with_its_sources_and_the_privacy_note() -> None:
    answer = Answer("Nein [1].", masked_personal_data=True)
    text = answer_text(answer, [DV])
    assert text.splitlines() == [
        "Nein [1].",
        "",
        PRIVACY_NOTE,
        "",
        "Quellen:",
        "[1] Dienstvereinbarung KI, § 4, S. 4 – https://intranet.example/dv.pdf",
    ]
    no_answer = Answer("Dazu enthalten die Regelungen keine Aussage.", grounded=False)
    assert answer_text(no_answer, []) == "Dazu enthalten die Regelungen keine Aussage."


def _paper(n: int, **fields: object) -> Paper:
    base = Paper(
        f"p{n}", f"Vorlage {n}", f"VO/2026/{n}", date(2026, 10, 14),
        ("Bauausschuss", "Fraktion Bündnis 90/Die Grünen"), "Antrag", None, "Die **Radwege**",
    )  # fmt: skip
    return base if not fields else Paper(**{**base.__dict__, **fields})


def test_a_page_of_papers_as_the_card_lists_them() -> None:
    papers = PaperList(
        "Radverkehr", (_paper(6, factions=("Fraktion Bündnis 90/Die Grünen",), status="offen"),),
        total=7, page=1, filters=(("Art", "Antrag"),), home_url="https://ris.example",
    )  # fmt: skip
    lines = paper_list_text(papers).splitlines()
    assert lines[:3] == [
        "Ergebnisse aus dem Ratsinformationssystem",
        "Verstanden als: Art: Antrag",
        "7 Vorgänge, Seite 2",
    ]
    # Numbered across pages; committees apart from the submitters; the passage without markup.
    assert "6. Vorlage 6" in lines
    assert "   VO/2026/6 · Antrag · 14.10.2026 · Gremium: Bauausschuss" in lines
    assert "   Eingereicht von: Fraktion Bündnis 90/Die Grünen" in lines
    assert "   Beratung: offen" in lines
    assert "   https://ris.example" in lines  # no own link: the ALLRIS start page
    assert "   „Die Radwege“" in lines
    assert not any(line.startswith("Mehr Treffer") for line in lines)  # 7 papers: page 2 is last
    more = PaperList("Radverkehr", (_paper(1),), total=7)
    assert paper_list_text(more).splitlines()[-1] == "Mehr Treffer: „mehr“ (Seite 2)"


async def test_a_problem_is_its_german_message_and_its_code() -> None:
    empty = check_question("  ")
    assert empty is not None
    assert result_text(empty) == (
        "Bitte stellen Sie Ihre Frage nach dem Befehl, zum Beispiel: „frage Darf ich "
        "personenbezogene Daten in ChatGPT eingeben?“"
    )
    assert empty.as_json() == {"error": "bad_input", "message": result_text(empty)}
    channel = SkillRequest(text="", scope="team")
    assert result_text(await prioritise.SKILL.run(channel, _ctx())) == (
        "Bitte senden Sie die Inventarliste im 1:1-Chat mit dem Assistenten: Dateien aus Kanälen "
        "und Gruppenchats kann ich nicht auswerten."
    )


# ---------------------------------------------------------------- every other kind, whole texts

CONFIG = SkillConfig(
    kipass_training_url="https://intranet.example/ki-pass", kipass_contact="Frau X"
)
TODAY = date(2026, 11, 27)
ALL_DONE = {"schulung": True, "dienstvereinbarung": True, "leitlinien": True, "checkliste": True}
HALF_WAY = {"schulung": True, "dienstvereinbarung": False}


def _ctx(principal: Principal | None = None) -> SkillContext:
    return SkillContext(
        index=None,  # type: ignore[arg-type]
        generator=None,  # type: ignore[arg-type]
        directory=FakeDirectory([principal] if principal else []),
        config=CONFIG,
        today=lambda: TODAY,
        skills=all_skills(),
    )


def _person(until: date | None, steps: dict[str, bool], *groups: str) -> Principal:
    return Principal(
        id="u", name="U", kipass_valid_until=until, kipass_steps=steps,
        access_groups=frozenset(groups),
    )  # fmt: skip


async def test_the_kipass_status_as_text_and_its_card_share_the_words() -> None:
    person = _person(date(2026, 12, 10), ALL_DONE, "fraktion-cdu")
    result = await kipass.run(SkillRequest(text="", user=person), _ctx())
    assert result_text(result).splitlines() == [
        "Ihr KI-Pass ist gültig bis 10.12.2026.",
        "Ihr KI-Pass läuft in 13 Tagen ab (gültig bis 10.12.2026). Bitte frischen Sie ihn "
        "rechtzeitig auf, damit Sie die KI-Funktionen weiter nutzen können.",
        "- Schulung besucht: ✓ erledigt",
        "- Dienstvereinbarung zur KI-Nutzung zur Kenntnis genommen: ✓ erledigt",
        "- KI-Leitlinien zur Kenntnis genommen: ✓ erledigt",
        "- Digitale Checkliste abgeschlossen: ✓ erledigt",
        "Auffrischung buchen: https://intranet.example/ki-pass",
        "Ihre Dokumentzugänge: Fraktion CDU, öffentliche Dokumente.",
        "Fragen beantwortet Frau X.",
    ]
    card, _ = result_card(result)
    assert card is not None
    texts = [el.get("text") for el in card["body"]]
    assert "Fragen beantwortet Frau X." in texts  # one sentence, filled into the card
    none_yet = await kipass.run(SkillRequest(text="", user=_person(None, HALF_WAY)), _ctx())
    assert result_text(none_yet).splitlines()[3] == (
        "Noch offen: Dienstvereinbarung zur KI-Nutzung zur Kenntnis genommen. Ihr nächster "
        "Schritt: Nehmen Sie die Dienstvereinbarung zur KI-Nutzung zur Kenntnis."
    )


async def test_the_refusal_as_text_and_its_card_share_the_words() -> None:
    policy_qa = next(s for s in all_skills() if s.name == "policy_qa")
    decision = await gate(policy_qa, "u", _ctx(_person(None, HALF_WAY)))
    assert decision.result is not None
    text = result_text(decision.result)
    assert text.splitlines() == [
        "Für „Fragen zu den KI-Regeln“ brauchen Sie einen gültigen KI-Pass. Sie haben noch keinen.",
        "Noch offen: Dienstvereinbarung zur KI-Nutzung zur Kenntnis genommen.",
        "Ihr nächster Schritt: Nehmen Sie die Dienstvereinbarung zur KI-Nutzung zur Kenntnis.",
        "Zum KI-Pass im Intranet: https://intranet.example/ki-pass",
        "Fragen beantwortet Frau X.",
    ]
    card, _ = result_card(decision.result)
    assert card is not None
    texts = [el.get("text") for el in card["body"]]
    assert text.splitlines()[0] in texts and "Fragen beantwortet Frau X." in texts


async def test_help_lists_every_command_and_says_how_to_mention_the_bot_in_teams() -> None:
    shell = result_text(await help_skill.run(SkillRequest(text="", scope="cli"), _ctx()))
    lines = shell.splitlines()
    assert lines[:2] == [WELCOME, "Das kann ich für Sie tun:"]
    assert lines[2] == (
        "- hilfe: Hilfe (ohne KI-Pass). Zeigt, was der Assistent kann und wie Sie ihn ansprechen."
    )
    assert len(lines) == 2 + len(all_skills())  # no @-mention hint on the shell
    chat = await help_skill.run(SkillRequest(text="", bot_name="Assistent"), _ctx())
    assert result_text(chat) == shell + (
        "\nIn Kanälen und Gruppenchats erwähnen Sie mich mit @, z. B. „@Assistent suche "
        "Radverkehr“."
    )
    one = await help_skill.run(SkillRequest(text="suche"), _ctx())
    assert result_text(one).splitlines() == [
        "Ratsinformationen durchsuchen: Findet Anträge, Vorlagen und Niederschriften im "
        "Ratsinformationssystem (ALLRIS) – mit Filtern nach Fraktion, Gremium und Zeitraum.",
        "So schreiben Sie es: „suche …“ (auch: search)",
        "Die Suche funktioniert ohne KI-Pass; für Antworten auf Fragen brauchen Sie einen "
        "gültigen KI-Pass.",
    ]


async def test_a_ranking_and_an_unusable_inventory() -> None:
    inventory = (REPO / "samples" / "inventory.csv").read_bytes()
    attached = SkillRequest(
        text="60", attachments=(Attachment("inventar.csv", "text/csv", inventory),)
    )
    lines = result_text(await prioritise.SKILL.run(attached, _ctx())).splitlines()
    assert lines[:3] == [
        "31 Prozesse bewertet: 28,52 VZÄ Einsparpotenzial insgesamt.",
        "Die besten Kandidaten:",
        "1. Meldebescheinigung ausstellen – 1,50 VZÄ Potenzial, 10 PT Aufwand",
    ]
    assert lines[-2].startswith("Quick Wins: Meldebescheinigung ausstellen, Terminvergabe")
    assert lines[-1].startswith("Zeitplan ab Q1/2027 mit 60 Personentagen pro Quartal; erste")
    bad = Attachment("inventar.csv", "text/csv", b"Prozess;Organisationseinheit\nA;B\n")
    unusable = await prioritise.SKILL.run(SkillRequest(text="", attachments=(bad,)), _ctx())
    lines = result_text(unusable).splitlines()
    assert lines[0] == "Die Inventarliste „inventar.csv“ kann ich nicht auswerten:"
    assert "- Zeile 1, Spalte „Minuten pro Fall“: Spalte fehlt." in lines
    assert lines[-1] == "Bitte korrigieren Sie die Datei und senden Sie sie erneut."


def test_a_summary_with_its_sections_label_and_results() -> None:
    point = CitedPoint("Die Radwege werden breiter.", citations=(1,), pages=(2,))
    summary = DocumentSummary(
        "VO/2026/1 Radwege",
        key_points=(point,),
        more_attachments=2,
        results=("Bauausschuss 14.10.2026: beschlossen",),
    )
    result = SkillResult(summary, ai_generated=True)
    assert result_text(result).splitlines() == [
        "Zusammenfassung: VO/2026/1 Radwege",
        "(KI-generiert, bitte prüfen)",
        "",
        "Kernaussagen:",
        "- Die Radwege werden breiter. [1] (S. 2)",
        "",
        "Anlagen:",
        "- 2 Anlagen",
        "",
        "Ergebnis laut Ratsinformationssystem:",
        "- Bauausschuss 14.10.2026: beschlossen",
    ]


def test_an_empty_search_and_the_end_of_the_list_in_one_line() -> None:
    nothing = SkillResult(PaperList("Radverkehr", (), 0))
    assert result_text(nothing) == "Zu „Radverkehr“ habe ich nichts gefunden."
    past_the_end = SkillResult(PaperList("Radverkehr", (), 7, page=2))
    assert result_text(past_the_end) == "Keine weiteren Treffer."


def test_a_notice_is_its_own_words() -> None:
    line = "Ich habe Ihnen die Details im persönlichen Chat geschickt."
    assert result_text(SkillResult(Notice(line))) == line


def test_no_sure_answer_lists_the_places_to_check_under_their_own_heading() -> None:
    places = (
        Pointer("Dienstvereinbarung KI", "https://intranet.example/dv.pdf", "dv",
                "Der KI-Pass ist zwei Jahre gültig.", "§ 7 KI-Pass", 4),
        Pointer("Sichere Radwege", None, "p1", "Die »Radwege« werden breiter.",
                reference="VO/2026/14102"),
    )  # fmt: skip
    answer = Answer(
        "Eine sichere Antwort finde ich in den Regelungen nicht.", False, pointers=places
    )
    assert answer_text(answer, []).splitlines() == [
        "Eine sichere Antwort finde ich in den Regelungen nicht.",
        "",
        "Diese Stellen kommen Ihrer Frage am nächsten – bitte prüfen Sie selbst:",
        "1. Dienstvereinbarung KI, § 7 KI-Pass, S. 4",
        "   „Der KI-Pass ist zwei Jahre gültig.“",
        "   https://intranet.example/dv.pdf",
        "2. Sichere Radwege, VO/2026/14102",
        "   „Die „Radwege“ werden breiter.“",
    ]
    english = Answer("I find no reliable answer.", False, "en", pointers=places[:1])
    assert answer_text(english, []).splitlines()[2] == (
        "These passages come closest to your question – please check them yourself:"
    )
