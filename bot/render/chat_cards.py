"""The chat's Adaptive Card 1.5 of each typed result kind (skills/results.py), drawn once here.

A skill returns data; the chat message (bot/render/chat.py) asks `result_card` for its card, the
CLI's `kiw chat --json` prints the same. Feedback buttons are not drawn here: the chat puts them
on a card of their own below the answer (`result_card` says which cards get them), so a vote
replaces the buttons and never the answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot import cards
from bot.render import cardkit
from kiw_common.vocabulary import Citation
from prioritisation.inventory import problem_lines
from prioritisation.report import de
from skills.kipass import contact_sentence
from skills.policy_qa import PRIVACY_NOTE
from skills.prioritise import CHAT_PROBLEMS, FIX_AND_RESEND, TOP_N, plan_line, ranking_line
from skills.results import (
    Answer,
    DocumentSummary,
    InventoryProblems,
    KipassStatus,
    Paper,
    PaperList,
    Ranking,
    Refusal,
)
from skills.summary.text import AI_LABEL, EXTRACT_LABEL, point_line, sections
from skills.types import SkillResult
from skills.wording import committee_label, count_of, german_quotes

Card = dict[str, Any]

SEARCH_HEADING = "Ergebnisse aus dem Ratsinformationssystem"
MORE_BUTTON = "Mehr Treffer"
SUMMARISE_BUTTON = "Zusammenfassen"
SEARCH_COMMAND = "suche"  # what "Mehr Treffer" sends back (bot/teams/handler.py: card submits)


def result_card(result: SkillResult) -> tuple[Card | None, bool]:
    """(the card of the result's kind, whether feedback buttons go below it); (None, False)
    for a result without a card."""
    payload = result.payload
    if isinstance(payload, PaperList) and payload.papers:
        return paper_list_card(payload), True
    if isinstance(payload, DocumentSummary):
        return summary_card(payload, result.citations, ai=result.ai_generated), True
    if isinstance(payload, Ranking):
        return ranking_card(payload), False
    if isinstance(payload, InventoryProblems):
        return inventory_problems_card(payload), False
    if isinstance(payload, KipassStatus):
        return status_card(payload), False
    if isinstance(payload, Refusal):
        return refusal_card(payload), False
    if isinstance(payload, Answer):
        # The card of an answer is the fallback for KIW_CITATION_STYLE=card; "no answer" is a
        # line of text anyway.
        return (answer_card(payload, result.citations), True) if payload.grounded else (None, False)
    return None, False


def _paper_facts(paper: Paper) -> list[tuple[str, str]]:
    committees = paper.committees
    facts = [
        ("Aktenzeichen", paper.reference or "–"),
        ("Art", paper.paper_type or "–"),
        ("Datum", f"{paper.date:%d.%m.%Y}" if paper.date else "–"),
        (committee_label(len(committees)), ", ".join(committees) or "–"),
    ]
    if paper.factions:
        facts.append(("Eingereicht von", ", ".join(paper.factions)))
    if paper.status:
        facts.append(("Beratung", paper.status))
    return facts


def paper_list_card(papers: PaperList) -> Card:
    """One page of papers: how the words were understood, the count, each paper with its facts
    and best passage; „Mehr Treffer“ while there are more, „Zusammenfassen“ for a linked paper."""
    body: list[Card] = [cardkit.heading(SEARCH_HEADING)]
    if papers.intro:
        body.append(cardkit.text_block(papers.intro))
    if papers.filters:
        understood = " · ".join(f"{k}: {v}" for k, v in papers.filters)
        body.append(cardkit.text_block(f"Verstanden als: {understood}", subtle=True, size="Small"))
    counted = f"{count_of(papers.total, 'Vorgang', 'Vorgänge')}, Seite {papers.page + 1}"
    body.append(cardkit.text_block(counted, subtle=True, size="Small"))
    for paper in papers.papers:
        url = paper.url or papers.home_url
        title = f"[{paper.title}]({url})" if url else paper.title
        body.append(
            {
                "type": "Container",
                "separator": True,
                "items": [
                    cardkit.text_block(f"**{title}**"),
                    cardkit.fact_set(_paper_facts(paper)),
                    cardkit.text_block(german_quotes(paper.snippet), subtle=True, size="Small"),
                ],
            }
        )
    actions: list[Card] = []
    if papers.summarise_command:
        actions.append(
            cardkit.submit_action(SUMMARISE_BUTTON, {"command": papers.summarise_command})
        )
    if papers.has_more:
        more = {"command": SEARCH_COMMAND, "query": papers.query, "page": papers.page + 1}
        actions.append(cardkit.submit_action(MORE_BUTTON, more))
    return cardkit.card(body, actions)


def answer_card(answer: Answer, citations: Sequence[Citation]) -> Card:
    """The answer with its numbered sources and a button to each of the first three."""
    body = [cardkit.heading("Answer" if answer.language == "en" else "Antwort")]
    body.append(cardkit.text_block(answer.text))
    if answer.masked_personal_data:
        body.append(cardkit.text_block(PRIVACY_NOTE, subtle=True, size="Small"))
    body.extend(cardkit.citation_list(citations))
    links = [(f"[{c.n}] öffnen", c.url or "") for c in citations[:3]]
    return cardkit.card(body, cardkit.action_buttons(links))


def ranking_card(ranking: Ranking) -> Card:
    """`priorisieren`: the figures, the best candidates, the quick wins, the plan and how it was
    calculated (no AI); charts and the report are the dashboard's."""
    analysis = ranking.analysis
    p = analysis.params
    body = [
        cardkit.heading("Priorisierung Ihrer Inventarliste"),
        cardkit.fact_set(
            [
                ("Prozesse", str(len(analysis.ranked))),
                ("Gebundene Kapazität", f"{de(analysis.total_staffing_fte)} VZÄ"),
                ("Einsparpotenzial", f"{de(analysis.total_potential_fte)} VZÄ"),
                ("Quick Wins", str(len(analysis.quick_wins))),
            ]
        ),
        cardkit.heading("Die besten Kandidaten"),
        cardkit.text_block(
            "\n".join(
                "- "
                + ranking_line(
                    s.rank, s.process.name, s.potential_fte, s.process.effort_person_days
                )
                + (" (Quick Win)" if s.quick_win else "")
                for s in analysis.ranked[:TOP_N]
            )
        ),
        cardkit.heading("Quick Wins"),
        cardkit.text_block(
            "\n".join(
                "- "
                + ranking_line(
                    s.rank, s.process.name, s.potential_fte, s.process.effort_person_days
                )
                for s in analysis.quick_wins
            )
            or "Kein Prozess erfüllt alle Bedingungen eines Quick Wins."
        ),
        cardkit.text_block(plan_line(analysis)),
        cardkit.text_block(
            f"Berechnung ohne KI: Potenzial = Fälle × Minuten / {de(p.net_minutes_per_fte, 0)} "
            "Minuten je Vollzeitstelle × automatisierbarer Anteil; Rang = Potenzial je "
            "Personentag Aufwand, gewichtet nach Datenschutzrisiko. Quick Win: mindestens "
            f"{de(p.quick_win_min_potential_fte)} VZÄ, höchstens "
            f"{de(p.quick_win_max_effort_days, 0)} PT, keine Art.-9-Daten. Tabellen, Diagramme "
            "und Bericht (PDF) erstellt das Werkstatt-Dashboard oder `kiw prioritise`.",
            subtle=True,
            size="Small",
        ),
    ]
    return cardkit.card(body)


def inventory_problems_card(problems: InventoryProblems) -> Card:
    """`priorisieren` on an inventory that cannot be used: the first problems, how to go on."""
    lines = problem_lines(problems.problems, CHAT_PROBLEMS)
    body = [
        cardkit.heading("Inventarliste nicht verwendbar"),
        cardkit.text_block(f"„{problems.file_name}“ hat folgende Probleme:"),
        cardkit.text_block("\n".join(f"- {line}" for line in lines)),
        cardkit.text_block(FIX_AND_RESEND, subtle=True),
    ]
    return cardkit.card(body)


def summary_card(summary: DocumentSummary, citations: Sequence[Citation], *, ai: bool) -> Card:
    """`zusammenfassen`: the sections as the text has them (skills/summary/render.py), each
    point with its sources and pages, what the council system reports, the numbered sources."""
    body = [cardkit.heading(f"Zusammenfassung: {summary.title}")]
    body.append(cardkit.text_block(AI_LABEL if ai else EXTRACT_LABEL, subtle=True))
    if summary.note:
        body.append(cardkit.text_block(summary.note, subtle=True))
    for heading, points, _as_list in sections(summary):
        if points:
            body.append(cardkit.text_block(f"**{heading}**"))
            body.append(cardkit.text_block("\n".join(f"- {point_line(p)}" for p in points)))
    if summary.results:
        body.append(cardkit.text_block("**Ergebnis laut Ratsinformationssystem**"))
        body.append(cardkit.text_block("\n".join(f"- {r}" for r in summary.results)))
    body.extend(cardkit.citation_list(list(citations)))
    return cardkit.card(body)


def status_card(status: KipassStatus) -> Card:
    """`kipass`: the person's own KI-Pass (bot/cards/kipass_status.json)."""
    title, url = status.link or ("", "")
    return cards.fill(
        "kipass_status",
        headline=status.headline,
        headline_color="Good" if status.valid else "Attention",
        reminder=status.reminder,
        facts=[{"title": t, "value": v} for t, v in status.facts],
        steps=[{"title": t, "value": v} for t, v in status.steps],
        next_step=status.next_step,
        contact_line=contact_sentence(status.contact),
        training_title=title,
        training_url=url,
    )


def refusal_card(refusal: Refusal) -> Card:
    """The gate's refusal: why, the steps to the KI-Pass, what next, whom to ask
    (bot/cards/kipass_refusal.json)."""
    title, url = refusal.link or ("", "")
    return cards.fill(
        "kipass_refusal",
        title=refusal.title,
        message=refusal.message,
        steps_heading="Ihre Schritte zum KI-Pass",
        steps=[{"title": t, "value": v} for t, v in refusal.steps],
        next_step=refusal.next_step,
        contact_line=contact_sentence(refusal.contact),
        training_title=title,
        training_url=url,
        show_status_button=refusal.offer_status,
    )
