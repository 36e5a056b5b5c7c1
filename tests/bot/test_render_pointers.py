"""The places to check below a "no sure answer", as the chat draws them (bot/render/pointers.py):
a card of their own beside the feedback, in a 1:1 chat and in a channel; never citations."""

from __future__ import annotations

from bot.render.chat import text_answer
from bot.render.pointers import pointers_card
from skills import policy_qa
from skills.results import Answer, Pointer
from skills.types import SkillResult
from tests.bot.card_schema import assert_valid_card

DV = "https://intranet.example/dv"
PLACES = (
    Pointer("Dienstvereinbarung KI", DV, "dv", "Der KI-Pass ist zwei Jahre gültig.", "§ 7 KI-Pass"),
    Pointer("Dienstvereinbarung KI", DV, "dv", "Die Schulung ist eintägig.", "§ 8 Schulung"),
    Pointer("Leitlinien", None, "ll", "Jede Antwort einer KI ist ein Entwurf.", "1. Mensch"),
)
UNSURE = "Eine sichere Antwort finde ich in den Regelungen nicht."


def _result(answer: Answer) -> SkillResult:
    return SkillResult(grounded=False, outcome="no_answer", payload=answer)


def test_the_places_are_a_card_of_their_own_with_one_button_per_link() -> None:
    card = pointers_card(PLACES, "de")
    assert_valid_card(card)
    texts = [item["text"] for c in card["body"][1:] for item in c["items"]]
    assert texts == [
        f"1. [Dienstvereinbarung KI, § 7 KI-Pass]({DV})",
        "„Der KI-Pass ist zwei Jahre gültig.“",
        f"2. [Dienstvereinbarung KI, § 8 Schulung]({DV})",
        "„Die Schulung ist eintägig.“",
        "3. Leitlinien, 1. Mensch",  # no link: no markdown link, no button
        "„Jede Antwort einer KI ist ein Entwurf.“",
    ]
    # Two sections of one document share a link: one button, none for the place without one.
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Stelle 1 öffnen", "url": DV}]


def test_in_a_chat_the_text_says_no_sure_answer_and_the_card_follows_without_citations() -> None:
    answer = Answer(UNSURE, grounded=False, pointers=PLACES)
    personal = text_answer(policy_qa.SKILL, _result(answer), answer, "personal")
    assert personal.text == UNSURE
    assert personal.cards == [pointers_card(PLACES, "de")]
    assert personal.channel_data == {"feedbackLoopEnabled": True}  # Teams' own 👍/👎
    assert personal.entities == []  # no [n] pills: a place to check is no source of an answer
    # A channel has no feedback footer: the buttons on a card of their own, after the places.
    channel = text_answer(policy_qa.SKILL, _result(answer), answer, "team")
    assert channel.cards[0] == pointers_card(PLACES, "de")
    assert [a["data"]["kiwFeedback"] for a in channel.cards[1]["actions"]] == ["up", "down"]
    # Without places the "keine Aussage" stays one line of text.
    bare = Answer("Dazu enthalten die Regelungen keine Aussage.", grounded=False)
    assert text_answer(policy_qa.SKILL, _result(bare), bare, "personal").cards == []
