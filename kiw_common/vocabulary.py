"""Access groups, collections and citations: the words the directory, the index and the skills share.

The directory (graph/) hands out access groups, the index (indexer/) stores them on every chunk
and filters on them, the skills pass them on; a citation is what an answer stands on. They live
here, not in one of those packages, so none of them imports another just for a constant.
"""

from __future__ import annotations

from dataclasses import dataclass

# The access group everybody holds: documents anyone may read. Every principal and every query
# carries it; a chunk without access groups is public.
PUBLIC = "public"

# The two collections of the index: council papers from ALLRIS, and the city's own rules.
COUNCIL = "council"
POLICIES = "policies"
COLLECTIONS = (COUNCIL, POLICIES)


@dataclass(frozen=True)
class Citation:
    n: int  # the number the answer cites, [1], [2], ...
    title: str
    url: str | None
    doc_id: str
    page: int | None
    quote: str  # the passage (or the sentence) the point stands on
    heading: str | None = None
    reference: str | None = None
