"""The directory fails closed, cache included: a warm cache never outlives a broken directory.

Driven through the real pieces the bot builds (bot/services.py): the local YAML file or the
loopback Graph server, CachedDirectory with its production TTL, and the gate.
"""

from __future__ import annotations

import os
from pathlib import Path

from graph.cache import CachedDirectory
from graph.local import LocalDirectory
from graph.msgraph import GraphDirectory
from skills.context import Skill, SkillConfig, SkillContext
from skills.gate import gate
from skills.results import Notice
from skills.types import SkillRequest, SkillResult
from tests.graph.graph_server import CLIENT_ID, CLIENT_SECRET, TENANT, GraphServer, GraphUser

GOOD = """\
users:
  - {id: u-gruene, name: Grete Grün, groups: [fraktion-gruene], kipass_valid_until: 2099-12-31}
"""


async def _run(request: SkillRequest, ctx: SkillContext) -> SkillResult:
    return SkillResult(Notice("ok"))


AI = Skill("ai", ("ai",), "KI", "KI-Funktion", True, _run)
PUBLIC_ONLY = Skill("plain", ("plain",), "Ohne KI", "ohne KI-Pass", False, _run)


def _context(directory: CachedDirectory) -> SkillContext:
    return SkillContext(
        index=None,  # type: ignore[arg-type]
        generator=None,  # type: ignore[arg-type]
        directory=directory,
        config=SkillConfig(),
    )


async def _faction_access(ctx: SkillContext, user: str) -> bool:
    """What a search would be filtered by: does the user's principal carry the faction group?"""
    decision = await gate(PUBLIC_ONLY, user, ctx)
    return decision.principal is not None and "fraktion-gruene" in decision.principal.access_groups


def _save(path: Path, text: str, mtime: int) -> None:
    path.write_text(text, encoding="utf-8")
    os.utime(path, (mtime, mtime))


async def test_corrupted_file_closes_ai_and_faction_access_for_cached_users(
    tmp_path: Path,
) -> None:
    path = tmp_path / "directory.yaml"
    _save(path, GOOD, 1_900_000_000)
    ctx = _context(CachedDirectory(LocalDirectory.from_file(path), ttl_seconds=300))
    assert (await gate(AI, "u-gruene", ctx)).allowed
    assert await _faction_access(ctx, "u-gruene")  # the cache is warm now

    _save(path, GOOD.replace("name:", "nmae:"), 1_900_000_100)  # a broken edit
    decision = await gate(AI, "u-gruene", ctx)
    assert not decision.allowed and decision.reason == "kipass_check_failed"
    assert not await _faction_access(ctx, "u-gruene")

    _save(path, GOOD, 1_900_000_200)  # fixed: access comes back without a restart
    assert (await gate(AI, "u-gruene", ctx)).allowed
    assert await _faction_access(ctx, "u-gruene")


async def test_deleted_file_closes_access_for_cached_users(tmp_path: Path) -> None:
    path = tmp_path / "directory.yaml"
    _save(path, GOOD, 1_900_000_000)
    ctx = _context(CachedDirectory(LocalDirectory.from_file(path), ttl_seconds=300))
    assert (await gate(AI, "u-gruene", ctx)).allowed
    path.unlink()
    assert (await gate(AI, "u-gruene", ctx)).reason == "kipass_check_failed"
    assert not await _faction_access(ctx, "u-gruene")


async def test_edit_within_the_same_clock_tick_is_noticed(tmp_path: Path) -> None:
    """An editor or `cp -p` can leave the modification time as it was; size and inode change."""
    path = tmp_path / "directory.yaml"
    _save(path, GOOD, 1_900_000_000)
    ctx = _context(CachedDirectory(LocalDirectory.from_file(path), ttl_seconds=300))
    assert (await gate(AI, "u-gruene", ctx)).allowed
    _save(
        path,
        GOOD.replace("kipass_valid_until: 2099-12-31", "kipass_valid_until: null"),
        1_900_000_000,
    )
    assert (await gate(AI, "u-gruene", ctx)).reason == "kipass_required"


async def test_graph_error_closes_access_for_cached_users(tmp_path: Path) -> None:
    server = await GraphServer(tmp_path).start()
    server.add_user(
        GraphUser(
            "aaaaaaaa-1111-4111-8111-000000000001", "Eva", "eva@luebeck.de", [("c1a5", "KI-Pass")]
        )
    )
    server.add_user(GraphUser("aaaaaaaa-1111-4111-8111-000000000002", "Tom", "tom@luebeck.de", []))
    graph = GraphDirectory(
        tenant_id=TENANT,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        kipass_group_id="c1a5",
        graph_base_url=server.graph_base_url,
        authority_host=server.base,
        verify=str(server.ca_file),
    )
    ctx = _context(CachedDirectory(graph, ttl_seconds=300))
    eva, tom = "aaaaaaaa-1111-4111-8111-000000000001", "aaaaaaaa-1111-4111-8111-000000000002"
    try:
        assert (await gate(AI, eva, ctx)).allowed  # Eva's decision is cached
        server.fail_next = 2  # Graph fails both calls of the next lookup (HTTP 500)
        assert (await gate(AI, tom, ctx)).reason == "kipass_check_failed"
        server.fail_next = 2  # still down when Eva writes again
        assert (await gate(AI, eva, ctx)).reason == "kipass_check_failed"
        assert (await gate(AI, eva, ctx)).allowed  # Graph is back
        assert len(server.graph_calls(f"/users/{eva}?")) == 3
    finally:
        await ctx.directory.close()
        await server.close()
