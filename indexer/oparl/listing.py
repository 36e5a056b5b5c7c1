"""Evidence that an OParl list was read to its end.

A full run deletes whatever the server no longer lists, so "the list ended" must be a fact,
not a guess. One page that answers HTTP 200 with `{"data": [], "links": {}}` looks exactly
like a last page; what tells it apart is what the server said earlier in the same list
(`pagination.totalElements`, `currentPage`/`totalPages`). `ListTally` keeps that count across
pages (and across a resumed run, through the checkpoint) and refuses a page that contradicts
it. A refused page makes the list failed: the run is incomplete and deletes nothing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from indexer.oparl.client import OParlError, Page


class IncompleteList(OParlError):
    """A list page that cannot belong to a complete listing."""


@dataclass
class ListTally:
    listed: int = 0  # entries read so far in this list
    expected: int | None = None  # totalElements, as the list's first page announced it
    pages: int = 0

    @classmethod
    def from_state(cls, state: Any) -> ListTally:
        if not isinstance(state, dict):
            return cls()
        expected = state.get("expected")
        return cls(
            listed=int(state.get("listed") or 0),
            expected=expected if isinstance(expected, int) else None,
            pages=int(state.get("pages") or 0),
        )

    def state(self) -> dict[str, Any]:
        return asdict(self)

    def check(self, page: Page) -> None:
        """Count the page; raise `IncompleteList` if it contradicts what the list said so far.

        The first page's total is kept: a broken page later on may well claim zero."""
        first = self.pages == 0
        self.pages += 1
        if self.expected is None and first:
            self.expected = page.total
        if page.entries == 0:
            done = self.expected is not None and self.listed >= self.expected
            empty_list = first and page.next_url is None and not page.total
            if not (done or empty_list):
                of = self.expected if self.expected is not None else "an unknown number of"
                raise IncompleteList(
                    f"{page.url}: empty page in the middle of the list "
                    f"(read {self.listed} of {of} entries)"
                )
        self.listed += page.entries
        if page.next_url is not None:
            return
        if (
            page.current_page is not None
            and page.total_pages is not None
            and page.current_page < page.total_pages
        ):
            raise IncompleteList(
                f"{page.url}: page {page.current_page} of {page.total_pages} has no link "
                "to the next page"
            )
        if self.expected is not None and self.listed < self.expected:
            raise IncompleteList(
                f"{page.url}: the list ended after {self.listed} of the {self.expected} "
                "entries the server announced"
            )
