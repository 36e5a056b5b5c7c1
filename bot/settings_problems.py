"""Every problem of a configuration at once, in plain words, before anything starts.

`load_settings` reads the environment (and an optional `.env` file) into `Settings`
(bot/settings.py); a malformed value is named and replaced by its default, so the cross-field
checks (`problems`: what a chosen backend or mode needs besides) still run and the admin sees
everything that is wrong in one go, as one `SettingsError`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import AliasChoices, ValidationError

from bot.settings import (
    AppType,
    DirectoryBackend,
    EmbeddingsBackend,
    GeneratorBackend,
    IndexBackend,
    Settings,
    StateBackend,
)


class SettingsError(Exception):
    """Raised with every problem found in the configuration, in plain words."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("Configuration problems:\n" + "\n".join(f"  - {p}" for p in problems))


def problems(settings: Settings) -> list[str]:
    """Cross-field checks; each problem in plain words."""
    out: list[str] = []
    if (
        settings.local_mode
        and not settings.host_is_loopback
        and not settings.insecure_local_mode_on_network
    ):
        out.append(
            f"KIW_HOST={settings.host} is not a loopback address, but MicrosoftAppId is empty "
            "(local mode, no token check). Set MicrosoftAppId, bind to 127.0.0.1, or set "
            "KIW_INSECURE_LOCAL_MODE_ON_NETWORK=true if you really mean it."
        )
    if not settings.local_mode:
        if (
            settings.microsoft_app_type != AppType.user_assigned_msi
            and not settings.microsoft_app_password
        ):
            out.append("MicrosoftAppPassword is missing (needed for SingleTenant and MultiTenant).")
        if (
            settings.microsoft_app_type != AppType.multi_tenant
            and not settings.microsoft_app_tenant_id
        ):
            out.append(
                "MicrosoftAppTenantId is missing (needed for SingleTenant and UserAssignedMSI)."
            )
        if not settings.audit_key:
            out.append(
                "KIW_AUDIT_KEY is missing (the secret that pseudonymises user ids in the audit log)."
            )
    if settings.state_backend == StateBackend.redis and not settings.redis_url:
        out.append("KIW_REDIS_URL is missing (KIW_STATE_BACKEND=redis).")
    if settings.index_backend == IndexBackend.azure and not settings.azure_search_endpoint:
        out.append("KIW_AZURE_SEARCH_ENDPOINT is missing (KIW_INDEX_BACKEND=azure).")
    if settings.generator_backend == GeneratorBackend.openai:
        if not (settings.openai_base_url or settings.openai_azure_endpoint):
            out.append(
                "KIW_OPENAI_BASE_URL or KIW_OPENAI_AZURE_ENDPOINT is missing (KIW_GENERATOR=openai)."
            )
        if not settings.openai_model:
            out.append("KIW_OPENAI_MODEL is missing (model or Azure deployment name).")
        if settings.openai_azure_endpoint and not settings.openai_api_version:
            out.append("KIW_OPENAI_API_VERSION is missing (needed for Azure OpenAI).")
    if settings.embeddings == EmbeddingsBackend.openai:
        out += _embedding_problems(settings)
    if settings.directory_backend == DirectoryBackend.graph:
        for name, value in (
            ("KIW_GRAPH_TENANT_ID", settings.graph_tenant_id),
            ("KIW_GRAPH_CLIENT_ID", settings.graph_client_id),
            ("KIW_KIPASS_GROUP_ID", settings.kipass_group_id),
        ):
            if not value:
                out.append(f"{name} is missing (KIW_DIRECTORY_BACKEND=graph).")
        if not settings.graph_client_secret and not settings.graph_client_certificate:
            out.append("KIW_GRAPH_CLIENT_SECRET or KIW_GRAPH_CLIENT_CERTIFICATE is missing.")
    for entry in settings.access_group_map:
        if "=" not in entry or not all(entry.split("=", 1)):
            out.append(f"KIW_ACCESS_GROUP_MAP entry '{entry}' is not 'groupId=accessGroup'.")
    return out


def _embedding_problems(settings: Settings) -> list[str]:
    out = []
    if not (
        settings.openai_embedding_base_url
        or settings.openai_base_url
        or settings.openai_azure_endpoint
    ):
        out.append(
            "KIW_OPENAI_EMBEDDING_BASE_URL, KIW_OPENAI_BASE_URL or KIW_OPENAI_AZURE_ENDPOINT "
            "is missing (KIW_EMBEDDINGS=openai)."
        )
    if not settings.openai_embedding_model:
        out.append(
            "KIW_OPENAI_EMBEDDING_MODEL is missing (embedding model or Azure deployment name, "
            "e.g. text-embedding-3-small)."
        )
    if not settings.openai_embedding_dimensions:
        out.append(
            "KIW_OPENAI_EMBEDDING_DIMENSIONS is missing (the vector size the index is built "
            "with, e.g. 1536 for text-embedding-3-small, 384 for e5-small)."
        )
    if (
        settings.openai_azure_endpoint
        and not settings.openai_embedding_base_url
        and not settings.openai_api_version
    ):
        out.append("KIW_OPENAI_API_VERSION is missing (needed for Azure OpenAI embeddings).")
    return out


def _plain(error: dict[str, Any]) -> str:
    loc = error.get("loc") or ("?",)
    name = str(loc[0])
    value = error.get("input")
    shown = "" if isinstance(value, dict) else f" (got {value!r})"
    return f"{name}: {error.get('msg', 'invalid value')}{shown}"


def _field_for(alias: str) -> str | None:
    for name, info in Settings.model_fields.items():
        choices = info.validation_alias
        names = choices.choices if isinstance(choices, AliasChoices) else [choices]
        if alias == name or alias in names:
            return name
    return None


def load_settings(env_file: str | Path | None = ".env", **overrides: Any) -> Settings:
    """Read settings; raise SettingsError listing *every* problem at once."""
    malformed: list[str] = []
    try:
        settings = Settings(_env_file=env_file, **overrides)  # type: ignore[call-arg]
    except ValidationError as exc:
        malformed = [_plain(dict(e)) for e in exc.errors()]
        # Fall back to defaults for the malformed fields so the cross-field checks still run
        # and the admin sees every problem in one go.
        by_alias = {_field_for(str(e["loc"][0])) for e in exc.errors() if e.get("loc")}
        defaults = {name: Settings.model_fields[name].default for name in by_alias if name}
        try:
            settings = Settings(_env_file=env_file, **{**overrides, **defaults})  # type: ignore[call-arg]
        except ValidationError:
            raise SettingsError(malformed) from None
    found = malformed + problems(settings)
    if found:
        raise SettingsError(found)
    return settings
