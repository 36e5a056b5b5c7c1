"""A local OParl server on loopback for tests and benchmarks.

Two things it serves:

1. The Karlsruhe corpus (../shared/data/karlsruhe) as a paginated OParl 1.1 API — System,
   Body, organizations, meetings, papers — with file downloads as PDFs generated from the
   real extracted texts (page breaks at the `-- n of m --` markers; files without text become
   an image-only page, like the scans they were). Like the real Karlsruhe server, every URL
   it *emits* starts with `/oparl/`, but it *answers* only under `/ris/oparl/`.
   It honours `modified_since`, can inject HTTP 500/429, drop `modified_since` from `next`
   links, change or delete papers between runs, and counts every request.
2. The real sample responses in ../shared/data/oparl, with their host names rewritten to
   this server, broken ones included (`add_raw`).

Run it by hand: `python -m tests.indexer.oparl_server --papers 100` prints the System URL.
Over 400 lines on purpose: one fake service, its routes, PDFs and fault injection read
together, as the real API's documentation does.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import gzip
import io
import json
import sys
import tarfile
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
KARLSRUHE = SHARED_DATA / "karlsruhe"
ORIGIN = "https://web1.karlsruhe.de"
SCHEMA = "https://schema.oparl.org/1.1/"
_PAGE_MARKER_PREFIX = "-- "


@lru_cache(maxsize=1)
def karlsruhe_corpus() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """(papers, meetings, organizations) as stored, newest papers first."""

    def read(name: str) -> list[dict[str, Any]]:
        with gzip.open(KARLSRUHE / name, "rt", encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]

    return read("papers.jsonl.gz"), read("meetings.jsonl.gz"), read("organizations.jsonl.gz")


@lru_cache(maxsize=1)
def karlsruhe_texts() -> dict[str, str]:
    """fileId → extracted text (all 8,626; ~51 MB in memory)."""
    texts: dict[str, str] = {}
    with tarfile.open(KARLSRUHE / "texts.tar.gz", "r:gz") as archive:
        for member in archive:
            if member.isfile() and member.name.endswith(".txt"):
                fh = archive.extractfile(member)
                if fh is not None:
                    texts[Path(member.name).stem] = fh.read().decode("utf-8", errors="replace")
    return texts


def _walk_strings(value: Any, fn: Any) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, list):
        return [_walk_strings(v, fn) for v in value]
    if isinstance(value, dict):
        return {k: _walk_strings(v, fn) for k, v in value.items()}
    return value


def as_file_list(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value]
    return [f for f in value or [] if isinstance(f, dict)]


def _modified(obj: dict[str, Any]) -> str:
    return str(obj.get("modified") or obj.get("created") or "")


def _parse(ts: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# ---------------------------------------------------------------- PDFs from texts

_PDF_LOCK = threading.Lock()
_WINANSI_MAP = str.maketrans({"☒": "[x]", "☑": "[x]", "☐": "[ ]", "▪": "-", "\uf0b7": "-"})


def _pages_of(text: str) -> list[str]:
    pages: list[str] = []
    current: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        if (
            stripped.startswith(_PAGE_MARKER_PREFIX)
            and stripped.endswith(" --")
            and " of " in stripped
        ):
            pages.append("\n".join(current))
            current = []
        else:
            current.append(line)
    if "\n".join(current).strip() or not pages:
        pages.append("\n".join(current))
    return pages


def render_pdf(text: str) -> bytes:
    """A PDF with one page per `-- n of m --` page of the text (overlong pages continue on
    extra pages). Helvetica only speaks Windows-1252, so other characters are replaced."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    with _PDF_LOCK:  # reportlab keeps some global state
        pdf = canvas.Canvas(buffer, pagesize=A4, pageCompression=0, invariant=True)
        _width, height = A4
        for page in _pages_of(text):
            lines: list[str] = []
            for raw in page.split("\n"):
                raw = raw.translate(_WINANSI_MAP).encode("cp1252", "replace").decode("cp1252")
                while len(raw) > 130:
                    lines.append(raw[:130])
                    raw = raw[130:]
                lines.append(raw)
            for start in range(0, max(len(lines), 1), 95):
                obj = pdf.beginText(36, height - 40)
                obj.setFont("Helvetica", 7, leading=8)
                for line in lines[start : start + 95]:
                    obj.textLine(line)
                pdf.drawText(obj)
                pdf.showPage()
        pdf.save()
    return buffer.getvalue()


