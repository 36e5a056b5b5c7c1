"""A far guard for code that must stay linear on hostile text, instead of timing it.

The tests that compared 2 KB with 20 KB (a ratio of CPU times) were timed assertions on a
shared machine whose load reaches 12. CPython's `re` has no step counter, so nothing
deterministic counts a pattern's backtracking; instead the work runs on 200 KB of the
pathological text in a forked child, which must end within `GUARD_SECONDS`. The quadratic
patterns found so far took 0.6-42 s on 20 KB, so at least a minute on 200 KB (100 x), and load
only slows them further; the linear ones take well under a second there, so the guard has a
wide margin both ways. What it no longer catches is a quadratic pattern that is cheap on
20 KB; `bench/hostile_text.py` prints the growth per 10 x text for such a look.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable

SIZE = 200_000  # characters of pathological text
GUARD_SECONDS = 30.0


def hostile(fragment: str, size: int = SIZE) -> str:
    """`fragment` repeated to `size` characters: a word the patterns look for, without what
    would complete it."""
    return fragment * (size // len(fragment))


def ends_in_time(work: Callable[[], object], guard_seconds: float = GUARD_SECONDS) -> str:
    """'' when `work` ran to its end within the guard in a child process, else what happened.
    A child, because a regular expression cannot be interrupted inside the interpreter."""
    child = multiprocessing.get_context("fork").Process(target=work, daemon=True)
    child.start()
    child.join(guard_seconds)
    if child.is_alive():
        child.kill()
        child.join()
        return f"still running after {guard_seconds:g} s (quadratic or worse)"
    return "" if child.exitcode == 0 else f"failed (exit code {child.exitcode})"
