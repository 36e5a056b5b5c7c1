"""Answer a question from retrieved passages, cited, or say plainly that nothing supports it.

Shared by policy Q&A (collection `policies`) and question mode of the ALLRIS search
(collection `council`). Steps, each recorded in the request's trace:
retrieval (access-trimmed) -> relevance gate -> generation -> citation validation -> renumbering.

The relevance gate (why): retrieval always returns *something* (the embedded index falls back
to "any word"), so an unanswerable question would otherwise be answered from the least bad
passage. A passage supports an answer only if the reader (skills/reader/) finds in it a
sentence that carries the kind of answer the question asks for ("Wie lange …?" -> a duration)
about what the question is about — answerability, not word overlap. Calibration on the dev
split of bench/questions/rules.yaml is in docs/skills.md. With a model (OpenAI-compatible) the
gate only orders the passages: the model judges answerability itself (`model_order`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from indexer.model import COUNCIL, Hit, SearchQuery
from skills.context import SkillContext
from skills.council_kinds import asks_for_amount, carries_figure, with_kind
from skills.council_text import readable
from skills.council_votes import asks_for_vote, recorded_results, vote_topic
from skills.generator.base import EXTRACT_NOTE, Generated, Passage
from skills.german import (
    STOPWORDS,
    detect_language,
    search_terms,
    stem,
    tokens,
)
from skills.grounding import (
    PreviewCitations,
    passages_from_hits,
    renumber,
    validate_answer,
)
from skills.pointers import Order, Place, nearest_places
from skills.privacy import contains_personal_data, without_personal_data
from skills.reader import read
from skills.results import Pointer
from skills.types import Citation, SkillRequest

RETRIEVE_TOP = 8
# A question about one document (a council paper named by its reference or link) reads that
# document's passages beyond the retrieved ones: the reader, not the question's words, finds
# the answering sentence ("Wer genehmigt laut 2024-0352 die Cannabis-Clubs?" shares no word
# with "… auf das Regierungspräsidium Freiburg übergeht"). Capped for very long papers; the
# retrieved passages come first.
MAX_DOCUMENT_PASSAGES = 80
RANKED_PASSAGES = 1  # calibrated on the dev split (docs/skills.md): 2 let unanswerables through
MAX_PASSAGES = 5
MAX_QUESTION_CHARS = 2_000

SEARCHING = {
    "policies": "Ich durchsuche die Dienstvereinbarung, die KI-Leitlinien und die Regelungen …",
    "council": "Ich durchsuche die Ratsunterlagen …",
}


@dataclass
class GroundedAnswer:
    text: str  # answer with [n] markers (empty when no passage supports an answer)
    citations: list[Citation] = field(default_factory=list)
    grounded: bool = False
    ai_generated: bool = False
    language: str = "de"
    hits: list[Hit] = field(default_factory=list)  # what retrieval returned (for cards)
    masked_personal_data: bool = False  # the question had personal data the model did not see
    generation_ms: float = 0.0  # time spent in the generator (the model call)
    # Not grounded: the nearest places of `hits` to read (skills/pointers.py); else ().
    pointers: tuple[Pointer, ...] = ()


@dataclass
class Retrieved:
    hits: list[Hit]
    unknown: frozenset[str]  # stems of question words no visible passage of the collection has
    ranked: int = 0  # how many leading hits the whole question ranked itself (not the variants)


def model_order(answering: list[int], retrieved: int) -> list[int]:
    """The passages a model is given, by index: those with a sentence the reader found to
    answer, then the rest in retrieval order; at most MAX_PASSAGES."""
    rest = [i for i in range(retrieved) if i not in answering]
    return (answering + rest)[:MAX_PASSAGES]


async def retrieve(ctx: SkillContext, query: SearchQuery) -> Retrieved:
    """The index's hits for the question, plus hits with one word left out and single words.

    Search engines match all words first; a question's wording ("Wie viele … erworben?") rarely
    matches the answering passage word for word, so leave-one-out variants widen recall. The
    relevance gate and the generator decide what of it supports an answer. Single words
    without any hit are reported as unknown to the collection.
    """
    results = await ctx.index.search(query)
    merged: dict[str, Hit] = {h.chunk.id: h for h in results.hits}
    words = [w for w in dict.fromkeys(tokens(query.text)) if w not in STOPWORDS and len(w) > 1]
    unknown: set[str] = set()
    if 2 <= len(words) <= 8:
        variants = [" ".join(w for w in words if w != left_out) for left_out in words]
        for variant in variants + words:  # single words: passages sharing part of the wording
            # Keyword probes: the vector leg of the question itself already covers paraphrase,
            # and a query embedding per variant would cost ~15 ms each.
            probe = replace(query, text=variant, top=RETRIEVE_TOP // 2, semantic=False)
            more = await ctx.index.search(probe)
            if not more.hits and variant in words and "-" not in variant:
                unknown.add(stem(variant))
            for hit in more.hits:
                merged.setdefault(hit.chunk.id, hit)
    ranked = min(len(results.hits), RANKED_PASSAGES)
    return Retrieved(list(merged.values()), frozenset(unknown), ranked)


async def _rest_of_document(
    ctx: SkillContext, doc_id: str, request: SkillRequest, hits: list[Hit]
) -> list[Hit]:
    """The document's passages retrieval did not return, in the document's order (only what
    the caller may read: `document_chunks` trims by access like every search)."""
    seen = {h.chunk.id for h in hits}
    chunks = await ctx.index.document_chunks(doc_id, request.access)
    rest = [Hit(chunk=c, score=0.0, snippet="") for c in chunks if c.id not in seen]
    return rest[: max(0, MAX_DOCUMENT_PASSAGES - len(hits))]


async def answer_question(
    question: str,
    request: SkillRequest,
    ctx: SkillContext,
    *,
    collection: str,
    query: SearchQuery | None = None,
    pointer_order: Order = "reader",
) -> GroundedAnswer:
    """Retrieve (with the caller's access), gate on relevance, generate, validate citations;
    not grounded, the nearest places to read instead (`pointer_order`: for the benchmark)."""
    language = detect_language(question)
    as_typed = question
    if language == "de":
        # Typos read as the words the documents use ("Barrierfreiheit" -> "Barrierefreiheit",
        # indexer/spelling.py): the correction the search applies to its query, so that the
        # gate and the extractive answer read what retrieval searched for.
        question = await ctx.index.corrected(question, collection, request.access)
    # An e-mail address or a name says nothing about the topic: retrieval and the relevance
    # gate work on the question without them.
    search_text = search_terms(without_personal_data(question), language)
    base = query or SearchQuery(text=search_text)
    query = replace(
        base,
        text=base.text or search_text,
        access=request.access,
        collection=collection,
        top=RETRIEVE_TOP,
        offset=0,
        facets=False,  # the reader reads passages: no facets, no snippets (bench: ~2 ms a query)
        snippets="none",
    )
    await request.progress.inform(SEARCHING.get(collection, "Ich suche passende Textstellen …"))
    with request.trace.timed("retrieval", collection=collection) as step:
        retrieved = await retrieve(ctx, query)
        hits = retrieved.hits
        if query.doc_id:
            hits = hits + await _rest_of_document(ctx, query.doc_id, request, hits)
        step["hits"] = len(hits)
        step["unknown_words"] = len(retrieved.unknown)
    # The gate: passages with a sentence that answers the question (skills/reader/). The
    # extractive generator needs the kind of answer asked for in that sentence; a model is
    # given those passages first, then the retrieval's next ones, and judges answerability
    # itself (KEINE_AUSSAGE; `model_order` below).
    typed = ctx.generator.name == "extractive"
    votes = collection == COUNCIL and typed and asks_for_vote(question)
    # A vote question's "abgestimmt", "durchgekommen" say what is asked, not what about: the
    # reader (gate and extract) looks for the paper's topic, the recorded vote is added below.
    asked = vote_topic(question) if votes else question
    about = vote_topic(search_text) if votes else search_text
    if collection == COUNCIL and typed:
        # A note-form question ("Betrag X, DS …?") asks for the kind its first noun names,
        # about the words after it (skills/council_kinds.py).
        typed_as = with_kind(asked, None if votes else as_typed)
        if typed_as != asked:
            asked, about = typed_as, search_terms(typed_as, language)
    found = hits
    if collection == COUNCIL:
        # Passages read and quoted without the papers' form furniture (skills/council_text.py);
        # the answer's `hits` (cards, paper lists) stay as the index returned them.
        hits = [replace(h, chunk=replace(h.chunk, text=readable(h.chunk.text))) for h in hits]
    with request.trace.timed("relevance", typed=typed) as gate:
        passages_read = [
            replace(p, ranked=i < retrieved.ranked) for i, p in enumerate(passages_from_hits(hits))
        ]
        reading = read(asked, passages_read, about=about, typed=typed)
        answering = reading.passages()
        if (
            collection == COUNCIL
            and typed
            and asks_for_amount(reading.shape)
            and reading.sentences
            and not carries_figure(reading.sentences[0].text)
        ):
            # The sentence the answer would quote names no amount ("… mögliche Kosten
            # darstellt", a numbered item "2."): no answer (skills/council_kinds.py).
            answering = []
        if not answering and (typed or not hits):
            supported: list[Hit] = []
        elif typed:
            # The extractive reader is given what the gate read (answering passages first), so
            # it weighs the question's words over the same sentences and picks the same one.
            rest = [i for i in range(len(hits)) if i not in answering]
            supported = [hits[i] for i in answering + rest]
        else:
            # A model judges answerability itself (KEINE_AUSSAGE): the reader's word-overlap bar
            # must not decide for it. It is given the passages the reader kept first, then the
            # retrieval's next ones: on the dev split the lexical bar passed 48 % of everyday
            # wordings to the model (the fact among them for 41 %); the first five of this
            # order hold the fact for 84 % (docs/skills.md, "What a model is given").
            supported = [hits[i] for i in model_order(answering, len(hits))]
        # Where to look should no sentence be the answer: the nearest sections; of council
        # papers the nearest papers (of one named paper its nearest sections).
        place: Place = "document" if collection == COUNCIL and not query.doc_id else "section"
        nearest = nearest_places(reading, hits, order=pointer_order, place=place)
        gate.update(
            kind=reading.shape.kind, kept=len(answering), of=len(hits), pointers=len(nearest)
        )
    out = GroundedAnswer(text="", language=language, hits=found, pointers=nearest)
    out.masked_personal_data = not ctx.generator.on_premise and contains_personal_data(question)
    if not supported:
        if votes and query.doc_id:  # the named paper's vote is the answer (council_votes.py)
            return await _with_votes(out, Generated(text=""), [], query.doc_id, request, ctx)
        return out
    passages: list[Passage] = [
        replace(p, ranked=passages_read[hits.index(hit)].ranked)
        for p, hit in zip(passages_from_hits(supported), supported, strict=True)
    ]
    await request.progress.inform(f"Ich formuliere die Antwort aus {len(passages)} Textstellen …")

    cite_preview = PreviewCitations(passages)

    async def preview(text: str) -> None:  # numbered and cited as the final answer will be
        await request.progress.preview(*cite_preview(text))

    start = time.perf_counter()
    with request.trace.timed("generation", generator=ctx.generator.name) as step:
        # A model reads the question as typed (it knows typos; a name stays as typed).
        generated = await ctx.generator.answer(
            asked if typed else as_typed, passages, language=language, on_text=preview
        )
        checked = validate_answer(generated.text, passages) if generated.text else generated
        step["cited"] = len(checked.cited)
        step["dropped"] = len(set(generated.cited) - set(checked.cited))
    out.generation_ms = (time.perf_counter() - start) * 1000
    if votes and (checked.cited or query.doc_id):
        by_n = {p.n: p for p in passages}
        paper = query.doc_id or by_n[checked.cited[0]].chunk.doc_id
        return await _with_votes(out, checked, passages, paper, request, ctx)
    if not checked.cited:
        return out
    cited = renumber(checked, passages)
    out.text = cited.text
    out.citations = cited.citations
    out.grounded = True
    out.pointers = ()
    out.ai_generated = generated.ai_generated
    return out


async def _with_votes(
    out: GroundedAnswer,
    answered: Generated,
    passages: list[Passage],
    doc_id: str,
    request: SkillRequest,
    ctx: SkillContext,
) -> GroundedAnswer:
    """`answered` (the extract so far, maybe empty) with the recorded votes of the paper
    `doc_id` quoted after it (skills/council_votes.py); `out` unchanged when there are none."""
    chunks = await ctx.index.document_chunks(doc_id, request.access)
    results = [(c, s) for c, s in recorded_results(chunks) if s not in answered.text]
    request.trace.add("recorded_votes", found=len(results))
    if not results and not answered.cited:
        return out
    passages = list(passages)
    lines = [answered.text] if answered.cited else [EXTRACT_NOTE[out.language]]
    cited = list(answered.cited)
    numbers = {p.chunk.id: p.n for p in passages}
    for chunk, sentence in results:
        n = numbers.get(chunk.id) or len(passages) + 1
        if n > len(passages):
            passages.append(Passage(n=n, chunk=replace(chunk, text=readable(chunk.text))))
        lines.append(f"„{sentence}“ [{n}]")
        cited.append(n)
    generated = Generated(text="\n".join(lines), cited=cited)
    numbered = renumber(validate_answer(generated.text, passages), passages)
    out.text, out.citations, out.grounded = numbered.text, numbered.citations, True
    out.pointers = ()
    out.ai_generated = answered.ai_generated
    return out
