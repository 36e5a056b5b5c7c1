"""Parser worker processes that end with the indexer that started them.

A `kiw index` run killed with SIGKILL cannot clean up: its worker would wait for work forever
(it holds both ends of its own task queue, so it never sees the parent go), and
multiprocessing's resource tracker lives as long as any worker holds its pipe. So every
worker sees to its own end: on Linux the kernel kills it when the parent dies
(PR_SET_PDEATHSIG), and a watchdog thread that polls the parent pid covers other systems and
the case where the parent died before the worker got that far. Once the workers are gone,
the resource tracker reads end-of-file and exits by itself.

`ParserPool` is where the pipeline parses: a worker thread, or these processes.
"""

from __future__ import annotations

import asyncio
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from indexer.chunking import Passage
from indexer.parts import Parser
from indexer.source import FileRef

PR_SET_PDEATHSIG = 1  # linux/prctl.h
WATCH_INTERVAL_SECONDS = 1.0


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(WATCH_INTERVAL_SECONDS)
    os._exit(1)  # no cleanup to do: the parent owned the work and it is gone


def die_with_parent(parent_pid: int, *, signal_on_thread_end: bool = True) -> None:
    """Worker initializer: end this process when `parent_pid` ends, however it ends.

    The kernel's signal (PR_SET_PDEATHSIG) fires when the parent *thread* that started the
    worker ends, not only the process: a pool that outlives that thread (the embedding
    workers, started from an event loop's executor thread and kept for the process) passes
    `signal_on_thread_end=False` and relies on the watchdog alone (within a second)."""
    if signal_on_thread_end and sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no libc prctl (musl builds differ): the watchdog
            pass
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()


def parser_processes(workers: int) -> ProcessPoolExecutor:
    """A pool of `workers` processes that die with this one. `spawn`, because the parent has
    threads running (the index writer, the event loop's executors)."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=die_with_parent,
        initargs=(os.getpid(),),
    )


class ParserCrashed(Exception):
    """The parser process died on a file (segfault, out of memory)."""


class ParserPool:
    """Where parsing runs: a worker thread (workers=0), or worker processes.

    Processes buy two things: extraction and cleaning run in parallel with the index writer
    (both hold the GIL in threads), and a PDF that crashes pdfium kills a worker, not the run.
    The pool is rebuilt after a crash; its processes end with this one (indexer/workers.py).
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._solo_lock = asyncio.Lock()

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = parser_processes(self.workers)
        return self._pool

    async def run(self, parser: Parser, data: bytes, file: FileRef) -> list[Passage]:
        if self.workers <= 0:
            return await asyncio.to_thread(parser.parse, data, file)
        loop = asyncio.get_running_loop()
        pool = self._executor()
        try:
            return await loop.run_in_executor(pool, parser.parse, data, file)
        except BrokenProcessPool:
            if self._pool is pool:  # the first caller to notice rebuilds it
                pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
        # Every file in flight saw the crash; only one caused it. Each gets a second try
        # alone in a fresh process, so an innocent file is not blamed.
        async with self._solo_lock:
            with parser_processes(1) as solo:
                try:
                    return await loop.run_in_executor(solo, parser.parse, data, file)
                except BrokenProcessPool as exc:
                    raise ParserCrashed("parser process crashed on this file") from exc

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def embedding_workers() -> int:
    """Processes for the index run's passage embedding (indexer/encoder_pool.py): one per core,
    at most two — the step runs after the keyword index is written, so nothing of the run
    competes, and more than two was not measured (this project's machines have two cores)."""
    return max(1, min(2, os.cpu_count() or 1))