def blank_pdf() -> bytes:
    """An image-only page: a scan without a text layer."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    pdf.rect(72, 500, 300, 200, fill=1)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


class PdfCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def get(self, file_number: str, text: str | None) -> bytes:
        name = f"{file_number}.pdf" if text is not None and text.strip() else "_blank.pdf"
        path = self.directory / name
        if path.exists():
            return path.read_bytes()
        data = render_pdf(text) if name != "_blank.pdf" and text is not None else blank_pdf()
        tmp = path.with_suffix(f".{threading.get_ident()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
        return data


# ---------------------------------------------------------------- the server


@dataclass
class Faults:
    """Failures to inject, consumed one request at a time."""

    statuses: list[int] = field(default_factory=list)  # e.g. [500, 500, 429]
    retry_after: str = "0"
    match: str = ""  # only requests whose path contains this
    drop_since_in_next: bool = False  # an ALLRIS bug: `next` links lose the filter
    fail_paths: set[str] = field(default_factory=set)  # always 500 (a file that never works)
    # path?query → (status, body, content type): a broken page served instead of the real one
    # (`{"data":[],"links":{}}` in the middle of a list, HTML, truncated JSON)
    replace: dict[str, tuple[int, bytes, str]] = field(default_factory=dict)
    download_delay: float = 0.0  # seconds before each file download answers (a slow server)


class OParlTestServer:
    """Holds the served objects (mutable between runs) and the aiohttp app."""

    def __init__(
        self,
        *,
        papers: int | None = 30,
        page_size: int = 10,
        cache_dir: Path,
        include_tombstones: bool = True,
        emit_origin: bool = False,
        copies: int = 0,
    ) -> None:
        self.page_size = page_size
        # copies ≥ 1: a synthetic corpus of any size for the benchmark. The papers are listed
        # `copies` times, copy k > 0 under ids ending in "-k"; all files are served as text
        # with a line naming the copy (so the crawler's dedupe does not fold them into one,
        # and every size costs the same per paper).
        self.copies = max(copies, 0)
        self.pdfs = PdfCache(cache_dir)
        self.faults = Faults()
        self.requests: Counter[str] = Counter()
        self.base = ""  # set on start: http://127.0.0.1:PORT
        # emit_origin: ids keep Karlsruhe's real host (stable ids for the benchmark index);
        # the crawler must then be told (or learn) to fetch them from this server.
        self.emit_origin = emit_origin
        self._raw: dict[str, tuple[bytes, str]] = {}  # path → (body, content type)
        all_papers, meetings, orgs = karlsruhe_corpus()
        live = [p for p in all_papers if not p.get("deleted")]
        chosen = live if papers is None else live[:papers]
        if include_tombstones:
            chosen = chosen + [p for p in all_papers if p.get("deleted")][:2]
        self.papers = {p["id"]: copy.deepcopy(p) for p in chosen}
        wanted = {
            c.get("meeting") for p in chosen for c in p.get("consultation", []) if c.get("meeting")
        }
        self.meetings = {m["id"]: copy.deepcopy(m) for m in meetings if m["id"] in wanted}
        self.organizations = {o["id"]: o for o in orgs}
        self.texts = karlsruhe_texts()

    # ---- URLs

    @property
    def public_base(self) -> str:
        return ORIGIN if self.emit_origin else self.base

    def emitted(self, url: str) -> str:
        """The URL as this server writes it in JSON: local host, Karlsruhe's `/oparl/` prefix."""
        return url if self.emit_origin else url.replace(ORIGIN, self.base)

    def prerender(self, progress: bool = False) -> int:
        """Render every file's PDF into the cache now (benchmarks time the crawl, not this)."""
        numbers = sorted(
            {
                f["id"].rsplit("/", 1)[1]
                for p in self.papers.values()
                for f in p.get("auxiliaryFile", [])
                if isinstance(f, dict)
            }
        )
        for n, number in enumerate(numbers, 1):
            self.pdfs.get(number, self.texts.get(number))
            if progress and n % 500 == 0:
                print(f"rendered {n}/{len(numbers)} PDFs", file=sys.stderr, flush=True)
        return len(numbers)

    @property
    def system_url(self) -> str:
        """Where the System really answers (note the `/ris` prefix)."""
        return f"{self.base}/ris/oparl/system"

    def _out(self, obj: dict[str, Any]) -> dict[str, Any]:
        return _walk_strings(obj, self.emitted)

    # ---- changes between runs

    def now(self) -> str:
        return datetime.now(UTC).astimezone().isoformat(timespec="seconds")

    def touch_paper(self, paper_id: str, **changes: Any) -> None:
        paper = self.papers[paper_id]
        paper.update(changes)
        paper["modified"] = self.now()

    def delete_paper(self, paper_id: str) -> None:
        old = self.papers[paper_id]
        self.papers[paper_id] = {
            "id": paper_id,
            "type": old["type"],
            "body": old.get("body"),
            "deleted": True,
            "name": "",
            "reference": "",
            "paperType": "",
            "created": old.get("created"),
            "modified": self.now(),
        }

    def depublish_paper(self, paper_id: str) -> None:
        """Gone without a tombstone: some servers simply stop listing an object."""
        del self.papers[paper_id]

    def set_result(self, agenda_item_id: str, result: str) -> None:
        for meeting in self.meetings.values():
            for item in meeting.get("agendaItem", []):
                if item["id"] == agenda_item_id:
                    item["result"] = result
                    item["modified"] = self.now()
                    meeting["modified"] = self.now()
                    return
        raise KeyError(agenda_item_id)

    def add_raw(self, path: str, body: bytes, content_type: str = "application/json") -> str:
        """Serve these exact bytes at this path (host names already rewritten by the caller)."""
        self._raw[path] = (body, content_type)
        return f"{self.base}{path}"

    def rewrite_sample(self, data: bytes, hosts: Iterable[str]) -> bytes:
        """A real sample response with its host names pointed at this server."""
        for host in hosts:
            data = data.replace(host.encode(), self.base.encode())
        return data

    # ---- handlers

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._faults_middleware])
        app.router.add_get("/ris/oparl/system", self._system)
        app.router.add_get("/ris/oparl/bodies", self._bodies)
        app.router.add_get("/ris/oparl/bodies/0001", self._body)
        app.router.add_get("/ris/oparl/bodies/0001/papers", self._list_papers)
        app.router.add_get("/ris/oparl/bodies/0001/meetings", self._list_meetings)
        app.router.add_get("/ris/oparl/bodies/0001/organizations", self._list_orgs)
        app.router.add_get("/ris/oparl/bodies/0001/downloadfiles/{name}", self._download)
        app.router.add_get("/ris/oparl/bodies/0001/downloadfiles/a/{name}", self._download)
        app.router.add_get("/ris/oparl/bodies/0001/copies/{k}/{name}", self._download_copy)
        app.router.add_get("/ris/oparl/bodies/0001/{kind}/{rest:.*}", self._object)
        app.router.add_get("/{raw:.*}", self._raw_handler)
        return app

    @web.middleware
    async def _faults_middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests[request.path] += 1
        f = self.faults
        if request.path in f.fail_paths:
            return web.Response(status=500, text="Interner Fehler")
        if request.path_qs in f.replace:
            status, body, content_type = f.replace[request.path_qs]
            return web.Response(status=status, body=body, headers={"Content-Type": content_type})
        if f.download_delay and "/downloadfiles/" in request.path:
            await asyncio.sleep(f.download_delay)
        if f.statuses and f.match in request.path_qs:
            status = f.statuses.pop(0)
            headers = {"Retry-After": f.retry_after} if status == 429 else {}
            return web.Response(status=status, text="Fehler", headers=headers)
        return await handler(request)

    async def _system(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "id": f"{self.public_base}/oparl/system",
                "type": SCHEMA + "System",
                "oparlVersion": SCHEMA,
                "name": "Karlsruhe (lokale Testkopie)",
                "body": f"{self.public_base}/oparl/bodies",
                "vendor": "N/A",
            }
        )

    def _body_object(self) -> dict[str, Any]:
        root = f"{self.public_base}/oparl/bodies/0001"
        return {
            "id": root,
            "type": SCHEMA + "Body",
            "system": f"{self.public_base}/oparl/system",
            "name": "Stadt Karlsruhe",
            "organization": f"{root}/organizations",
            "meeting": f"{root}/meetings",
            "paper": f"{root}/papers",
            "created": "",
            "modified": "2026-01-01T00:00:00+01::00",
        }

    async def _body(self, request: web.Request) -> web.Response:
        return web.json_response(self._body_object())

    async def _bodies(self, request: web.Request) -> web.Response:
        return web.json_response({"data": [self._body_object()], "links": {}, "pagination": {}})

    def _page(
        self, request: web.Request, objects: Iterable[dict[str, Any]], emitted_path: str
    ) -> web.Response:
        since_raw = request.query.get("modified_since")
        since = _parse(since_raw) if since_raw else None
        items = sorted(objects, key=lambda o: o["id"])
        if since is not None:
            items = [o for o in items if (_parse(_modified(o)) or since) >= since]
        page = max(int(request.query.get("page", "1")), 1)
        size = self.page_size
        chunk = items[(page - 1) * size : page * size]
        total_pages = max((len(items) + size - 1) // size, 1)
        links: dict[str, str] = {}
        params: dict[str, str] = {}
        if since_raw and not self.faults.drop_since_in_next:
            params["modified_since"] = since_raw
        if page < total_pages:
            links["next"] = f"{self.public_base}{emitted_path}?" + urlencode(
                {**params, "page": str(page + 1)}
            )
        return web.json_response(
            {
                "data": [self._out(o) for o in chunk],
                "pagination": {
                    "totalElements": len(items),
                    "elementsPerPage": size,
                    "currentPage": page,
                    "totalPages": total_pages,
                },
                "links": links,
            }
        )

    async def _list_papers(self, request: web.Request) -> web.Response:
        if self.copies:
            return self._page_of_copies(request, "/oparl/bodies/0001/papers")
        return self._page(request, self.papers.values(), "/oparl/bodies/0001/papers")

    # ---- the synthetic large corpus (copies > 1)

    def paper_copy(self, paper: dict[str, Any], k: int) -> dict[str, Any]:
        """Copy k of a paper: new ids for it and its files (k > 0), files served as text."""
        out = copy.deepcopy(paper)
        suffix = f"-{k}" if k else ""
        out["id"] = paper["id"] + suffix
        if out.get("reference") and k:
            out["reference"] = f"{out['reference']}/k{k}"
        for f in [*as_file_list(out.get("auxiliaryFile")), *as_file_list(out.get("mainFile"))]:
            number = str(f.get("id", "")).rsplit("/", 1)[-1]
            f["id"] = f["id"] + suffix
            f["accessUrl"] = f["downloadUrl"] = (
                f"{ORIGIN}/oparl/bodies/0001/copies/{k}/{number}.txt"
            )
            f["mimeType"] = "text/plain"
        return out

    def _page_of_copies(self, request: web.Request, emitted_path: str) -> web.Response:
        """Like `_page`, without building all copies: item i is copy i // n of original i % n."""
        since_raw = request.query.get("modified_since")
        since = _parse(since_raw) if since_raw else None
        originals = sorted(self.papers.values(), key=lambda o: o["id"])
        if since is not None:
            originals = [o for o in originals if (_parse(_modified(o)) or since) >= since]
        total = len(originals) * self.copies
        size = self.page_size
        page = max(int(request.query.get("page", "1")), 1)
        chunk = [
            self.paper_copy(originals[i % len(originals)], i // len(originals))
            for i in range((page - 1) * size, min(page * size, total))
        ]
        total_pages = max((total + size - 1) // size, 1)
        params = {"modified_since": since_raw} if since_raw else {}
        links = {}
        if page < total_pages:
            links["next"] = f"{self.public_base}{emitted_path}?" + urlencode(
                {**params, "page": str(page + 1)}
            )
        return web.json_response(
            {
                "data": [self._out(o) for o in chunk],
                "pagination": {
                    "totalElements": total,
                    "elementsPerPage": size,
                    "currentPage": page,
                    "totalPages": total_pages,
                },
                "links": links,
            }
        )

    async def _download_copy(self, request: web.Request) -> web.Response:
        number = request.match_info["name"].split(".")[0]
        text = self.texts.get(number)
        if text is None:  # a scan in the real corpus: an image-only page, as in `_download`
            data = await asyncio.to_thread(self.pdfs.get, number, None)
            return web.Response(body=data, content_type="application/pdf")
        copy_line = f"\n\nSynthetische Kopie {request.match_info['k']} für den Lasttest.\n"
        return web.Response(text=text + copy_line, content_type="text/plain")

    async def _list_meetings(self, request: web.Request) -> web.Response:
        return self._page(request, self.meetings.values(), "/oparl/bodies/0001/meetings")

    async def _list_orgs(self, request: web.Request) -> web.Response:
        return self._page(request, self.organizations.values(), "/oparl/bodies/0001/organizations")

    async def _object(self, request: web.Request) -> web.Response:
        wanted = (
            f"{ORIGIN}/oparl/bodies/0001/{request.match_info['kind']}/{request.match_info['rest']}"
        )
        if self.copies and wanted in self.papers:
            return web.json_response(self._out(self.paper_copy(self.papers[wanted], 0)))
        for table in (self.papers, self.meetings, self.organizations):
            if wanted in table:
                return web.json_response(self._out(table[wanted]))
        original, _, k = wanted.rpartition("-")
        if self.copies and original in self.papers and k.isdigit():
            return web.json_response(self._out(self.paper_copy(self.papers[original], int(k))))
        raise web.HTTPNotFound()

    async def _download(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        number = name.split(".")[0].lstrip("0")
        if not number.isdigit():
            raise web.HTTPNotFound()
        text = self.texts.get(number)
        data = await asyncio.to_thread(self.pdfs.get, number, text)
        return web.Response(body=data, content_type="application/pdf")

    async def _raw_handler(self, request: web.Request) -> web.Response:
        key = request.path_qs if request.path_qs in self._raw else request.path
        if key not in self._raw:
            raise web.HTTPNotFound()
        body, content_type = self._raw[key]
        return web.Response(body=body, headers={"Content-Type": content_type})


class RunningServer:
    """Start/stop an OParlTestServer on 127.0.0.1 with an ephemeral port."""

    def __init__(self, server: OParlTestServer, port: int = 0) -> None:
        self.server = server
        self.port = port
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> OParlTestServer:
        self._runner = web.AppRunner(self.server.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        port = self._runner.addresses[0][1]
        self.server.base = f"http://127.0.0.1:{port}"
        return self.server

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def _serve_forever(args: argparse.Namespace) -> None:
    server = OParlTestServer(
        papers=args.papers,
        page_size=args.page_size,
        cache_dir=args.cache,
        emit_origin=args.emit_origin,
        copies=args.copies,
    )
    if args.prerender:
        await asyncio.to_thread(server.prerender, True)
    if args.touch_paper:
        # One changed paper between two runs (bench/index.py --touch-one): the newest paper
        # with a file gets a new name, so its overview and every passage change text.
        paper = next(p for p in server.papers.values() if p.get("auxiliaryFile"))
        server.touch_paper(paper["id"], name=f"{paper.get('name', '')} (geändert)")
        print(f"touched {paper['id']}", flush=True)  # before the URL line
    async with RunningServer(server, port=args.port) as s:
        print(s.system_url, flush=True)
        await asyncio.Event().wait()


class OutsideNetworkError(RuntimeError):
    pass


def loopback_only_session() -> Any:
    """An aiohttp ClientSession that refuses any request to a host other than 127.0.0.1:
    tests and benchmarks must never reach the real council servers."""
    import aiohttp
    from yarl import URL

    async def guard(session: Any, ctx: Any, params: Any) -> None:
        host = URL(params.url).host
        if host not in ("127.0.0.1", "localhost"):
            raise OutsideNetworkError(f"refusing to contact {host} outside loopback")

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(guard)
    return aiohttp.ClientSession(trace_configs=[trace])


class ServerThread:
    """The server on its own event loop in a thread, for code that runs `asyncio.run` itself
    (the CLI). Use as a context manager; yields the OParlTestServer with `base` set."""

    def __init__(self, server: OParlTestServer) -> None:
        self.server = server
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._running = RunningServer(server)

    def __enter__(self) -> OParlTestServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._running.__aenter__(), self._loop).result(timeout=30)
        return self.server

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._running.__aexit__(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()


if __name__ == "__main__":  # pragma: no cover
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--papers", type=int, default=None, help="number of papers (default: all)")
    parser.add_argument(
        "--copies", type=int, default=0, help="list the papers this many times (synthetic corpus)"
    )
    parser.add_argument("--page-size", type=int, default=50)
    parser.add_argument("--port", type=int, default=0, help="loopback port (default: any free)")
    parser.add_argument("--cache", type=Path, default=Path("bench/out/pdf-cache"))
    parser.add_argument("--emit-origin", action="store_true", help="keep Karlsruhe's ids")
    parser.add_argument("--prerender", action="store_true", help="render all PDFs before serving")
    parser.add_argument(
        "--touch-paper", action="store_true", help="serve the newest paper with a file as changed"
    )
    asyncio.run(_serve_forever(parser.parse_args()))
