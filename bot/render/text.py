"""The CLI's text of each typed result kind: what Teams shows, as lines a terminal prints.

`kiw ask`, `kiw chat` and `kiw search` print these (with --json they print data instead), so
an admin reads the same facts, labels and citations as the chat, without the card markup. A
result of a kind not drawn here prints its own plain text (`SkillResult.text`).
"""

from __future__ import annotations

from collections.abc import Sequence

from kiw_common.citations import citation_label
from kiw_common.vocabulary import Citation
from skills.policy_qa import with_privacy_note
from skills.results import Answer, Paper, PaperList
from skills.types import SkillResult
from skills.wording import committee_label, count_of


def result_text(result: SkillResult) -> str:
    payload = result.payload
    if isinstance(payload, Answer):
        return answer_text(payload, result.citations)
    if isinstance(payload, PaperList) and payload.papers:
        return paper_list_text(payload)
    return result.text


def sources_lines(citations: Sequence[Citation]) -> list[str]:
    """ "[1] Dienstvereinbarung KI, § 4 Datenschutz, S. 4 – https://…", one per source."""
    return [f"[{c.n}] {citation_label(c)}" + (f" – {c.url}" if c.url else "") for c in citations]


def answer_text(answer: Answer, citations: Sequence[Citation]) -> str:
    """The answer with its [n] markers, the privacy note, and the sources the markers name."""
    lines = [with_privacy_note(answer)]
    if answer.grounded and citations:
        lines += ["", "Sources:" if answer.language == "en" else "Quellen:"]
        lines += sources_lines(citations)
    return "\n".join(lines)


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
    """The page of papers as the chat's card lists them, and how to get the next page."""
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
