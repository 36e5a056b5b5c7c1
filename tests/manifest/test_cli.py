"""`kiw manifest build|validate` as an admin runs it: exit codes, plain problem lists, JSON."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from bot.cli import main
from tests.manifest.conftest import ALLRIS_HOST, APP_ID, BOT_DOMAIN, BOT_ID

MANIFEST_ENV = (
    "KIW_TEAMS_APP_ID",
    "MicrosoftAppId",
    "MICROSOFT_APP_ID",
    "KIW_BOT_DOMAIN",
    "KIW_ALLRIS_HOST",
)


@pytest.fixture
def env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in MANIFEST_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env from the checkout
    path = tmp_path / "prod.env"
    path.write_text(
        f"KIW_TEAMS_APP_ID={APP_ID}\nMicrosoftAppId={BOT_ID}\n"
        f"KIW_BOT_DOMAIN={BOT_DOMAIN}\nKIW_ALLRIS_HOST={ALLRIS_HOST}\n"
        # A server-only setting the manifest does not need: must not stop the build.
        "KIW_STATE_BACKEND=redis\n"
    )
    return path


def test_build_then_validate(
    tmp_path: Path, env_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ["--data-dir", str(tmp_path / "data")]
    out = tmp_path / "pkg.zip"
    assert main(["manifest", "build", "--env", str(env_file), "--out", str(out), *data]) == 0
    assert f"Wrote {out} (version 1.0.0" in capsys.readouterr().out
    with zipfile.ZipFile(out) as archive:
        assert json.loads(archive.read("manifest.json"))["bots"][0]["botId"] == BOT_ID

    assert main(["manifest", "validate", str(out), "--env", str(env_file), *data]) == 0
    assert "no problems found" in capsys.readouterr().out

    bump = ["--bump", "patch", "--json"]
    code = main(["manifest", "build", "--env", str(env_file), "--out", str(out), *bump, *data])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report == {
        "ok": True,
        "problems": [],
        "version": "1.0.1",
        "path": str(out),
    }


def test_build_without_settings_names_each_missing_value(
    tmp_path: Path, env_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.env"
    empty.write_text("")
    code = main(["manifest", "build", "--env", str(empty), "--out", str(tmp_path / "x.zip")])
    err = capsys.readouterr().err
    assert code == 1
    for name in ("KIW_TEAMS_APP_ID", "MicrosoftAppId", "KIW_BOT_DOMAIN", "KIW_ALLRIS_HOST"):
        assert f"{name} is not set" in err
    assert not (tmp_path / "x.zip").exists()


def test_validate_reports_problems_and_bad_paths(
    tmp_path: Path, env_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "manifest.json").write_text('{"manifestVersion": "1.29", "version": "1.0"}')
    assert main(["manifest", "validate", str(broken), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    assert "manifest.json: (top level): 'id' is required but missing" in report["problems"]
    assert any(
        "version '1.0' is not of the form MAJOR.MINOR.PATCH" in p for p in report["problems"]
    )

    assert main(["manifest", "validate", str(tmp_path / "nothing.zip")]) == 1
    assert "nothing.zip does not exist" in capsys.readouterr().err
    assert main(["manifest", "build", "--env", str(tmp_path / "nope.env")]) == 2
    assert "--env" in capsys.readouterr().err
