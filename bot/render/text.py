"""The plain text of each typed result kind (skills/results.py), drawn once here.

What a surface without cards shows: `kiw ask`, `kiw summarise` and `kiw chat` print it (a
refusal of `--user` on stderr, bot/cli/gate.py), a message extension shows it as its hint, the
dashboard as its problem, the chat sends it where a result has no card (a line of its own, or
the generic card when it is longer) and puts its first line beside a card (the notification). The same facts, labels and citations as the
chat's cards (bot/render/chat_cards.py); wording both draw comes from one place — the typed
result's fields, or the functions of the skill that owns the words (`skills.kipass`'s steps and
contact, `skills.prioritise`'s ranking lines, `skills.summary.text`'s sections).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import assert_never

from bot.render.pointers import pointer_lines
from kiw_common.citations import citation_label
from kiw_common.vocabulary import Citation
from prioritisation.inventory import problem_lines
from prioritisation.report import de
from skills.help import WELCOME, kipass_sentence, mention_hint
from skills.kipass import ACCESS_FACT, contact_sentence, open_steps_sentence
from skills.policy_qa import with_privacy_note
from skills.prioritise import CHAT_PROBLEMS, FIX_AND_RESEND, TOP_N, plan_line, ranking_line
from skills.results import (
    Answer,
    DocumentSummary,
    Help,
    InventoryProblems,
    KipassStatus,
    Notice,
    Paper,
    PaperList,
    Problem,
    Ranking,
    Refusal,
)
from skills.summary.text import summary_text
from skills.types import SkillResult
from skills.wording import committee_label, count_of

NO_MORE = "Keine weiteren Treffer."


def result_text(result: SkillResult) -> str:
    """The result as plain text, whatever its kind."""
    payload = result.payload
    if isinstance(payload, Answer):
        return answer_text(payload, result.citations)
    if isinstance(payload, PaperList):
        return paper_list_text(payload)
    if isinstance(payload, DocumentSummary):
        return summary_text(payload, result.ai_generated)
    if isinstance(payload, Ranking):
        return ranking_text(payload)
    if isinstance(payload, InventoryProblems):
        return inventory_problems_text(payload)
    if isinstance(payload, KipassStatus):
        return status_text(payload)
    if isinstance(payload, Refusal):
        return refusal_text(payload)
    if isinstance(payload, Help):
        return help_text(payload)
    if isinstance(payload, Notice):
        return payload.text
    if isinstance(payload, Problem):
        return payload.message
    assert_never(payload)


# ---------------------------------------------------------------- answers


def sources_lines(citations: Sequence[Citation]) -> list[str]:
    """ "[1] Dienstvereinbarung KI, § 4 Datenschutz, S. 4 – https://…", one per source."""
    return [f"[{c.n}] {citation_label(c)}" + (f" – {c.url}" if c.url else "") for c in citations]


def answer_text(answer: Answer, citations: Sequence[Citation]) -> str:
    """The answer with its [n] markers, the privacy note, and the sources the markers name; no
    sure answer: the places to check below it, under their own heading (bot/render/pointers.py)."""
    lines = [with_privacy_note(answer)]
    if answer.grounded and citations:
        lines += ["", "Sources:" if answer.language == "en" else "Quellen:"]
        lines += sources_lines(citations)
    if not answer.grounded and answer.pointers:
        lines += ["", *pointer_lines(answer.pointers, answer.language)]
    return "\n".join(lines)


# ---------------------------------------------------------------- council papers


def paper_lines(paper: Paper, n: int, home_url: str | None = None) -> list[str]:
    """One paper as the card shows it: title, facts, who submitted it, consultation, link."""
    facts = [paper.reference, paper.paper_type, f"{paper.date:%d.%m.%Y}" if paper.date else None]
    committees = paper.committees
    if committees:
        facts.append(f"{committee_label(len(committees))}: {', '.join(committees)}")
    lines = [f"{n}. {paper.title}"]
    if any(facts):
        lines.append("   " + " · ".join(f for f in facts if f))
    if paper.factions:
        lines.append(f"   Eingereicht von: {', '.join(paper.factions)}")
    if paper.status:
        lines.append(f"   Beratung: {paper.status}")
    url = paper.url or home_url
    if url:
        lines.append(f"   {url}")
    return lines


def paper_list_text(papers: PaperList) -> str:
    """The page of papers as the chat's card lists them, and how to get the next page; a
    search that found nothing (or no further page) says so in one line."""
    if not papers.papers:
        return NO_MORE if papers.page else f"Zu „{papers.query}“ habe ich nichts gefunden."
    lines = ["Ergebnisse aus dem Ratsinformationssystem"]
    if papers.intro:
        lines.append(papers.intro)
    if papers.filters:
        lines.append("Verstanden als: " + " · ".join(f"{k}: {v}" for k, v in papers.filters))
    lines.append(f"{count_of(papers.total, 'Vorgang', 'Vorgänge')}, Seite {papers.page + 1}")
    for n, paper in enumerate(papers.papers, start=papers.first_number):
        lines.append("")
        lines += paper_lines(paper, n, papers.home_url)
        if paper.snippet:
            lines.append(f"   „{' '.join(paper.snippet.replace('**', '').split())}“")
    if papers.summarise_command:
        lines += ["", f"Zusammenfassen: „{papers.summarise_command}“"]
    if papers.has_more:
        lines += ["", f"Mehr Treffer: „mehr“ (Seite {papers.page + 2})"]
    return "\n".join(lines)


# ---------------------------------------------------------------- prioritisation


def ranking_text(ranking: Ranking) -> str:
    """The figures, the best candidates, the quick wins and the plan, as the card has them."""
    analysis = ranking.analysis
    lines = [
        f"{count_of(len(analysis.ranked), 'Prozess', 'Prozesse')} bewertet: "
        f"{de(analysis.total_potential_fte)} VZÄ Einsparpotenzial insgesamt.",
        "Die besten Kandidaten:",
    ]
    lines += [
        ranking_line(s.rank, s.process.name, s.potential_fte, s.process.effort_person_days)
        for s in analysis.ranked[:TOP_N]
    ]
    quick_wins = ", ".join(s.process.name for s in analysis.quick_wins)
    lines.append(f"Quick Wins: {quick_wins or 'keine'}")
    lines.append(plan_line(analysis))
    return "\n".join(lines)


def inventory_problems_text(problems: InventoryProblems) -> str:
    """What is wrong with the inventory (the first problems, then how many more), how to go on."""
    shown = problem_lines(problems.problems, CHAT_PROBLEMS)
    return "\n".join(
        [
            f"Die Inventarliste „{problems.file_name}“ kann ich nicht auswerten:",
            *(f"- {line}" for line in shown),
            FIX_AND_RESEND,
        ]
    )


# ---------------------------------------------------------------- KI-Pass and the gate


def _link_line(link: tuple[str, str] | None) -> list[str]:
    """The card's button to the training or KI-Pass page, as a line: "Schulung buchen: URL"."""
    return [f"{link[0]}: {link[1]}"] if link else []


