from __future__ import annotations

import pytest

from bot.settings import AppType, SettingsError, load_settings


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
