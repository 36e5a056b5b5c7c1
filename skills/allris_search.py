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
from datetime import date

from indexer.links import chunks_for_link
from indexer.model import COUNCIL, SearchQuery
from kiw_common.references import is_link_to_host, mentions_reference
from skills.allris_decisions import DECISION_QUESTION, decisions
from skills.allris_papers import (
    MAX_PAGE,
    SNIPPET_CHARS,
    PaperHit,
    listing,
    meetings,
    not_found,
    search,
    type_filter,
)
from skills.allris_query import (
    CouncilQuery,
    is_question,
    parse_council_query,
    without_reference,
)
from skills.context import Skill, SkillContext, Utterance
from skills.grounded_answer import MAX_QUESTION_CHARS, answer_question
from skills.policy_qa import bad_input, result_from_answer
from skills.types import SkillOptions, SkillRequest, SkillResult
from skills.wording import clip

NAME = "allris_search"

EMPTY_SEARCH = (
    "Bitte geben Sie an, wonach ich suchen soll, zum Beispiel: "
    "„suche Anträge der Grünen zum Radverkehr seit 2025“ oder „suche VO/2025/12345“."
)
NO_COUNCIL_ANSWER = "Dazu enthalten die Ratsunterlagen, die Sie einsehen dürfen, keine Aussage."
# ... when retrieval found papers near the question: the renderers list them below as papers to
# check (skills/pointers.py), not as an answer.
UNSURE_COUNCIL_ANSWER = (
    "Eine sichere Antwort finde ich in den Ratsunterlagen, die Sie einsehen dürfen, nicht."
)


def council_contact_sentence(ctx: SkillContext) -> str:
    return f"Bei Fragen zu Ratsunterlagen wenden Sie sich bitte an {ctx.config.council_contact}."


MORE_WITHOUT_QUERY = (
    "Für „mehr“ nutzen Sie bitte die Schaltfläche „Mehr Treffer“ unter den Suchergebnissen "
    "oder wiederholen Sie Ihre Suche."
)


async def _by_reference(
    request: SkillRequest, ctx: SkillContext, q: CouncilQuery, query_text: str
) -> SkillResult:
    assert q.reference
    doc_id = await ctx.index.find_reference(q.reference, request.access)
    chunks = await ctx.index.document_chunks(doc_id, request.access) if doc_id else []
    if not chunks:
        return not_found(q.reference)
    paper = PaperHit(chunks[0], 1.0, clip(chunks[0].text, SNIPPET_CHARS))
    return listing(q, query_text, [paper], 0, ctx)


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
        return result_from_answer(answer, no_answer=NO_COUNCIL_ANSWER, unsure=UNSURE_COUNCIL_ANSWER)
    chunks = await ctx.index.document_chunks(doc_id, request.access)
    paper = PaperHit(chunks[0], 1.0, chunks[0].text[:240])
    return listing(
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
    reference = chunks[0].reference
    # The card's „Zusammenfassen“ button sends the typed command back (bot/teams/handler.py).
    summarise = f"zusammenfassen {reference}" if reference else ""
    return listing(q, url, [paper], 0, ctx, summarise_command=summarise)


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


# "Was hat der Gemeinderat am 25. November beraten?": what a body discussed on a day or in a
# month is the agenda of its meeting (one document per meeting, indexer/oparl/documents.py),
# not a sentence of some paper that happens to name the date.
_AGENDA_QUESTION = re.compile(
    r"\b(beraten|besprochen|diskutiert|behandelt|verhandelt|getagt|tagesordnung\w*|sitzung\w*)\b",
    re.IGNORECASE,
)


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
        contact = council_contact_sentence(ctx)
        return result_from_answer(
            answer,
            no_answer=f"{NO_COUNCIL_ANSWER} {contact}",
            unsure=f"{UNSURE_COUNCIL_ANSWER} {contact}",
        )
    if is_question(text) and page == 0:
        if q.organization and (q.date_from or q.last_meeting) and _AGENDA_QUESTION.search(text):
            held = await meetings(ctx, request, q)
            if held:
                ids = {m.chunk.doc_id for m in held}
                papers = [p for p in await search(ctx, request, q) if p.chunk.doc_id not in ids]
                return listing(
                    q, text, held + papers, 0, ctx,
                    intro="Was beraten wurde, steht in der Tagesordnung der Sitzung:",
                )  # fmt: skip
        paper_type, paper_types = await type_filter(ctx, request, q.paper_type)
        base = SearchQuery(
            text=q.text or text,
            paper_type=paper_type,
            paper_types=paper_types,
            organization=q.organization,
            date_from=q.date_from,
            date_to=q.date_to,
        )
        answer = await answer_question(text, request, ctx, collection=COUNCIL, query=base)
        if (
            not answer.grounded
            and DECISION_QUESTION.search(text)
            and (q.organization or q.date_from or q.last_meeting)
        ):
            answer = await decisions(request, ctx, q) or answer
        if answer.grounded:
            return result_from_answer(answer, no_answer="")
        papers = await search(ctx, request, q)
        return listing(
            q, text, papers, 0, ctx,
            intro="Eine direkte Antwort steht nicht in den Unterlagen; diese Vorgänge passen:",
        )  # fmt: skip
    papers = await search(ctx, request, q)
    return listing(q, text, papers, page, ctx)


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
