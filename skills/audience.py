"""Who reads what the bot posts: the audience of a shared conversation, as plain data.

In a 1:1 chat the reader is the asker. In a group chat or channel everyone there reads the reply,
so a document may appear only if *every* member may read it: the intersection of the members'
access groups. The bot works out the members (bot/teams/audience.py, Bot Connector roster + directory);
this module holds what needs no SDK: the intersection, the fail-closed fallback, and a view of
the search index that notices when the asker alone would have seen more (the withheld notice).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from graph.principal import Directory, DirectoryError, DirectoryUnavailable, Principal
from indexer.model import PUBLIC, Chunk, SearchIndex, SearchQuery, SearchResults

PUBLIC_ONLY = frozenset({PUBLIC})

# Why a shared conversation gets public documents only (audit reason and trace value).
Fallback = Literal[
    "unknown_member",  # the directory does not know a member (guest, external, deleted account)
    "roster_unreadable",  # the Bot Connector did not answer the roster call (or not in time)
    "directory_unavailable",  # the directory failed while looking members up
    "roster_too_large",  # more members than the bot looks up (MAX_ROSTER in bot/teams/audience.py)
    "channel_roster",  # a private or shared channel: its roster is not the team's
    "no_roster",  # the conversation cannot have a roster (Outlook, unknown scope)
]

WITHHELD_NOTICE = (
    "Einige Treffer sind nur für einen Teil dieser Unterhaltung sichtbar. "
    "Fragen Sie mich im persönlichen Chat."
)
PERSONAL_CHAT_ACTION = "Im persönlichen Chat fragen"


@dataclass(frozen=True)
class Audience:
    """The readers of a shared conversation, reduced to what matters: the documents they may
    all read. Never holds member ids or names (it goes into traces and audit lines)."""

    access: frozenset[str]  # document access groups every member holds; always has PUBLIC
    roster_size: int  # members found (0 when the roster could not be read)
    fallback: Fallback | None = None  # set: public documents only, and why

    @classmethod
    def public_only(cls, fallback: Fallback, roster_size: int = 0) -> Audience:
        return cls(PUBLIC_ONLY, roster_size, fallback)


def shared_access(members: Sequence[Principal]) -> frozenset[str]:
    """The document groups every member may read (PUBLIC always; PUBLIC only for nobody)."""
    if not members:
        return PUBLIC_ONLY
    common = frozenset(members[0].access_groups)
    for member in members[1:]:
        common &= member.access_groups
    return common | PUBLIC_ONLY


def audience_of(members: Iterable[Principal]) -> Audience:
    people = list(members)
    return Audience(shared_access(people), len(people))


async def audience_from_directory(
    member_ids: Sequence[str], directory: Directory, *, concurrency: int = 16
) -> Audience:
    """Look every member up and intersect; fail closed on an empty id, an unknown member or a
    directory failure (the Teams roster and `kiw … --audience` both come through here)."""
    count = len(member_ids)
    if not member_ids:
        return Audience.public_only("no_roster")
    if any(not member_id.strip() for member_id in member_ids):
        return Audience.public_only("unknown_member", count)  # a guest without an Entra id
    pending = iter(member_ids)
    members: list[Principal] = []

    async def worker() -> None:
        # A few workers pulling from one iterator: bounded parallelism without a task (and a
        # semaphore waiter) per member of a 2,000-member roster.
        for member_id in pending:
            members.append(await directory.lookup(member_id))

    try:
        await asyncio.gather(*(worker() for _ in range(min(concurrency, count))))
    except DirectoryUnavailable:
        return Audience.public_only("directory_unavailable", count)
    except DirectoryError:  # UnknownUser: the directory does not know a member
        return Audience.public_only("unknown_member", count)
    return audience_of(members)


class WithheldWatch:
    """The search index as the audience sees it, noting whether the asker would see more.

    Skills call it with the audience's groups (SkillRequest.access). When the asker holds groups
    the audience lacks, each lookup is repeated with the asker's groups and the two answers are
    compared: a document only the asker's lookup finds means something was withheld. Only that
    fact leaves this object, never which documents or how many; the skill gets the audience's
    answer either way.
    """

    def __init__(self, inner: SearchIndex, asker_access: frozenset[str]) -> None:
        self.inner = inner
        self.asker_access = asker_access | PUBLIC_ONLY
        self.withheld = False

    def _asker_sees_more(self, access: frozenset[str]) -> bool:
        return not self.withheld and not self.asker_access <= access

    async def search(self, query: SearchQuery) -> SearchResults:
        results = await self.inner.search(query)
        if self._asker_sees_more(query.access):
            wider = await self.inner.search(replace(query, access=self.asker_access))
            shown = {hit.chunk.doc_id for hit in results.hits}
            more = any(hit.chunk.doc_id not in shown for hit in wider.hits)
            self.withheld = more or wider.total > results.total
        return results

    async def corrected(self, text: str, collection: str | None, access: frozenset[str]) -> str:
        # The audience's groups as the skill passes them, never the asker's: a correction
        # shows a word, and the word must be one every member may read.
        return await self.inner.corrected(text, collection, access)

    async def document_chunks(self, doc_id: str, access: frozenset[str]) -> list[Chunk]:
        chunks = await self.inner.document_chunks(doc_id, access)
        if not chunks and doc_id and self._asker_sees_more(access):
            self.withheld = bool(await self.inner.document_chunks(doc_id, self.asker_access))
        return chunks

    async def find_reference(self, reference: str, access: frozenset[str]) -> str | None:
        found = await self.inner.find_reference(reference, access)
        if found is None and self._asker_sees_more(access):
            self.withheld = (
                await self.inner.find_reference(reference, self.asker_access) is not None
            )
        return found

    # The rest is the inner index unchanged (skills do not write; the protocol asks for it).
    async def upsert(self, chunks: Sequence[Chunk]) -> None:
        await self.inner.upsert(chunks)

    async def delete_documents(self, doc_ids: Sequence[str]) -> None:
        await self.inner.delete_documents(doc_ids)

    async def document_ids(self, collection: str | None = None) -> set[str]:
        return await self.inner.document_ids(collection)

    async def paper_types(self, collection: str | None, access: frozenset[str]) -> set[str]:
        return await self.inner.paper_types(collection, access)

    async def warm_up(self) -> None:
        await self.inner.warm_up()

    async def ping(self) -> None:
        await self.inner.ping()

    async def close(self) -> None:
        return None  # the inner index belongs to the app
