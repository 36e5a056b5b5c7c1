"""Every card the bot can send validates against the official Adaptive Card 1.5 schema."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot import cards
from bot.render import cardkit
from bot.teams.entities import RawEntity, message_entities, message_entity
from skills.context import Skill
from skills.registry import all_skills
from skills.results import Notice
from skills.types import Citation, SkillResult
from tests.bot.card_schema import assert_valid_card, card_errors

CITATIONS = [
    Citation(
        n=1,
        title="Dienstvereinbarung KI",
        url="https://intranet.luebeck.de/dv-ki.pdf",
        doc_id="file:dv-ki.pdf",
        page=4,
        quote="Personenbezogene Daten dürfen nicht in externe KI-Dienste eingegeben werden. " * 8,
        heading="§ 4 Datenschutz",
    ),
    Citation(
        n=2,
        title="Antrag KI-Konzept",
        url=None,
        doc_id="oparl:paper/1",
        page=None,
        quote="",
        reference="VO/2025/12345",
    ),
]


async def _noop(*_: Any) -> SkillResult:
    return SkillResult(Notice(""))


SKILL = Skill(
    "policy_qa", ("frage", "ask"), "Fragen zur Dienstvereinbarung", "Antwortet.", True, _noop
)


def every_bot_card() -> dict[str, dict[str, Any]]:
    skills = all_skills()
    return {
        "help": cards.help_card(skills),
        "welcome": cards.welcome_card(skills),
        "help-empty-registry": cards.help_card([]),
        "working": cards.working_card(),
        "error": cards.error_card("Bitte später erneut versuchen.", "abcd1234"),
        # The generic card: the text of a result without a card of its own (focused help).
        "result": cards.result_card(SKILL, "Hilfe zu „frage“:\nStellen Sie eine Frage."),
        "cardkit-all": cardkit.card(
            [
                cardkit.heading("Titel"),
                cardkit.text_block("Text", subtle=True, size="Small"),
                cardkit.fact_set([("Status", "gültig"), ("Bis", "30.06.2027")]),
                *cardkit.citation_list(CITATIONS),
            ],
            [
                *cardkit.action_buttons([("Öffnen", "https://example.org/a"), ("Leer", "")]),
                *cardkit.feedback_actions("policy_qa"),
            ],
            speak="Titel",
        ),
    }


@pytest.mark.parametrize("name", sorted(every_bot_card()))
def test_card_is_valid_adaptive_card_1_5(name: str) -> None:
    assert_valid_card(every_bot_card()[name])


def test_schema_rejects_what_teams_would_not_render() -> None:
    # The validator is the real schema, not a lookalike: it bites on real mistakes.
    assert card_errors({"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock"}]})
    assert card_errors(
        {"type": "AdaptiveCard", "version": "1.5", "body": [], "msteams": {"width": "Full"}}
    )
    assert card_errors(
        {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "Bogus", "text": "x"}]}
    )


def test_help_card_lists_every_registered_skill_by_command() -> None:
    skills = all_skills()
    facts = next(el for el in cards.help_card(skills)["body"] if el["type"] == "FactSet")
    assert [f["title"] for f in facts["facts"]] == [s.commands[0] for s in skills]


def test_help_card_says_per_command_whether_the_kipass_is_needed() -> None:
    facts = next(el for el in cards.help_card(all_skills())["body"] if el["type"] == "FactSet")
    notes = {f["title"]: f["value"].rsplit("(", 1)[-1].rstrip(")") for f in facts["facts"]}
    assert notes["frage"] == "KI-Pass nötig"
    assert notes["zusammenfassen"] == "KI-Pass nötig"
    assert notes["suche"] == "Suche ohne KI-Pass, Antworten auf Fragen mit KI-Pass"
    assert notes["hilfe"] == notes["kipass"] == "ohne KI-Pass"
    welcome = json.dumps(cards.welcome_card(all_skills()), ensure_ascii=False)
    assert "die Suche in Ratsdokumenten, „hilfe“ und „kipass“ gehen ohne" in welcome


def test_template_placeholders_are_not_read_from_values() -> None:
    card = cards.error_card("Wert mit ${correlation_id} darin", "1234abcd")
    texts = [el["text"] for el in card["body"]]
    assert "Wert mit ${correlation_id} darin" in texts
    assert "Fehler-ID: 1234abcd" in texts


def test_citation_list_links_each_source_and_clips_long_quotes() -> None:
    flat = json.dumps(cardkit.citation_list(CITATIONS), ensure_ascii=False)
    assert (
        "[1] [Dienstvereinbarung KI, § 4 Datenschutz, S. 4](https://intranet.luebeck.de/dv-ki.pdf)"
        in flat
    )
    assert "[2] Antrag KI-Konzept, VO/2025/12345" in flat
    # Long quotes are clipped so the card stays readable.
    quote = next(
        el["text"] for el in cardkit.citation_list(CITATIONS) if el["text"].startswith("„")
    )
    assert len(quote) <= 302 and quote.endswith("…“")


def test_result_card_is_the_title_and_the_text() -> None:
    card = cards.result_card(SKILL, "Hilfe zu „frage“:\nStellen Sie eine Frage.")
    assert [el["text"] for el in card["body"]] == [
        SKILL.title,
        "Hilfe zu „frage“:\nStellen Sie eine Frage.",
    ]
    assert "actions" not in card  # feedback buttons go on a card of their own


def test_ai_entity_serialises_every_field_on_the_wire() -> None:
    import botbuilder.schema as schema
    from botbuilder.schema import Activity
    from msrest import Serializer

    activity = Activity(
        type="message",
        text="Nein [1].",
        entities=message_entities(ai_generated=True, citations=CITATIONS),
    )
    models = {k: v for k, v in schema.__dict__.items() if isinstance(v, type)}
    wire = Serializer(models).body(activity, "Activity")
    [entity] = wire["entities"]
    assert entity["type"] == "https://schema.org/Message"
    assert entity["@type"] == "Message"
    assert entity["@context"] == "https://schema.org"
    assert entity["additionalType"] == ["AIGeneratedContent"]
    claims = entity["citation"]
    assert [c["position"] for c in claims] == [1, 2]
    assert claims[0]["@type"] == "Claim"
    assert claims[0]["appearance"]["@type"] == "DigitalDocument"
    assert claims[0]["appearance"]["url"] == "https://intranet.luebeck.de/dv-ki.pdf"
    assert len(claims[0]["appearance"]["abstract"]) <= 160
    assert claims[1]["appearance"]["keywords"] == ["VO/2025/12345"]


def test_no_entity_for_plain_replies() -> None:
    assert message_entity(ai_generated=False) is None
    assert message_entities(ai_generated=False) == []
    extract = message_entity(ai_generated=False, citations=CITATIONS[:1])
    assert extract is not None and "additionalType" not in extract
    assert RawEntity({"type": "x", "a.b": 1}).as_dict() == {"type": "x", "a.b": 1}


def test_welcome_is_short_and_leaves_the_examples_to_the_prompt_starters() -> None:
    """Microsoft: a bot offers prompt starters or a welcome message; ours are in the manifest
    (tests/manifest/test_prompt_starters.py), so the welcome is three lines, no command list."""
    card = cards.welcome_card(all_skills())
    assert [el["type"] for el in card["body"]] == ["TextBlock"] * 3
    words = sum(len(el["text"].split()) for el in card["body"])
    assert words <= 60 and "„hilfe“" in card["body"][1]["text"]


def test_fill_keeps_an_element_only_when_its_when_value_is_set() -> None:
    card = cards.fill(
        "kipass_refusal",
        title="T",
        message="M",
        steps_heading="S",
        steps=[],
        next_step="",
        contact="C",
        training_url="",
        show_status_button=False,
    )
    assert card["body"][0]["text"] == "T"
    assert "S" not in [item.get("text") for item in card["body"]]  # "$when": "steps"
    assert all("$when" not in str(item) for item in card["body"])
    assert "actions" not in card  # every button was conditional and none applies
    shown = cards.fill(
        "kipass_refusal",
        title="T",
        message="M",
        contact="C",
        steps=[{"title": "Schulung", "value": "offen"}],
        steps_heading="S",
        show_status_button=True,
    )
    assert "S" in [item.get("text") for item in shown["body"]]
    assert [a["title"] for a in shown["actions"]] == ["Meinen KI-Pass-Status anzeigen"]
