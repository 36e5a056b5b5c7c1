"""Progress bars only on a terminal, never with --json or in CI."""

from __future__ import annotations

import io
import sys

import pytest

from indexer.progress import Progress, wants_progress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert not wants_progress(json_output=False)
    monkeypatch.setattr(sys, "stderr", _Tty())
    assert wants_progress(json_output=False)
    assert not wants_progress(json_output=True)
    monkeypatch.setenv("CI", "true")
    assert not wants_progress(json_output=False)


def test_disabled_progress_writes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    bar = Progress(enabled=False)
    bar.add_total(10)
    bar.items(3)
    bar.file(1000)
    bar.close()
    assert capsys.readouterr() == ("", "")
