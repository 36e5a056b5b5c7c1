"""Parser worker processes that end with the indexer that started them.

A `kiw index` run killed with SIGKILL cannot clean up: its worker would wait for work forever
(it holds both ends of its own task queue, so it never sees the parent go), and
multiprocessing's resource tracker lives as long as any worker holds its pipe. So every
worker sees to its own end: on Linux the kernel kills it when the parent dies
(PR_SET_PDEATHSIG), and a watchdog thread that polls the parent pid covers other systems and
the case where the parent died before the worker got that far. Once the workers are gone,
the resource tracker reads end-of-file and exits by itself.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor

PR_SET_PDEATHSIG = 1  # linux/prctl.h
WATCH_INTERVAL_SECONDS = 1.0


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(WATCH_INTERVAL_SECONDS)
    os._exit(1)  # no cleanup to do: the parent owned the work and it is gone


def die_with_parent(parent_pid: int) -> None:
    """Worker initializer: end this process when `parent_pid` ends, however it ends."""
    if sys.platform.startswith("linux"):
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
