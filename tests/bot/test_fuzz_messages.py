"""Fuzz POST /api/messages (issue 12): a few hundred seeded random activities against the real
app with auth ON. Never a 5xx, never a hang over the budget, never a reply to a request that is
not authenticated. bench/fuzz_messages.py runs the same fuzzer longer (figures: docs/faults.md).
"""

from __future__ import annotations

from pathlib import Path

from tests.support.fuzz import run_fuzz

CASES = 300
SEED = 20261206


async def test_random_activities_never_get_5xx_hang_or_an_unauthenticated_reply(
    tmp_path: Path,
) -> None:
    report = await run_fuzz(tmp_path, cases=CASES, seed=SEED)
    assert report.tried == CASES
    assert report.failures == {}, report.failures
    # The run exercised both sides of the edge, not only refusals.
    assert report.statuses[401] > CASES // 10 and report.statuses[200] > CASES // 10
    assert report.statuses[400] > 0
