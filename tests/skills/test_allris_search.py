"""ALLRIS search: filters from German words, dates, references, paging, access, questions."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.render.chat_cards import result_card
from bot.render.text import result_text
from indexer.model import COUNCIL, Chunk
from skills import allris_search, registry, router
from skills.allris_query import is_question, parse_council_query
from skills.types import SkillOptions, SkillRequest
from tests.skills.helpers import TODAY, member_of, papers, sample_context


@pytest.mark.parametrize(
    ("text", "paper_type", "organization", "start", "end", "rest"),
    [
        (
            "Anträge der Grünen zum Radverkehr seit 2025",
            "Antrag",
            "Bündnis 90/Die Grünen",
            date(2025, 1, 1),
            None,
            "Radverkehr",
        ),
        (
            "Was hat der Bauausschuss im Oktober beschlossen?",
            None,
            "Bauausschuss",
            date(2026, 10, 1),
            date(2026, 10, 31),
            "",
        ),
        ("Beschlussvorlagen seit März", "Beschlussvorlage", None, date(2026, 3, 1), None, ""),
        (
            "Anfragen der SPD im Dezember",
            "Anfrage",
            "SPD",
            date(2025, 12, 1),
            date(2025, 12, 31),
            "",
        ),
        (
            "Schule vom 01.09.2026 bis 30.09.2026",
            None,
            None,
            date(2026, 9, 1),
            date(2026, 9, 30),
            "Schule",
        ),
        ("Wärmeplan letzten Monat", None, None, date(2026, 10, 1), date(2026, 10, 31), "Wärmeplan"),
    ],
)
def test_filters_are_understood(
    text: str,
    paper_type: str | None,
    organization: str | None,
    start: date | None,
    end: date | None,
    rest: str,
) -> None:
    q = parse_council_query(text, TODAY)
    assert (q.paper_type, q.organization, q.date_from, q.date_to, q.text) == (
        paper_type,
        organization,
        start,
        end,
        rest,
    )


def test_references_and_last_meeting() -> None:
    assert parse_council_query("VO/2025/12345", TODAY).reference == "VO/2025/12345"
    assert parse_council_query("2026/0541", TODAY).reference == "2026/0541"
    q = parse_council_query("Beschlüsse der letzten Sitzung des Bauausschusses", TODAY)
    assert q.last_meeting and q.organization == "Bauausschuss"


def test_questions_are_told_from_searches() -> None:
    assert is_question("Was hat der Bauausschuss im Oktober beschlossen?")
    assert not is_question("Anträge der Grünen zum Radverkehr")


async def test_search_card_lists_hits_with_filters(tmp_path: Path) -> None:
    async with sample_context(tmp_path) as ctx:
        result = await allris_search.run(
            SkillRequest(text="Anträge der Grünen zum Radverkehr seit 2025"), ctx
        )
    assert result.outcome == "ok" and result.ai_generated is False
    hit = papers(result)[0]
    assert hit.reference == "VO/2026/14102" and hit.paper_type == "Antrag"
    assert "Bürgerschaft 28.05.2026" in (hit.status or "")
    assert (hit.url or "").startswith("https://allris.luebeck.de/")
    assert result.as_json()["filters"]["Art"] == "Antrag"
    assert "Radwege" in str(result_card(result)[0])


async def test_more_pages_on_with_the_card_action(tmp_path: Path) -> None:
    async with sample_context(tmp_path) as ctx:
        first = await allris_search.run(SkillRequest(text="Beispieldokument"), ctx)
        assert first.as_json()["total"] > 5
        card, _ = result_card(first)
        assert card is not None
        action = next(a for a in card["actions"] if a["title"] == "Mehr Treffer")
        assert action["data"] == {"command": "suche", "query": "Beispieldokument", "page": 1}
        options = SkillOptions.from_card(action["data"])
        second = await allris_search.run(SkillRequest(text="", options=options), ctx)
        forged_page = SkillOptions.from_card({"query": "Beispieldokument", "page": "x"})
        forged = await allris_search.run(SkillRequest(text="", options=forged_page), ctx)
    assert second.as_json()["page"] == 1
    assert {p.doc_id for p in papers(second)}.isdisjoint(p.doc_id for p in papers(first))
    assert forged.outcome == "ok"


async def test_reference_lookup_and_unknown_reference(tmp_path: Path) -> None:
    async with sample_context(tmp_path) as ctx:
        found = await allris_search.run(SkillRequest(text="VO/2026/14311"), ctx)
        unknown = await allris_search.run(SkillRequest(text="VO/2099/99999"), ctx)
    assert papers(found)[0].title.startswith("Sanierung und Erweiterung der Grundschule")
    assert unknown.outcome == "not_found" and "nichts gefunden" in result_text(unknown)


async def test_faction_paper_is_visible_only_to_the_faction(tmp_path: Path) -> None:
    async with sample_context(tmp_path) as ctx:
        public = await allris_search.run(
            SkillRequest(text="Haushaltsstrategie Radverkehrsbudget"), ctx
        )
        by_ref = await allris_search.run(SkillRequest(text="GR-INTERN/2026/07"), ctx)
        member = await allris_search.run(
            SkillRequest(
                text="Haushaltsstrategie Radverkehrsbudget", user=member_of("fraktion-gruene")
            ),
            ctx,
        )
    assert all(p.reference != "GR-INTERN/2026/07" for p in papers(public))
    assert "Verhandlungslinie" not in str(public.as_json()) and "4,5 Mio" not in result_text(public)
    assert by_ref.outcome == "not_found"
    assert papers(member)[0].reference == "GR-INTERN/2026/07"


async def test_question_over_council_documents_gets_a_cited_answer(tmp_path: Path) -> None:
    async with sample_context(tmp_path) as ctx:
        result = await allris_search.run(
            SkillRequest(text="Wie viele Beschäftigte haben den KI-Pass erworben?"), ctx
        )
    assert result.outcome == "ok" and result.grounded
    assert "412 Beschäftigte" in result.as_json()["answer"]
    assert result.citations[0].reference == "VO/2026/14188"


async def test_question_without_direct_answer_lists_matching_papers(tmp_path: Path) -> None:
    async with sample_context(tmp_path) as ctx:
        result = await allris_search.run(
            SkillRequest(text="Was hat der Bauausschuss im Oktober beschlossen?"), ctx
        )
    assert result.outcome == "ok"
    refs = [h["reference"] for h in result.as_json().get("hits", [])] or [
        c.reference for c in result.citations
    ]
    assert "NS/BA/2026/09" in refs


async def test_empty_search_and_bare_more(tmp_path: Path) -> None:
    async with sample_context(tmp_path) as ctx:
        empty = await allris_search.run(SkillRequest(text=""), ctx)
        more = await allris_search.run(SkillRequest(text="mehr"), ctx)
    assert empty.outcome == "bad_input" and "wonach ich suchen soll" in result_text(empty)
    assert more.outcome == "bad_input" and "Mehr Treffer" in result_text(more)


async def test_what_a_committee_decided_in_a_month_is_quoted_from_minutes_and_results(
    tmp_path: Path,
) -> None:
    async with sample_context(tmp_path) as ctx:
        committee = await allris_search.run(
            SkillRequest(text="Was hat der Bauausschuss im Oktober beschlossen?"), ctx
        )
        council = await allris_search.run(
            SkillRequest(text="Was hat die Bürgerschaft im Oktober beschlossen?"), ctx
        )
    assert committee.grounded and committee.ai_generated is False
    assert "beschließt einstimmig, den Entwurf des Bebauungsplans" in committee.as_json()["answer"]
    assert "in geänderter Fassung empfohlen" not in committee.as_json()["answer"]  # that was April
    assert {c.reference for c in committee.citations} == {"NS/BA/2026/09"}
    # The Bürgerschaft decided on the school in October although the paper is from September.
    assert "Bürgerschaft 29.10.2026: einstimmig beschlossen" in council.as_json()["answer"]
    assert council.citations[0].reference == "VO/2026/14311"


def test_month_without_year_is_the_latest_one_not_in_the_future() -> None:
    q = parse_council_query("Anträge seit März", date(2026, 2, 10))
    assert q.date_from == date(2025, 3, 1)
    q = parse_council_query("Vorlagen im Februar", date(2026, 2, 10))
    assert (q.date_from, q.date_to) == (date(2026, 2, 1), date(2026, 2, 28))


async def test_reference_with_more_words_still_finds_the_paper(tmp_path: Path) -> None:
    async with sample_context(tmp_path) as ctx:
        result = await allris_search.run(SkillRequest(text="VO/2026/14311 Mensa"), ctx)
    assert papers(result)[0].reference == "VO/2026/14311"


@pytest.mark.parametrize(
    ("typed", "reference"),
    [
        ("2024-0453", "2024/0453"),
        ("2025 0900", "2025/0900"),
        ("DHH-2025-6607", "DHH/2025/6607"),
        ("DHH 2023 3205", "DHH/2023/3205"),
        ("dhh/2025/5004", "DHH/2025/5004"),
        ("2023-0901-2", "2023/0901/2"),
        ("Drucksache VO/2026/14102", "VO/2026/14102"),
    ],
)
def test_references_in_the_spellings_people_type(typed: str, reference: str) -> None:
    q = parse_council_query(typed, TODAY)
    assert q.reference == reference and q.text == ""


def test_a_span_of_years_and_dates_are_no_references() -> None:
    assert parse_council_query("Doppelhaushalt 2026/2027", TODAY).reference is None
    assert parse_council_query("Bauausschuss 18.09.2025", TODAY).reference is None


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("Tagesordnung Bauausschuss 18.09.2025", date(2025, 9, 18), date(2025, 9, 18)),
        ("Was hat der Gemeinderat am 25. November 2025 beraten?", date(2025, 11, 25), None),
        ("Sozialausschuss am 9.7.2025", date(2025, 7, 9), date(2025, 7, 9)),
        ("Gestaltungsbeirat Oktober 2025", date(2025, 10, 1), date(2025, 10, 31)),
    ],
)
def test_a_meeting_day_or_month_becomes_the_date_range(
    text: str, start: date, end: date | None
) -> None:
    q = parse_council_query(text, TODAY)
    assert q.date_from == start and q.date_to == (end or start)


async def test_a_question_naming_a_paper_is_answered_from_that_paper(tmp_path: Path) -> None:
    async with sample_context(tmp_path) as ctx:
        named = await allris_search.run(
            SkillRequest(text="Bis wann ist das Konzept in VO-2026-14102 vorzulegen?"), ctx
        )
        hidden = await allris_search.run(
            SkillRequest(text="Welche Kompromisslinie gilt in GR-INTERN/2026/07?"), ctx
        )
        member = await allris_search.run(
            SkillRequest(
                text="Welche Kompromisslinie gilt in GR-INTERN/2026/07?",
                user=member_of("fraktion-gruene"),
            ),
            ctx,
        )
    assert named.grounded and "30.09.2026" in named.as_json()["answer"]
    assert {c.reference for c in named.citations} == {"VO/2026/14102"}
    assert hidden.outcome == "not_found" and "3 Mio" not in result_text(hidden)
    assert member.grounded and "3 Mio. Euro" in member.as_json()["answer"]


async def test_an_unknown_committee_name_is_searched_as_words(tmp_path: Path) -> None:
    # "Umweltausschuss" is a known committee word, but the sample council has none of that
    # name: its words are searched in the text instead of returning nothing.
    async with sample_context(tmp_path) as ctx:
        result = await allris_search.run(SkillRequest(text="Umweltausschuss Klimaschutz"), ctx)
    assert result.outcome == "ok" and papers(result)


@pytest.mark.parametrize(
    "question",
    [
        "suche Bis wann ist das Konzept in VO 2026 14102 vorzulegen?",
        "Bis wann ist das Konzept in VO-2026-14102 vorzulegen?",
        "Bis wann ist das Konzept in 2026/14102 vorzulegen?",
    ],
)
async def test_a_council_question_names_its_paper_in_any_spelling(
    tmp_path: Path, question: str
) -> None:
    """Free text and `suche …?` alike reach the council search (skills/router.py) and are
    answered from the paper named by its reference, in any spelling (links:
    tests/skills/test_allris_link.py)."""
    route = router.route(question, registry.all_skills())
    assert route.skill.name == "allris_search"
    async with sample_context(tmp_path) as ctx:
        result = await allris_search.run(SkillRequest(text=route.text), ctx)
    assert result.grounded and "30.09.2026" in result.as_json()["answer"]
    assert {c.reference for c in result.citations} == {"VO/2026/14102"}


def _meeting(n: int, day: date, body: str, agenda: str) -> Chunk:
    doc_id = f"https://ratsinfo.example/meetings/{n}"
    return Chunk(
        id=f"{doc_id}#0", doc_id=doc_id, collection=COUNCIL,
        title=f"{body} (öffentlich) am {day:%d.%m.%Y}",
        text=f"{body} am {day:%d.%m.%Y}\nTagesordnung:\n{agenda}", heading="Tagesordnung",
        paper_type="Sitzung", date=day, organizations=(body,),
    )  # fmt: skip


async def test_what_a_body_discussed_on_a_day_is_the_agenda_of_its_meeting(
    tmp_path: Path,
) -> None:
    meetings = [
        _meeting(1, date(2026, 11, 3), "Bürgerschaft", "- TOP 1: Hafenentwicklung"),
        _meeting(2, date(2026, 10, 29), "Bürgerschaft", "- TOP 1: Radverkehr"),
        _meeting(3, date(2026, 11, 3), "Bauausschuss", "- TOP 1: Schulneubau"),
    ]
    async with sample_context(tmp_path, extra=meetings) as ctx:
        day = await allris_search.run(
            SkillRequest(text="Was hat die Bürgerschaft am 3. November 2026 beraten?"), ctx
        )
        month = await allris_search.run(
            SkillRequest(
                text="Was stand im Oktober 2026 in der Bürgerschaft auf der Tagesordnung?"
            ),
            ctx,
        )
    assert papers(day)[0].doc_id == "https://ratsinfo.example/meetings/1"
    assert "meetings/3" not in str(papers(day))  # another body's meeting that day
    assert papers(month)[0].doc_id == "https://ratsinfo.example/meetings/2"
    assert "Tagesordnung der Sitzung" in result_text(day)
