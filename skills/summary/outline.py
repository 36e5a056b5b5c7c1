"""Everything a summary of one council paper states, found in its structure, page-exact."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from indexer.chunking import PageText
from skills.summary import consultation, finance, sections
from skills.summary.document import (
    Line,
    Part,
    Statement,
    join_lines,
    paragraphs,
    sentences,
    split_parts,
    statement,
)

_MAIN_KINDS = frozenset({"vorlage", "information", "antrag", "anfrage", "haushalt", "text"})


@dataclass
class Outline:
    kind: str  # the main document's kind: vorlage, antrag, anfrage, …
    betreff: str
    proposal: Statement | None
    administration: Statement | None  # the Stellungnahme's answer or recommendation
    finance: list[Statement]
    consultation: list[Statement]
    deadlines: list[Statement]
    attachments: list[Statement]
    body: list[list[Line]] = field(default_factory=list)  # paragraphs key points come from


def _dedupe(statements: Sequence[Statement]) -> list[Statement]:
    seen: set[str] = set()
    out = []
    for s in statements:
        key = re.sub(r"\W", "", s.text.casefold())
        if key not in seen:
            seen.add(key)
            out.append(s)
    return out


def _content_sentences(part: Part, part_regions: list[sections.Region]) -> list[Statement]:
    """Sentences outside the form, the tables, the signature and the proposal; in a text of
    no known layout (a pasted message) that includes what stands before any heading."""
    skip = {"form", "consultation", "signature", "proposal"} | (
        set() if part.kind == "text" else {"head"}
    )
    return [
        s for r in part_regions if r.key not in skip for s in sentences(sections.content(r.lines))
    ]


def _finance(
    parts: Sequence[Part], regions: dict[int, list[sections.Region]], shown: set[str]
) -> list[Statement]:
    out: list[Statement] = []
    for i, part in enumerate(parts):
        if part.kind == "anlage":
            continue
        status, status_line = finance.form_status(part.lines)
        fields = finance.form_fields(part.lines)
        form_lines = [line for r in regions[i] if r.key == "form" for line in r.lines]
        ticked = finance.ticked_options(form_lines) if status else None
        found = [*fields, *([ticked] if ticked else [])]
        for f in fields:
            shown |= finance.amount_values(f.text) | finance.number_values(f.text)
        candidates = _content_sentences(part, regions[i])
        if status is not False:
            found += finance.prose(candidates, shown)
        else:
            # "Nein" on the form: say so; a cost the text still names is shown beside it.
            if not found and status_line is not None:
                found.append(finance.no_impact(status_line))
            found += finance.prose(candidates, shown, limit=1)
        out.extend(found)
    return _dedupe(out)


def read_outline(pages: Sequence[PageText]) -> Outline:
    parts = split_parts(pages)
    if not parts:
        return Outline("text", "", None, None, [], [], [], [])
    regions = {i: sections.regions(part) for i, part in enumerate(parts)}
    main = parts[0]
    proposal = sections.proposal(main, regions[0])
    administration = next(
        (
            sections.administration_view(part, regions[i])
            for i, part in enumerate(parts)
            if part.kind == "stellungnahme"
        ),
        None,
    )
    rows: list[Statement] = []
    for i, part in enumerate(parts):
        if part.kind == "anlage":
            continue
        for region in regions[i]:
            if region.key != "consultation":
                continue
            if any(consultation.is_table_header(line.text) for line in region.lines):
                rows += consultation.table_rows(region.lines)
            else:
                rows += consultation.listed_rows(region.lines)
    rows = _dedupe(rows)
    shown = finance.amount_values(proposal.text) if proposal else set()
    money = _finance(parts, regions, shown)
    used = {q.text for q in proposal.quotes} if proposal else set()
    skip_kurzfassung = proposal is not None and any(
        r.key == "kurzfassung" and any(line.text in " ".join(used) for line in r.lines)
        for r in regions[0]
    )
    body_lines = [
        line
        for line in sections.body(main, regions[0], skip_kurzfassung=skip_kurzfassung)
        if not (proposal and any(line.text in q for q in used))
    ]
    if main.kind == "text" and len(parts) == 1 and not body_lines:
        body_lines = sections.content(main.lines)
    known_dates = {d for row in rows for d in consultation.DATE.findall(row.text)}
    deadline_candidates = _content_sentences(main, regions[0])
    if proposal:
        deadline_candidates = _proposal_sentences(proposal) + deadline_candidates
    deadlines = consultation.deadlines(deadline_candidates, known_dates)
    attachments = [_attachment(part) for part in parts[1:] if part.kind == "anlage"]
    return Outline(
        kind=main.kind,
        betreff=sections.betreff(main),
        proposal=proposal,
        administration=administration,
        finance=money,
        consultation=rows,
        deadlines=deadlines,
        attachments=attachments,
        body=paragraphs(body_lines),
    )


def _attachment(part: Part) -> Statement:
    """One line for an Anlage: its first lines ("Anlage 1 Stadt Karlsruhe Betriebskonzept"),
    page numbers of a table of contents left out."""
    used: list[Line] = []
    for line in part.lines[:8]:
        if line.text.isdigit():
            continue
        used.append(line)
        if sum(len(u.text) + 1 for u in used) >= 40:
            break
    used = used or part.lines[:1]
    title = join_lines([u.text for u in used])
    if len(title) > 110:
        title = title[:109].rsplit(" ", 1)[0] + " …"
    if len(part.pages) > 1:
        title += f" ({len(part.pages)} Seiten)"
    return statement(used, text=title, label="Anlage")


def _proposal_sentences(proposal: Statement) -> list[Statement]:
    """The proposal's sentences (a deadline is one of them, not the whole proposal)."""
    return sentences([Line(q.text, q.page, i) for i, q in enumerate(proposal.quotes)])
