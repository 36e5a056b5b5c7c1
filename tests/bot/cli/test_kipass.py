"""`kiw kipass status/check` and the CLI gate helper, run in-process through `kiw`'s main()."""

from __future__ import annotations

import asyncio
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.cli.gate import EXIT_KIPASS_REFUSED, add_user_option, print_refusal
from bot.pipeline import Admission, Invocation, Pipeline
from graph.local import LocalDirectory, parse_directory
from skills.context import SkillConfig, SkillContext
from skills.registry import all_skills
from tests.graph.graph_server import (
    CLIENT_ID,
    CLIENT_SECRET,
    TENANT,
    GraphServer,
    GraphUser,
)

KIPASS_GROUP = "9a8b7c6d-0000-4000-8000-00000000c1a5"
DIRECTORY = """
tenant: t-1
users:
  - {id: valid-1, name: Anna, upn: anna@luebeck.de, groups: [fraktion-cdu], kipass_valid_until: 2099-06-30}
  - id: open-1
    name: Clara
    upn: clara@luebeck.de
    kipass_steps: {schulung: true, dienstvereinbarung: false, leitlinien: false, checkliste: false}
  - {id: expired-1, name: Bernd, kipass_valid_until: 2020-01-31}
"""


@pytest.fixture
def local_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "directory.yaml"
    path.write_text(DIRECTORY, encoding="utf-8")
    monkeypatch.setenv("KIW_DIRECTORY", str(path))
    monkeypatch.setenv("KIW_DIRECTORY_BACKEND", "local")
    monkeypatch.setenv("KIW_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("MicrosoftAppId", raising=False)
    return path


def kiw(*argv: str) -> int:
    return main(["--env-file", "/nonexistent/.env", *argv])


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    code = kiw(*argv)
    return code, json.loads(capsys.readouterr().out)


def test_status_valid_user(local_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = run_json(capsys, "kipass", "status", "ANNA@luebeck.de", "--json")
    assert code == 0
    assert report["found"] and report["id"] == "valid-1"
    assert report["kipass"]["state"] == "valid"
    assert report["access_groups"] == ["fraktion-cdu", "public"]
    assert report["ai_features"] == "allowed"
    assert report["skills"]["policy_qa"] == {
        "requires_kipass": True,
        "allowed": True,
        "reason": "ok",
    }
    assert any("valid until 2099-06-30" in line for line in report["why"])


def test_status_user_without_kipass_explains_why(
    local_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = run_json(capsys, "kipass", "status", "open-1", "--json")
    assert code == 0
    assert report["kipass"]["state"] == "none"
    assert report["kipass"]["open_steps"] == ["dienstvereinbarung", "leitlinien", "checkliste"]
    assert report["skills"]["summarise"]["allowed"] is False
    assert report["skills"]["summarise"]["reason"] == "kipass_required"
    assert report["skills"]["help"]["allowed"] is True
    # A council search is no AI feature; its generated answers are (docs/identity.md).
    assert report["skills"]["allris_search"] == {
        "requires_kipass": False,
        "allowed": True,
        "reason": "not_required",
        "answers_allowed": False,
        "answers_reason": "kipass_required",
    }
    assert "no KI-Pass: AI features refused" in report["why"]


def test_status_expired_text_output(local_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert kiw("kipass", "status", "expired-1") == 0
    out = capsys.readouterr().out
    assert "KI-Pass:       expired" in out
    assert "KI-Pass expired on 2020-01-31" in out
    assert "REFUSED" in out


def test_status_unknown_user(local_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = run_json(capsys, "kipass", "status", "ghost@luebeck.de", "--json")
    assert code == 1
    assert report["found"] is False and report["error"] == "unknown_user"


def test_check_local_counts(local_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = run_json(capsys, "kipass", "check", "--json")
    assert code == 0
    assert (
        report["users"],
        report["kipass_valid"],
        report["kipass_expired"],
        report["kipass_none"],
    ) == (
        3,
        1,
        1,
        1,
    )


def test_malformed_file_is_named_with_line(
    local_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    local_env.write_text("users:\n  - id: a\n    name: A\n    kipass_valid_until: bald\n")
    code, report = run_json(capsys, "kipass", "check", "--json")
    assert code == 1 and report["ok"] is False
    assert f"{local_env}:4:" in report["steps"][0]["detail"]
    assert kiw("kipass", "status", "a") == 2
    assert f"{local_env}:4: 'kipass_valid_until' must be a date" in capsys.readouterr().err


# ---------------------------------------------------------------- Graph check


@pytest.fixture
def graph_server(tmp_path: Path) -> Iterator[GraphServer]:
    """The loopback Graph in a thread of its own: `kiw` runs its own event loop."""
    loop = asyncio.new_event_loop()
    server = GraphServer(tmp_path)
    server.add_user(GraphUser("aaaaaaaa-1111-4111-8111-000000000001", "Anna", "anna@luebeck.de"))
    server.extra_groups[KIPASS_GROUP] = "KI-Pass"
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
    yield server
    asyncio.run_coroutine_threadsafe(server.close(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


@pytest.fixture
def graph_env(
    graph_server: GraphServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> GraphServer:
    # Trust the loopback certificate the way an admin trusts a corporate CA.
    monkeypatch.setenv("SSL_CERT_FILE", str(graph_server.ca_file))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(graph_server.ca_file))
    for name, value in {
        "KIW_DIRECTORY_BACKEND": "graph",
        "KIW_GRAPH_TENANT_ID": TENANT,
        "KIW_GRAPH_CLIENT_ID": CLIENT_ID,
        "KIW_GRAPH_CLIENT_SECRET": CLIENT_SECRET,
        "KIW_KIPASS_GROUP_ID": KIPASS_GROUP,
        "KIW_GRAPH_BASE_URL": graph_server.graph_base_url,
        "KIW_GRAPH_AUTHORITY_HOST": graph_server.base,
        "KIW_DATA_DIR": str(tmp_path / "data"),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("MicrosoftAppId", raising=False)
    return graph_server


def test_check_graph_passes(graph_env: GraphServer, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = run_json(capsys, "kipass", "check", "--json")
    assert code == 0, report
    assert [s["name"] for s in report["steps"]] == [
        "token",
        "users",
        "transitiveMemberOf",
        "configured groups",
    ]
    assert graph_env.token_requests == 1


def test_check_graph_explains_missing_consent(
    graph_env: GraphServer, capsys: pytest.CaptureFixture[str]
) -> None:
    graph_env.deny_permission = "users"
    assert kiw("kipass", "check") == 1
    out = capsys.readouterr().out
    assert "[FAIL] users" in out
    assert "User.Read.All" in out and "Grant admin consent" in out
    assert "The directory is NOT usable" in out


def test_check_graph_catches_unknown_kipass_group(
    graph_env: GraphServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIW_KIPASS_GROUP_ID", "9a8b7c6d-0000-4000-8000-0000000000ff")
    assert kiw("kipass", "check") == 1
    out = capsys.readouterr().out
    assert "[FAIL] configured groups" in out and "does not exist in the tenant" in out


def test_check_graph_explains_wrong_secret(
    graph_env: GraphServer, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KIW_GRAPH_CLIENT_SECRET", "wrong")
    code, report = run_json(capsys, "kipass", "check", "--json")
    assert code == 1
    assert report["steps"] == [
        {
            "name": "token",
            "ok": False,
            "detail": "token request refused: the client secret is wrong "
            "(KIW_GRAPH_CLIENT_SECRET) (AADSTS7000215)",
        }
    ]


def test_status_through_graph(graph_env: GraphServer, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = run_json(capsys, "kipass", "status", "anna@luebeck.de", "--json")
    assert code == 0
    assert report["backend"] == "graph" and report["kipass"]["state"] == "none"
    assert any("not a member of the KI-Pass group" in line for line in report["why"])


def test_status_through_graph_names_groups(
    graph_env: GraphServer, capsys: pytest.CaptureFixture[str]
) -> None:
    graph_env.users["aaaaaaaa-1111-4111-8111-000000000001"].groups.append((KIPASS_GROUP, "KI-Pass"))
    assert kiw("kipass", "status", "aaaaaaaa-1111-4111-8111-000000000001") == 0
    out = capsys.readouterr().out
    assert f"  - KI-Pass ({KIPASS_GROUP})" in out
    assert "KI-Pass:       valid" in out
    assert f"member of the KI-Pass group {KIPASS_GROUP}" in out


# ---------------------------------------------------------------- the gate helper


def ctx() -> SkillContext:
    directory = LocalDirectory(parse_directory(DIRECTORY, Path("d.yaml")))
    return SkillContext(
        index=None,  # type: ignore[arg-type]
        generator=None,  # type: ignore[arg-type]
        directory=directory,
        config=SkillConfig(),
    )


async def admit(user: str | None, c: SkillContext) -> tuple[Pipeline, Invocation, Admission]:
    """The CLI's gate: `user` asking an AI skill (policy_qa) through the turn pipeline."""
    pipeline = Pipeline(c, None, all_skills, deadline_seconds=5)
    invocation = Invocation("Was gilt?", user, "cli", skill="policy_qa", operator=user is None)
    return pipeline, invocation, await pipeline.admit(invocation, pipeline.route(invocation))


async def refuse(user: str, c: SkillContext, *, as_json: bool, out: Any, err: Any = None) -> int:
    pipeline, invocation, admission = await admit(user, c)
    assert not admission.allowed
    outcome = pipeline.refusal(invocation, admission)
    return print_refusal(outcome, as_json=as_json, out=out, err=err)


@pytest.mark.parametrize(
    ("user", "error"),
    [
        ("open-1", "kipass_required"),
        ("expired-1", "kipass_required"),
        ("ghost", "unknown_user"),
    ],
)
async def test_gate_helper_refuses_with_json_and_exit_3(user: str, error: str) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = await refuse(user, ctx(), as_json=True, out=out, err=err)
    assert code == EXIT_KIPASS_REFUSED == 3
    payload = json.loads(out.getvalue())
    assert payload["error"] == error
    assert "KI-Pass" in payload["message"] or "Verzeichnis" in payload["message"]
    assert err.getvalue() == ""


async def test_gate_helper_text_goes_to_stderr() -> None:
    out, err = io.StringIO(), io.StringIO()
    code = await refuse("open-1", ctx(), as_json=False, out=out, err=err)
    assert code == 3 and out.getvalue() == ""
    assert "brauchen Sie einen gültigen KI-Pass" in err.getvalue()


async def test_gate_helper_check_failed() -> None:
    class Down:
        async def lookup(self, user_id: str) -> Any:
            from graph.principal import DirectoryUnavailable

            raise DirectoryUnavailable("down")

        async def ping(self) -> None: ...

        async def close(self) -> None: ...

    c = ctx()
    c.directory = Down()
    out = io.StringIO()
    code = await refuse("valid-1", c, as_json=True, out=out)
    assert code == 3
    assert json.loads(out.getvalue()) == {
        "error": "kipass_check_failed",
        "message": "KI-Pass konnte nicht geprüft werden, bitte versuchen Sie es später erneut.",
    }


async def test_gate_helper_allows_valid_user_and_local_operator() -> None:
    _, _, valid = await admit("anna@luebeck.de", ctx())
    assert valid.allowed
    assert valid.request.user is not None and valid.request.user.access_groups == {
        "public",
        "fraktion-cdu",
    }
    _, _, operator = await admit(None, ctx())
    assert operator.allowed and operator.request.user is None


def test_add_user_option() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    add_user_option(parser)
    assert parser.parse_args(["--user", "x@y"]).user == "x@y"
    assert parser.parse_args([]).user is None
