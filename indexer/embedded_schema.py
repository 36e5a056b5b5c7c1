"""What one chunk looks like inside the embedded (tantivy) index, and back.

Fields:
- `title_terms`, `body_terms`: stems from indexer.analysis (umlauts folded, stopwords dropped);
- `part_terms`: stems of compound parts ("Radverkehrsförderung" → radverkehr, forder), split
  with a vocabulary taken from the index itself;
- `word_terms`: folded, unstemmed words for typo tolerance; `org_terms`: organization words;
- raw keyword fields for filters (`collection`, `access`, `type_key`, `org_key`, `doc_id`,
  `ref`, `ref_family`) and a `date` field; `type`, `org` keep the original spelling for facets;
- `seq`: reading order; `payload`: the Chunk as JSON, returned as-is.

All analysis happens in Python; tantivy gets whitespace-separated, pre-analysed terms.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime, time
from typing import Any

import tantivy

from indexer.analysis import fold_key, stems, stems_of, words
from indexer.compounds import Decompounder
from indexer.model import Chunk
from kiw_common.references import allris_source_ids, reference_key

SCHEMA_VERSION = 3
TERMS = "kiw_terms"  # whitespace tokenizer over pre-analysed terms
FACET_FIELDS = {"paper_type": "type", "collection": "collection", "organization": "org"}
FACET_SIZE = 50

# ALLRIS row ids share the raw "ref" field with references, under their own prefix.
SOURCE_PREFIX = "src:"


def terms_analyzer() -> tantivy.TextAnalyzer:
    """Register under TERMS on every opened index (tantivy does not persist it)."""
    return tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()


def build_schema() -> tantivy.Schema:
    """One indexed chunk (see the module docstring)."""
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", tokenizer_name="raw")
    sb.add_text_field("doc_id", tokenizer_name="raw", fast=True)
    sb.add_text_field("collection", tokenizer_name="raw", fast=True)
    sb.add_text_field("access", tokenizer_name="raw", fast=True)
    sb.add_text_field("type_key", tokenizer_name="raw")
    sb.add_text_field("type", tokenizer_name="raw", fast=True)
    sb.add_text_field("org_key", tokenizer_name="raw")
    sb.add_text_field("org", tokenizer_name="raw", fast=True)
    sb.add_text_field("org_terms", tokenizer_name=TERMS, index_option="basic")
    sb.add_text_field("ref", tokenizer_name="raw")
    sb.add_text_field("ref_family", tokenizer_name="raw")
    sb.add_date_field("date", indexed=True, fast=True)
    sb.add_text_field("title_terms", tokenizer_name=TERMS, index_option="freq")
    sb.add_text_field("body_terms", tokenizer_name=TERMS, index_option="freq")
    sb.add_text_field("part_terms", tokenizer_name=TERMS, index_option="freq")
    # Folded but unstemmed words, for typo tolerance: a typo in a suffix ("…barnug") defeats
    # the stemmer, so fuzzy matching runs on whole words.
    sb.add_text_field("word_terms", tokenizer_name=TERMS, index_option="basic")
    sb.add_integer_field("seq", fast=True)
    sb.add_bytes_field("payload", stored=True)
    return sb.build()


# ---------------------------------------------------------------- chunk <-> payload


CHUNK_FIELDS = tuple(f.name for f in fields(Chunk))


def chunk_to_json(chunk: Chunk) -> dict[str, Any]:
    # Not dataclasses.asdict(): that deep-copies recursively and is the slow part of indexing.
    data = {name: getattr(chunk, name) for name in CHUNK_FIELDS}
    data["date"] = chunk.date.isoformat() if chunk.date else None
    return data


def chunk_from_json(data: dict[str, Any]) -> Chunk:
    data = dict(data)
    for key in ("access", "organizations", "source_ids"):
        data[key] = tuple(data.get(key) or ())
    raw_date = data.get("date")
    data["date"] = date.fromisoformat(raw_date) if raw_date else None
    return Chunk(**data)


def seq_of(chunk_id: str) -> int:
    _, _, tail = chunk_id.rpartition("#")
    return int(tail) if tail.isdigit() else 0


def body_text(chunk: Chunk) -> str:
    """Everything searchable about a chunk besides its title."""
    parts = [
        chunk.text,
        chunk.heading or "",
        chunk.file_name or "",
        chunk.status or "",
        chunk.paper_type or "",
        " ".join(chunk.organizations),
    ]
    return "\n".join(p for p in parts if p)


def as_datetime(d: date) -> datetime:
    return datetime.combine(d, time())


@dataclass
class Analysed:
    chunk: Chunk
    title: list[str]
    body: list[str]
    candidates: set[str]  # words long enough to be compounds
    surface: set[str]  # folded words, unstemmed


def analyse(chunk: Chunk) -> Analysed:
    title_words = words(chunk.title)
    body_words = words(body_text(chunk))
    surface = {w for w in (*title_words, *body_words) if w.isalpha() and len(w) >= 4}
    candidates = {w for w in surface if len(w) >= 8}
    return Analysed(
        chunk=chunk,
        title=stems_of(title_words),
        body=stems_of(body_words),
        candidates=candidates,
        surface=surface,
    )


def to_document(a: Analysed, decompounder: Decompounder) -> tantivy.Document:
    c = a.chunk
    doc = tantivy.Document()
    doc.add_text("id", c.id)
    doc.add_text("doc_id", c.doc_id)
    doc.add_text("collection", c.collection)
    # No groups means visible to nobody (fail closed), never "public by default".
    for group in c.access:
        doc.add_text("access", group)
    if c.paper_type:
        doc.add_text("type_key", fold_key(c.paper_type))
        doc.add_text("type", c.paper_type)
    for org in c.organizations:
        doc.add_text("org_key", fold_key(org))
        doc.add_text("org", org)
    if c.organizations:
        doc.add_text("org_terms", " ".join(stems(" ".join(c.organizations))))
    if c.reference:
        key = reference_key(c.reference)
        if key is not None:
            for k in key.index_keys():
                doc.add_text("ref", k)
            doc.add_text("ref_family", key.family)
        else:
            doc.add_text("ref", fold_key(c.reference))
    for source_id in c.source_ids:
        for allris_id in allris_source_ids(source_id):
            doc.add_text("ref", SOURCE_PREFIX + allris_id)
    if c.date:
        doc.add_date("date", as_datetime(c.date))
    doc.add_text("title_terms", " ".join(a.title))
    doc.add_text("body_terms", " ".join(a.body))
    parts: list[str] = []
    for w in sorted(a.candidates):
        parts.extend(decompounder.parts(w))
    if parts:
        doc.add_text("part_terms", " ".join(parts))
    doc.add_text("word_terms", " ".join(sorted(a.surface)))
    doc.add_integer("seq", seq_of(c.id))
    doc.add_bytes("payload", json.dumps(chunk_to_json(c), ensure_ascii=False).encode())
    return doc


def facets_of(chunks: Sequence[Chunk]) -> dict[str, dict[str, int]]:
    """Facet counts computed from the chunks themselves (same shape as the aggregation)."""
    counts: dict[str, Counter[str]] = {name: Counter() for name in FACET_FIELDS}
    for c in chunks:
        if c.paper_type:
            counts["paper_type"][c.paper_type] += 1
        counts["collection"][c.collection] += 1
        for org in dict.fromkeys(c.organizations):
            counts["organization"][org] += 1
    return {name: dict(counter.most_common(FACET_SIZE)) for name, counter in counts.items()}
