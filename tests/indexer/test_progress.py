"""Progress bars only on a terminal, never with --json or in CI."""

from __future__ import annotations

import io
import sys

import pytest

from indexer.progress import Progress, vector_line, wants_progress


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


def test_without_a_terminal_the_embedding_step_prints_a_line_now_and_then(
    capsys: pytest.CaptureFixture[str],
) -> None:
    bar = Progress(enabled=False, lines=True)
    bar.vectors(0, 15_938)  # the step begins
    bar.vectors(32, 15_938)  # within 30 s of the last line: nothing
    bar.close()
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "keyword index written; vectors: 15,938 passages to embed\n"
    assert vector_line(960, 15_938, 480.0) == (
        "vectors: 960 of 15,938 passages (6 %), 2.0/s, about 125 min left"
    )
