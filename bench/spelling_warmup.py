"""What spelling correction's first use costs a user's turn, before and after the warm-up.

The word store of the full Karlsruhe council corpus (every live paper and meeting, cut as the
crawler does: bench/qa_sets.py) is kept under bench/out/spelling-warmup/ (built once, or with
--rebuild). Then, each in a fresh `CorpusWords` as a new bot process:

- before: the first question corrects lazily (reads the counts, builds the tables in the turn);
- after: `warm()` at start-up (the bot runs it beside serving), then the first question;
- a reload after another process's commit: the turn that notices it (before: it rebuilt the
  correctors itself; now it gets the old ones while a thread rebuilds and swaps them).

Wall times on a shared machine grow with the load: the load average is printed beside them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from qa_sets import karlsruhe_chunks

from indexer import corpus_words
from indexer.corpus_words import CorpusWords
from indexer.model import COUNCIL, POLICIES, Chunk

OUT = Path(__file__).resolve().parent / "out" / "spelling-warmup"
QUESTION = "Was steht im Klimaschutzkonzpet zum Staatsteater?"


def _ms(start: float) -> str:
    return f"{(time.perf_counter() - start) * 1000:7.0f} ms"


def build(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    start = time.perf_counter()
    chunks = karlsruhe_chunks(100_000, set())
    store = CorpusWords(folder)
    for i in range(0, len(chunks), 2000):
        store.record(chunks[i : i + 2000])
    store.close()
    print(f"built the word store of {len(chunks)} chunks in {_ms(start)}")


def before() -> None:
    cold = CorpusWords(OUT)
    start = time.perf_counter()
    fixed = cold.spelling(COUNCIL).corrected(QUESTION)
    print(f"before: first question's correction {_ms(start)}  ({fixed!r})")
    start = time.perf_counter()
    cold.spelling(COUNCIL).corrected(QUESTION.replace("Staatsteater", "Stadtparc"))
    print(f"        a second question            {_ms(start)}")
    cold.close()


def after() -> None:
    warm = CorpusWords(OUT)
    start = time.perf_counter()
    warm.warm([COUNCIL, POLICIES])
    print(f"after:  warm-up at start-up          {_ms(start)}  (beside serving)")
    start = time.perf_counter()
    warm.spelling(COUNCIL).corrected(QUESTION)
    print(f"        first question's correction {_ms(start)}")

    # Another process commits (a `kiw index` run); the next check notices it.
    writer = CorpusWords(OUT)
    writer.record([Chunk(id="bench#0", doc_id="bench", collection=COUNCIL, title="", text="x")])
    corpus_words.RELOAD_SECONDS = 0.0
    start = time.perf_counter()
    warm.spelling(COUNCIL).corrected(QUESTION.replace("Staatsteater", "Rathaus"))
    print(f"reload: the turn that notices it     {_ms(start)}  (old correctors, rebuilt aside)")
    start = time.perf_counter()
    warm.wait_for_refresh()
    print(f"        background rebuild finished  {_ms(start)} later")
    writer.delete_documents(["bench"])
    writer.close()
    # What the turn paid before: the caches dropped, rebuilt in the turn.
    warm.wait_for_refresh()
    with warm._lock:
        warm._forget()
    start = time.perf_counter()
    warm.spelling(COUNCIL).corrected(QUESTION.replace("Staatsteater", "Rathaus"))
    print(f"        before (rebuilt in the turn) {_ms(start)}")
    warm.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--phase", choices=("before", "after"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:  # each in a process of its own, as a bot starts
        before() if args.phase == "before" else after()
        return
    if args.rebuild or not (OUT / corpus_words.STORE_FILE).exists():
        build(OUT)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for phase in ("before", "after"):
        subprocess.run([sys.executable, __file__, "--phase", phase], check=True)
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
