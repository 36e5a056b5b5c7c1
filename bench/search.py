"""Search benchmark on the real Karlsruhe corpus: latency, index size, memory, a quality check.

    .venv/bin/python bench/search.py                 # embedded backend (tantivy)
    .venv/bin/python bench/search.py --compare-fts5  # also SQLite FTS5 + PyStemmer, same chunks
    .venv/bin/python bench/search.py --council       # also the blind council set by category
    .venv/bin/python bench/search.py --council-only  # only that (bench/search_council.py)
    .venv/bin/python bench/search.py --council-vectors 200  # its recall with/without vectors
    .venv/bin/python bench/search.py --council-index bench/out/karlsruhe-vectors/index  # full

Uses the index that bench/index.py builds (bench/out/karlsruhe/index) when it exists; otherwise
builds one here from ../shared/data/karlsruhe with a simple direct loader (papers + file texts,
~1,500-character chunks with page numbers). Prints figures; asserts nothing.
Over 400 lines on purpose: one benchmark whose options share the corpus loading and the
printing; each option is a function of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import random
import re
import resource
import shutil
import sqlite3
import statistics
import sys
import tarfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from council_vectors import run_council_on_index, run_council_vectors  # noqa: E402  (bench/council_vectors.py)
from search_council import run_council  # noqa: E402  (bench/search_council.py, beside this)

from indexer.analysis import STOPWORDS, fold, stems  # noqa: E402
from indexer.embedded import SCHEMA_VERSION, EmbeddedIndex  # noqa: E402
from indexer.model import COUNCIL, PUBLIC, Chunk, SearchQuery  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "karlsruhe"
OUT = REPO / "bench" / "out"
CHUNK_CHARS = 1500
_PAGE = re.compile(r"^-- (\d+) of \d+ --\s*$", re.M)


# ---------------------------------------------------------------- corpus


def load_papers() -> list[dict]:
    with gzip.open(DATA / "papers.jsonl.gz", "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_org_names() -> dict[str, str]:
    with gzip.open(DATA / "organizations.jsonl.gz", "rt", encoding="utf-8") as fh:
        orgs = [json.loads(line) for line in fh if line.strip()]
    return {o["id"]: o.get("name") or "" for o in orgs}


def load_texts() -> dict[str, str]:
    out: dict[str, str] = {}
    with tarfile.open(DATA / "texts.tar.gz", "r:gz") as tar:
        for member in tar:
            if member.isfile() and member.name.endswith(".txt"):
                fh = tar.extractfile(member)
                if fh is not None:
                    out[Path(member.name).stem] = fh.read().decode("utf-8", "replace")
    return out


def _pieces(text: str) -> Iterator[tuple[int, str]]:
    """(page, piece of about CHUNK_CHARS) using pdf-parse's '-- N of M --' page markers."""
    page, buf, buf_page = 1, "", 1
    pos = 0
    for m in [*_PAGE.finditer(text), None]:
        end = m.start() if m else len(text)
        segment = text[pos:end]
        for para in re.split(r"\n\s*\n", segment):
            para = para.strip()
            if not para:
                continue
            if buf and len(buf) + len(para) > CHUNK_CHARS:
                yield buf_page, buf
                buf = ""
            if not buf:
                buf_page = page
            buf = f"{buf}\n\n{para}" if buf else para
            while len(buf) > CHUNK_CHARS * 2:
                yield buf_page, buf[:CHUNK_CHARS]
                buf = buf[CHUNK_CHARS:]
        if m is not None:
            page = int(m.group(1)) + 1
            pos = m.end()
    if buf:
        yield buf_page, buf


def _passages(text: str) -> list[tuple[int | None, str | None, str]]:
    """The production chunker (indexer/chunking.py) when present, else the simple cutter."""
    try:
        from indexer.chunking import PageText, clean_text, split_page_markers, split_passages
    except ImportError:
        return [(page, None, piece) for page, piece in _pieces(text)]
    pages = [PageText(pg.number, clean_text(pg.text)) for pg in split_page_markers(text)]
    return [(ps.page, ps.heading, ps.text) for ps in split_passages(pages) if ps.text.strip()]


