"""Production search backend: Azure AI Search through `azure-search-documents` (async client).

- The index schema is created or updated by the tool on first use (`ensure_index`): German
  text fields use the `de.microsoft` analyzer (stemming, decompounding); filter fields are
  filterable/facetable; `reference_keys` holds normalised reference numbers for exact lookups.
- Chunk ids contain '/', ':' and '#', which Azure document keys do not allow; the key is the
  URL-safe base64 of the chunk id (letters, digits, '-', '_', '='), prefixed with 'k'.
- Uploads go in batches (500 by default). Whole-request 429/503 answers are retried by the
  SDK's retry policy, which honours Retry-After; single documents that fail inside a batch
  (a 207 answer, e.g. 503 "service busy" per item) are retried here with backoff.
- Every query carries the security filter `access/any(g: search.in(g, 'public,…', ','))`, so
  hits, counts, facets and highlights come from visible chunks only. With an encoder, queries
  are hybrid (text + `VectorizedQuery`, fused by the service with reciprocal rank fusion) and
  the same filter applies to the vector leg *before* the nearest neighbours are chosen
  (`vectorFilterMode=preFilter`). Vector fields and re-vectorising: indexer/azure_vectors.py.

The module is longer than most (~900 lines) because it is the one place that speaks to the
service: schema, writes with their retries, the query cascade and the listings belong together.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time as time_module
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time
from email.utils import parsedate_to_datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.search.documents.aio import SearchClient
from azure.search.documents.indexes.aio import SearchIndexClient
from azure.search.documents.indexes.models import (
    LexicalAnalyzerName,
    SearchableField,
    SearchFieldDataType,
    SearchIndex,
    SimpleField,
)
from azure.search.documents.models import IndexDocumentsBatch, VectorFilterMode, VectorizedQuery

from indexer.analysis import STOPWORDS, WORD_PATTERN, fold, fold_key
from indexer.azure_vectors import (
    ENCODER_FIELD,
    HASH_FIELD,
    bookkeeping_fields,
    has_field,
    merged_schema,
    not_embedded,
    vector_field,
    vector_field_name,
    vector_search,
)
from indexer.corpus_words import CorpusWords
from indexer.embedding import EmbedReport
from indexer.encoders import Encoder
from indexer.model import PUBLIC, Chunk, Hit, SearchQuery, SearchResults
from indexer.passage_choice import chosen_for_embedding, embedding_text, text_hash
from indexer.queries import parse_query
from indexer.snippets import clip
from indexer.vocabulary import vocabulary
from kiw_common.references import WRITTEN_REFERENCE, allris_source_ids, reference_key

log = logging.getLogger(__name__)

BATCH_SIZE = 500
_RETRY_ITEM_STATUS = {409, 422, 429, 500, 502, 503, 504}
_HIGHLIGHT_PRE, _HIGHLIGHT_POST = "**", "**"
_FACETS = {"paper_type": "paper_type", "collection": "collection", "organization": "organizations"}
_TYPE_FACET_SIZE = 1000  # every paper type of a council (Karlsruhe: 33)
_PAGE = 1000
_MAX_QUERY_WORDS = 32
_SNIPPET_CHARS = 240
_MAX_RETRY_AFTER = 60.0
# Nearest neighbours the vector leg contributes to the fusion (at least top + offset).
VECTOR_K = 50
# A text match in any of these fields leaves a highlight: how a hybrid answer tells that its
# text leg found something (documents found only by the vector leg carry none).
_HIGHLIGHT_FIELDS = "text,title,heading,status,file_name,organizations"
_VECTOR_RECHECK_SECONDS = 60.0
T = TypeVar("T")


class AzureSearchError(RuntimeError):
    """Azure AI Search refused or failed a request; the message says what to check."""


# ---------------------------------------------------------------- keys and OData


def encode_key(chunk_id: str) -> str:
    """A document key Azure accepts for any chunk id (reversible)."""
    return "k" + base64.urlsafe_b64encode(chunk_id.encode("utf-8")).decode("ascii")


def decode_key(key: str) -> str:
    return base64.urlsafe_b64decode(key[1:].encode("ascii")).decode("utf-8")


def odata_string(value: str) -> str:
    """An OData string literal: single quotes doubled."""
    return "'" + value.replace("'", "''") + "'"


def odata_date(d: date) -> str:
    return datetime.combine(d, time(), tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def access_filter(access: Iterable[str]) -> str:
    """`access/any(g: search.in(g, 'public,x', ','))` for the caller's groups (+ public)."""
    groups = sorted({PUBLIC, *access})
    # A group name with the delimiter in it could widen the set; such names are not valid groups.
    safe = [g for g in groups if g and "," not in g]
    return f"access/any(g: search.in(g, {odata_string(','.join(safe))}, ','))"


