"""The audience rule without the SDK: intersection of members' groups, and the withheld check."""

from __future__ import annotations

from graph.principal import Principal
from indexer.model import COUNCIL, PUBLIC, Chunk, Hit, SearchQuery, SearchResults
from skills.audience import PUBLIC_ONLY, WithheldWatch, audience_of, shared_access
from skills.types import SkillRequest
from tests.bot.kit import FakeIndex


def person(pid: str, *groups: str) -> Principal:
    return Principal(id=pid, name="", access_groups=frozenset(groups))


def test_shared_access_is_what_every_member_holds() -> None:
    members = [
        person("a", "fraktion-gruene", "ausschuss-bau"),
        person("b", "fraktion-gruene"),
        person("c", "fraktion-gruene", "fraktion-cdu"),
    ]
    assert shared_access(members) == {PUBLIC, "fraktion-gruene"}
    assert shared_access([*members, person("d", "fraktion-cdu")]) == PUBLIC_ONLY
    assert shared_access([]) == PUBLIC_ONLY  # nobody known: public only, never "everything"
    audience = audience_of(members)
    assert (audience.roster_size, audience.fallback) == (3, None)


def test_request_access_is_the_asker_narrowed_to_the_audience() -> None:
    dirk = person("dirk", "fraktion-gruene", "ausschuss-bau")
    alone = SkillRequest(text="", user=dirk)
    assert alone.access == {PUBLIC, "fraktion-gruene", "ausschuss-bau"}
    shared = SkillRequest(text="", user=dirk, audience=frozenset({PUBLIC, "fraktion-gruene"}))
    assert shared.access == {PUBLIC, "fraktion-gruene"}
    assert shared.own_access == alone.access
    # An audience never widens what the asker may read.
    wider = SkillRequest(text="", user=dirk, audience=frozenset({PUBLIC, "fraktion-cdu"}))
    assert wider.access == PUBLIC_ONLY


class TwoDocIndex(FakeIndex):
    """One public and one faction paper; search and lookups honour the access groups."""

    def __init__(self) -> None:
        super().__init__()
        self.docs = {
            "pub": Chunk(id="pub#0", doc_id="pub", collection=COUNCIL, title="P", text="x"),
            "int": Chunk(
                id="int#0",
                doc_id="int",
                collection=COUNCIL,
                title="I",
                text="x",
                access=("fraktion-gruene",),
                reference="GR/1",
            ),
        }

    def _visible(self, access: frozenset[str]) -> list[Chunk]:
        return [c for c in self.docs.values() if set(c.access) & access]

    async def search(self, query: SearchQuery) -> SearchResults:
        hits = tuple(Hit(c, 1.0, "") for c in self._visible(query.access))
        return SearchResults(hits=hits, total=len(hits))

    async def document_chunks(self, doc_id: str, access: frozenset[str]) -> list[Chunk]:
        return [c for c in self._visible(access) if c.doc_id == doc_id]

    async def find_reference(self, reference: str, access: frozenset[str]) -> str | None:
        return next((c.doc_id for c in self._visible(access) if c.reference == reference), None)


async def test_withheld_only_when_the_asker_alone_finds_more() -> None:
    index = TwoDocIndex()
    asker = frozenset({PUBLIC, "fraktion-gruene"})
    watch = WithheldWatch(index, asker)
    results = await watch.search(SearchQuery(text="x", access=PUBLIC_ONLY))
    assert [h.chunk.doc_id for h in results.hits] == ["pub"]  # the audience's answer
    assert watch.withheld

    same = WithheldWatch(index, frozenset({PUBLIC, "fraktion-cdu"}))
    await same.search(SearchQuery(text="x", access=PUBLIC_ONLY))
    assert not same.withheld  # the CDU member reads nothing more here

    by_reference = WithheldWatch(index, asker)
    assert await by_reference.find_reference("GR/1", PUBLIC_ONLY) is None
    assert by_reference.withheld
    by_id = WithheldWatch(index, asker)
    assert await by_id.document_chunks("int", PUBLIC_ONLY) == []
    assert by_id.withheld
    missing = WithheldWatch(index, asker)
    assert await missing.find_reference("GR/404", PUBLIC_ONLY) is None
    assert not missing.withheld