def karlsruhe_chunks() -> list[Chunk]:
    papers = load_papers()
    orgs = load_org_names()
    texts = load_texts()
    chunks: list[Chunk] = []
    for p in papers:
        if p.get("deleted"):
            continue
        pid = p["id"]
        org_names = []
        for c in p.get("consultation") or []:
            org_names += [orgs.get(o, "") for o in c.get("organization") or []]
        for o in p.get("underDirectionOf") or []:
            org_names.append(orgs.get(o, ""))
        org_names = list(dict.fromkeys(n for n in org_names if n))
        raw_date = (p.get("date") or "")[:10]
        meta = {
            "doc_id": pid,
            "collection": COUNCIL,
            "title": p.get("name") or "",
            "access": (PUBLIC,),
            "url": p.get("web") or pid,
            "reference": p.get("reference") or None,
            "paper_id": pid,
            "paper_type": p.get("paperType") or None,
            "date": date.fromisoformat(raw_date) if raw_date else None,
            "organizations": tuple(org_names),
        }
        n = 0
        chunks.append(Chunk(id=f"{pid}#{n}", text=p.get("name") or "", **meta))
        for f in p.get("auxiliaryFile") or []:
            text = texts.get(f["id"].rsplit("/", 1)[-1], "")
            for page, heading, piece in _passages(text):
                n += 1
                chunks.append(
                    Chunk(
                        id=f"{pid}#{n}",
                        text=piece,
                        page=page,
                        heading=heading,
                        file_id=f["id"],
                        file_name=f.get("name"),
                        **meta,
                    )
                )
    return chunks


# ---------------------------------------------------------------- queries


def _typo(word: str, rng: random.Random) -> str:
    i = rng.randrange(1, len(word) - 2)
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def _inflect(noun: str) -> str | None:
    """Another form of a German noun by its ending (plural <-> singular, genitive)."""
    rules = [
        ("ungen", "ung"),
        ("ung", "ungen"),
        ("heiten", "heit"),
        ("heit", "heiten"),
        ("keit", "keiten"),
        ("plan", "plans"),
        ("rat", "rates"),
        ("amt", "amtes"),
        ("ion", "ionen"),
        ("e", "en"),
        ("ag", "äge"),
        ("erk", "erke"),
        ("and", "andes"),
    ]
    for ending, replacement in rules:
        if noun.endswith(ending):
            return noun[: len(noun) - len(ending)] + replacement
    return None


def make_queries(papers: list[dict], rng: random.Random, n_each: int = 60) -> list[dict]:
    """Varied German queries with the paper each should find (None: only latency counts)."""
    live = [p for p in papers if not p.get("deleted") and p.get("name")]
    rng.shuffle(live)
    qs: list[dict] = []

    def content(title: str) -> list[str]:
        return [w for w in re.findall(r"[A-Za-zÄÖÜäöüß]{5,}", title) if fold(w) not in STOPWORDS]

    for p in live[:n_each]:  # topic words from the title
        ws = content(p["name"])
        if len(ws) >= 2:
            pick = rng.sample(ws, min(3, len(ws)))
            qs.append({"kind": "title-words", "q": " ".join(pick), "want": p["id"]})
    for p in live[n_each : 2 * n_each]:  # inflected: plural/singular/genitive as people type
        ws = [w for w in content(p["name"]) if w[0].isupper()]  # nouns
        forms = [(w, _inflect(w)) for w in ws]
        forms = [(w, f) for w, f in forms if f]
        if forms:
            w, inflected = forms[0]
            rest = [x for x in content(p["name"]) if x != w][:1]
            qs.append(
                {"kind": "inflected", "q": " ".join([inflected or w, *rest]), "want": p["id"]}
            )
    for p in live[2 * n_each : 3 * n_each]:  # umlauts typed as ae/oe/ue/ss
        ws = [w for w in content(p["name"]) if re.search("[äöüß]", w)]
        if ws:
            w = ws[0]
            typed = w.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
            rest = [x for x in content(p["name"]) if x != w][:1]
            qs.append({"kind": "umlaut", "q": " ".join([typed, *rest]), "want": p["id"]})
    for p in live[3 * n_each : 4 * n_each]:  # small typos
        ws = [w for w in content(p["name"]) if len(w) >= 8]
        if ws:
            w = ws[0]
            rest = [x for x in content(p["name"]) if x != w][:1]
            qs.append({"kind": "typo", "q": " ".join([_typo(w, rng), *rest]), "want": p["id"]})
    refs = [p for p in live if p.get("reference")]
    for p in refs[:n_each]:  # references: as stored, with a prefix, without zero padding
        ref = p["reference"]
        form = rng.choice(["plain", "prefix", "unpadded"])
        if form == "prefix" and not ref.startswith("DHH"):
            typed = "VO/" + ref
        elif form == "unpadded":
            typed = re.sub(r"/0+(\d)", r"/\1", ref)
        else:
            typed = ref
        qs.append({"kind": "reference", "q": typed, "want": p["id"]})
    topics = [
        "Radverkehr",
        "Förderung des Radverkehrs",
        "Radverkehrsförderung",
        "Schulsanierung",
        "Kita Plätze",
        "Wohnungsbau",
        "Klimaschutz",
        "Stadtbahn",
        "Haushalt 2026",
        "Sporthalle",
        "Bebauungsplan",
        "Parkgebühren",
        "Baumfällungen",
        "Straßenbeleuchtung",
        "Strassenbahn",
        "Digitalisierung der Verwaltung",
        "Künstliche Intelligenz",
        "Flüchtlinge Unterbringung",
        "Obdachlosigkeit",
        "Wertstoffstation",
        "Photovoltaik auf Dächern",
        "Barrierefreiheit",
        "Lärmschutz",
        "Tempo 30",
        "Feuerwehr",
        "Friedhof",
        "Bäder Öffnungszeiten",
        "Zoo",
        "Mietspiegel",
        "Jugendgemeinderat",
    ]
    for t in topics:
        qs.append({"kind": "topic", "q": t, "want": None})
        qs.append({"kind": "filtered", "q": t, "want": None, "type": "Antrag"})
        qs.append(
            {
                "kind": "filtered",
                "q": t,
                "want": None,
                "from": date(2025, 1, 1),
                "to": date(2025, 12, 31),
            }
        )
    qs.append({"kind": "edge", "q": 'Antrag: "Rad*verkehr" AND (OR) -- ~2 ^3 \\', "want": None})
    qs.append(
        {"kind": "edge", "q": " ".join(rng.choice(topics) for _ in range(120))[:2000], "want": None}
    )
    return qs


