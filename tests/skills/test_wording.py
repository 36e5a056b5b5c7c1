"""German wording (issue 15 item 3): counts, clipped text, quotation marks, one committee label,
and the contact a "no answer" names, through the helpers and where users see them."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.render.chat_cards import paper_list_card
from bot.render.outlook import paper_card
from bot.render.text import result_text
from indexer.model import COUNCIL, Chunk
from skills import allris_search, policy_qa
from skills.allris_papers import paper_of
from skills.context import SkillConfig
from skills.results import CitedPoint, DocumentSummary, Paper, PaperList
from skills.summary.text import summary_text
from skills.types import SkillOptions, SkillRequest
from skills.wording import clip, committee_label, count_of, german_quotes
from tests.skills.helpers import sample_context


def test_counts_use_the_singular_for_one_only() -> None:
    assert count_of(1, "Vorgang", "Vorgänge") == "1 Vorgang"
    assert count_of(0, "Vorgang", "Vorgänge") == "0 Vorgänge"
    assert count_of(2, "Vorgang", "Vorgänge") == "2 Vorgänge"
    assert count_of(12345, "Vorgang", "Vorgänge") == "12.345 Vorgänge"


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("Der Ausschuss berät in geheimer Sitzung", 20, "Der Ausschuss berät…"),
        ("kurz genug", 20, "kurz genug"),
        ("  Zeilen\n umbrochen  ", 40, "Zeilen umbrochen"),
        ("Donaudampfschifffahrtsgesellschaft", 10, "Donaudamp…"),
        ("Die Kosten, die Fristen", 12, "Die Kosten…"),
    ],
)
def test_clip_cuts_at_a_word_and_marks_the_cut(text: str, limit: int, expected: str) -> None:
    clipped = clip(text, limit)
    assert clipped == expected
    assert len(clipped) <= limit


def test_german_quotes_replace_guillemets_and_straight_quotes() -> None:
    assert german_quotes("das »Radverkehrskonzept« und «Tempo 30»") == (
        "das „Radverkehrskonzept“ und „Tempo 30“"
    )
    assert german_quotes('der Antrag "Grüne Welle" wurde') == "der Antrag „Grüne Welle“ wurde"
    assert german_quotes('schon „richtig“ und 5" Zoll') == 'schon „richtig“ und 5" Zoll'


def test_one_committee_label_on_chat_and_extension_cards() -> None:
    assert committee_label(1) == "Gremium" and committee_label(2) == "Gremien"
    one = Paper("d", "Titel", "VO/1", None, ("Bauausschuss",), None, None, "")
    two = dataclasses.replace(one, organizations=("Bauausschuss", "Bürgerschaft"))
    assert _fact_titles(paper_card(one)) == ["Aktenzeichen", "Gremium"]
    assert _fact_titles(paper_card(two)) == ["Aktenzeichen", "Gremien"]
    chat = _chat_card([_paper(("Bauausschuss",)), _paper(("Bauausschuss", "Bürgerschaft"), 2)])
    facts = [el for el in _walk(chat) if el.get("type") == "FactSet"]
    labels = [[f["title"] for f in fs["facts"]][3] for fs in facts]
    assert labels == ["Gremium", "Gremien"]


def test_search_card_counts_one_paper_in_the_singular() -> None:
    card = _chat_card([_paper(("Bauausschuss",))])
    texts = [el.get("text", "") for el in _walk(card)]
    assert "1 Vorgang, Seite 1" in texts
    assert not any("1 Vorgänge" in t for t in texts)


def test_extension_snippet_is_cut_at_a_word_with_an_ellipsis() -> None:
    text = "Die Verwaltung wird beauftragt, " + "in geeigneter Weise zu prüfen, " * 20
    card = paper_card(Paper("d", "T", None, None, (), None, None, text))
    snippet = card["body"][-1]["text"]
    assert snippet.endswith("…")
    words = set(text.split()) | {w.rstrip(",") for w in text.split()}
    assert snippet[:-1].split()[-1] in words  # the last word is whole


def test_attachment_overflow_counts_one_in_the_singular() -> None:
    summary = DocumentSummary("Titel", attachments=(CitedPoint("Lageplan"),), more_attachments=1)
    assert "… und 1 weitere Anlage" in summary_text(summary, False)
    assert "1 weitere Anlagen" not in summary_text(summary, False)


def test_no_answer_names_the_right_contact_per_question() -> None:
    config = SkillConfig()
    assert "Datenschutz" not in config.policy_contact
    assert policy_qa.contact_for("Wie lange ist der KI-Pass gültig?", config) == (
        config.policy_contact
    )
    for question in (
        "Darf ich personenbezogene Daten eingeben?",
        "Was sagt die DSGVO dazu?",
        "Wer ist für Datenschutz zuständig?",
    ):
        assert policy_qa.contact_for(question, config) == config.privacy_contact


async def test_policy_no_answer_does_not_send_people_to_data_protection(tmp_path: Path) -> None:
    async with sample_context(tmp_path) as ctx:
        ctx.config = SkillConfig()  # the defaults a deployment starts with
        result = await policy_qa.run(SkillRequest(text="Wie viel Urlaub habe ich im Jahr?"), ctx)
    assert result.outcome == "no_answer"
    assert "KI-Werkstatt" in result_text(result) and "Datenschutz" not in result_text(result)


async def test_council_no_answer_names_the_council_contact(tmp_path: Path) -> None:
    async with sample_context(tmp_path) as ctx:
        ctx.config = SkillConfig(council_contact="das Büro der Bürgerschaft (Tel. 122-1000)")
        request = SkillRequest(
            text="Wie viel Urlaub haben Ratsmitglieder?", options=SkillOptions(mode="answer")
        )
        result = await allris_search.run(request, ctx)
    assert result.outcome == "no_answer"
    assert "an das Büro der Bürgerschaft (Tel. 122-1000)." in result_text(result)
    assert "Datenschutz" not in result_text(result)


def test_contacts_are_settings(tmp_path: Path) -> None:
    from tests.bot.kit import make_services, make_settings

    settings = make_settings(
        tmp_path,
        policy_contact="das KI-Team",
        privacy_contact="die Datenschutzstelle",
        council_contact="die Ratskanzlei",
    )
    config = make_services(settings).skill_context().config
    assert (config.policy_contact, config.privacy_contact, config.council_contact) == (
        "das KI-Team",
        "die Datenschutzstelle",
        "die Ratskanzlei",
    )


# ---- helpers ----
def _paper(organizations: tuple[str, ...], n: int = 1) -> Paper:
    chunk = Chunk(
        id=f"p{n}#0",
        doc_id=f"p{n}",
        collection=COUNCIL,
        title=f"Vorlage {n}",
        text="Text",
        reference=f"VO/2026/{n}",
        date=date(2026, 10, 1),
        organizations=organizations,
    )
    return paper_of(chunk, "Text")


def _chat_card(papers: list[Paper]) -> dict[str, Any]:
    return paper_list_card(PaperList("Radverkehr", tuple(papers), len(papers)))


def _fact_titles(card: dict[str, Any]) -> list[str]:
    facts = next(el for el in _walk(card) if el.get("type") == "FactSet")
    return [f["title"] for f in facts["facts"]]


def _walk(node: object) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if isinstance(node, dict):
        out.append(node)
        for value in node.values():
            out += _walk(value)
    elif isinstance(node, list):
        for item in node:
            out += _walk(item)
    return out


def test_cited_passages_on_cards_end_at_a_word_in_german_quotes() -> None:
    from bot.render.cardkit import citation_list
    from skills.types import Citation

    passage = "Der Antrag »Sichere Radwege« wird " + "in geeigneter Weise geprüft " * 30
    [_, _, quote] = citation_list([Citation(1, "Titel", None, "d", None, passage)])
    text = quote["text"]
    assert text.startswith("„Der Antrag „Sichere Radwege“ wird") and text.endswith("…“")
    last = text[:-2].split()[-1]
    assert last in passage.split()  # a whole word before the "…"