def type_set_filter(types: Iterable[str]) -> str:
    """Any of these paper types: `search.in(paper_type_key, 'a|b', '|')`; a type with the
    delimiter in its name is compared on its own (`or paper_type_key eq '…'`)."""
    keys = sorted({fold_key(t) for t in types})
    listed = [k for k in keys if "|" not in k]
    alone = [f"paper_type_key eq {odata_string(k)}" for k in keys if "|" in k]
    listed_filter = (
        [f"search.in(paper_type_key, {odata_string('|'.join(listed))}, '|')"] if listed else []
    )
    return "(" + " or ".join(listed_filter + alone) + ")"


def query_filter(q: SearchQuery) -> str:
    parts = [access_filter(q.access)]
    if q.collection:
        parts.append(f"collection eq {odata_string(q.collection)}")
    if q.paper_type:
        parts.append(f"paper_type_key eq {odata_string(fold_key(q.paper_type))}")
    if q.paper_types:
        parts.append(type_set_filter(q.paper_types))
    if q.organization:
        # The exact name, or all its words ("Grüne" matches "Fraktion Bündnis 90/Die Grünen").
        exact = f"org_keys/any(o: o eq {odata_string(fold_key(q.organization))})"
        org_words = " ".join(WORD_PATTERN.findall(q.organization))
        if org_words:
            exact = (
                f"({exact} or search.ismatch({odata_string(org_words)}, 'organizations', "
                "'simple', 'all'))"
            )
        parts.append(exact)
    if q.doc_id:
        parts.append(f"doc_id eq {odata_string(q.doc_id)}")
    if q.date_from:
        parts.append(f"date ge {odata_date(q.date_from)}")
    if q.date_to:
        parts.append(f"date le {odata_date(q.date_to)}")
    return " and ".join(parts)


# ---------------------------------------------------------------- schema and documents


def index_schema(name: str, encoder: Encoder | None = None) -> SearchIndex:
    """The fields this code writes and reads; with an encoder, its vector field and HNSW."""
    schema = _text_schema(name)
    schema.fields = [*schema.fields, *bookkeeping_fields()]
    if encoder is not None:
        schema.fields.append(vector_field(encoder.name, encoder.dim))
        schema.vector_search = vector_search()
    return schema


def _text_schema(name: str) -> SearchIndex:
    de = LexicalAnalyzerName.DE_MICROSOFT
    string = SearchFieldDataType.STRING
    strings = "Collection(Edm.String)"
    return SearchIndex(
        name=name,
        fields=[
            SimpleField(name="key", type=string, key=True, filterable=True, sortable=True),
            SimpleField(name="id", type=string, filterable=True),
            SimpleField(name="doc_id", type=string, filterable=True, facetable=True),
            SimpleField(name="collection", type=string, filterable=True, facetable=True),
            SearchableField(name="title", analyzer_name=de),
            SearchableField(name="text", analyzer_name=de),
            SearchableField(name="heading", analyzer_name=de),
            SearchableField(name="status", analyzer_name=de),
            SearchableField(name="file_name", analyzer_name=de),
            SimpleField(name="access", type=strings, filterable=True, facetable=True),
            SimpleField(name="url", type=string),
            SimpleField(name="page", type=SearchFieldDataType.INT32),
            SimpleField(name="reference", type=string, filterable=True),
            SimpleField(name="reference_keys", type=strings, filterable=True),
            SimpleField(name="paper_id", type=string, filterable=True),
            SimpleField(name="paper_type", type=string, filterable=True, facetable=True),
            SimpleField(name="paper_type_key", type=string, filterable=True),
            SimpleField(
                name="date",
                type=SearchFieldDataType.DATE_TIME_OFFSET,
                filterable=True,
                sortable=True,
            ),
            SearchableField(
                name="organizations",
                collection=True,
                analyzer_name=de,
                filterable=True,
                facetable=True,
            ),
            SimpleField(name="org_keys", type=strings, filterable=True),
            SimpleField(name="source_ids", type=strings, filterable=True),
            SimpleField(name="file_id", type=string, filterable=True),
            SimpleField(name="seq", type=SearchFieldDataType.INT32, sortable=True, filterable=True),
        ],
    )


def _seq(chunk_id: str) -> int:
    _, _, tail = chunk_id.rpartition("#")
    return int(tail) if tail.isdigit() else 0


