"""Grounding: passages in a numbered, delimited context; answers cite by number or say nothing.

The same rules hold for every generator backend:
- the model sees passages only inside `<<<QUELLE n>>> … <<<ENDE QUELLE n>>>` blocks, as data;
- a citation `[n]` that names no provided passage is dropped;
- a sentence without any valid citation is dropped (an uncited claim is not grounded);
- an answer left without a valid citation becomes the "keine Aussage" reply (empty Generated).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from indexer.model import Chunk, Hit
from kiw_common.citations import source_label
from skills.generator.base import EXTRACT_NOTE, Generated, Passage
from skills.german import content_stems, split_sentences, tokens
from skills.types import Citation

CITATION_PATTERN = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_DELIMITER_LOOKALIKE = re.compile(r"<<<|>>>")

# Phrases with which documents try to steer a model. Such sentences are never quoted as an
# answer (extractive) and are flagged in the context (model backends): documents are data.
_INJECTION = re.compile(
    r"\bignorier\w*\s+(?:alle\s+|sämtliche\s+)?(?:vorherigen\s+|bisherigen\s+|obigen\s+)?"
    r"(?:anweisung|instruktion|regel)"
    r"|ignore\s+(?:all\s+|any\s+)?(?:previous\s+|prior\s+|above\s+)?instructions"
    r"|system\s*prompt|systemanweisung|du\s+bist\s+(?:jetzt|nun|ab\s+sofort)"
    r"|you\s+are\s+now|antworte\s+(?:ab\s+sofort\s+|nur\s+|immer\s+)"
    r"|respond\s+only|vergiss\s+(?:alle|deine)|als\s+(?:ki|sprachmodell|assistent)\s+musst",
    re.IGNORECASE,
)
# Imperatives addressed to the assistant: what to show or tell "the user", whole texts to
# disclose, a note or vocative to the model. Prompts are written in the du-form; rules for staff
# are in the Sie-form or the third person ("Beschäftigte zeigen … an", "Geben Sie … ein") and
# do not match. Only unambiguous verbs: "Liste", "Teile", "Sage" also open sentences as nouns.
# Every gap is bounded, so the pattern stays linear in the text.
_START = r"(?:^|[.!?:;\n])\s*[\"„»(]?\s*(?:bitte\s+|please\s+)?"
_DU_VERB = r"(?:zeig|zeige|gib|nenne|verrate|offenbare|wiederhole|drucke|schreibe|sende|antworte)"
_THE_USER = (
    r"(?:dem|der|den)\s+(?:nutzer(?:in|innen|n)?|benutzer(?:in|innen|n)?|anwender(?:in|innen|n)?"
    r"|user|fragenden?|leser(?:in|innen|n)?)\b"
)
_WHOLE = (
    r"(?:vollständig|gesamt|komplett|ganz|wörtlich|geheim|vertraulich|intern|versteckt)\w*\s+"
    r"(?:inhalt|text|wortlaut|dokument|kontext|anweisung|prompt)"
)
_MODEL = (
    r"(?:ki|ki-systeme?|ki-assistent\w*|assistent\w*|sprachmodell\w*|chatbot\w*"
    r"|ai|assistant|model|llms?)"
)
_ADDRESSED = re.compile(
    rf"{_START}{_DU_VERB}\s+(?:[\w-]+\s+){{0,3}}?{_THE_USER}"
    rf"|{_START}{_DU_VERB}\b[^.!?\n]{{0,60}}?\b{_WHOLE}"
    rf"|{_START}(?:(?:liebe[rs]?|hallo|hey|dear)\s+)?{_MODEL}\s*[,:]\s*(?:bitte\s+|please\s+)?"
    rf"(?:{_DU_VERB}|ignoriere|vergiss|show|display|reveal|print|output|tell|answer|respond|ignore)\b"
    rf"|\b(?:hinweis|anweisung|nachricht|note|instruction|message)\s+(?:an|für|to|for)\s+"
    rf"(?:die\s+|den\s+|das\s+|alle\s+|the\s+|any\s+)?{_MODEL}\s*:"
    rf"|\b(?:show|display|reveal|print|output|tell|give)\s+(?:it\s+|this\s+)?(?:to\s+)?the\s+users?\b"
    rf"|\b(?:show|display|reveal|print|output|repeat)\s+(?:[\w-]+\s+){{0,3}}?"
    rf"(?:full|entire|complete|whole|hidden|verbatim)\s+"
    rf"(?:content|text|document|context|prompt|instruction)",
    re.IGNORECASE,
)


def looks_like_injection(text: str) -> bool:
    """True for text that addresses an AI model instead of a human reader."""
    return bool(_INJECTION.search(text) or _ADDRESSED.search(text))


def passages_from_hits(hits: Sequence[Hit]) -> list[Passage]:
    """Number hits 1..n in rank order."""
    return [Passage(n=i, chunk=hit.chunk, score=hit.score) for i, hit in enumerate(hits, start=1)]


def passages_from_chunks(chunks: Sequence[Chunk]) -> list[Passage]:
    return [Passage(n=i, chunk=chunk, score=0.0) for i, chunk in enumerate(chunks, start=1)]


def chunk_label(chunk: Chunk) -> str:
    return source_label(chunk.title, chunk.reference, chunk.heading, chunk.page)


def numbered_context(passages: Sequence[Passage], texts: Sequence[str] | None = None) -> str:
    """The delimited context block. `texts` (same order) overrides chunk texts (masked text).

    Delimiter look-alikes inside documents are neutralised so a document cannot close its own
    block and pretend to be an instruction.
    """
    blocks = []
    for i, passage in enumerate(passages):
        body = texts[i] if texts is not None else passage.chunk.text
        body = _DELIMITER_LOOKALIKE.sub("»", body)
        label = _DELIMITER_LOOKALIKE.sub("»", chunk_label(passage.chunk))
        blocks.append(
            f"<<<QUELLE {passage.n}>>>\nHerkunft: {label}\n{body.strip()}\n"
            f"<<<ENDE QUELLE {passage.n}>>>"
        )
    return "\n\n".join(blocks)


def cited_numbers(text: str) -> list[int]:
    """Every number cited in `text`, in order of first appearance."""
    seen: list[int] = []
    for match in CITATION_PATTERN.finditer(text):
        for part in re.split(r"[,;]", match.group(1)):
            n = int(part.strip())
            if n not in seen:
                seen.append(n)
    return seen


def validate_answer(text: str, passages: Sequence[Passage]) -> Generated:
    """Keep only sentences that cite a provided passage; drop invalid citation numbers.

    Returns Generated(text="", cited=[]) when nothing cited survives: the caller answers
    "keine Aussage".
    """
    valid = {p.n for p in passages}
    kept: list[str] = []
    cited: list[int] = []
    for paragraph in text.strip().split("\n"):
        if paragraph.strip() in EXTRACT_NOTE.values():
            kept.append(paragraph.strip())  # the extract marker is a label, not a claim
            continue
        kept_in_paragraph: list[str] = []
        for sentence in split_sentences(paragraph) if paragraph.strip() else []:
            numbers = [n for n in cited_numbers(sentence) if n in valid]
            cleaned = CITATION_PATTERN.sub(lambda m: _keep_valid(m, valid), sentence).strip()
            if not numbers:
                continue  # an uncited claim is not grounded
            kept_in_paragraph.append(re.sub(r"\s+([.,;:!?])", r"\1", cleaned))
            cited.extend(n for n in numbers if n not in cited)
        if kept_in_paragraph:
            kept.append(" ".join(kept_in_paragraph))
    if not cited:
        return Generated(text="", cited=[])
    return Generated(text="\n".join(kept), cited=cited)


def _keep_valid(match: re.Match[str], valid: set[int]) -> str:
    numbers = [int(p.strip()) for p in re.split(r"[,;]", match.group(1))]
    kept = [str(n) for n in numbers if n in valid]
    return f"[{', '.join(kept)}]" if kept else ""


def best_quote(chunk_text: str, claim: str, limit: int = 300) -> str:
    """The sentence of the passage that best supports `claim` (term overlap), trimmed."""
    claim_stems = content_stems(claim)
    best, best_score = "", -1.0
    for sentence in split_sentences(chunk_text):
        if looks_like_injection(sentence):
            continue
        stems = content_stems(sentence)
        score = len(stems & claim_stems) / (1 + 0.02 * len(tokens(sentence)))
        if score > best_score:
            best, best_score = sentence, score
    quote = best or chunk_text.strip()
    return quote if len(quote) <= limit else quote[: limit - 1].rsplit(" ", 1)[0] + "…"


@dataclass(frozen=True)
class CitedAnswer:
    text: str  # answer text with citations renumbered 1..k
    citations: list[Citation]


def citation_for(chunk: Chunk, n: int, quote: str) -> Citation:
    """The citation [n] of a passage, quoting `quote` from it."""
    return Citation(
        n=n,
        title=chunk.title,
        url=chunk.url,
        doc_id=chunk.doc_id,
        page=chunk.page,
        quote=quote,
        heading=chunk.heading,
        reference=chunk.reference,
    )


def _renumbered(text: str, new_number: dict[int, int]) -> str:
    """`text` with every [n] rewritten to its new number; numbers without one are dropped."""

    def rewrite(match: re.Match[str]) -> str:
        numbers = [int(p.strip()) for p in re.split(r"[,;]", match.group(1))]
        mapped = sorted({new_number[n] for n in numbers if n in new_number})
        return f"[{', '.join(str(n) for n in mapped)}]" if mapped else ""

    return CITATION_PATTERN.sub(rewrite, text)


def renumber(generated: Generated, passages: Sequence[Passage]) -> CitedAnswer:
    """Renumber cited passages 1..k in order of appearance and build Citation objects."""
    by_n = {p.n: p for p in passages}
    order = [n for n in generated.cited if n in by_n]
    new_number = {old: i for i, old in enumerate(order, start=1)}
    citations = []
    for old in order:
        claim = (
            " ".join(s for s in split_sentences(generated.text) if old in cited_numbers(s))
            or generated.text
        )
        chunk = by_n[old].chunk
        citations.append(citation_for(chunk, new_number[old], best_quote(chunk.text, claim)))
    return CitedAnswer(text=_renumbered(generated.text, new_number), citations=citations)


def preview_order(text: str, valid: Collection[int]) -> list[int]:
    """Passage numbers in the order the answer-so-far first cites them (only provided ones)."""
    order: list[int] = []
    for n in cited_numbers(text):
        if n in valid and n not in order:
            order.append(n)
    return order


def preview_citations(text: str, valid: Collection[int]) -> str:
    """The answer-so-far as the final answer will number it: citations of passages that were not
    provided are dropped, the rest renumbered 1..k in order of first appearance (as `renumber`
    does). New numbers only ever get later ranks, so a growing text keeps its earlier markers
    and each preview extends the one before."""
    order = preview_order(text, valid)
    return _renumbered(text, {old: i for i, old in enumerate(order, start=1)})


class PreviewCitations:
    """Citations for the answer-so-far while a model writes it: numbered as the final answer
    will be, each quoting its passage's sentence that best matches the text citing it when the
    passage was first cited (computed once per passage, not per token)."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self.by_n = {p.n: p for p in passages}
        self._quotes: dict[int, str] = {}

    def __call__(self, text: str) -> tuple[str, list[Citation]]:
        shown = preview_citations(text, self.by_n)
        citations = []
        for new, old in enumerate(preview_order(text, self.by_n), start=1):
            chunk = self.by_n[old].chunk
            if old not in self._quotes:
                self._quotes[old] = best_quote(chunk.text, text)
            citations.append(citation_for(chunk, new, self._quotes[old]))
        return shown, citations
