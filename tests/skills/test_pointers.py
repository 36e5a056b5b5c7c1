"""A "keine Aussage" that still points to where to look (skills/pointers.py): real questions over
the sample policies and council papers, the wording, the off-topic rule, and access trimming."""

from __future__ import annotations

from pathlib import Path

from bot.render.text import result_text
from indexer.model import PUBLIC
from kiw_common.openai_connection import OpenAIConnection
from skills import allris_search, policy_qa
from skills.allris_search import UNSURE_COUNCIL_ANSWER
from skills.generator.base import Generator
from skills.generator.openai_chat import OpenAIGenerator
from skills.pointers import MAX_POINTERS
from skills.results import Answer, Pointer
from skills.types import SkillOptions, SkillRequest, SkillResult
from tests.bot.audience_kit import INTERNAL_POLICY
from tests.skills.helpers import member_of, sample_context
from tests.skills.openai_server import FakeOpenAI, Reply, openai_server

UNSURE = (
    "Eine sichere Antwort finde ich in den Regelungen nicht. "
    "Bitte wenden Sie sich an die KI-Werkstatt."
)
# On the topic of the rules (the KI-Pass and its training), but nothing says who pays.
ON_TOPIC = "Wer bezahlt die Schulung für den KI-Pass?"
# Near the planted faction rule ("Entwürfe … Zustimmung des Fraktionsvorstands") and near
# public rules, answered by neither: the reader refuses it for everyone.
NEAR_INTERNAL = "Wer entscheidet über Entwürfe für KI-Assistenten?"


def words_of(result: SkillResult) -> str:
    """The answer's own words, above the places to check (`Answer.text`)."""
    assert isinstance(result.payload, Answer)
    return result.payload.text


def pointers_of(result: SkillResult) -> tuple[Pointer, ...]:
    assert isinstance(result.payload, Answer)
    return result.payload.pointers


async def ask(tmp_path: Path, question: str, generator: Generator | None = None) -> SkillResult:
    async with sample_context(tmp_path, generator) as ctx:
        return await policy_qa.run(SkillRequest(text=question, command="frage"), ctx)


async def test_a_refused_question_on_the_rules_topic_names_the_nearest_places(
    tmp_path: Path,
) -> None:
    result = await ask(tmp_path, ON_TOPIC)
    # Still "keine Aussage": no answer, nothing cited, the outcome the dashboard counts.
    assert result.outcome == "no_answer" and result.grounded is False and result.citations == []
    assert isinstance(result.payload, Answer) and result.payload.text == UNSURE
    pointers = pointers_of(result)
    assert 1 <= len(pointers) <= MAX_POINTERS
    sections = [(p.title, p.heading) for p in pointers]
    assert len(set(sections)) == len(sections)  # one pointer per section
    first = pointers[0]
    assert first.heading == "§ 7 KI-Pass und Qualifizierung"
    assert first.url == "https://intranet.luebeck.de/ki/dienstvereinbarung-beispiel"
    assert first.snippet.startswith("Der KI-Pass ist zwei Jahre gültig")
    assert any(p.heading == "Anmeldung zur Schulung" for p in pointers)
    data = result.as_json()
    assert data["answer"] == UNSURE and data["grounded"] is False and data["citations"] == []
    assert data["pointers"][0] == {
        "title": first.title,
        "heading": "§ 7 KI-Pass und Qualifizierung",
        "page": None,
        "reference": "DV-KI-Muster",
        "snippet": first.snippet,
        "url": "https://intranet.luebeck.de/ki/dienstvereinbarung-beispiel",
        "doc_id": "file:samples/policies/dienstvereinbarung-ki.md",
    }


async def test_an_off_topic_question_gets_no_pointers_and_the_old_words(tmp_path: Path) -> None:
    # "Urlaub" stands in no retrieved sentence: the nearest rules would be noise.
    result = await ask(tmp_path, "Wie viel Urlaub habe ich im Jahr?")
    assert result.outcome == "no_answer" and pointers_of(result) == ()
    assert result_text(result) == (
        "Dazu enthalten die Regelungen keine Aussage. Bitte wenden Sie sich an die KI-Werkstatt."
    )
    # Nothing retrieved at all: no pointers either.
    nothing = await ask(tmp_path, "Xylophonquartett Zebrastreifenmarmelade?")
    assert nothing.outcome == "no_answer" and pointers_of(nothing) == ()
    assert result_text(nothing).startswith("Dazu enthalten die Regelungen keine Aussage.")