def to_document(c: Chunk) -> dict[str, Any]:
    key = reference_key(c.reference) if c.reference else None
    return {
        "key": encode_key(c.id),
        "id": c.id,
        "doc_id": c.doc_id,
        "collection": c.collection,
        "title": c.title,
        "text": c.text,
        "heading": c.heading,
        "status": c.status,
        "file_name": c.file_name,
        # No groups means visible to nobody (fail closed), never "public by default".
        "access": list(c.access),
        "url": c.url,
        "page": c.page,
        "reference": c.reference,
        "reference_keys": list(key.index_keys()) if key else [],
        "paper_id": c.paper_id,
        "paper_type": c.paper_type,
        "paper_type_key": fold_key(c.paper_type) if c.paper_type else None,
        "date": odata_date(c.date) if c.date else None,
        "organizations": list(c.organizations),
        "org_keys": [fold_key(o) for o in c.organizations],
        # Normalised like the lookups ("VOLFDNR=1664"); other ids kept as they are.
        "source_ids": [k for s in c.source_ids for k in (allris_source_ids(s) or [s])],
        "file_id": c.file_id,
        "seq": _seq(c.id),
    }


def from_document(d: dict[str, Any]) -> Chunk:
    raw_date = d.get("date")
    return Chunk(
        id=d["id"],
        doc_id=d["doc_id"],
        collection=d["collection"],
        title=d.get("title") or "",
        text=d.get("text") or "",
        access=tuple(d.get("access") or ()),
        url=d.get("url"),
        page=d.get("page"),
        heading=d.get("heading"),
        reference=d.get("reference"),
        paper_id=d.get("paper_id"),
        paper_type=d.get("paper_type"),
        date=date.fromisoformat(str(raw_date)[:10]) if raw_date else None,
        organizations=tuple(d.get("organizations") or ()),
        source_ids=tuple(d.get("source_ids") or ()),
        file_id=d.get("file_id"),
        file_name=d.get("file_name"),
        status=d.get("status"),
    )


def retry_after_seconds(exc: HttpResponseError) -> float | None:
    """How long the service asked us to wait (retry-after-ms, or Retry-After seconds/date)."""
    headers: Any = getattr(exc.response, "headers", None) or {}
    for name in ("retry-after-ms", "x-ms-retry-after-ms"):
        value = headers.get(name)
        if value:
            try:
                return max(0.0, float(value) / 1000)
            except ValueError:
                pass
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _search_text(words: Sequence[str], fuzzy: bool) -> str:
    """Plain words only: no query syntax from the user reaches the service. The only syntax
    is ours: an everyday word becomes a group with the administrative words it stands for
    (vocabulary.yaml), `(handy | Mobiltelefon | "dienstliches Mobiltelefon")`; the full
    Lucene syntax (used with fuzzy terms) spells the same group with OR."""
    vocab = vocabulary()
    parts = []
    for w in words:
        term = f"{w}~1" if fuzzy and len(w) >= 5 and w.isalpha() else w
        alternatives = [_quoted(t) for t in vocab.terms_of(w)]
        if alternatives:
            joiner = " OR " if fuzzy else " | "
            term = "(" + joiner.join([term, *alternatives]) + ")"
        parts.append(term)
    return " ".join(parts)


def _quoted(term: str) -> str:
    """A vocabulary term as one search unit: plain word, or a phrase in quotes."""
    plain = WORD_PATTERN.findall(term)
    return plain[0] if len(plain) == 1 and plain[0] == term else '"' + " ".join(plain) + '"'


def _snippet(doc: dict[str, Any]) -> str:
    highlights = doc.get("@search.highlights") or {}
    for field in ("text", "heading", "title"):
        frags = highlights.get(field)
        if frags:
            return " … ".join(" ".join(f.split()) for f in frags[:2])
    return clip((doc.get("text") or "")[: _SNIPPET_CHARS * 2], _SNIPPET_CHARS)


# ---------------------------------------------------------------- the index


