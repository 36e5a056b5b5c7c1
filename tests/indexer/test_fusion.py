"""The vector matrix's filters and the weighted fusion, on hand-made vectors (no encoder)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np

from indexer.fusion import Fusion, fuse
from indexer.model import PUBLIC, SearchQuery
from indexer.passage_choice import COUNCIL_PASSAGES_PER_FILE, chosen_for_embedding
from indexer.vectors import VectorMatrix
from tests.indexer import search_corpus as corpus


def row(
    chunk_id: str,
    vector: list[float],
    *,
    access: str = PUBLIC,
    collection: str = "council",
    type_key: str | None = None,
    orgs: str = "[]",
    day: int | None = None,
) -> tuple[str, str, str, str, str | None, str, int | None, bytes]:
    doc = chunk_id.rpartition("#")[0]
    unit = np.asarray(vector, dtype=np.float32)
    unit /= np.linalg.norm(unit)
    return (chunk_id, doc, collection, access, type_key, orgs, day, unit.tobytes())


MATRIX = VectorMatrix(
    [
        row("a#0", [1, 0, 0], type_key="antrag", orgs='["Fraktion Bündnis 90/Die Grünen"]'),
        row("a#1", [0.9, 0.1, 0]),
        row(
            "b#0",
            [0.8, 0.6, 0],
            access="fraktion-x",
            day=(date(2025, 5, 1) - date(1970, 1, 1)).days,
        ),
        row("c#0", [0, 1, 0], collection="policies"),
        row("d#0", [0.95, 0.05, 0], access=""),  # no groups: visible to nobody
    ]
)
QUERY = np.asarray([1, 0, 0], dtype=np.float32)


def allowed(**kw: object) -> list[str]:
    q = SearchQuery(text="x", **kw)  # type: ignore[arg-type]
    return sorted(MATRIX.ids[i] for i in MATRIX.allowed(q))


def test_rows_are_trimmed_and_filtered_before_ranking() -> None:
    assert allowed() == ["a#0", "a#1", "c#0"]
    assert allowed(access=frozenset({"fraktion-x"})) == ["a#0", "a#1", "b#0", "c#0"]
    assert allowed(collection="policies") == ["c#0"]
    assert allowed(doc_id="a") == ["a#0", "a#1"]
    assert allowed(paper_type="Antrag") == ["a#0"]
    assert allowed(organization="Grüne") == ["a#0"]
    assert allowed(access=frozenset({"fraktion-x"}), date_from=date(2025, 1, 1)) == ["b#0"]
    nearest = MATRIX.nearest(QUERY, SearchQuery(text="x"), depth=2)
    assert [c.chunk_id for c in nearest.candidates] == ["a#0", "a#1"]  # d#0 is never ranked
    assert nearest.similarity("d#0") is None and nearest.similarity("b#0") is None


def test_fusion_weighs_both_legs_and_never_answers_from_vectors_alone() -> None:
    nearest = MATRIX.nearest(QUERY, SearchQuery(text="x"), depth=3)
    assert fuse([], nearest, Fusion()) == []
    # c#0 is the best keyword hit but the farthest vector; a#1 no keyword hit but near.
    fused = fuse([("c#0", "c", 10.0), ("a#0", "a", 5.0)], nearest, Fusion(keyword_weight=0.3))
    assert [f.chunk_id for f in fused] == ["a#0", "a#1", "c#0"]
    assert [f.keyword for f in fused] == [True, False, True]
    keywords = fuse([("c#0", "c", 10.0), ("a#0", "a", 5.0)], nearest, Fusion(keyword_weight=1.0))
    assert keywords[0].chunk_id == "c#0"


def test_a_passage_without_a_vector_stands_in_with_its_document() -> None:
    nearest = MATRIX.nearest(QUERY, SearchQuery(text="x"), depth=3)
    fused = fuse([("a#7", "a", 1.0), ("c#0", "c", 1.0)], nearest, Fusion())
    assert fused[0].chunk_id == "a#7"  # a's best passage is the nearest one


def test_policies_are_embedded_fully_council_files_by_their_first_passages() -> None:
    policy = corpus.POLICY[0]
    paper = corpus.RAD_ANTRAG[0]
    overview = replace(paper, id=f"{paper.doc_id}#0", file_id=None)
    files = [
        replace(paper, id=f"{paper.doc_id}#{n}", file_id="f1" if n <= 5 else "f2")
        for n in range(1, 8)
    ]
    policies = [replace(policy, id=f"{policy.doc_id}#{n}") for n in range(8)]
    chosen = chosen_for_embedding([*policies, overview, *reversed(files)])
    assert {c.id for c in policies} <= chosen
    first = [*range(1, 1 + COUNCIL_PASSAGES_PER_FILE), *range(6, 6 + COUNCIL_PASSAGES_PER_FILE)]
    expected = {overview.id} | {f"{paper.doc_id}#{n}" for n in first}
    assert chosen - {c.id for c in policies} == expected


def test_a_document_still_waiting_for_vectors_keeps_its_keyword_rank() -> None:
    nearest = MATRIX.nearest(QUERY, SearchQuery(text="x"), depth=3)
    fused = fuse([("z#0", "z", 10.0), ("a#0", "a", 5.0)], nearest, Fusion())
    assert [f.chunk_id for f in fused][:2] == ["z#0", "a#0"]
    assert fused[0].score == 1.0
