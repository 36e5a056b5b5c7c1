"""End to end: a KI-Pass revoked in Graph closes the gate within the cache TTL, not before."""

from __future__ import annotations

from pathlib import Path

from graph.cache import CachedDirectory
from graph.msgraph import GraphDirectory
from skills.context import Skill, SkillConfig, SkillContext
from skills.gate import gate
from skills.results import Notice
from skills.types import SkillRequest, SkillResult
from tests.graph.graph_server import CLIENT_ID, CLIENT_SECRET, TENANT, GraphServer, GraphUser

KIPASS_GROUP = "9a8b7c6d-0000-4000-8000-00000000c1a5"
USER = "aaaaaaaa-1111-4111-8111-000000000042"


async def _run(request: SkillRequest, ctx: SkillContext) -> SkillResult:
    return SkillResult(Notice("ok"))


AI = Skill("ai", ("ai",), "KI", "KI-Funktion", True, _run)


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_revoked_kipass_takes_effect_within_ttl(tmp_path: Path) -> None:
    server = await GraphServer(tmp_path).start()
    user = server.add_user(GraphUser(USER, "Eva", "eva@luebeck.de", [(KIPASS_GROUP, "KI-Pass")]))
    graph = GraphDirectory(
        tenant_id=TENANT,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        kipass_group_id=KIPASS_GROUP,
        graph_base_url=server.graph_base_url,
        authority_host=server.base,
        verify=str(server.ca_file),
    )
    clock = Clock()
    ctx = SkillContext(
        index=None,  # type: ignore[arg-type]
        generator=None,  # type: ignore[arg-type]
        directory=CachedDirectory(graph, ttl_seconds=300, clock=clock),
        config=SkillConfig(),
    )
    try:
        assert (await gate(AI, USER, ctx)).allowed
        user.groups.clear()  # an admin removes Eva from the KI-Pass group
        clock.now = 299.0
        assert (await gate(AI, USER, ctx)).allowed  # cached: Graph is not asked
        assert len(server.graph_calls(f"/users/{USER}?")) == 1
        clock.now = 301.0
        decision = await gate(AI, USER, ctx)
        assert not decision.allowed and decision.reason == "kipass_required"
        assert len(server.graph_calls(f"/users/{USER}?")) == 2
    finally:
        await ctx.directory.close()
        await server.close()
