"""kill -9 of a real `kiw index` process takes its parser worker and resource tracker along."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import shared_path
from tests.indexer.oparl_server import OParlTestServer, ServerThread

REPO = Path(__file__).resolve().parents[2]


def _require_proc() -> None:
    if not Path("/proc/self/task").is_dir():
        pytest.fail("this test reads process trees from /proc: run it on Linux (as CI does)")


def children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= {int(c) for c in (task / "children").read_text().split()}
        except OSError:
            continue
    return found


def alive(pid: int) -> bool:
    """Running, not a zombie waiting for a parent that may never reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def big_report() -> bytes:
    """A text whose parsing keeps the worker busy for seconds, with a result far larger than
    a pipe buffer: a worker orphaned mid-parse used to block on sending it, forever."""
    line = "Absatz {}: Der Gemeinderat beschließt die Sanierung der Schule Nummer {}.\n\n"
    return "".join(line.format(i, i) for i in range(60_000)).encode()


def test_kill_9_of_kiw_index_ends_its_worker_and_resource_tracker(
    tmp_path: Path, data_dir: Path
) -> None:
    _require_proc()
    shared_path("data", "karlsruhe", "texts.tar.gz")
    served = OParlTestServer(papers=3, page_size=5, cache_dir=tmp_path / "pdf")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("KIW_DATA_DIR", None)
    with ServerThread(served) as server:
        # Served where the client fetches it: it learned that /… really lives under /ris/….
        server.add_raw("/ris/big/bericht.txt", big_report(), "text/plain")
        url = f"{server.base}/big/bericht.txt"
        paper = next(p for p in server.papers.values() if not p.get("deleted"))
        paper["auxiliaryFile"] = [
            {
                "id": f"{paper['id']}/bericht",
                "type": "https://schema.oparl.org/1.1/File",
                "name": "Bericht",
                "accessUrl": url,
                "downloadUrl": url,
                "mimeType": "text/plain",
            }
        ]
        kiw = [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]
        proc = subprocess.Popen(
            [*kiw, "index", "oparl", server.system_url, "--data-dir", str(data_dir)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            kids: set[int] = set()
            lines: list[str] = []
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and proc.poll() is None:
                kids |= children(proc.pid)
                lines = [cmdline(k) for k in kids]
                started = any("resource_tracker" in c for c in lines) and any(
                    "spawn_main" in c for c in lines
                )
                if started and server.requests["/ris/big/bericht.txt"]:
                    break
                time.sleep(0.05)
            else:
                pytest.fail(f"the run ended before its worker parsed the report: {lines}")
            time.sleep(0.5)  # the worker is parsing the report now
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(alive(k) for k in kids):
            time.sleep(0.1)
    survivors = {k: cmdline(k) for k in kids if alive(k)}
    for pid in survivors:  # do not leave them behind for the next test run
        os.kill(pid, signal.SIGKILL)
    assert not survivors
