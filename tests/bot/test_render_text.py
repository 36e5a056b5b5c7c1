"""The CLI's text of the typed result kinds (bot/render/text.py): the same facts, labels and
citations as the chat, without card markup (`kiw chat` without --json: tests/bot/cli)."""

from __future__ import annotations

from datetime import date

from bot.render.text import answer_text, paper_list_text, result_text
from kiw_common.vocabulary import Citation
from skills.policy_qa import PRIVACY_NOTE
from skills.results import Answer, Paper, PaperList
from skills.types import SkillResult

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


def test_other_results_print_their_own_text() -> None:
    assert result_text(SkillResult(text="Keine weiteren Treffer.")) == "Keine weiteren Treffer."
    empty = SkillResult(text="Zu „x“ habe ich nichts gefunden.", payload=PaperList("x", (), 0))
    assert result_text(empty) == "Zu „x“ habe ich nichts gefunden."
