"""Embedded search backend: a tantivy index on disk with German analysis done in Python.

Why tantivy (measured, see docs/search.md): BM25 with block-max pruning keeps queries around a
millisecond on the whole Karlsruhe corpus, filters and aggregations run in the engine, and
readers keep working while another process writes.

Layout of one indexed chunk:
- `title_terms`, `body_terms`: stems from indexer.analysis (umlauts folded, stopwords dropped);
- `part_terms`: stems of compound parts ("Radverkehrsförderung" → radverkehr, forder), split
  with a vocabulary taken from the index itself;
- raw keyword fields for filters (`collection`, `access`, `type_key`, `org_key`, `doc_id`,
  `ref`, `ref_family`) and a `date` field; `type`, `org` keep the original spelling for facets;
- `payload`: the Chunk as JSON, returned as-is.

Security trimming is a mandatory clause of every query (`access` ∩ caller's groups), so hits,
totals, facets and snippets are all computed from visible chunks only.

Concurrency: tantivy allows one writer per index directory (a lock file). The writer is
opened lazily on the first write and kept until `close()`; readers in other processes notice
commits by the change of `meta.json` and reload.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import tantivy

from indexer.analysis import (
    Decompounder,
    ParsedQuery,
    QueryWord,
    cached_stem,
    fold,
    fold_key,
    parse_query,
    reference_key,
    stem_comparable,
    stems,
    stems_of,
    words,
)
from indexer.model import PUBLIC, Chunk, Hit, SearchQuery, SearchResults
from indexer.snippets import make_snippet

log = logging.getLogger(__name__)

SCHEMA_VERSION = 3
_TERMS = "kiw_terms"  # whitespace tokenizer over pre-analysed terms
_MARKER = "kiw-index.json"
_REBUILD_HINT = (
    "Delete that folder and the crawler checkpoint beside it (DATA_DIR/index-state), then run "
    "`kiw index …` again to rebuild it."
)
_WRITER_HEAP = 64_000_000
_MAX_DOC_CHUNKS = 100_000
_FACET_FIELDS = {"paper_type": "type", "collection": "collection", "organization": "org"}
_FACET_SIZE = 50
# Boosts: a title match counts double, a compound-part match a little less than the word.
_TITLE_BOOST = 2.0
_PART_BOOST = 0.7
_SPLIT_BOOST = 0.8
_REF_BOOST = 20.0
_REFRESH_RATIO = 0.5  # re-split chunks written while the vocabulary was under half its size
_MAX_FUZZY_WORDS = 6  # fuzzy expansion is the expensive part of a query


class IndexBusyError(RuntimeError):
    """Another process (or another writer in this one) holds the index's write lock."""


class IndexVersionError(RuntimeError):
    """The index on disk was built with a different schema."""


def _schema() -> tantivy.Schema:
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", tokenizer_name="raw")
    sb.add_text_field("doc_id", tokenizer_name="raw", fast=True)
    sb.add_text_field("collection", tokenizer_name="raw", fast=True)
    sb.add_text_field("access", tokenizer_name="raw", fast=True)
    sb.add_text_field("type_key", tokenizer_name="raw")
    sb.add_text_field("type", tokenizer_name="raw", fast=True)
    sb.add_text_field("org_key", tokenizer_name="raw")
    sb.add_text_field("org", tokenizer_name="raw", fast=True)
    sb.add_text_field("org_terms", tokenizer_name=_TERMS, index_option="basic")
    sb.add_text_field("ref", tokenizer_name="raw")
    sb.add_text_field("ref_family", tokenizer_name="raw")
    sb.add_date_field("date", indexed=True, fast=True)
    sb.add_text_field("title_terms", tokenizer_name=_TERMS, index_option="freq")
    sb.add_text_field("body_terms", tokenizer_name=_TERMS, index_option="freq")
    sb.add_text_field("part_terms", tokenizer_name=_TERMS, index_option="freq")
    # Folded but unstemmed words, for typo tolerance: a typo in a suffix ("…barnug") defeats
    # the stemmer, so fuzzy matching runs on whole words.
    sb.add_text_field("word_terms", tokenizer_name=_TERMS, index_option="basic")
    sb.add_integer_field("seq", fast=True)
    sb.add_bytes_field("payload", stored=True)
    return sb.build()


