""" "Was hat der Bauausschuss im Oktober beschlossen?": decision sentences and consultation
results, quoted and cited, from the papers the query's filters select (the filters *are* the
question's topic here). The fallback of `suche` when no passage answers such a question.
"""

from __future__ import annotations

import re
from datetime import date

from skills.allris_papers import PAGE_SIZE, search
from skills.allris_query import CouncilQuery
from skills.context import SkillContext
from skills.generator.base import EXTRACT_NOTE, Generated, Passage
from skills.german import split_sentences
from skills.grounded_answer import GroundedAnswer
from skills.grounding import looks_like_injection, renumber
from skills.types import SkillRequest

DECISION_QUESTION = re.compile(
    r"\b(beschlossen|beschließen|entschieden|abgestimmt|empfohlen|abgelehnt|ergebnis\w*)\b",
    re.IGNORECASE,
)
# "lehnt … ab" and "stimmt … zu" tempered to the next "lehnt"/"stimmt": `.*` scanned to the end
# of the sentence from each of them, quadratic in a sentence that repeats the verb.
DECISION_SENTENCE = re.compile(
    r"\b(beschließt|beschlossen|empfiehlt|empfohlen|abgelehnt|lehnt\b(?:(?!\blehnt\b).)*\bab\b|"
    r"zur\s+Kenntnis|vertagt|verwiesen|stimmt\b(?:(?!\bstimmt\b).)*\bzu\b)",
    re.IGNORECASE,
)
MAX_DECISIONS = 6


def _in_range(day: date | None, q: CouncilQuery) -> bool:
    if day is None:
        return not (q.date_from or q.date_to)
    return (q.date_from is None or day >= q.date_from) and (q.date_to is None or day <= q.date_to)


def _status_entries(status: str | None, q: CouncilQuery) -> list[str]:
    """Consultation results ("Bürgerschaft 29.10.2026: einstimmig beschlossen") of the asked
    Gremium within the asked period: the meeting date, not the paper's date, counts here."""
    out = []
    for entry in (status or "").split(";"):
        entry = entry.strip()
        found = re.search(r"(\d{1,2})\.(\d{1,2})\.(\d{4})", entry)
        if not entry or (q.organization and q.organization not in entry):
            continue
        day = date(int(found.group(3)), int(found.group(2)), int(found.group(1))) if found else None
        if _in_range(day, q) or not (q.date_from or q.date_to):
            out.append(entry)
    return out


async def decisions(
    request: SkillRequest, ctx: SkillContext, q: CouncilQuery
) -> GroundedAnswer | None:
    """The decisions of the selected papers as an extract with citations; None when none."""
    undated = CouncilQuery(text=q.text, paper_type=q.paper_type, organization=q.organization)
    papers = await search(ctx, request, undated if (q.date_from or q.date_to) else q)
    if q.last_meeting and papers:
        latest = max((p.chunk.date for p in papers if p.chunk.date), default=None)
        papers = [p for p in papers if p.chunk.date == latest]
    passages: list[Passage] = []
    lines: list[str] = []
    seen: set[str] = set()
    for paper in papers[: PAGE_SIZE * 4]:
        if len(lines) >= MAX_DECISIONS:
            break  # no need to read the other papers' chunks
        chunks = await ctx.index.document_chunks(paper.chunk.doc_id, request.access)
        for index, chunk in enumerate(chunks):
            label = f"{chunk.title} ({chunk.reference})" if chunk.reference else chunk.title
            statuses = _status_entries(chunk.status, q) if index == 0 else []
            quotes = [f"{label}: {entry}" for entry in statuses]
            if _in_range(paper.chunk.date, q) or q.last_meeting:
                quotes += [
                    s
                    for s in split_sentences(chunk.text)
                    if DECISION_SENTENCE.search(s) and not looks_like_injection(s)
                ]
            quotes = [quote for quote in quotes if quote not in seen]
            if not quotes or len(lines) >= MAX_DECISIONS:
                continue
            seen.update(quotes)
            n = len(passages) + 1
            passages.append(Passage(n=n, chunk=chunk))
            lines.extend(f"„{quote}“ [{n}]" for quote in quotes[: MAX_DECISIONS - len(lines)])
    if not lines:
        return None
    generated = Generated(
        text="\n".join([EXTRACT_NOTE["de"], *lines]), cited=[p.n for p in passages]
    )
    cited = renumber(generated, passages)
    return GroundedAnswer(text=cited.text, citations=cited.citations, grounded=True)