# ---------------------------------------------------------------- runs


def _paper_key(doc_id: str) -> str:
    """ ".../papers/vo/54730" whatever host serves it (the bench OParl server rewrites hosts)."""
    return doc_id.rsplit("/papers/", 1)[-1]


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1))))
    return ordered[k]


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


async def build_embedded(path: Path, chunks: list[Chunk]) -> float:
    index = EmbeddedIndex(path)
    start = time.perf_counter()
    for i in range(0, len(chunks), 2000):
        await index.upsert(chunks[i : i + 2000])
    await index.close()
    return time.perf_counter() - start


def _query(q: dict, top: int = 10) -> SearchQuery:
    return SearchQuery(
        text=q["q"],
        paper_type=q.get("type"),
        date_from=q.get("from"),
        date_to=q.get("to"),
        top=top,
    )


async def run_embedded(
    path: Path, queries: list[dict], titles: dict[str, str], rounds: int
) -> None:
    index = EmbeddedIndex(path)
    await index.ping()
    for q in queries[:20]:  # warm caches as a running bot would be
        await index.search(_query(q))
    load_before = os.getloadavg()[0]
    # Every query `rounds` times, interleaved: on a shared machine the per-query minimum shows
    # the engine's own cost, all runs together show what a user meets under that load.
    runs: list[list[float]] = [[] for _ in queries]
    found: dict[str, list[tuple[int, int]]] = {}
    for r in range(rounds):
        for i, q in enumerate(queries):
            start = time.perf_counter()
            res = await index.search(_query(q))
            runs[i].append((time.perf_counter() - start) * 1000)
            if q["want"] and r == 0:
                # A paper counts as found if it is the one, or one with the identical title
                # (Karlsruhe has many: "Bestellung der Mitglieder des Aufsichtsrates …").
                want_title = titles.get(q["want"], "").casefold()
                ranked = list(dict.fromkeys(h.chunk.title.casefold() for h in res.hits))
                docs = list(dict.fromkeys(_paper_key(h.chunk.doc_id) for h in res.hits))
                want = _paper_key(q["want"])
                strict = 1 if docs[:1] == [want] else 2 if want in docs[:5] else 0
                same = 1 if ranked[:1] == [want_title] else 2 if want_title in ranked[:5] else 0
                found.setdefault(q["kind"], []).append((strict, same))
    load_after = os.getloadavg()[0]
    latencies = [x for run in runs for x in run]
    best = [min(run) for run in runs]
    by_kind: dict[str, list[float]] = {}
    for q, b in zip(queries, best, strict=True):
        by_kind.setdefault(q["kind"], []).append(b)
    print(
        f"queries: {len(queries)} x {rounds} rounds (embedded, await index.search, top 10, "
        f"facets + snippets); load average {load_before:.1f} -> {load_after:.1f} on "
        f"{os.cpu_count()} cores"
    )
    for name, values in (("all runs", latencies), ("per-query best", best)):
        print(
            f"latency ms ({name}): p50 {percentile(values, 50):.2f}  "
            f"p95 {percentile(values, 95):.2f}  p99 {percentile(values, 99):.2f}  "
            f"max {max(values):.2f}  mean {statistics.mean(values):.2f}"
        )
    print("by kind (per-query best):")
    for kind, lat in by_kind.items():
        print(
            f"  {kind:12s} n={len(lat):3d}  p50 {percentile(lat, 50):6.2f}  p95 {percentile(lat, 95):6.2f}"
        )
    print("quality (paper the query was made from):")
    for kind, marks in found.items():
        n = len(marks)
        top1 = sum(1 for m, _ in marks if m == 1) / n
        top5 = sum(1 for m, _ in marks if m >= 1) / n
        t_top1 = sum(1 for _, t in marks if t == 1) / n
        t_top5 = sum(1 for _, t in marks if t >= 1) / n
        print(
            f"  {kind:12s} n={n:3d}  top-1 {top1:4.0%}  recall@5 {top5:4.0%}   "
            f"(same title: top-1 {t_top1:4.0%}  recall@5 {t_top5:4.0%})"
        )
    await index.close()


