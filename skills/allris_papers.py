"""Council papers for `suche`: the search with the query's filters, grouped into papers, and
the page of them a result lists (`PaperList`, skills/results.py), which every front end draws.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from indexer.model import COUNCIL, Chunk, Hit, SearchQuery
from indexer.submitters import faction_names
from skills.allris_query import CouncilQuery, family_types, in_type_family
from skills.context import SkillContext
from skills.results import Paper, PaperList
from skills.types import SkillRequest, SkillResult

PAGE_SIZE = 5
SNIPPET_CHARS = 240  # the passage under a paper on the card
FETCH_CHUNKS = 200  # chunks fetched to group into papers; paging runs over these
MAX_PAGE = FETCH_CHUNKS // PAGE_SIZE
MEETING_TYPE = "Sitzung"  # the paper_type the crawler gives a meeting


@dataclass(frozen=True)
class PaperHit:
    chunk: Chunk  # the best chunk of the paper
    score: float
    snippet: str


def group_by_paper(hits: tuple[Hit, ...] | list[Hit]) -> list[PaperHit]:
    papers: dict[str, PaperHit] = {}
    for hit in hits:
        if hit.chunk.doc_id not in papers:
            papers[hit.chunk.doc_id] = PaperHit(hit.chunk, hit.score, hit.snippet)
    return list(papers.values())


def paper_of(chunk: Chunk, snippet: str) -> Paper:
    """The paper of `chunk` as a list shows it, with `snippet` under it. The factions that
    submitted it are named apart from the committees (indexer/submitters.py records both as
    organizations, so that both are engine filters)."""
    canonical = faction_names().canonical
    factions = tuple(o for o in chunk.organizations if o in canonical)
    return Paper(
        chunk.doc_id, chunk.title, chunk.reference, chunk.date, chunk.organizations,
        chunk.paper_type, chunk.url, snippet, chunk.status, factions,
    )  # fmt: skip


async def type_filter(
    ctx: SkillContext, request: SkillRequest, wanted: str | None
) -> tuple[str | None, tuple[str, ...]]:
    """`(paper_type, paper_types)` of a query for `wanted` ("Antrag"): every indexed type of
    its family ("Antrag", "Änderungs-/Ergänzungsantrag", "Haushalt THH 1200", …) among what
    the caller may read; the type itself when the index has none of its family (then nothing
    is found, as asked)."""
    if not wanted:
        return None, ()
    types = family_types(await ctx.index.paper_types(COUNCIL, request.access), wanted)
    return (None, types) if types else (wanted, ())


async def search(ctx: SkillContext, request: SkillRequest, q: CouncilQuery) -> list[PaperHit]:
    text = " ".join(filter(None, [q.reference, q.text])) or q.organization or q.paper_type
    text = text or "Vorlage"
    # A faction's papers are few and what it filed under another type is still its business
    # ("Anträge der Grünen" shows their Anfrage after their motions): with a faction the type
    # family ranks; without one it is the engine's filter.
    engine_type = None if q.factions else q.paper_type
    paper_type, paper_types = await type_filter(ctx, request, engine_type)
    query = SearchQuery(
        text=text,
        access=request.access,
        collection=COUNCIL,
        paper_type=paper_type,
        paper_types=paper_types,
        organization=q.organization,
        date_from=q.date_from,
        date_to=q.date_to,
        top=FETCH_CHUNKS,
        facets=False,
        snippets="first_per_document",  # the card shows a paper's best passage
    )
    with request.trace.timed("retrieval", collection=COUNCIL, filters=sorted(q.filters())) as step:
        results = await ctx.index.search(query)
        if not results.hits and q.organization:
            # Papers indexed before submitters were read (or a council that names its
            # committees differently) may name the faction only in their text: the user's own
            # words ("Grünen", "Umweltausschuss") are searched as text.
            words = q.organization_words or q.organization.replace("Fraktion", "")
            results = await ctx.index.search(
                replace(
                    query,
                    text=f"{q.text} {words.replace('-', ' ')}".strip(),
                    organization=None,
                )
            )
            step["organization_in_text"] = True
        step["hits"] = len(results.hits)
    papers = group_by_paper(results.hits)
    if q.paper_type and engine_type is None:
        # Stable: within each group the engine's order stands.
        papers.sort(key=lambda p: not in_type_family(p.chunk.paper_type, q.paper_type or ""))
    if len(q.factions) > 1:
        wanted = set(q.factions)
        papers.sort(key=lambda p: not wanted <= set(p.chunk.organizations))
    if q.last_meeting and papers:
        latest = max((p.chunk.date for p in papers if p.chunk.date), default=None)
        papers = [p for p in papers if p.chunk.date == latest] if latest else papers
    return papers


async def meetings(ctx: SkillContext, request: SkillRequest, q: CouncilQuery) -> list[PaperHit]:
    """The body's meetings in the asked period (the latest one for "letzte Sitzung")."""
    results = await ctx.index.search(
        SearchQuery(
            text=q.text or "Tagesordnung",
            access=request.access,
            collection=COUNCIL,
            paper_type=MEETING_TYPE,
            organization=q.organization,
            date_from=q.date_from,
            date_to=q.date_to,
            top=PAGE_SIZE * 10,
            facets=False,
            snippets="first_per_document",
        )
    )
    request.trace.add("meetings", hits=len(results.hits))
    found = group_by_paper(results.hits)
    if q.last_meeting and found:
        latest = max((m.chunk.date for m in found if m.chunk.date), default=None)
        found = [m for m in found if m.chunk.date == latest]
    return found


def not_found(what: str) -> SkillResult:
    """Nothing found for `what` (an empty list: "Zu „…“ habe ich nichts gefunden.")."""
    return SkillResult(PaperList(what, (), 0), outcome="not_found", grounded=False)


def listing(
    q: CouncilQuery, query_text: str, papers: list[PaperHit], page: int, ctx: SkillContext,
    intro: str = "", summarise_command: str = "",
) -> SkillResult:  # fmt: skip
    """The result for one page of `papers` (past the last page: an empty page, "Keine weiteren
    Treffer.")."""
    if not papers or page * PAGE_SIZE >= len(papers):
        if page:
            empty = PaperList(query_text, (), len(papers), page, PAGE_SIZE)
            return SkillResult(empty, outcome="not_found")
        return not_found(query_text)
    host = ctx.config.allris_host
    shown = PaperList(
        query=query_text,
        papers=tuple(
            paper_of(p.chunk, p.snippet) for p in papers[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
        ),
        total=len(papers),
        page=page,
        page_size=PAGE_SIZE,
        filters=tuple(q.filters().items()),
        intro=intro,
        summarise_command=summarise_command,
        home_url=host.rstrip("/") if host else None,
    )
    return SkillResult(shown, outcome="ok", grounded=True)