class AzureSearchIndex:
    """`SearchIndex` on Azure AI Search. Takes plain arguments, never the Settings object."""

    def __init__(
        self,
        endpoint: str,
        api_key: str | None,
        index_name: str,
        *,
        batch_size: int = BATCH_SIZE,
        item_retries: int = 5,
        item_retry_delay: float = 1.0,
        retry_total: int = 6,
        http_retries: int = 6,
        retry_backoff_factor: float = 0.8,
        page_size: int = _PAGE,
        encoder: Encoder | None = None,
        vector_weight: float = 1.0,
        vector_k: int = VECTOR_K,
        words_folder: Path | None = None,
    ) -> None:
        """`words_folder`: where the documents' words are kept for spelling correction
        (indexer/corpus_words.py), written by `kiw index` and read by the bot; None: no
        correction."""
        if not endpoint:
            raise ValueError(
                "KIW_AZURE_SEARCH_ENDPOINT is empty: set it to https://<service>.search.windows.net "
                "or use the embedded index (KIW_INDEX_BACKEND=embedded)."
            )
        self._endpoint = endpoint.rstrip("/")
        self._index_name = index_name
        self._batch_size = batch_size
        self._item_retries = item_retries
        self._item_retry_delay = item_retry_delay
        self._http_retries = http_retries
        self._page_size = page_size
        self._credential: Any
        if api_key:
            self._credential = AzureKeyCredential(api_key)
        else:  # managed identity / workload identity in Azure
            from azure.identity.aio import DefaultAzureCredential

            self._credential = DefaultAzureCredential()
        # The SDK's retry policy covers GET/PUT/DELETE (408/429/5xx, honouring Retry-After) and
        # 500/503/504 on POST; _with_retry adds 429 on POST (document batches, searches).
        retry = {"retry_total": retry_total, "retry_backoff_factor": retry_backoff_factor}
        self._client = SearchClient(self._endpoint, index_name, self._credential, **retry)
        self._admin = SearchIndexClient(self._endpoint, self._credential, **retry)
        self._schema_ready = False
        self._schema_lock = asyncio.Lock()
        self._encoder = encoder
        self._vector_field = vector_field_name(encoder.name) if encoder else None
        self._vector_weight = vector_weight
        self._vector_k = vector_k
        # Whether the index has this encoder's vector field (a bot may start before the
        # indexer added it): None = not asked yet; a "no" is asked again after a while.
        self._vectors_ready: bool | None = None
        self._vectors_checked = 0.0
        self._words = CorpusWords(words_folder) if words_folder is not None else None

    # ---- schema

    async def ensure_index(self) -> None:
        """Create the index or update its schema (adding fields is allowed in place). Fields the
        index has and this code does not write (an earlier encoder's vectors) are kept: Azure
        refuses an update that drops a field."""
        async with self._schema_lock:
            if self._schema_ready:
                return
            try:
                try:
                    existing: SearchIndex | None = await self._admin.get_index(self._index_name)
                except ResourceNotFoundError:
                    existing = None
                wanted = index_schema(self._index_name, self._encoder)
                await self._admin.create_or_update_index(merged_schema(existing, wanted))
            except HttpResponseError as exc:
                raise AzureSearchError(
                    f"Azure AI Search refused the schema of index '{self._index_name}' "
                    f"({exc.status_code}: {exc.message}). If a field changed its type or analyzer, "
                    "the index must be recreated: delete it in the portal and run `kiw index` again."
                ) from exc
            self._schema_ready = True
            if self._encoder is not None:
                self._vectors_ready = True

    # ---- writing

    async def upsert(self, chunks: Sequence[Chunk]) -> None:
        if not chunks:
            return
        await self.ensure_index()
        known: dict[str, tuple[str | None, str | None]] = {}
        if self._encoder is not None:  # vectors of unchanged passages are kept, not remade
            for doc_id in dict.fromkeys(c.doc_id for c in chunks):
                known.update(await self._stored_vectors(doc_id))
        await self._write(chunks, known)
        if self._words is not None:
            await asyncio.to_thread(self._words.record, chunks)

    async def replace_documents(
        self, documents: dict[str, list[Chunk]], deleted: Sequence[str]
    ) -> None:
        """Replace whole documents: write the new chunks, then delete the old ones that are
        gone. Unlike delete-then-upload, a chunk whose passage and encoder are unchanged keeps
        its vector (no embedding), and a document is never missing from the index meanwhile."""
        await self.ensure_index()
        await self.delete_documents(deleted)
        known: dict[str, tuple[str | None, str | None]] = {}
        for doc_id in documents:
            known.update(await self._stored_vectors(doc_id))
        chunks = [c for cs in documents.values() for c in cs]
        await self._write(chunks, known)
        fresh = {encode_key(c.id) for c in chunks}
        stale = [{"key": k} for k in known if k not in fresh]
        for i in range(0, len(stale), self._batch_size):
            await self._send(stale[i : i + self._batch_size], action="delete")
        if self._words is not None:  # the same chunks as uploaded, whole documents
            await asyncio.to_thread(self._words.delete_documents, list(documents))
            await asyncio.to_thread(self._words.record, chunks)

    async def _stored_vectors(self, doc_id: str) -> dict[str, tuple[str | None, str | None]]:
        """key → (encoder, passage hash) of every stored chunk of one document."""
        found = await self._scan(f"doc_id eq {odata_string(doc_id)}", [ENCODER_FIELD, HASH_FIELD])
        return {d["key"]: (d.get(ENCODER_FIELD), d.get(HASH_FIELD)) for d in found}

    async def _write(
        self, chunks: Sequence[Chunk], known: dict[str, tuple[str | None, str | None]]
    ) -> None:
        docs = list({c.id: (c, to_document(c)) for c in chunks}.values())
        # The same passages as the embedded backend (whole documents arrive here).
        chosen = chosen_for_embedding(chunks) if self._encoder is not None else set()
        for i in range(0, len(docs), self._batch_size):
            batch = docs[i : i + self._batch_size]
            if self._encoder is None:
                await self._send([d for _, d in batch], action="upload")
                continue
            name = self._encoder.name
            field = vector_field_name(name)
            kept, fresh, unchosen = [], [], []
            for chunk, doc in batch:
                if chunk.id not in chosen:
                    # Done for this encoder without a vector: keyword search only, like the
                    # embedded backend's later passages of a council file.
                    unchosen.append({**doc, ENCODER_FIELD: not_embedded(name), HASH_FIELD: None})
                    continue
                passage = embedding_text(chunk)
                digest = text_hash(passage)
                if known.get(doc["key"]) == (name, digest):
                    # Merge without the vector field: the stored vector stays as it is.
                    kept.append({**doc, ENCODER_FIELD: name, HASH_FIELD: digest})
                else:
                    fresh.append((doc, passage, digest))
            vectors = await self._embed([p for _, p, _ in fresh])
            uploads = unchosen  # "upload" replaces the document: a vector it had is dropped
            for n, (doc, _, digest) in enumerate(fresh):
                if vectors is not None:
                    doc = {**doc, field: vectors[n], ENCODER_FIELD: name}
                    doc[HASH_FIELD] = digest
                uploads.append(doc)  # without vectors: `embed_pending` adds them later
            if uploads:
                await self._send(uploads, action="upload")
            if kept:
                await self._send(kept, action="mergeOrUpload")

    async def _embed(self, passages: list[str]) -> list[list[float]] | None:
        """Vectors for these passages, or None when the encoder failed: the documents are then
        written without vectors (keyword search finds them) and the next run adds them."""
        if not passages or self._encoder is None:
            return []
        try:
            return await asyncio.to_thread(self._encoder.embed_passages, passages)
        except Exception as exc:  # an endpoint down must not stop the index run
            log.warning(
                "encoder %s failed (%s); %d passage(s) written without vectors, added on the "
                "next run",
                self._encoder.name,
                exc,
                len(passages),
            )
            return None

    async def embed_pending(
        self, *, progress: Callable[[int, int], None] | None = None, full_sync: bool = False
    ) -> EmbedReport:
        """The index run's embedding step (indexer/pipeline.py: EmbedsPassages). Writes embed
        as they go, so this only finds what they could not: an index from before vectors, an
        encoder change, passages written while the encoder failed. `full_sync` changes
        nothing here: the pending filter always looks at the whole index."""
        started = time_module.monotonic()
        if self._encoder is None:
            return EmbedReport(encoder=None, seconds=time_module.monotonic() - started)
        await self.ensure_index()
        name = self._encoder.name
        _, total, _ = await self._fetch(
            search_text="*", filter=self._pending_filter(), include_total_count=True, top=0
        )
        done = await self.vectorise_pending(
            on_progress=(lambda n: progress(n, total)) if progress else None
        )
        _, vectors, _ = await self._fetch(
            search_text="*",
            filter=f"{ENCODER_FIELD} eq {odata_string(name)}",
            include_total_count=True,
            top=0,
        )
        return EmbedReport(
            encoder=name,
            embedded=done,
            vectors=vectors,
            seconds=time_module.monotonic() - started,
        )

    def _pending_filter(self) -> str:
        name = self._encoder.name if self._encoder else ""
        return (
            f"{ENCODER_FIELD} ne {odata_string(name)} and "
            f"{ENCODER_FIELD} ne {odata_string(not_embedded(name))}"
        )

    async def vectorise_pending(self, on_progress: Callable[[int], None] | None = None) -> int:
        """Give every chosen passage without a vector of the current encoder one, from the text
        stored in the index (an index from before vectors, or after an encoder change), and
        mark the others done. Resumable: what is done no longer matches the filter.
        `on_progress` gets the running count of passages looked at. Returns how many passages
        were embedded."""
        if self._encoder is None:
            return 0
        await self.ensure_index()
        name = self._encoder.name
        field = vector_field_name(name)
        pending = self._pending_filter()
        page = min(self._page_size, self._batch_size)
        seen, embedded, last = 0, 0, ""
        while True:
            after = f" and key gt {odata_string(last)}" if last else ""
            docs, _, _ = await self._fetch(
                search_text="*",
                filter=pending + after,
                select=["key", "id", "doc_id", "collection", "title", "heading", "text"],
                order_by=["key asc"],
                top=page,
            )
            if not docs:
                return embedded
            chosen = await self._chosen_of_documents({d["doc_id"] for d in docs})
            work = [d for d in docs if d["id"] in chosen]
            passages = [embedding_text(from_document(d)) for d in work]
            vectors = await asyncio.to_thread(self._encoder.embed_passages, passages)
            merges = [
                {"key": d["key"], field: vector, ENCODER_FIELD: name, HASH_FIELD: text_hash(p)}
                for d, p, vector in zip(work, passages, vectors, strict=True)
            ]
            merges += [
                {"key": d["key"], ENCODER_FIELD: not_embedded(name), HASH_FIELD: None}
                for d in docs
                if d["id"] not in chosen
            ]
            await self._send(merges, action="merge")
            seen += len(docs)
            embedded += len(work)
            if on_progress is not None:
                on_progress(seen)
            if len(docs) < page:
                return embedded
            last = docs[-1]["key"]

    async def _chosen_of_documents(self, doc_ids: Iterable[str]) -> set[str]:
        """The chunk ids of these documents that get a vector (indexer/passage_choice.py):
        the choice needs each document's whole list of passages, not one page of them."""
        placed = []
        for doc_id in sorted(doc_ids):
            found = await self._scan(
                f"doc_id eq {odata_string(doc_id)}", ["id", "doc_id", "collection", "file_id"]
            )
            placed += [from_document(d) for d in found]
        return chosen_for_embedding(placed)

    async def _send(self, docs: list[dict[str, Any]], *, action: str) -> None:
        """One batch; documents that fail with a transient per-item status are sent again.
        `action` is the service's: upload, merge, mergeOrUpload or delete."""
        what = action
        for attempt in range(self._item_retries + 1):
            batch = IndexDocumentsBatch()
            if action == "delete":
                batch.add_delete_actions(docs)
            elif action == "merge":
                batch.add_merge_actions(docs)
            elif action == "mergeOrUpload":
                batch.add_merge_or_upload_actions(docs)
            else:
                batch.add_upload_actions(docs)
            results = await self._with_retry(partial(self._client.index_documents, batch))
            # A merge of a document deleted meanwhile (404) has nothing left to do.
            failed = [
                r
                for r in results
                if not r.succeeded and not (action == "merge" and r.status_code == 404)
            ]
            if not failed:
                return
            hard = [r for r in failed if r.status_code not in _RETRY_ITEM_STATUS]
            if hard or attempt == self._item_retries:
                bad = (hard or failed)[0]
                raise AzureSearchError(
                    f"Azure AI Search did not accept {len(failed)} document(s) of a {what} batch "
                    f"(first: status {bad.status_code}, {bad.error_message})."
                )
            failed_keys = {r.key for r in failed}
            docs = [d for d in docs if d["key"] in failed_keys]
            delay = self._item_retry_delay * (2**attempt)
            log.info("retrying %d throttled documents in %.1f s", len(docs), delay)
            await asyncio.sleep(delay)

    async def _with_retry(self, call: Callable[[], Awaitable[T]]) -> T:
        """Retry 429/503 answers, waiting as long as the service asks (Retry-After).

        The SDK's own policy does not retry a POST answered with 429 (document batches and
        searches are POSTs), so throttling is handled here.
        """
        for attempt in range(self._http_retries + 1):
            try:
                return await call()
            except HttpResponseError as exc:
                if exc.status_code not in (429, 503) or attempt == self._http_retries:
                    raise
                asked = retry_after_seconds(exc)
                delay = self._item_retry_delay * (2**attempt) if asked is None else asked
                log.info("Azure AI Search answered %s; retrying in %.2f s", exc.status_code, delay)
                await asyncio.sleep(min(delay, _MAX_RETRY_AFTER))
        raise AssertionError("unreachable")

    async def _fetch(self, **kwargs: Any) -> tuple[list[dict[str, Any]], int, dict[str, Any]]:
        """One search request (with throttling retries): documents, count, facets."""

        async def once() -> tuple[list[dict[str, Any]], int, dict[str, Any]]:
            pages = await self._client.search(**kwargs)
            docs = [d async for d in pages]
            total = await pages.get_count() if kwargs.get("include_total_count") else len(docs)
            facets = (await pages.get_facets() or {}) if kwargs.get("facets") else {}
            return docs, int(total or 0), facets

        return await self._with_retry(once)

    async def _scan(self, filter_: str | None, select: list[str] | None) -> list[dict[str, Any]]:
        """Every matching document, paged by key (no $skip limit on big indexes)."""
        out: list[dict[str, Any]] = []
        last = ""
        fields = None if select is None else list(dict.fromkeys([*select, "key"]))
        while True:
            parts = [
                p
                for p in (
                    f"({filter_})" if filter_ else None,
                    f"key gt {odata_string(last)}" if last else None,
                )
                if p
            ]
            docs, _, _ = await self._fetch(
                search_text="*",
                filter=" and ".join(parts) or None,
                select=fields,
                order_by=["key asc"],
                top=self._page_size,
            )
            out += docs
            if len(docs) < self._page_size:
                return out
            last = docs[-1]["key"]

    async def delete_documents(self, doc_ids: Sequence[str]) -> None:
        if not doc_ids:
            return
        await self.ensure_index()
        for doc_id in doc_ids:
            found = await self._scan(f"doc_id eq {odata_string(doc_id)}", ["key"])
            keys = [d["key"] for d in found]
            for i in range(0, len(keys), self._batch_size):
                await self._send(
                    [{"key": k} for k in keys[i : i + self._batch_size]], action="delete"
                )
        if self._words is not None:
            await asyncio.to_thread(self._words.delete_documents, list(doc_ids))

    # ---- reading

    async def corrected(self, text: str, collection: str | None, access: frozenset[str]) -> str:
        """The text with words no document of the collection uses replaced by the closest
        ones that are used by chunks `access` may read (indexer/spelling.py); what a search
        does to its query text."""
        words = self._words
        if words is None:
            return text
        return await asyncio.to_thread(lambda: words.spelling(collection, access).corrected(text))

    async def warm_up(self) -> None:
        if self._words is not None:
            await asyncio.to_thread(self._words.warm)

    async def search(self, query: SearchQuery) -> SearchResults:
        # A word no document of the collection uses is taken for a typo of the closest one
        # that does ("Barrierfreiheit" -> "Barrierefreiheit"), as in the embedded backend.
        query = replace(
            query, text=await self.corrected(query.text, query.collection, query.access)
        )
        parsed = parse_query(query.text)
        if parsed.empty or query.top <= 0:
            return SearchResults(hits=(), total=0, facets={})
        # The user's words as written (de.microsoft analyses them), never their syntax.
        # References are matched by filter below, not as words.
        raw_words = [
            w
            for w in WORD_PATTERN.findall(WRITTEN_REFERENCE.sub(" ", query.text))
            if fold(w) not in STOPWORDS
        ]
        raw_words = list(dict.fromkeys(raw_words))[:_MAX_QUERY_WORDS]
        filter_ = query_filter(query)
        if parsed.references:
            keys = sorted({k for r in parsed.references for k in (r.core,)})
            ref_filter = " or ".join(f"reference_keys/any(r: r eq {odata_string(k)})" for k in keys)
            filter_ = f"{filter_} and ({ref_filter})"
        attempts = [("simple", "all", False), ("full", "all", True)]
        if len(raw_words) > 1:
            attempts.append(("full", "any", True))
        vector = await self._query_vector(query.text) if raw_words else None
        # Without vectors: the first attempt that finds anything. Hybrid: the first attempt
        # whose *text* leg found something (the vector leg always finds its neighbours); when
        # none did, the first answer, which is then the vector leg's alone.
        first: SearchResults | None = None
        for query_type, mode, fuzzy in attempts if raw_words else [("simple", "all", False)]:
            result, text_matched = await self._run(
                query, raw_words, filter_, query_type, mode, fuzzy, parsed, vector
            )
            first = first or result
            if text_matched:
                return result
        assert first is not None
        return first if vector is not None else result

    async def _query_vector(self, text: str) -> list[float] | None:
        """The question's vector when the index has this encoder's vectors; None for a
        keyword-only query (no encoder, no vector field yet, or the encoder failed)."""
        if self._encoder is None or not await self._has_vectors():
            return None
        try:
            return await asyncio.to_thread(self._encoder.embed_query, text)
        except Exception as exc:  # an encoder endpoint down: keyword search still answers
            log.warning("encoder %s failed (%s); keyword search only", self._encoder.name, exc)
            return None

    async def _has_vectors(self) -> bool:
        now = time_module.monotonic()
        if self._vectors_ready or (
            self._vectors_ready is False and now - self._vectors_checked < _VECTOR_RECHECK_SECONDS
        ):
            return bool(self._vectors_ready)
        self._vectors_checked = now
        try:
            schema = await self._admin.get_index(self._index_name)
        except ResourceNotFoundError:
            self._vectors_ready = False
            return False
        self._vectors_ready = has_field(schema, self._vector_field or "")
        if not self._vectors_ready:
            log.warning(
                "index '%s' has no vectors of encoder %s yet: keyword search only until "
                "`kiw index` runs",
                self._index_name,
                self._encoder.name if self._encoder else "-",
            )
        return self._vectors_ready

    async def _run(
        self,
        q: SearchQuery,
        raw_words: list[str],
        filter_: str,
        query_type: str,
        mode: str,
        fuzzy: bool,
        parsed: Any,
        vector: list[float] | None = None,
    ) -> tuple[SearchResults, bool]:
        """One request; also whether its text leg matched anything."""
        text = _search_text(raw_words, fuzzy) if raw_words else "*"
        hybrid: dict[str, Any] = {}
        if vector is not None:
            hybrid = {
                "vector_queries": [
                    VectorizedQuery(
                        vector=vector,
                        k_nearest_neighbors=max(self._vector_k, q.top + max(0, q.offset)),
                        fields=self._vector_field,
                        weight=self._vector_weight,
                    )
                ],
                # The access filter narrows the candidates before the nearest neighbours are
                # chosen: k visible documents, and nothing invisible ever in the fusion.
                "vector_filter_mode": VectorFilterMode.PRE_FILTER,
            }
        try:
            docs, total, raw_facets = await self._fetch(
                search_text=text,
                filter=filter_,
                query_type=query_type,
                search_mode=mode,
                include_total_count=True,
                facets=[f"{field},count:50" for field in _FACETS.values()] if q.facets else None,
                highlight_fields=_HIGHLIGHT_FIELDS,
                highlight_pre_tag=_HIGHLIGHT_PRE,
                highlight_post_tag=_HIGHLIGHT_POST,
                top=q.top,
                skip=max(0, q.offset) or None,
                **hybrid,
            )
        except ResourceNotFoundError:
            return SearchResults(hits=(), total=0, facets={}), False
        except HttpResponseError as exc:
            raise AzureSearchError(
                f"Azure AI Search rejected a query ({exc.status_code}: {exc.message})."
            ) from exc
        scored = []
        for d in docs:
            chunk = from_document(d)
            score = float(d.get("@search.score") or 0.0)
            if parsed.references and chunk.reference:
                found = reference_key(chunk.reference)
                if found and any(found.full == r.full for r in parsed.references):
                    score += 1000.0  # the exact spelling typed ("DHH/2026/12") first
                elif found and not found.prefix:
                    score += 500.0
            scored.append((chunk, score, d))
        if parsed.references:
            scored.sort(key=lambda s: -s[1])
        hits = []
        snippeted: set[str] = set()
        for chunk, score, d in scored:
            wanted = q.snippets == "all" or (
                q.snippets == "first_per_document" and chunk.doc_id not in snippeted
            )
            snippeted.add(chunk.doc_id)
            hits.append(Hit(chunk=chunk, score=score, snippet=_snippet(d) if wanted else ""))
        facets = {
            name: {str(b["value"]): int(b["count"]) for b in raw_facets.get(field, [])}
            for name, field in _FACETS.items()
            if q.facets
        }
        results = SearchResults(hits=tuple(hits), total=int(total or 0), facets=facets)
        if vector is None:
            return results, results.total > 0
        return results, any(d.get("@search.highlights") for d in docs)

    async def document_chunks(self, doc_id: str, access: frozenset[str]) -> list[Chunk]:
        try:
            docs = await self._scan(
                f"doc_id eq {odata_string(doc_id)} and {access_filter(access)}", None
            )
        except ResourceNotFoundError:
            return []
        return sorted((from_document(d) for d in docs), key=lambda c: (_seq(c.id), c.id))

    async def find_reference(self, reference: str, access: frozenset[str]) -> str | None:
        for source_id in allris_source_ids(reference):
            try:
                docs = await self._scan(
                    f"source_ids/any(s: s eq {odata_string(source_id)}) and {access_filter(access)}",
                    ["doc_id"],
                )
            except ResourceNotFoundError:
                return None
            if docs:
                return str(docs[0]["doc_id"])
        key = reference_key(reference)
        if key is None:
            return None
        try:
            docs = await self._scan(
                f"reference_keys/any(r: r eq {odata_string(key.core)}) and {access_filter(access)}",
                ["doc_id", "reference"],
            )
        except ResourceNotFoundError:
            return None
        best: tuple[int, str] | None = None
        for d in docs:
            found = reference_key(d.get("reference") or "")
            if found is None:
                continue
            rank = 0 if found.full == key.full else (1 if not found.prefix else 2)
            if best is None or rank < best[0]:
                best = (rank, d["doc_id"])
        return best[1] if best else None

    async def document_ids(self, collection: str | None = None) -> set[str]:
        filter_ = f"collection eq {odata_string(collection)}" if collection else None
        try:
            return {d["doc_id"] for d in await self._scan(filter_, ["doc_id"])}
        except ResourceNotFoundError:
            return set()

    async def paper_types(self, collection: str | None, access: frozenset[str]) -> set[str]:
        filter_ = access_filter(access)
        if collection:
            filter_ += f" and collection eq {odata_string(collection)}"
        try:
            _, _, facets = await self._fetch(
                search_text="*",
                filter=filter_,
                facets=[f"paper_type,count:{_TYPE_FACET_SIZE}"],
                top=0,
            )
        except ResourceNotFoundError:
            return set()
        return {str(b["value"]) for b in facets.get("paper_type", []) if b.get("value")}

    async def ping(self) -> None:
        try:
            await self._admin.get_index(self._index_name)
        except ResourceNotFoundError as exc:
            raise AzureSearchError(
                f"Azure AI Search has no index '{self._index_name}' yet: run `kiw index` once."
            ) from exc

    async def close(self) -> None:
        if self._words is not None:
            self._words.close()
        await self._client.close()
        await self._admin.close()
        close = getattr(self._credential, "close", None)
        if close is not None:
            await close()
