"""Progress of a running skill, for front ends that can show it (Teams streaming in 1:1 chats).

A skill says what it is doing (`inform`: "Ich durchsuche die Regelungen …") and, while a model
writes, the answer so far (`preview`: the whole text up to now, not a delta). Both are hints:
the final result replaces them, and a front end may drop or coalesce any of them. Without a
front end that listens (CLI, message extensions, tests) `NO_PROGRESS` swallows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from kiw_common.vocabulary import Citation


class Progress(Protocol):
    async def inform(self, text: str) -> None:
        """What the skill is doing now (one short German line)."""

    async def preview(self, text: str, citations: Sequence[Citation] = ()) -> None:
        """The answer so far (each call's text extends the previous one) and the citations of
        the [n] markers in it."""


class NoProgress:
    async def inform(self, text: str) -> None:
        return None

    async def preview(self, text: str, citations: Sequence[Citation] = ()) -> None:
        return None


NO_PROGRESS: Progress = NoProgress()