def status_text(status: KipassStatus) -> str:
    """The headline, the reminder, the steps, the next step and its link, the document access,
    whom to ask."""
    lines = [status.headline]
    if status.reminder:
        lines.append(status.reminder)
    lines += [f"- {step}: {done}" for step, done in status.steps]
    if status.next_step:
        lines.append(status.next_step)
    lines += _link_line(status.link)
    lines.append(f"{ACCESS_FACT}: {dict(status.facts).get(ACCESS_FACT, '')}.")
    lines.append(contact_sentence(status.contact))
    return "\n".join(lines)


def refusal_text(refusal: Refusal) -> str:
    """Why, the steps still open, the next step and its link, whom to ask."""
    lines = [refusal.message]
    if refusal.open_steps:
        lines.append(open_steps_sentence(refusal.open_steps))
    if refusal.next_step:
        lines.append(refusal.next_step)
    lines += _link_line(refusal.link)
    lines.append(contact_sentence(refusal.contact))
    return "\n".join(lines)


# ---------------------------------------------------------------- help


def help_text(shown: Help) -> str:
    """Every skill with its KI-Pass note, or how to use the one command asked about."""
    if shown.focused and shown.entries:
        entry = shown.entries[0]
        aliases = ", ".join(entry.aliases)
        usage = f"So schreiben Sie es: „{entry.command} …“"
        return "\n".join(
            [
                f"{entry.title}: {entry.description}",
                usage + (f" (auch: {aliases})" if aliases else ""),
                kipass_sentence(entry),
            ]
        ).strip()
    lines = [WELCOME, "Das kann ich für Sie tun:"]
    lines += [f"- {e.command}: {e.title} ({e.kipass}). {e.description}" for e in shown.entries]
    if shown.mention_hint:
        lines.append(mention_hint(shown.bot_name))
    return "\n".join(lines)
