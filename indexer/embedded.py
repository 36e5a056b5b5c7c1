"""Embedded search backend: a tantivy index on disk with German analysis done in Python.

Why tantivy (measured, see docs/search.md): BM25 with block-max pruning keeps queries around a
millisecond on the whole Karlsruhe corpus, filters and aggregations run in the engine, and
readers keep working while another process writes.

What one indexed chunk looks like: indexer/embedded_schema.py. A query (indexer.analysis parses
it; no query syntax) first needs all its words, then lets unknown words match with one edit,
then any word (plus the known parts of an unknown compound); see docs/search.md.

Security trimming is a mandatory clause of every query (`access` ∩ caller's groups), so hits,
totals, facets and snippets are all computed from visible chunks only.

Semantic retrieval (with an `Encoder`): a vector store beside the tantivy files
(indexer/vectors.py) holds passage vectors; `search` fuses the keyword leg with the vector leg
(indexer/fusion.py). Writing records which chunks need a vector; `embed_pending` computes them
afterwards, batch by batch, so keyword search is ready before the vectors are.

Concurrency: tantivy allows one writer per index directory (a lock file). The writer is
opened lazily on the first write and kept until `close()` (which also re-splits compounds of
chunks written with a much smaller vocabulary); readers in other processes notice commits by
the change of `meta.json` and reload.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tempfile
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt
import tantivy

from indexer.analysis import (
    Decompounder,
    ParsedQuery,
    QueryWord,
    allris_source_ids,
    cached_stem,
    fold_key,
    parse_query,
    reference_key,
    stems,
)
from indexer.embedded_schema import (
    FACET_FIELDS,
    FACET_SIZE,
    SCHEMA_VERSION,
    SOURCE_PREFIX,
    TERMS,
    analyse,
    as_datetime,
    build_schema,
    chunk_from_json,
    facets_of,
    seq_of,
    terms_analyzer,
    to_document,
)
from indexer.embedding import EMBED_BATCH, EmbedReport, embed_pending
from indexer.encoders import Encoder
from indexer.fusion import Fusion, fuse
from indexer.model import PUBLIC, Chunk, Hit, SearchQuery, SearchResults
from indexer.snippets import Highlighter
from indexer.vectors import Nearest, VectorStore

log = logging.getLogger(__name__)

_MARKER = "kiw-index.json"
_REBUILD_HINT = (
    "Delete that folder and the crawler checkpoint beside it (DATA_DIR/index-state), then run "
    "`kiw index …` again to rebuild it."
)
_WRITER_HEAP = 64_000_000
_MAX_DOC_CHUNKS = 100_000
# Boosts: a title match counts double, a compound-part match a little less than the word.
_TITLE_BOOST = 2.0
_PART_BOOST = 0.7
_SPLIT_BOOST = 0.8
_ALTERNATIVE_BOOST = 0.8  # an administrative word for an everyday one (vocabulary.yaml)
_REF_BOOST = 20.0
_REFRESH_RATIO = 0.5  # re-split chunks written while the vocabulary was under half its size
_MAX_FUZZY_WORDS = 6  # fuzzy expansion is the expensive part of a query
_QUERY_VECTORS_KEPT = 512  # the same question asked again (or by another skill) is not re-embedded


class IndexBusyError(RuntimeError):
    """Another process (or another writer in this one) holds the index's write lock."""


class IndexVersionError(RuntimeError):
    """The index on disk was built with a different schema."""


# ---------------------------------------------------------------- the index


