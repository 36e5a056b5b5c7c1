"""The vector leg of the Azure AI Search backend: schema pieces, what is embedded, and how an
existing index grows into a hybrid one. The I/O (uploads, queries) stays in azure_search.py.

- One vector field per encoder, named after it (`vec_e5_small_q4_1`). Azure cannot change a
  field's dimensions or drop a field in place, but it can add one: switching the encoder adds
  the new field and fills it, and queries never compare vectors of two different models. The
  old field stays until the index is recreated (it costs storage only; see docs/search.md).
- Every document stores `vector_encoder` (the encoder that made its vector) and `vector_hash`
  (a hash of the text that was embedded). An upload whose text and encoder are unchanged keeps
  the stored vector (merge without the vector field); anything else is embedded again. A
  document whose `vector_encoder` is not the current one is vectorised on the next index run
  from the text already in the index — nothing is downloaded again.
- What is embedded is what the embedded backend embeds, chosen by the same rule
  (`indexer/passage_choice.py`: every policy passage, a council paper's overview and the first
  passages of each file; of each title, heading and the start of the passage), so both
  backends hold the same vectors. A passage not chosen has no vector and says so in
  `vector_encoder` (`not_embedded(name)`), so the embedding step does not pick it up again.
"""

from __future__ import annotations

import re
from typing import Any

from azure.search.documents.indexes.models import (
    HnswAlgorithmConfiguration,
    HnswParameters,
    SearchField,
    SearchFieldDataType,
    SearchIndex,
    SimpleField,
    VectorSearch,
    VectorSearchAlgorithmMetric,
    VectorSearchProfile,
)

VECTOR_PROFILE = "kiw-vector-profile"
VECTOR_ALGORITHM = "kiw-hnsw-cosine"
ENCODER_FIELD = "vector_encoder"
HASH_FIELD = "vector_hash"
_FIELD_CHARS = re.compile(r"[^a-z0-9]+")


def vector_field_name(encoder_name: str) -> str:
    """A valid Azure field name (letters, digits, '_'; at most 128) for this encoder's vectors."""
    return ("vec_" + _FIELD_CHARS.sub("_", encoder_name.lower()).strip("_"))[:128]


def not_embedded(encoder_name: str) -> str:
    """`vector_encoder` of a passage not chosen for a vector: done for this encoder, no vector
    (`vector_hash` is not filterable in indexes made before, so the mark lives here)."""
    return f"{encoder_name}|none"


def bookkeeping_fields() -> list[SearchField]:
    """Present in every schema, with or without an encoder, so documents can say what they hold."""
    string = SearchFieldDataType.STRING
    return [
        SimpleField(name=ENCODER_FIELD, type=string, filterable=True),
        SimpleField(name=HASH_FIELD, type=string),
    ]


def vector_field(encoder_name: str, dim: int) -> SearchField:
    # Not retrievable: results never carry 384+ floats per hit; the vector is only searched.
    return SearchField(
        name=vector_field_name(encoder_name),
        type="Collection(Edm.Single)",
        searchable=True,
        hidden=True,
        vector_search_dimensions=dim,
        vector_search_profile_name=VECTOR_PROFILE,
    )


def vector_search() -> VectorSearch:
    """HNSW with cosine (the encoders' vectors are normalised; cosine is the model's measure)."""
    return VectorSearch(
        algorithms=[
            HnswAlgorithmConfiguration(
                name=VECTOR_ALGORITHM,
                parameters=HnswParameters(metric=VectorSearchAlgorithmMetric.COSINE),
            )
        ],
        profiles=[
            VectorSearchProfile(name=VECTOR_PROFILE, algorithm_configuration_name=VECTOR_ALGORITHM)
        ],
    )


def merged_schema(existing: SearchIndex | None, wanted: SearchIndex) -> SearchIndex:
    """`wanted`, plus every field and vector configuration the existing index already has:
    Azure refuses an update that drops a field (e.g. the vector field of an earlier encoder)."""
    if existing is None:
        return wanted
    names = {f.name for f in wanted.fields}
    wanted.fields = [*wanted.fields, *(f for f in existing.fields or [] if f.name not in names)]
    old, new = existing.vector_search, wanted.vector_search
    if old is not None:
        if new is None:
            wanted.vector_search = old
        else:
            new.algorithms = _union(old.algorithms, new.algorithms)
            new.profiles = _union(old.profiles, new.profiles)
            new.vectorizers = _union(old.vectorizers, new.vectorizers)
            new.compressions = _union(old.compressions, new.compressions)
    return wanted


def _union(old: list[Any] | None, new: list[Any] | None) -> list[Any] | None:
    if not old:
        return new
    known = {getattr(x, "name", None) for x in new or []}
    return [*(new or []), *(x for x in old if getattr(x, "name", None) not in known)]


def has_field(index: SearchIndex, name: str) -> bool:
    return any(f.name == name for f in index.fields or [])