async def test_an_answered_question_carries_no_pointers(tmp_path: Path) -> None:
    result = await ask(tmp_path, "Wie lange gilt der KI-Pass?")
    assert result.outcome == "ok" and pointers_of(result) == ()
    assert "pointers" not in result.as_json()


async def test_an_english_question_gets_english_words_around_the_places(tmp_path: Path) -> None:
    result = await ask(tmp_path, "How much does the KI-Pass training cost?")
    assert result.outcome == "no_answer"
    assert result_text(result).startswith("I find no reliable answer in the regulations")
    assert "Please contact: die KI-Werkstatt." in result_text(result)
    assert pointers_of(result)


async def test_a_faction_passage_is_never_a_pointer_for_the_public_or_a_mixed_audience(
    tmp_path: Path,
) -> None:
    gruene = member_of("fraktion-gruene")
    async with sample_context(tmp_path, extra=[INTERNAL_POLICY]) as ctx:
        public = await policy_qa.run(SkillRequest(text=NEAR_INTERNAL, command="frage"), ctx)
        # In a shared conversation the request reads with the audience's groups (bot/pipeline.py).
        shared = SkillRequest(
            text=NEAR_INTERNAL, command="frage", user=gruene, audience=frozenset({PUBLIC})
        )
        in_channel = await policy_qa.run(shared, ctx)
        own = await policy_qa.run(
            SkillRequest(text=NEAR_INTERNAL, command="frage", user=gruene), ctx
        )
    for result in (public, in_channel):
        assert result.outcome == "no_answer" and pointers_of(result), "pointers expected"
        assert all(p.doc_id != INTERNAL_POLICY.doc_id for p in pointers_of(result))
        assert "Fraktionsvorstand" not in str(result.as_json())
        assert result.personal is False  # index data, nothing about the asker
    # Control: the faction member alone is pointed to the faction's own rule.
    assert own.outcome == "no_answer"
    assert pointers_of(own)[0].doc_id == INTERNAL_POLICY.doc_id


async def test_a_model_that_finds_no_answer_leaves_the_pointers_and_no_masking_changes_them(
    tmp_path: Path,
) -> None:
    # The question had personal data and the model is external: the model saw it masked and
    # said KEINE_AUSSAGE; the places come from the index, not from the model.
    fake = FakeOpenAI(replies=[Reply("KEINE_AUSSAGE")])
    question = "Wer bezahlt die Schulung für den KI-Pass von max.muster@example.org?"
    async with openai_server(fake):
        generator = OpenAIGenerator(model="m", connection=OpenAIConnection(base_url=fake.base_url))
        result = await ask(tmp_path, question, generator)
        await generator.close()
    assert result.outcome == "no_answer" and words_of(result) == UNSURE
    assert pointers_of(result)[0].heading == "§ 7 KI-Pass und Qualifizierung"
    assert "max.muster" not in str(result.as_json())


async def test_a_council_question_without_a_sure_answer_names_the_nearest_papers(
    tmp_path: Path,
) -> None:
    async with sample_context(tmp_path) as ctx:
        request = SkillRequest(
            text="Welche Farbe haben die neuen Radwege?",
            command="suche",
            options=SkillOptions(mode="answer"),  # `kiw ask --collection council`
        )
        result = await allris_search.run(request, ctx)
    assert result.outcome == "no_answer" and result.citations == []
    assert words_of(result) == (
        f"{UNSURE_COUNCIL_ANSWER} Bei Fragen zu Ratsunterlagen wenden Sie sich bitte an "
        "das Büro der Bürgerschaft."
    )
    pointers = pointers_of(result)
    papers = [p.doc_id for p in pointers]
    assert len(set(papers)) == len(papers)  # one pointer per paper
    assert pointers[0].reference == "VO/2026/14102"
    assert pointers[0].title.startswith("Sichere Radwege auf der Altstadtinsel")