class EmbeddedIndex:
    """The on-disk default index (see module docstring). Safe to share within one process."""

    def __init__(
        self,
        path: Path,
        *,
        writer_heap_bytes: int = _WRITER_HEAP,
        encoder: Encoder | None = None,
        fusion: Fusion | None = None,
    ) -> None:
        """`encoder`: turns the vector leg on (None: keywords only, as in most tests)."""
        self._path = Path(path)
        self._encoder = encoder
        self._fusion = fusion or Fusion()
        self._vectors = VectorStore(self._path, encoder.name if encoder else None)
        self._query_vectors: OrderedDict[str, npt.NDArray[np.float32]] = OrderedDict()
        self._query_lock = threading.Lock()
        self._writer_heap = writer_heap_bytes
        self._schema = build_schema()
        self._index: tantivy.Index | None = None
        self._writer: tantivy.IndexWriter | None = None
        self._write_lock = asyncio.Lock()
        self._meta_mtime: tuple[int, int, int] | None = None
        self._vocab: Counter[str] | None = None  # writer side: stem -> chunks containing it
        self._query_parts = Decompounder(self._known_in_index)
        self._doc_parts: Decompounder | None = None
        # One line per chunk written in this writer session: [vocabulary size, chunk id]. On
        # disk, not in a list: it grows with the corpus (30,000 papers: 360,000 chunk ids).
        self._written: IO[str] | None = None

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
        index.register_tokenizer(TERMS, terms_analyzer())
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

    def _upsert_sync(self, chunks: Sequence[Chunk]) -> None:
        writer = self._writer_or_raise()
        assert self._vocab is not None and self._doc_parts is not None
        unique = list({c.id: c for c in chunks}.values())
        analysed = [analyse(c) for c in unique]
        # The batch's own words count as vocabulary before its compounds are split.
        for a in analysed:
            self._vocab.update(set(a.title) | set(a.body))
        if self._written is None:
            # Open for the whole writer session; closed by _refresh_early_sync at close().
            self._written = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        size = len(self._vocab)
        self._written.writelines(json.dumps([size, a.chunk.id]) + "\n" for a in analysed)
        for a in analysed:
            writer.delete_documents_by_term("id", a.chunk.id)
            writer.add_document(to_document(a, self._doc_parts))
        writer.commit()
        self._searcher()  # this process sees its own commit at once
        # After the commit: a crash in between leaves chunks without rows, which the next
        # `embed_pending` finds (counts differ) and records from the stored chunks.
        self._vectors.record(unique)

    def _refresh_early_sync(self) -> int:
        """Split compounds again in chunks written while the vocabulary was much smaller.

        The first batches of a crawl into an empty index see a tiny vocabulary, so few of their
        compounds are split; at the end of the writer session they are analysed once more.
        """
        written, self._written = self._written, None
        writer, vocab, parts = self._writer, self._vocab, self._doc_parts
        if writer is None or vocab is None or parts is None or written is None:
            return 0
        final = len(vocab)
        stale: list[str] = []
        with written:
            written.seek(0)
            for line in written:
                size, chunk_id = json.loads(line)
                if size >= _REFRESH_RATIO * final:
                    break  # sizes only grow: every later chunk saw a big enough vocabulary
                stale.append(chunk_id)
        if not stale:
            return 0
        parts.clear()  # forget "no split" answers given with the small vocabulary
        searcher = self._searcher()
        count = 0
        for chunk_id in stale:
            for _, address in searcher.search(self._raw_term("id", chunk_id), 1, count=False).hits:
                chunk = chunk_from_json(json.loads(searcher.doc(address)["payload"][0]))
                writer.delete_documents_by_term("id", chunk.id)
                writer.add_document(to_document(analyse(chunk), parts))
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
        self._vectors.delete_documents(doc_ids)

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
                    as_datetime(q.date_from) if q.date_from else tantivy.MIN_DATETIME,
                    as_datetime(q.date_to) if q.date_to else tantivy.MAX_DATETIME,
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
        for alternative in word.alternatives:
            # An everyday word also finds the administrative term it stands for
            # ("Handy" -> "Mobiltelefon"), slightly below the word itself.
            variants.append(
                tantivy.Query.boost_query(
                    tantivy.Query.boolean_query(
                        [(tantivy.Occur.Must, self._any_field(s)) for s in alternative]
                    ),
                    _ALTERNATIVE_BOOST,
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

    def _any_field(self, stem: str) -> tantivy.Query:
        return tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Should, self._term(field, stem))
                for field in ("title_terms", "body_terms", "part_terms")
            ]
        )

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
        nearest = self._nearest(q, parsed)
        # The vector leg needs the keyword leg's candidates from the top, not one page.
        if nearest is not None:
            limit, offset = max(self._fusion.depth, q.offset + q.top), 0
        else:
            limit, offset = q.top, max(0, q.offset)
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
            result = searcher.search(query, limit=limit, offset=offset, count=True)
            if _total(result) > 0:
                break
        highlighter = self._highlighter(used, fuzzy)  # fuzzy: the words matched with an edit
        if nearest is not None:
            return self._fused(q, searcher, query, result, nearest, filters, highlighter)
        if _total(result) == 0:
            return SearchResults(hits=(), total=0, facets={})
        hits = _with_snippets(
            q,
            ((self._chunk_at(searcher, address), float(score)) for score, address in result.hits),
            highlighter,
        )
        total = _total(result)
        if not q.facets:
            facets: dict[str, dict[str, int]] = {}
        elif total <= len(hits) and q.offset <= 0:
            facets = facets_of([h.chunk for h in hits])  # every match is at hand
        else:
            facets = self._facets(searcher, query)
        return SearchResults(hits=hits, total=total, facets=facets)

    @staticmethod
    def _chunk_at(searcher: tantivy.Searcher, address: tantivy.DocAddress) -> Chunk:
        return chunk_from_json(json.loads(searcher.doc(address)["payload"][0]))

    # ---- the vector leg

    def _nearest(self, q: SearchQuery, parsed: ParsedQuery) -> Nearest | None:
        """The vector leg's candidates, or None when it does not take part: no encoder, a
        keyword-only query, a query naming a paper by reference (the user named it), or no
        vectors yet (then the model is not even loaded)."""
        if self._encoder is None or not q.semantic or parsed.references:
            return None
        matrix = self._vectors.matrix()
        if not matrix.size:
            return None
        return matrix.nearest(self._query_vector(q.text), q, self._fusion.depth)

    def _query_vector(self, text: str) -> npt.NDArray[np.float32]:
        assert self._encoder is not None
        with self._query_lock:
            cached = self._query_vectors.get(text)
            if cached is not None:
                self._query_vectors.move_to_end(text)
                return cached
        vector = np.asarray(self._encoder.embed_query(text), dtype=np.float32)
        with self._query_lock:
            self._query_vectors[text] = vector
            while len(self._query_vectors) > _QUERY_VECTORS_KEPT:
                self._query_vectors.popitem(last=False)
        return vector

    def _fused(
        self,
        q: SearchQuery,
        searcher: tantivy.Searcher,
        keyword_query: tantivy.Query,
        result: tantivy.SearchResult,
        nearest: Nearest,
        filters: list[tantivy.Query],
        highlighter: Highlighter,
    ) -> SearchResults:
        keyword_total = _total(result)
        keyword_chunks = (
            [(float(score), self._chunk_at(searcher, a)) for score, a in result.hits]
            if keyword_total
            else []
        )
        fused = fuse([(c.id, c.doc_id, s) for s, c in keyword_chunks], nearest, self._fusion)
        by_id = {c.id: c for _, c in keyword_chunks}
        # Vector-only candidates are confirmed by the engine with the query's filters and the
        # caller's access as they stand now (the matrix may be seconds older than the index).
        by_id.update(
            self._confirmed(searcher, [f.chunk_id for f in fused if not f.keyword], filters)
        )
        fused = [f for f in fused if f.chunk_id in by_id]
        vector_only = [by_id[f.chunk_id] for f in fused if not f.keyword]
        hits = _with_snippets(
            q,
            (
                (by_id[f.chunk_id], f.score)
                for f in fused[max(0, q.offset) : max(0, q.offset) + q.top]
            ),
            highlighter,
        )
        total = keyword_total + len(vector_only)
        if not q.facets:
            facets: dict[str, dict[str, int]] = {}
        elif keyword_total <= len(keyword_chunks):  # every keyword match is at hand
            facets = facets_of([c for _, c in keyword_chunks] + vector_only)
        else:
            facets = _add_facets(self._facets(searcher, keyword_query), facets_of(vector_only))
        return SearchResults(hits=hits, total=total, facets=facets)

    def _confirmed(
        self, searcher: tantivy.Searcher, chunk_ids: list[str], filters: list[tantivy.Query]
    ) -> dict[str, Chunk]:
        if not chunk_ids:
            return {}
        query = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, tantivy.Query.term_set_query(self._schema, "id", chunk_ids))]
            + [(tantivy.Occur.Must, f) for f in filters]
        )
        result = searcher.search(query, limit=len(chunk_ids), count=False)
        chunks = [self._chunk_at(searcher, address) for _, address in result.hits]
        return {c.id: c for c in chunks}

    def _facets(
        self, searcher: tantivy.Searcher, query: tantivy.Query
    ) -> dict[str, dict[str, int]]:
        spec = {
            name: {"terms": {"field": field, "size": FACET_SIZE}}
            for name, field in FACET_FIELDS.items()
        }
        raw = searcher.aggregate(query, spec)
        return {
            name: {b["key"]: int(b["doc_count"]) for b in raw.get(name, {}).get("buckets", [])}
            for name in FACET_FIELDS
        }

    def _highlighter(self, parsed: ParsedQuery, fuzzy: frozenset[str]) -> Highlighter:
        wanted = {w.stem for w in parsed.words}
        for w in parsed.words:
            wanted.update(self._query_parts.parts(w.word))
        return Highlighter(wanted, fuzzy)

    async def search(self, query: SearchQuery) -> SearchResults:
        return await asyncio.to_thread(self._search_sync, query)

    # ---- embedding (the index run's second step: indexer/embedding.py)

    def chunks_by_id(self, chunk_ids: Sequence[str]) -> dict[str, Chunk]:
        """Stored chunks by id, not access-trimmed (admin side: embedding)."""
        searcher = self._searcher()
        query = tantivy.Query.term_set_query(self._schema, "id", list(chunk_ids))
        result = searcher.search(query, limit=max(1, len(chunk_ids)), count=False)
        chunks = [self._chunk_at(searcher, address) for _, address in result.hits]
        return {c.id: c for c in chunks}

    def stored_chunk_ids(self) -> list[str]:
        """Every chunk id in the index, sorted (may include ids deleted since the last merge)."""
        return sorted(t for t, _ in self._searcher().terms_with_prefix("id", ""))

    async def embed_pending(
        self,
        *,
        progress: Callable[[int, int], None] | None = None,
        full_sync: bool = False,
        batch_size: int = EMBED_BATCH,
    ) -> EmbedReport:
        """Embed every chosen chunk that has no vector under the current encoder, committing
        each batch: an interrupted run continues where it stopped. `progress(done, total)`
        after each batch. Without an encoder this only brings the store up to date."""
        return await asyncio.to_thread(
            embed_pending, self, self._vectors, self._encoder, progress, full_sync, batch_size
        )

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
        return sorted(chunks, key=lambda c: (seq_of(c.id), c.id))

    async def document_chunks(self, doc_id: str, access: frozenset[str]) -> list[Chunk]:
        return await asyncio.to_thread(self._document_chunks_sync, doc_id, access)

    def _find_reference_sync(self, reference: str, access: frozenset[str]) -> str | None:
        for source_id in allris_source_ids(reference):
            query = tantivy.Query.boolean_query(
                [
                    (tantivy.Occur.Must, self._raw_term("ref", SOURCE_PREFIX + source_id)),
                    (tantivy.Occur.Must, self._access_filter(access)),
                ]
            )
            result = self._searcher().search(query, limit=1, count=False)
            for _, addr in result.hits:
                return str(json.loads(self._searcher().doc(addr)["payload"][0])["doc_id"])
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
            self._vectors.close()


def _add_facets(
    a: dict[str, dict[str, int]], b: dict[str, dict[str, int]]
) -> dict[str, dict[str, int]]:
    out = {name: dict(counts) for name, counts in a.items()}
    for name, counts in b.items():
        mine = out.setdefault(name, {})
        for key, n in counts.items():
            mine[key] = mine.get(key, 0) + n
    return out


def _with_snippets(
    q: SearchQuery, scored: Iterable[tuple[Chunk, float]], highlighter: Highlighter
) -> tuple[Hit, ...]:
    """Hits with the snippets the query asks for (SearchQuery.snippets)."""
    hits = []
    snippeted: set[str] = set()
    for chunk, score in scored:
        wanted = q.snippets == "all" or (
            q.snippets == "first_per_document" and chunk.doc_id not in snippeted
        )
        snippeted.add(chunk.doc_id)
        hits.append(Hit(chunk, score, highlighter.snippet(chunk.text) if wanted else ""))
    return tuple(hits)


def _total(result: tantivy.SearchResult) -> int:
    """The match count tantivy computed (`count=True`); missing from its type stubs."""
    return int(getattr(result, "count", 0) or 0)
