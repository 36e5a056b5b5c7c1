"""`kiw serve` as an admin runs it: a real process on a loopback port, stopped with Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest

KIW = Path(sys.executable).with_name("kiw")
REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIW_", "Microsoft"))}
    env["KIW_DIRECTORY"] = str(REPO / "samples" / "directory.yaml")
    env["KIW_DATA_DIR"] = str(data_dir / "from-env")  # --data-dir must win
    return env


async def test_serve_starts_answers_probes_and_stops(data_dir: Path, tmp_path: Path) -> None:
    if not KIW.exists():
        pytest.fail(f"{KIW} is missing: `make install` installs the kiw console script")
    port = _free_port()
    proc = await asyncio.create_subprocess_exec(
        str(KIW),
        "--env-file",
        str(tmp_path / "no.env"),
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        env=_env(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        async with aiohttp.ClientSession() as http, asyncio.timeout(60):
            while True:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                        assert response.status == 200
                        break
                except aiohttp.ClientConnectionError:
                    await asyncio.sleep(0.2)
            async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
                assert response.status == 200, await response.text()
        proc.send_signal(signal.SIGINT)
        async with asyncio.timeout(30):
            output = (await proc.stdout.read()).decode() if proc.stdout else ""
            code = await proc.wait()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert code in (0, 130), output
    assert "LOCAL MODE" in output
    assert (data_dir / "audit").is_dir()  # --data-dir was used, not KIW_DATA_DIR
    assert not (tmp_path / "from-env").exists()


async def test_serve_refuses_local_mode_on_a_network_address(
    data_dir: Path, tmp_path: Path
) -> None:
    proc = await asyncio.create_subprocess_exec(
        str(KIW),
        "--env-file",
        str(tmp_path / "no.env"),
        "serve",
        "--host",
        "0.0.0.0",
        "--data-dir",
        str(data_dir),
        env=_env(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    async with asyncio.timeout(60):
        output = (await proc.stdout.read()).decode() if proc.stdout else ""
        code = await proc.wait()
    assert code == 2, output
    assert "KIW_INSECURE_LOCAL_MODE_ON_NETWORK" in output