def compare_fts5(chunks: list[Chunk], queries: list[dict], path: Path, index_path: Path) -> None:
    """The alternative: SQLite FTS5 over the same pre-stemmed terms, bm25() ranking."""
    if path.exists():
        path.unlink()
    db = sqlite3.connect(path)
    db.execute("CREATE VIRTUAL TABLE c USING fts5(title, body, doc_id UNINDEXED)")
    start = time.perf_counter()
    db.executemany(
        "INSERT INTO c VALUES (?, ?, ?)",
        ((" ".join(stems(c.title)), " ".join(stems(c.text)), c.doc_id) for c in chunks),
    )
    db.commit()
    build = time.perf_counter() - start
    and_lat: list[float] = []
    or_lat: list[float] = []
    for q in queries:
        terms = [t for t in dict.fromkeys(stems(q["q"])) if t.isalnum()][:32]
        if not terms:
            continue
        for joiner, bucket in ((" AND ", and_lat), (" OR ", or_lat)):
            expr = joiner.join(f'"{t}"' for t in terms)
            start = time.perf_counter()
            db.execute(
                "SELECT doc_id, bm25(c, 2.0, 1.0) AS s FROM c WHERE c MATCH ? ORDER BY s LIMIT 10",
                (expr,),
            ).fetchall()
            bucket.append((time.perf_counter() - start) * 1000)
    db.close()
    print(f"fts5: build {build:.1f} s, size {path.stat().st_size / 1e6:.1f} MB")
    raw_tantivy(queries, index_path)
    for name, lat in (("AND", and_lat), ("OR", or_lat)):
        print(
            f"fts5 {name} ms: p50 {percentile(lat, 50):.2f}  p95 {percentile(lat, 95):.2f}  "
            f"p99 {percentile(lat, 99):.2f}"
        )


