from __future__ import annotations

import pytest

from bot.settings import AppType
from bot.settings_problems import SettingsError, load_settings


def test_defaults_are_local_mode_on_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MicrosoftAppId", raising=False)
    s = load_settings(env_file=None)
    assert s.local_mode and s.host_is_loopback and s.port == 3978


def test_every_problem_is_named_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIW_PORT", "not-a-port")
    monkeypatch.setenv("KIW_HOST", "0.0.0.0")
    monkeypatch.setenv("KIW_STATE_BACKEND", "redis")
    monkeypatch.setenv("KIW_GENERATOR", "openai")
    with pytest.raises(SettingsError) as err:
        load_settings(env_file=None)
    text = str(err.value)
    for name in ("KIW_PORT", "KIW_HOST", "KIW_REDIS_URL", "KIW_OPENAI_MODEL"):
        assert name in text


def test_bot_framework_names_as_in_azure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MicrosoftAppId", "00000000-0000-0000-0000-000000000001")
    monkeypatch.setenv("MicrosoftAppType", "SingleTenant")
    with pytest.raises(SettingsError) as err:
        load_settings(env_file=None)
    assert "MicrosoftAppPassword" in str(err.value)
    assert "MicrosoftAppTenantId" in str(err.value)
    assert "KIW_AUDIT_KEY" in str(err.value)
    monkeypatch.setenv("MicrosoftAppPassword", "secret")
    monkeypatch.setenv("MicrosoftAppTenantId", "tenant")
    monkeypatch.setenv("KIW_AUDIT_KEY", "k")
    s = load_settings(env_file=None)
    assert s.microsoft_app_type is AppType.single_tenant and not s.local_mode
    assert "secret" not in repr(s)


def test_unknown_enum_value_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIW_INDEX_BACKEND", "elasticsearch")
    with pytest.raises(SettingsError) as err:
        load_settings(env_file=None)
    assert "KIW_INDEX_BACKEND" in str(err.value) and "embedded" in str(err.value)


def test_openai_embeddings_name_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIW_EMBEDDINGS", "openai")
    monkeypatch.setenv("KIW_OPENAI_AZURE_ENDPOINT", "https://city.openai.azure.com")
    with pytest.raises(SettingsError) as err:
        load_settings(env_file=None)
    text = str(err.value)
    for name in (
        "KIW_OPENAI_EMBEDDING_MODEL",
        "KIW_OPENAI_EMBEDDING_DIMENSIONS",
        "KIW_OPENAI_API_VERSION",
    ):
        assert name in text
    monkeypatch.setenv("KIW_OPENAI_EMBEDDING_MODEL", "text-embedding-3-small")
    monkeypatch.setenv("KIW_OPENAI_EMBEDDING_DIMENSIONS", "1536")
    monkeypatch.setenv("KIW_OPENAI_API_VERSION", "2024-10-21")
    assert load_settings(env_file=None).openai_embedding_dimensions == 1536


def test_openai_embeddings_need_an_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIW_EMBEDDINGS", "openai")
    monkeypatch.setenv("KIW_OPENAI_EMBEDDING_MODEL", "e5-passage")
    monkeypatch.setenv("KIW_OPENAI_EMBEDDING_DIMENSIONS", "384")
    monkeypatch.delenv("KIW_OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("KIW_OPENAI_AZURE_ENDPOINT", raising=False)
    with pytest.raises(SettingsError, match="KIW_OPENAI_EMBEDDING_BASE_URL"):
        load_settings(env_file=None)
    monkeypatch.setenv("KIW_OPENAI_EMBEDDING_BASE_URL", "http://10.0.0.5:8000/v1")
    assert load_settings(env_file=None).embeddings == "openai"


def test_build_encoder_follows_kiw_embeddings(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.services import build_encoder
    from indexer.encoder_openai import OpenAIEmbeddingEncoder
    from indexer.encoders import E5Encoder

    assert isinstance(build_encoder(load_settings(env_file=None)), E5Encoder)
    monkeypatch.setenv("KIW_EMBEDDINGS", "off")
    assert build_encoder(load_settings(env_file=None)) is None
    monkeypatch.setenv("KIW_EMBEDDINGS", "openai")
    monkeypatch.setenv("KIW_OPENAI_EMBEDDING_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("KIW_OPENAI_EMBEDDING_MODEL", "e5-passage")
    monkeypatch.setenv("KIW_OPENAI_EMBEDDING_QUERY_MODEL", "e5-query")
    monkeypatch.setenv("KIW_OPENAI_EMBEDDING_DIMENSIONS", "384")
    encoder = build_encoder(load_settings(env_file=None))
    assert isinstance(encoder, OpenAIEmbeddingEncoder)
    # Not on-premise (the default): personal data is masked, and the vectors named so.
    assert encoder.dim == 384 and encoder.name == "openai:e5-passage|e5-query/384+masked"
    encoder.close()
    monkeypatch.setenv("KIW_OPENAI_EMBEDDING_ON_PREMISE", "true")
    encoder = build_encoder(load_settings(env_file=None))
    assert isinstance(encoder, OpenAIEmbeddingEncoder)
    assert encoder.name == "openai:e5-passage|e5-query/384"
    encoder.close()