# ---------------------------------------------------------------- chunk <-> payload


_CHUNK_FIELDS = tuple(f.name for f in fields(Chunk))


def chunk_to_json(chunk: Chunk) -> dict[str, Any]:
    # Not dataclasses.asdict(): that deep-copies recursively and is the slow part of indexing.
    data = {name: getattr(chunk, name) for name in _CHUNK_FIELDS}
    data["date"] = chunk.date.isoformat() if chunk.date else None
    return data


def chunk_from_json(data: dict[str, Any]) -> Chunk:
    data = dict(data)
    for key in ("access", "organizations", "source_ids"):
        data[key] = tuple(data.get(key) or ())
    raw_date = data.get("date")
    data["date"] = date.fromisoformat(raw_date) if raw_date else None
    return Chunk(**data)


def _seq(chunk_id: str) -> int:
    _, _, tail = chunk_id.rpartition("#")
    return int(tail) if tail.isdigit() else 0


def _body_text(chunk: Chunk) -> str:
    parts = [
        chunk.text,
        chunk.heading or "",
        chunk.file_name or "",
        chunk.status or "",
        chunk.paper_type or "",
        " ".join(chunk.organizations),
    ]
    return "\n".join(p for p in parts if p)


def _as_datetime(d: date) -> datetime:
    return datetime.combine(d, time())


@dataclass
class _Analysed:
    chunk: Chunk
    title: list[str]
    body: list[str]
    candidates: set[str]  # words long enough to be compounds
    surface: set[str]  # folded words, unstemmed


# ---------------------------------------------------------------- the index


