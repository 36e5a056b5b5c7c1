"""The Dockerfile, read as data (no container engine runs in CI), and its entry point and health
check run for real from the installed package."""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO

DOCKERFILE = REPO / "infra" / "Dockerfile"
SECRETISH = re.compile(
    r"PASSWORD|SECRET|TOKEN|API_?KEY|AUDIT_KEY|CONNECTION_STRING|REDIS_URL", re.I
)


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str


def parse(path: Path) -> list[list[Instruction]]:
    """Stages of instructions; comments dropped, backslash continuations joined."""
    stages: list[list[Instruction]] = []
    logical = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not logical and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            logical += line[:-1] + " "
            continue
        logical += line
        keyword, _, args = logical.partition(" ")
        logical = ""
        instruction = Instruction(keyword.upper(), args.strip())
        if instruction.keyword == "FROM":
            stages.append([])
        assert stages, "the Dockerfile must start with FROM"
        stages[-1].append(instruction)
    return stages


def exec_form(args: str) -> list[str]:
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), args
    return value


@pytest.fixture(scope="module")
def final_stage() -> list[Instruction]:
    return parse(DOCKERFILE)[-1]


def only(stage: list[Instruction], keyword: str) -> Instruction:
    found = [i for i in stage if i.keyword == keyword]
    assert len(found) == 1, f"expected one {keyword}, found {len(found)}"
    return found[0]


def test_runs_as_a_non_root_user_from_a_slim_base(final_stage: list[Instruction]) -> None:
    assert "-slim" in final_stage[0].args
    user = only(final_stage, "USER").args.split(":")[0]
    assert user not in ("root", "0", "")
    runs = " ".join(i.args for i in final_stage if i.keyword == "RUN")
    assert f"--uid {user}" in runs  # the user exists in the image


def test_no_secret_is_baked_in() -> None:
    for stage in parse(DOCKERFILE):
        for instruction in stage:
            if instruction.keyword in ("ENV", "ARG", "LABEL"):
                assert not SECRETISH.search(instruction.args), instruction
            if instruction.keyword in ("COPY", "ADD"):
                assert ".env" not in instruction.args, instruction
    ignore = (REPO / "infra" / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    assert "**" in ignore and "**/.env" in ignore  # deny by default, .env never in the context


def test_copied_sources_exist() -> None:
    for stage in parse(DOCKERFILE):
        for instruction in stage:
            if instruction.keyword == "COPY" and "--from=" not in instruction.args:
                *sources, _target = shlex.split(instruction.args)
                for source in sources:
                    assert (REPO / source).exists(), source


def test_entry_point_is_kiw_serve_on_all_interfaces(final_stage: list[Instruction]) -> None:
    command = exec_form(only(final_stage, "ENTRYPOINT").args) + exec_form(
        only(final_stage, "CMD").args
    )
    assert command == ["kiw", "serve", "--host", "0.0.0.0"]
    # The console script the image calls is the one the package installs.
    kiw = Path(sys.executable).parent / "kiw"
    result = subprocess.run(
        [str(kiw), *command[1:2], "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "--host" in result.stdout and "--port" in result.stdout


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def test_healthcheck_command_passes_against_the_running_entry_point(
    final_stage: list[Instruction], tmp_path: Path
) -> None:
    healthcheck = only(final_stage, "HEALTHCHECK").args
    assert "/healthz" in healthcheck
    check = exec_form(healthcheck[healthcheck.index("CMD") + 3 :].strip())
    assert check[0] == "python"
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("KIW_", "Microsoft"))},
        "KIW_DATA_DIR": str(tmp_path / "data"),
        "KIW_PORT": str(port),
    }
    kiw = Path(sys.executable).parent / "kiw"
    # Loopback here (local mode, no app id); the image binds 0.0.0.0 and needs MicrosoftAppId.
    server = subprocess.Popen(
        [str(kiw), "--env-file", str(tmp_path / "none.env"), "serve", "--host", "127.0.0.1"],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            probe = subprocess.run([sys.executable, *check[1:]], env=env, capture_output=True)
            if probe.returncode == 0:
                break
            if server.poll() is not None or time.monotonic() > deadline:
                err = server.stderr.read().decode() if server.stderr else ""
                pytest.fail(f"kiw serve did not become healthy on port {port}: {err[-2000:]}")
            time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=20)
        if server.stderr:
            server.stderr.close()
    # And the same check fails when nothing listens: it can tell healthy from not.
    dead = subprocess.run([sys.executable, *check[1:]], env=env, capture_output=True)
    assert dead.returncode != 0


def test_image_refuses_local_mode_on_all_interfaces(tmp_path: Path) -> None:
    """Without MicrosoftAppId, `kiw serve --host 0.0.0.0` (the image's CMD) must not start."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIW_", "Microsoft"))}
    env["KIW_DATA_DIR"] = str(tmp_path)
    kiw = Path(sys.executable).parent / "kiw"
    result = subprocess.run(
        [str(kiw), "--env-file", str(tmp_path / "none.env"), "serve", "--host", "0.0.0.0"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "KIW_HOST=0.0.0.0 is not a loopback address" in result.stderr