def raw_tantivy(queries: list[dict], path: Path) -> None:
    """The same pre-stemmed AND/OR term queries straight on tantivy (no snippets, no facets)."""
    import tantivy

    index = EmbeddedIndex(path)
    searcher = index._searcher()
    schema = index._schema
    lat: dict[str, list[float]] = {"AND": [], "OR": []}
    for q in queries:
        terms = [t for t in dict.fromkeys(stems(q["q"])) if t.isalnum()][:32]
        if not terms:
            continue
        groups = [
            tantivy.Query.boolean_query(
                [
                    (
                        tantivy.Occur.Should,
                        tantivy.Query.term_query(schema, f, t, index_option="freq"),
                    )
                    for f in ("title_terms", "body_terms")
                ]
            )
            for t in terms
        ]
        for name, occur in (("AND", tantivy.Occur.Must), ("OR", tantivy.Occur.Should)):
            query = tantivy.Query.boolean_query([(occur, g) for g in groups])
            start = time.perf_counter()
            searcher.search(query, limit=10, count=True)
            lat[name].append((time.perf_counter() - start) * 1000)
    for name, values in lat.items():
        print(
            f"tantivy {name} ms: p50 {percentile(values, 50):.2f}  "
            f"p95 {percentile(values, 95):.2f}  p99 {percentile(values, 99):.2f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="build a fresh index here")
    parser.add_argument("--compare-fts5", action="store_true")
    parser.add_argument("--rounds", type=int, default=3, help="runs of the query set")
    parser.add_argument(
        "--own",
        action="store_true",
        help="use (or build) this script's index, not bench/index.py's",
    )
    parser.add_argument(
        "--council",
        action="store_true",
        help="also the blind council set: Recall@5/MRR by category and split, turn latency "
        "(full corpus with meetings, crawler-like; bench/search_council.py)",
    )
    parser.add_argument("--council-only", action="store_true", help="only the council set")
    parser.add_argument(
        "--council-vectors",
        type=int,
        default=0,
        metavar="PAPERS",
        help="only: the council set keywords-only vs vectors for the chosen passages vs every "
        "passage, on a subset of PAPERS papers (bench/council_vectors.py)",
    )
    parser.add_argument(
        "--council-index",
        type=Path,
        default=None,
        metavar="DIR",
        help="only: the council set keywords-only vs hybrid on an existing index with vectors, "
        "e.g. bench/out/karlsruhe-vectors/index from bench/index.py --embed",
    )
    args = parser.parse_args()
    if args.council_index:
        asyncio.run(run_council_on_index(args.council_index))
        return 0
    if args.council_vectors:
        asyncio.run(run_council_vectors(OUT, args.council_vectors))
        return 0
    if args.council_only:
        council = OUT / "council-karlsruhe" / "index"
        asyncio.run(run_council(OUT, args.rebuild, _usable(council)))
        print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
        return 0
    rng = random.Random(20261127)
    papers = load_papers()
    queries = make_queries(papers, rng)
    shared = OUT / "karlsruhe" / "index"
    own = OUT / "search-karlsruhe" / "index"
    chunks: list[Chunk] | None = None
    built = False
    if not args.rebuild and not args.own and _usable(shared):
        path = shared
        print(f"index: {path} (built by bench/index.py through the OParl crawler)")
    else:
        path = own
        if args.rebuild or not _usable(own):
            t0 = time.perf_counter()
            chunks = karlsruhe_chunks()
            print(f"loaded {len(chunks)} chunks in {time.perf_counter() - t0:.1f} s")
            shutil.rmtree(path, ignore_errors=True)
            took = await_run(build_embedded(path, chunks))
            built = True
            print(f"built embedded index in {took:.1f} s ({len(chunks) / took:.0f} chunks/s)")
        print(f"index: {path}")
    print(f"index size: {dir_size(path) / 1e6:.1f} MB")
    n_chunks, n_papers = asyncio.run(_counts(path))
    print(f"indexed: {n_chunks} chunks of {n_papers} papers")
    if n_papers < 0.95 * sum(1 for p in papers if not p.get("deleted")):
        print(
            "WARNING: the index holds fewer papers than the corpus (is bench/index.py still "
            "running?); quality figures are not comparable. --own uses this script's index."
        )
    titles = {p["id"]: p.get("name") or "" for p in papers}
    asyncio.run(run_embedded(path, queries, titles, args.rounds))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    what = "load corpus + build + search" if built else "open index + search"
    print(f"peak RSS of this process ({what}): {rss:.0f} MB")
    if args.council:
        council = OUT / "council-karlsruhe" / "index"
        asyncio.run(run_council(OUT, args.rebuild, _usable(council)))
    if args.compare_fts5:
        compare_fts5(
            chunks or karlsruhe_chunks(), queries, OUT / "search-karlsruhe" / "fts5.db", path
        )
    return 0


async def _counts(path: Path) -> tuple[int, int]:
    index = EmbeddedIndex(path)
    try:
        ids = await index.document_ids()
        return index.count_chunks(), sum(1 for d in ids if "/papers/" in d)
    finally:
        await index.close()


def _usable(path: Path) -> bool:
    """An index of the current schema (an old one would be refused)."""
    marker = path / "kiw-index.json"
    if not marker.exists():
        return False
    return json.loads(marker.read_text()).get("schema_version") == SCHEMA_VERSION


def await_run(coro: object) -> float:
    return asyncio.run(coro)  # type: ignore[arg-type]


if __name__ == "__main__":
    sys.exit(main())