class EmbeddedIndex:
    """The on-disk default index (see module docstring). Safe to share within one process."""

    def __init__(self, path: Path, *, writer_heap_bytes: int = _WRITER_HEAP) -> None:
        self._path = Path(path)
        self._writer_heap = writer_heap_bytes
        self._schema = _schema()
        self._index: tantivy.Index | None = None
        self._writer: tantivy.IndexWriter | None = None
        self._write_lock = asyncio.Lock()
        self._meta_mtime: tuple[int, int, int] | None = None
        self._vocab: Counter[str] | None = None  # writer side: stem -> chunks containing it
        self._query_parts = Decompounder(self._known_in_index)
        self._doc_parts: Decompounder | None = None
        self._written: list[tuple[int, list[str]]] = []  # (vocabulary size, chunk ids) per batch

    @property
    def path(self) -> Path:
        return self._path

    # ---- opening, reloading

    def _open(self) -> tantivy.Index:
        if self._index is not None:
            return self._index
        self._path.mkdir(parents=True, exist_ok=True)
        marker = self._path / _MARKER
        if marker.exists():
            version = json.loads(marker.read_text()).get("schema_version")
            if version != SCHEMA_VERSION:
                raise IndexVersionError(
                    f"The search index at {self._path} was built with schema version {version}, "
                    f"this program needs version {SCHEMA_VERSION}. {_REBUILD_HINT}"
                )
        try:
            index = tantivy.Index(self._schema, path=str(self._path), reuse=True)
        except ValueError as exc:
            raise IndexVersionError(
                f"The search index at {self._path} cannot be opened ({exc}). {_REBUILD_HINT}"
            ) from exc
        if not marker.exists():
            marker.write_text(json.dumps({"schema_version": SCHEMA_VERSION}))
        index.register_tokenizer(
            _TERMS, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()
        )
        self._index = index
        self._meta_mtime = self._read_meta_mtime()
        return index

    def _read_meta_mtime(self) -> tuple[int, int, int] | None:
        """What changes when any process commits: tantivy replaces meta.json atomically (new
        inode), so this also catches two commits within one timestamp tick."""
        try:
            st = os.stat(self._path / "meta.json")
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_ino, st.st_size)

    def _searcher(self) -> tantivy.Searcher:
        """A searcher that sees the latest commit, from this process or another one."""
        index = self._open()
        mtime = self._read_meta_mtime()
        if mtime != self._meta_mtime:
            self._meta_mtime = mtime
            index.reload()
            self._query_parts.clear()  # the vocabulary changed
        return index.searcher()

    def _known_in_index(self, stem: str) -> bool:
        searcher = self._open().searcher()
        # Query side: a part that occurs at all can match; the writer side asks for two
        # occurrences so that one-off typos in documents do not become vocabulary.
        return searcher.doc_freq("body_terms", stem) + searcher.doc_freq("title_terms", stem) >= 1

    # ---- writing

    def _writer_or_raise(self) -> tantivy.IndexWriter:
        if self._writer is not None:
            return self._writer
        index = self._open()
        try:
            self._writer = index.writer(heap_size=self._writer_heap, num_threads=1)
        except ValueError as exc:
            if "LockBusy" in str(exc):
                raise IndexBusyError(
                    f"The search index at {self._path} is being written by another process "
                    "(probably a `kiw index` run that is still going). Only one writer at a "
                    "time is possible; searching keeps working meanwhile. Wait for the other "
                    "run to finish, then try again."
                ) from exc
            raise
        searcher = index.searcher()
        vocab: Counter[str] = Counter()
        for field in ("body_terms", "title_terms"):
            for term, freq in searcher.terms_with_prefix(field, ""):
                vocab[term] += freq
        self._vocab = vocab
        # Sized for a whole council corpus (Karlsruhe: 136,000 distinct words of 8+ letters).
        self._doc_parts = Decompounder(lambda s: vocab.get(s, 0) >= 2, cache_size=300_000)
        return self._writer

    def _analyse(self, chunk: Chunk) -> _Analysed:
        title_words = words(chunk.title)
        body_words = words(_body_text(chunk))
        surface = {w for w in (*title_words, *body_words) if w.isalpha() and len(w) >= 4}
        candidates = {w for w in surface if len(w) >= 8}
        return _Analysed(
            chunk=chunk,
            title=stems_of(title_words),
            body=stems_of(body_words),
            candidates=candidates,
            surface=surface,
        )

    def _document(self, a: _Analysed, decompounder: Decompounder) -> tantivy.Document:
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
        if c.date:
            doc.add_date("date", _as_datetime(c.date))
        doc.add_text("title_terms", " ".join(a.title))
        doc.add_text("body_terms", " ".join(a.body))
        parts: list[str] = []
        for w in sorted(a.candidates):
            parts.extend(decompounder.parts(w))
        if parts:
            doc.add_text("part_terms", " ".join(parts))
        doc.add_text("word_terms", " ".join(sorted(a.surface)))
        doc.add_integer("seq", _seq(c.id))
        doc.add_bytes("payload", json.dumps(chunk_to_json(c), ensure_ascii=False).encode())
        return doc

    def _upsert_sync(self, chunks: Sequence[Chunk]) -> None:
        writer = self._writer_or_raise()
        assert self._vocab is not None and self._doc_parts is not None
        unique = list({c.id: c for c in chunks}.values())
        analysed = [self._analyse(c) for c in unique]
        # The batch's own words count as vocabulary before its compounds are split.
        for a in analysed:
            self._vocab.update(set(a.title) | set(a.body))
        self._written.append((len(self._vocab), [a.chunk.id for a in analysed]))
        for a in analysed:
            writer.delete_documents_by_term("id", a.chunk.id)
            writer.add_document(self._document(a, self._doc_parts))
        writer.commit()
        self._searcher()  # this process sees its own commit at once

    def _refresh_early_sync(self) -> int:
        """Split compounds again in chunks written while the vocabulary was much smaller.

        The first batches of a crawl into an empty index see a tiny vocabulary, so few of their
        compounds are split; at the end of the writer session they are analysed once more.
        """
        written, self._written = self._written, []
        writer, vocab, parts = self._writer, self._vocab, self._doc_parts
        if writer is None or vocab is None or parts is None or not written:
            return 0
        final = len(vocab)
        stale = [cid for size, ids in written if size < _REFRESH_RATIO * final for cid in ids]
        if not stale:
            return 0
        parts.clear()  # forget "no split" answers given with the small vocabulary
        searcher = self._searcher()
        count = 0
        for chunk_id in stale:
            for _, address in searcher.search(self._raw_term("id", chunk_id), 1, count=False).hits:
                chunk = chunk_from_json(json.loads(searcher.doc(address)["payload"][0]))
                writer.delete_documents_by_term("id", chunk.id)
                writer.add_document(self._document(self._analyse(chunk), parts))
                count += 1
        writer.commit()
        self._searcher()
        log.info("compound splits refreshed for %d early chunks", count)
        return count

    def _delete_sync(self, doc_ids: Sequence[str]) -> None:
        writer = self._writer_or_raise()
        for doc_id in doc_ids:
            writer.delete_documents_by_term("doc_id", doc_id)
        writer.commit()
        self._searcher()

    async def upsert(self, chunks: Sequence[Chunk]) -> None:
        if not chunks:
            return
        async with self._write_lock:
            await asyncio.to_thread(self._upsert_sync, list(chunks))

    async def delete_documents(self, doc_ids: Sequence[str]) -> None:
        if not doc_ids:
            return
        async with self._write_lock:
            await asyncio.to_thread(self._delete_sync, list(doc_ids))

    # ---- querying

    def _term(self, field: str, value: str) -> tantivy.Query:
        return tantivy.Query.term_query(self._schema, field, value, index_option="freq")

    def _raw_term(self, field: str, value: str) -> tantivy.Query:
        return tantivy.Query.term_query(self._schema, field, value)

    def _access_filter(self, access: Iterable[str]) -> tantivy.Query:
        groups = sorted({PUBLIC, *access})
        return tantivy.Query.const_score_query(
            tantivy.Query.term_set_query(self._schema, "access", groups), 0.0
        )

    def _filters(self, q: SearchQuery) -> list[tantivy.Query]:
        out = [self._access_filter(q.access)]
        if q.collection:
            out.append(self._raw_term("collection", q.collection))
        if q.paper_type:
            out.append(self._raw_term("type_key", fold_key(q.paper_type)))
        if q.organization:
            # The exact name, or all its words ("Grüne" matches "Fraktion Bündnis 90/Die Grünen").
            exact = self._raw_term("org_key", fold_key(q.organization))
            org_words = [
                (tantivy.Query.term_query(self._schema, "org_terms", w, index_option="basic"))
                for w in dict.fromkeys(stems(q.organization))
            ]
            if org_words:
                every = tantivy.Query.boolean_query([(tantivy.Occur.Must, w) for w in org_words])
                exact = tantivy.Query.boolean_query(
                    [(tantivy.Occur.Should, exact), (tantivy.Occur.Should, every)]
                )
            out.append(exact)
        if q.doc_id:
            out.append(self._raw_term("doc_id", q.doc_id))
        if q.date_from or q.date_to:
            out.append(
                tantivy.Query.range_query(
                    self._schema,
                    "date",
                    tantivy.FieldType.Date,
                    _as_datetime(q.date_from) if q.date_from else tantivy.MIN_DATETIME,
                    _as_datetime(q.date_to) if q.date_to else tantivy.MAX_DATETIME,
                )
            )
        return [tantivy.Query.const_score_query(f, 0.0) for f in out]

    def _word_clause(self, word: QueryWord, fuzzy: bool) -> tantivy.Query:
        s = word.stem
        variants: list[tantivy.Query] = [
            tantivy.Query.boost_query(self._term("title_terms", s), _TITLE_BOOST),
            self._term("body_terms", s),
            tantivy.Query.boost_query(self._term("part_terms", s), _PART_BOOST),
        ]
        parts = self._query_parts.parts(word.word)
        if parts:
            # "Radverkehrsförderung" also matches a chunk that has both parts as words.
            each = [
                tantivy.Query.boolean_query(
                    [
                        (tantivy.Occur.Should, self._term("title_terms", p)),
                        (tantivy.Occur.Should, self._term("body_terms", p)),
                        (tantivy.Occur.Should, self._term("part_terms", p)),
                    ]
                )
                for p in parts[:2]
            ]
            variants.append(
                tantivy.Query.boost_query(
                    tantivy.Query.boolean_query([(tantivy.Occur.Must, e) for e in each]),
                    _SPLIT_BOOST,
                )
            )
        if fuzzy and len(word.word) >= 5 and word.word.isalpha():
            # One edit (a swap counts as one): the usual typo; distance 2 costs 5-10x more.
            variants.append(
                tantivy.Query.boost_query(
                    tantivy.Query.fuzzy_term_query(
                        self._schema, "word_terms", word.word, distance=1
                    ),
                    0.5,
                )
            )
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, v) for v in variants])

    def _reference_clause(self, parsed: ParsedQuery) -> list[tantivy.Query]:
        out = []
        for key in parsed.references:
            variants = [
                tantivy.Query.boost_query(self._raw_term("ref", key.full), _REF_BOOST * 1.5),
                tantivy.Query.boost_query(self._raw_term("ref", key.core), _REF_BOOST),
                tantivy.Query.boost_query(self._raw_term("ref_family", key.family), _REF_BOOST / 4),
            ]
            out.append(tantivy.Query.boolean_query([(tantivy.Occur.Should, v) for v in variants]))
        return out

    def _unknown_word(self, searcher: tantivy.Searcher, word: QueryWord) -> bool:
        """Neither the word nor its compound parts occur in the index: maybe a typo."""
        s = word.stem
        if any(searcher.doc_freq(f, s) for f in ("title_terms", "body_terms", "part_terms")):
            return False
        return not self._query_parts.parts(word.word)

    def _match_query(
        self,
        parsed: ParsedQuery,
        filters: list[tantivy.Query],
        *,
        fuzzy: frozenset[str],
        any_word: bool,
    ) -> tantivy.Query:
        """`fuzzy`: the query words (folded) that also match with one edit."""
        clauses = self._reference_clause(parsed) + [
            self._word_clause(w, w.word in fuzzy) for w in parsed.words
        ]
        occur = tantivy.Occur.Should if any_word else tantivy.Occur.Must
        matching = tantivy.Query.boolean_query([(occur, c) for c in clauses])
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, matching)] + [(tantivy.Occur.Must, f) for f in filters]
        )

    def _search_sync(self, q: SearchQuery) -> SearchResults:
        parsed = parse_query(q.text)
        if parsed.empty or q.top <= 0:
            return SearchResults(hits=(), total=0, facets={})
        searcher = self._searcher()
        filters = self._filters(q)
        # Exact words first; a typo or an over-specific query falls back to fuzzy, then to any word.
        # Typo candidates: words the index does not know (fuzzy matching every word is slow
        # and a known word is no typo). A long pasted text gets no fuzzy matching at all.
        unknown = frozenset(
            w.word
            for w in parsed.words[:_MAX_FUZZY_WORDS]
            if len(parsed.words) <= _MAX_FUZZY_WORDS and self._unknown_word(searcher, w)
        )
        none: frozenset[str] = frozenset()
        attempts = [(parsed, none, False)] + ([(parsed, unknown, False)] if unknown else [])
        # Last resort, any word may match; an unknown compound whose parts are only partly
        # known ("Radverkehrsförderung" where "Förderung" never occurs) adds its known parts.
        extra = tuple(
            QueryWord(word=part, stem=cached_stem(part))
            for w in parsed.words
            if w.word in unknown
            for part in self._query_parts.known_parts(w.word)
        )
        widened = replace(parsed, words=parsed.words + extra) if extra else parsed
        if len(widened.words) + len(widened.references) > 1:
            attempts.append((widened, unknown, True))
        for used, fuzzy, any_word in attempts:
            query = self._match_query(used, filters, fuzzy=fuzzy, any_word=any_word)
            result = searcher.search(query, limit=q.top, offset=max(0, q.offset), count=True)
            if _total(result) > 0:
                break
        if _total(result) == 0:
            return SearchResults(hits=(), total=0, facets={})
        matcher, candidates = self._highlighter(used, fuzzy)  # fuzzy: words matched with an edit
        hits = []
        for score, address in result.hits:
            payload = searcher.doc(address)["payload"][0]
            chunk = chunk_from_json(json.loads(payload))
            hits.append(
                Hit(
                    chunk=chunk,
                    score=float(score),
                    snippet=make_snippet(chunk.text, matcher, candidates=candidates),
                )
            )
        total = _total(result)
        if total <= len(hits) and q.offset <= 0:
            facets = _facets_of([h.chunk for h in hits])  # every match is at hand
        else:
            facets = self._facets(searcher, query)
        return SearchResults(hits=tuple(hits), total=total, facets=facets)

    def _facets(
        self, searcher: tantivy.Searcher, query: tantivy.Query
    ) -> dict[str, dict[str, int]]:
        spec = {
            name: {"terms": {"field": field, "size": _FACET_SIZE}}
            for name, field in _FACET_FIELDS.items()
        }
        raw = searcher.aggregate(query, spec)
        return {
            name: {b["key"]: int(b["doc_count"]) for b in raw.get(name, {}).get("buckets", [])}
            for name in _FACET_FIELDS
        }

    def _highlighter(
        self, parsed: ParsedQuery, fuzzy: frozenset[str]
    ) -> tuple[Callable[[str], bool], re.Pattern[str] | None]:
        """Which words of a chunk's original text the engine matched (for **bold**), and a
        pattern that every such word contains (None: ask about every word)."""
        wanted = {w.stem for w in parsed.words}
        for w in parsed.words:
            wanted.update(self._query_parts.parts(w.word))
        # Compound words in the text ("Radverkehrsförderung") contain a wanted stem.
        roots = [s for s in wanted if len(s) >= 5 and not s.isdigit()]
        fuzzy_targets = [w for w in fuzzy if len(w) >= 5 and w.isalpha()]

        # Cheap first look: most words of a text contain no wanted stem in any spelling.
        loose = loose_pattern(wanted)
        memo: dict[str, bool] = {}

        def matches(raw: str) -> bool:
            hit = memo.get(raw)
            if hit is None:
                hit = memo[raw] = decide(raw)
            return hit

        def decide(raw: str) -> bool:
            word = fold(raw)
            s = cached_stem(word)
            if s in wanted:
                return True
            if len(word) >= 8 and roots:
                comparable = stem_comparable(word)
                if any(r in comparable for r in roots):
                    return True
            return any(
                t[0] == word[0] and abs(len(t) - len(word)) <= 1 and _within(word, t)
                for t in fuzzy_targets
            )

        # Fuzzy matches need not contain a wanted stem: then every word is a candidate.
        return matches, (None if fuzzy_targets else loose)

    async def search(self, query: SearchQuery) -> SearchResults:
        return await asyncio.to_thread(self._search_sync, query)

    # ---- documents and references

    def _document_chunks_sync(self, doc_id: str, access: frozenset[str]) -> list[Chunk]:
        searcher = self._searcher()
        query = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, self._raw_term("doc_id", doc_id)),
                (tantivy.Occur.Must, self._access_filter(access)),
            ]
        )
        result = searcher.search(query, limit=_MAX_DOC_CHUNKS, count=False)
        chunks = [
            chunk_from_json(json.loads(searcher.doc(addr)["payload"][0])) for _, addr in result.hits
        ]
        return sorted(chunks, key=lambda c: (_seq(c.id), c.id))

    async def document_chunks(self, doc_id: str, access: frozenset[str]) -> list[Chunk]:
        return await asyncio.to_thread(self._document_chunks_sync, doc_id, access)

    def _find_reference_sync(self, reference: str, access: frozenset[str]) -> str | None:
        key = reference_key(reference)
        if key is None:
            return None
        searcher = self._searcher()
        match = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Should, self._raw_term("ref", key.full)),
                (tantivy.Occur.Should, self._raw_term("ref", key.core)),
            ]
        )
        query = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, match), (tantivy.Occur.Must, self._access_filter(access))]
        )
        result = searcher.search(query, limit=50, count=False)
        best: tuple[int, str] | None = None
        for _, addr in result.hits:
            chunk = chunk_from_json(json.loads(searcher.doc(addr)["payload"][0]))
            found = reference_key(chunk.reference or "")
            if found is None:
                continue
            # Exact spelling first ("DHH/2026/12" typed), then the paper without a prefix.
            rank = 0 if found.full == key.full else (1 if not found.prefix else 2)
            if best is None or rank < best[0]:
                best = (rank, chunk.doc_id)
        return best[1] if best else None

    async def find_reference(self, reference: str, access: frozenset[str]) -> str | None:
        return await asyncio.to_thread(self._find_reference_sync, reference, access)

    def _document_ids_sync(self, collection: str | None) -> set[str]:
        searcher = self._searcher()
        query = (
            self._raw_term("collection", collection) if collection else tantivy.Query.all_query()
        )
        return {term for term, _ in searcher.terms_with_prefix("doc_id", "", filter_query=query)}

    async def document_ids(self, collection: str | None = None) -> set[str]:
        return await asyncio.to_thread(self._document_ids_sync, collection)

    def count_chunks(self) -> int:
        """Number of live chunks (bench and admin use)."""
        return int(self._searcher().num_docs)

    async def ping(self) -> None:
        await asyncio.to_thread(lambda: self._searcher().num_docs)

    async def close(self) -> None:
        async with self._write_lock:
            if self._writer is not None:
                try:
                    await asyncio.to_thread(self._refresh_early_sync)
                except (ValueError, OSError) as exc:  # the data is indexed; only splits lag
                    log.warning("could not refresh compound splits: %s", exc)
            writer, self._writer = self._writer, None
            if writer is not None:
                await asyncio.to_thread(writer.wait_merging_threads)
            self._vocab = None
            self._doc_parts = None


