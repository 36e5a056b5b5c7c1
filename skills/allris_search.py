"""`suche …`: council papers (ALLRIS) with filters understood from the words, and "mehr".

A search ("Anträge der Grünen zum Radverkehr seit 2025") gets a card of the best papers; a
question ("Was hat der Bauausschuss im Oktober beschlossen?") gets a cited answer over the
council documents, with the matching papers below when no passage answers it directly.

The KI-Pass: a search is a lookup in public council papers, no model involved, so it needs
none; a question is answered by the generator, so it does (`answers_question`, which the gate
asks through `Skill.needs_kipass_for`; docs/identity.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from indexer.links import chunks_for_link
from indexer.model import COUNCIL, Chunk, Hit, SearchQuery
from indexer.submitters import faction_names
from kiw_common.references import is_link_to_host, mentions_reference
from skills import cardkit
from skills.allris_query import (
    CouncilQuery,
    in_type_family,
    is_question,
    parse_council_query,
    without_reference,
)
from skills.context import Skill, SkillContext, Utterance
from skills.generator.base import EXTRACT_NOTE, Generated, Passage
from skills.german import split_sentences
from skills.grounded_answer import MAX_QUESTION_CHARS, GroundedAnswer, answer_question
from skills.grounding import looks_like_injection, renumber
from skills.policy_qa import bad_input, result_from_answer
from skills.types import SkillOptions, SkillRequest, SkillResult
from skills.wording import clip, committee_label, count_of, german_quotes

NAME = "allris_search"
PAGE_SIZE = 5
SNIPPET_CHARS = 240  # the passage under a paper on the card
FETCH_CHUNKS = 200  # chunks fetched to group into papers; paging runs over these
MAX_PAGE = FETCH_CHUNKS // PAGE_SIZE

EMPTY_SEARCH = (
    "Bitte geben Sie an, wonach ich suchen soll, zum Beispiel: "
    "„suche Anträge der Grünen zum Radverkehr seit 2025“ oder „suche VO/2025/12345“."
)
NO_COUNCIL_ANSWER = "Dazu enthalten die Ratsunterlagen, die Sie einsehen dürfen, keine Aussage."


def council_contact_sentence(ctx: SkillContext) -> str:
    return f"Bei Fragen zu Ratsunterlagen wenden Sie sich bitte an {ctx.config.council_contact}."


MORE_WITHOUT_QUERY = (
    "Für „mehr“ nutzen Sie bitte die Schaltfläche „Mehr Treffer“ unter den Suchergebnissen "
    "oder wiederholen Sie Ihre Suche."
)


@dataclass(frozen=True)
class PaperHit:
    chunk: Chunk  # the best chunk of the paper
    score: float
    snippet: str


def _group_by_paper(hits: tuple[Hit, ...] | list[Hit]) -> list[PaperHit]:
    papers: dict[str, PaperHit] = {}
    for hit in hits:
        if hit.chunk.doc_id not in papers:
            papers[hit.chunk.doc_id] = PaperHit(hit.chunk, hit.score, hit.snippet)
    return list(papers.values())


def paper_json(paper: PaperHit) -> dict[str, Any]:
    c = paper.chunk
    return {
        "title": c.title,
        "reference": c.reference,
        "paper_type": c.paper_type,
        "date": c.date.isoformat() if c.date else None,
        "organizations": list(c.organizations),
        "status": c.status,
        "url": c.url,
        "doc_id": c.doc_id,
        "snippet": paper.snippet,
    }


def _allris_url(chunk: Chunk, host: str) -> str | None:
    return chunk.url or (f"{host.rstrip('/')}" if host else None)


async def _search(ctx: SkillContext, request: SkillRequest, q: CouncilQuery) -> list[PaperHit]:
    text = " ".join(filter(None, [q.reference, q.text])) or q.organization or q.paper_type
    text = text or "Vorlage"
    # A faction's papers are its motions and queries whatever the council calls their type
    # ("Haushalt THH 1200" for a budget motion): with a faction the type ranks, it does not
    # filter.
    engine_type = None if q.factions else q.paper_type
    query = SearchQuery(
        text=text,
        access=request.access,
        collection=COUNCIL,
        paper_type=engine_type,
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
    papers = _group_by_paper(results.hits)
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


def _bodies_and_factions(organizations: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """Committees apart from the factions that submitted the paper (indexer/submitters.py
    records both as organizations, so that both are engine filters)."""
    canonical = faction_names().canonical
    factions = [o for o in organizations if o in canonical]
    return [o for o in organizations if o not in canonical], factions


def search_card(
    q: CouncilQuery, query_text: str, papers: list[PaperHit], page: int, host: str, intro: str = ""
) -> dict[str, Any]:
    shown = papers[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    body: list[dict[str, Any]] = [cardkit.heading("Ergebnisse aus dem Ratsinformationssystem")]
    if intro:
        body.append(cardkit.text_block(intro))
    filters = q.filters()
    if filters:
        body.append(
            cardkit.text_block(
                "Verstanden als: " + " · ".join(f"{k}: {v}" for k, v in filters.items()),
                subtle=True,
                size="Small",
            )
        )
    body.append(
        cardkit.text_block(
            f"{count_of(len(papers), 'Vorgang', 'Vorgänge')}, Seite {page + 1}",
            subtle=True,
            size="Small",
        )
    )
    for paper in shown:
        c = paper.chunk
        url = _allris_url(c, host)
        title = f"[{c.title}]({url})" if url else c.title
        bodies, factions = _bodies_and_factions(c.organizations)
        facts = [
            ("Aktenzeichen", c.reference or "–"),
            ("Art", c.paper_type or "–"),
            ("Datum", f"{c.date:%d.%m.%Y}" if c.date else "–"),
            (committee_label(len(bodies)), ", ".join(bodies) or "–"),
        ]
        if factions:
            facts.append(("Eingereicht von", ", ".join(factions)))
        if c.status:
            facts.append(("Beratung", c.status))
        container = {
            "type": "Container",
            "separator": True,
            "items": [
                cardkit.text_block(f"**{title}**"),
                cardkit.fact_set(facts),
                cardkit.text_block(german_quotes(paper.snippet), subtle=True, size="Small"),
            ],
        }
        body.append(container)
    actions: list[dict[str, Any]] = []
    if (page + 1) * PAGE_SIZE < len(papers):
        actions.append(
            cardkit.submit_action(
                "Mehr Treffer", {"command": "suche", "query": query_text, "page": page + 1}
            )
        )
    actions.extend(cardkit.feedback_actions(NAME))
    return cardkit.card(body, actions)


def _plain_list(papers: list[PaperHit], page: int) -> str:
    lines = []
    for i, paper in enumerate(papers[page * PAGE_SIZE : (page + 1) * PAGE_SIZE], start=1):
        c = paper.chunk
        when = f"{c.date:%d.%m.%Y}" if c.date else ""
        meta = ", ".join(p for p in (c.reference, c.paper_type, when) if p)
        lines.append(
            f"{i + page * PAGE_SIZE}. {c.title} ({meta})" + (f" – {c.url}" if c.url else "")
        )
        if c.status:
            lines.append(f"   Beratung: {c.status}")
    return "\n".join(lines)


async def _by_reference(
    request: SkillRequest, ctx: SkillContext, q: CouncilQuery, query_text: str
) -> SkillResult:
    assert q.reference
    doc_id = await ctx.index.find_reference(q.reference, request.access)
    chunks = await ctx.index.document_chunks(doc_id, request.access) if doc_id else []
    if not chunks:
        return not_found(q.reference)
    paper = PaperHit(chunks[0], 1.0, clip(chunks[0].text, SNIPPET_CHARS))
    return _listing(q, query_text, [paper], 0, ctx)


async def _paper_id(request: SkillRequest, ctx: SkillContext, reference: str) -> str | None:
    """The paper a reference or link names, if the caller may read it."""
    if reference.startswith(("http://", "https://")):
        # The OParl id, ALLRIS's row id or a reference in the link (indexer/links.py).
        chunks = await chunks_for_link(ctx.index, reference, request.access)
        return chunks[0].doc_id if chunks else None
    return await ctx.index.find_reference(reference, request.access)


async def _about_paper(
    request: SkillRequest, ctx: SkillContext, q: CouncilQuery, query_text: str
) -> SkillResult:
    """A question that names a paper ("Was beschließt VO/2025/12345?") is answered from that
    paper and its files; a paper the caller may not read is "nicht gefunden" like any other."""
    assert q.reference
    doc_id = await _paper_id(request, ctx, q.reference)
    if doc_id is None:
        return not_found(q.reference)
    base = SearchQuery(text=q.text, doc_id=doc_id)
    question = without_reference(query_text)
    answer = await answer_question(question, request, ctx, collection=COUNCIL, query=base)
    if answer.grounded or request.options.mode == "answer":
        return result_from_answer(answer, ctx, skill=NAME, no_answer=NO_COUNCIL_ANSWER)
    chunks = await ctx.index.document_chunks(doc_id, request.access)
    paper = PaperHit(chunks[0], 1.0, chunks[0].text[:240])
    return _listing(
        q, query_text, [paper], 0, ctx,
        intro="Eine direkte Antwort steht nicht in diesem Vorgang; hier ist er:",
    )  # fmt: skip


def _allris_link(text: str, allris_host: str) -> str | None:
    """`text` when it is nothing but a link to the city's ALLRIS (the host of KIW_ALLRIS_HOST),
    else None: a pasted link means "this paper", not a search for the words in the URL."""
    if any(c.isspace() for c in text) or not is_link_to_host(text.strip("<>"), allris_host):
        return None
    return text.strip("<>")


async def _by_link(
    request: SkillRequest, ctx: SkillContext, q: CouncilQuery, url: str
) -> SkillResult:
    """The paper a pasted ALLRIS link points to, as its card with a „Zusammenfassen“ button:
    the link as a document id (OParl), else ALLRIS's row id or a reference in its query. Only
    what `request.access` may read (in a shared chat: the audience's groups), else „nicht
    gefunden“ — the same words as for a paper that does not exist."""
    request.trace.add("link_lookup")
    chunks = await chunks_for_link(ctx.index, url, request.access)
    if not chunks:
        return not_found(url)
    paper = PaperHit(chunks[0], 1.0, clip(chunks[0].text, SNIPPET_CHARS))
    result = _listing(q, url, [paper], 0, ctx)
    reference = chunks[0].reference
    if result.card is not None and reference:
        # The button sends the typed command back (bot/teams/handler.py: card submits).
        summarise = cardkit.submit_action(
            "Zusammenfassen", {"command": f"zusammenfassen {reference}"}
        )
        result.card["actions"] = [summarise, *result.card.get("actions", [])]
        result.data["summarise"] = f"zusammenfassen {reference}"
    return result


def not_found(what: str) -> SkillResult:
    text = f"Zu „{what}“ habe ich nichts gefunden."
    return SkillResult(
        text=text, outcome="not_found", grounded=False,
        data={"query": what, "total": 0, "hits": []},
    )  # fmt: skip


def _listing(
    q: CouncilQuery, query_text: str, papers: list[PaperHit], page: int, ctx: SkillContext,
    intro: str = "",
) -> SkillResult:  # fmt: skip
    if not papers or page * PAGE_SIZE >= len(papers):
        if page:
            return SkillResult(
                text="Keine weiteren Treffer.", outcome="not_found",
                data={"query": query_text, "total": len(papers), "page": page, "hits": []},
            )  # fmt: skip
        return not_found(query_text)
    shown = papers[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    text = (intro + "\n" if intro else "") + _plain_list(papers, page)
    return SkillResult(
        text=text,
        card=search_card(q, query_text, papers, page, ctx.config.allris_host, intro),
        outcome="ok",
        grounded=True,
        data={
            "query": query_text,
            "filters": q.filters(),
            "total": len(papers),
            "page": page,
            "hits": [paper_json(p) for p in shown],
        },
    )


MORE_WORDS = ("mehr", "more", "weiter")


def answers_question(text: str, options: SkillOptions) -> bool:
    """Whether `run` would have the generator answer (an AI feature) rather than list papers.
    Errs towards True: a wrongly gated search costs a refusal, a wrongly open answer the rule."""
    words = text.strip()
    if options.mode == "answer":
        return True
    if words.lower() in MORE_WORDS or (not words and options.query):
        # "Mehr Treffer" lists further pages, except for a question about one named paper,
        # which `run` answers from that paper whatever the page (card data can be forged).
        query = options.query.strip()[:MAX_QUESTION_CHARS]
        parsed = parse_council_query(query, date.today())
        return bool(parsed.reference and parsed.text) and is_question(query)
    return is_question(words)


_DECISION_QUESTION = re.compile(
    r"\b(beschlossen|beschließen|entschieden|abgestimmt|empfohlen|abgelehnt|ergebnis\w*)\b",
    re.IGNORECASE,
)
# "lehnt … ab" and "stimmt … zu" tempered to the next "lehnt"/"stimmt": `.*` scanned to the end
# of the sentence from each of them, quadratic in a sentence that repeats the verb.
_DECISION_SENTENCE = re.compile(
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


async def _decisions(
    request: SkillRequest, ctx: SkillContext, q: CouncilQuery
) -> GroundedAnswer | None:
    """ "Was hat der Bauausschuss im Oktober beschlossen?": decision sentences and consultation
    results, quoted and cited, from the papers the filters select (the filters *are* the
    question's topic here)."""
    undated = CouncilQuery(text=q.text, paper_type=q.paper_type, organization=q.organization)
    papers = await _search(ctx, request, undated if (q.date_from or q.date_to) else q)
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
                    if _DECISION_SENTENCE.search(s) and not looks_like_injection(s)
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


# "Was hat der Gemeinderat am 25. November beraten?": what a body discussed on a day or in a
# month is the agenda of its meeting (one document per meeting, indexer/oparl/documents.py),
# not a sentence of some paper that happens to name the date.
_AGENDA_QUESTION = re.compile(
    r"\b(beraten|besprochen|diskutiert|behandelt|verhandelt|getagt|tagesordnung\w*|sitzung\w*)\b",
    re.IGNORECASE,
)
MEETING_TYPE = "Sitzung"  # the paper_type the crawler gives a meeting


async def _meetings(ctx: SkillContext, request: SkillRequest, q: CouncilQuery) -> list[PaperHit]:
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
    meetings = _group_by_paper(results.hits)
    if q.last_meeting and meetings:
        latest = max((m.chunk.date for m in meetings if m.chunk.date), default=None)
        meetings = [m for m in meetings if m.chunk.date == latest]
    return meetings


async def run(request: SkillRequest, ctx: SkillContext) -> SkillResult:
    text = request.text.strip()
    page = min(request.options.page, MAX_PAGE)
    if text.lower() in MORE_WORDS or (not text and request.options.query):
        text = request.options.query.strip()[:MAX_QUESTION_CHARS]
        if not text:
            return bad_input(MORE_WITHOUT_QUERY)
        page = max(page, 1)
    if not text:
        return bad_input(EMPTY_SEARCH)
    if len(text) > MAX_QUESTION_CHARS:
        return bad_input(
            "Ihre Suchanfrage ist zu lang. Bitte beschränken Sie sich auf einige Stichworte."
        )
    today: date = ctx.today()
    q = parse_council_query(text, today)
    request.trace.add("query_parse", filters=sorted(q.filters()), reference=bool(q.reference))
    link = _allris_link(text, ctx.config.allris_host)
    if link is not None and page == 0:
        return await _by_link(request, ctx, q, link)
    if q.reference and not q.text:
        return await _by_reference(request, ctx, q, text)
    if q.reference and (is_question(text) or request.options.mode == "answer"):
        return await _about_paper(request, ctx, q, text)
    if request.options.mode == "answer":
        # `kiw ask --collection council`: always the answer shape, never a hit list.
        answer = await answer_question(text, request, ctx, collection=COUNCIL)
        no_answer = f"{NO_COUNCIL_ANSWER} {council_contact_sentence(ctx)}"
        return result_from_answer(answer, ctx, skill=NAME, no_answer=no_answer)
    if is_question(text) and page == 0:
        if q.organization and (q.date_from or q.last_meeting) and _AGENDA_QUESTION.search(text):
            meetings = await _meetings(ctx, request, q)
            if meetings:
                ids = {m.chunk.doc_id for m in meetings}
                papers = [p for p in await _search(ctx, request, q) if p.chunk.doc_id not in ids]
                return _listing(
                    q, text, meetings + papers, 0, ctx,
                    intro="Was beraten wurde, steht in der Tagesordnung der Sitzung:",
                )  # fmt: skip
        base = SearchQuery(
            text=q.text or text,
            paper_type=q.paper_type,
            organization=q.organization,
            date_from=q.date_from,
            date_to=q.date_to,
        )
        answer = await answer_question(text, request, ctx, collection=COUNCIL, query=base)
        if (
            not answer.grounded
            and _DECISION_QUESTION.search(text)
            and (q.organization or q.date_from or q.last_meeting)
        ):
            answer = await _decisions(request, ctx, q) or answer
        if answer.grounded:
            return result_from_answer(answer, ctx, skill=NAME, no_answer="")
        papers = await _search(ctx, request, q)
        return _listing(
            q, text, papers, 0, ctx,
            intro="Eine direkte Antwort steht nicht in den Unterlagen; diese Vorgänge passen:",
        )  # fmt: skip
    papers = await _search(ctx, request, q)
    return _listing(q, text, papers, page, ctx)


_COUNCIL_WORDS = re.compile(
    r"\b(antr[aä]ge?n?|antrag\w*|vorlagen?|beschlussvorlage\w*|ausschu(?:ss|ß)\w*|sitzung\w*|"
    r"bürgerschaft|gremi\w+|fraktion\w*|allris|tagesordnung\w*|drucksache\w*)\b",
    re.IGNORECASE,
)


def asks_about_council_business(said: Utterance) -> bool:
    """A paper reference or a word of council business (a reference beats a question word)."""
    return mentions_reference(said.head) or _COUNCIL_WORDS.search(said.head) is not None


SKILL = Skill(
    name=NAME,
    commands=("suche", "search"),
    title="Ratsinformationen durchsuchen",
    description=(
        "Findet Anträge, Vorlagen und Niederschriften im Ratsinformationssystem (ALLRIS) – "
        "mit Filtern nach Fraktion, Gremium und Zeitraum."
    ),
    requires_kipass=False,
    run=run,
    needs_kipass_for=answers_question,
    aliases=("allris",),
    intent=asks_about_council_business,
    intent_rank=40,
)