_LOOSE_LETTERS = {"a": "(?:a|ä|ae)", "o": "(?:o|ö|oe)", "u": "(?:u|ü|ue)"}


def loose_pattern(stems: Iterable[str]) -> re.Pattern[str] | None:
    """A regex that finds any of these stems inside a word as written (Förder, foerder, ...)."""
    alternatives = []
    for stem_ in sorted(set(stems), key=len, reverse=True):
        if not stem_:
            continue
        parts = re.split("(ss)", stem_)
        out = []
        for part in parts:
            if part == "ss":
                out.append("(?:ss|ß)")
            else:
                out.extend(_LOOSE_LETTERS.get(ch, re.escape(ch)) for ch in part)
        alternatives.append("".join(out))
    if not alternatives:
        return None
    return re.compile("|".join(alternatives), re.IGNORECASE)


def _facets_of(chunks: Sequence[Chunk]) -> dict[str, dict[str, int]]:
    """Facet counts computed from the chunks themselves (same shape as the aggregation)."""
    counts: dict[str, Counter[str]] = {name: Counter() for name in _FACET_FIELDS}
    for c in chunks:
        if c.paper_type:
            counts["paper_type"][c.paper_type] += 1
        counts["collection"][c.collection] += 1
        for org in dict.fromkeys(c.organizations):
            counts["organization"][org] += 1
    return {name: dict(counter.most_common(_FACET_SIZE)) for name, counter in counts.items()}


def _total(result: tantivy.SearchResult) -> int:
    """The match count tantivy computed (`count=True`); missing from its type stubs."""
    return int(getattr(result, "count", 0) or 0)


def _within(a: str, b: str) -> bool:
    """Levenshtein distance of two words is at most one (what the fuzzy query allowed)."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        swapped = a[i + 1 : i + 2] + a[i : i + 1] == b[i : i + 2]
        return a[i + 1 :] == b[i + 1 :] or (swapped and a[i + 2 :] == b[i + 2 :])
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    return longer[i + 1 :] == shorter[i:]
