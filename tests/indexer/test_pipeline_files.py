"""The local-files pipeline: front matter, replace on change, skip unchanged, survive bad files."""

from __future__ import annotations

import io
import multiprocessing
import os
import zipfile
from collections.abc import AsyncIterator, Sequence
from datetime import date
from pathlib import Path

import pytest
from reportlab.pdfgen import canvas

from indexer.checkpoint import Checkpoint
from indexer.chunking import Passage
from indexer.embedded import EmbeddedIndex
from indexer.encoders import E5Encoder
from indexer.files import FilesSource, FrontMatterError, split_front_matter
from indexer.jobs import index_files
from indexer.model import POLICIES, PUBLIC, Chunk
from indexer.parts import IndexSink, TextParser
from indexer.pipeline import IndexJob
from indexer.source import FileRef

DV = """---
title: Muster-Dienstvereinbarung KI
reference: DV-KI-1
paper_type: Dienstvereinbarung
date: 2026-03-01
organizations: [Gesamtpersonalrat, Hauptamt]
url: https://intranet.example/dv
---

# Muster-Dienstvereinbarung KI

## § 1 Geltungsbereich

Diese Vereinbarung gilt für alle Beschäftigten der Stadtverwaltung, die KI-Anwendungen nutzen.

## § 4 Datenschutz

Personenbezogene Daten dürfen nicht in externe KI-Dienste eingegeben werden.
"""

INTERNAL = """---
title: Klausur der Fraktion
access: [fraktion-gruene]
---
Interne Strategie der Fraktion zur Haushaltsberatung.
"""


@pytest.fixture
async def index(tmp_path: Path) -> AsyncIterator[EmbeddedIndex]:
    idx = EmbeddedIndex(tmp_path / "index")
    yield idx
    await idx.close()


def _pdf(path: Path, pages: list[str]) -> None:
    pdf = canvas.Canvas(str(path), invariant=True)
    for text in pages:
        pdf.drawString(72, 760, text)
        pdf.showPage()
    pdf.save()


async def chunks(
    index: EmbeddedIndex, doc_id: str, groups: frozenset[str] = frozenset({PUBLIC})
) -> list[Chunk]:
    return await index.document_chunks(doc_id, groups)


def test_front_matter_is_split_from_the_body() -> None:
    fm = split_front_matter(DV.encode())
    assert fm.fields["reference"] == "DV-KI-1"
    assert fm.body.decode().lstrip().startswith("# Muster-Dienstvereinbarung KI")
    assert split_front_matter(b"kein Front Matter").fields == {}
    with pytest.raises(FrontMatterError):
        split_front_matter(b"---\ntitle: [unclosed\n---\nText")


async def test_markdown_with_front_matter_sets_metadata_and_headings(
    tmp_path: Path, index: EmbeddedIndex, data_dir: Path
) -> None:
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "dv.md").write_text(DV)
    (folder / "README.md").write_text("# Über diesen Ordner")  # not a document
    summary = await index_files([folder], index, data_dir, collection=POLICIES, root=tmp_path)
    assert summary.changed == 1
    assert await index.document_ids() == {"file:policies/dv.md"}
    got = await chunks(index, "file:policies/dv.md")
    assert {c.reference for c in got} == {"DV-KI-1"}
    assert {c.paper_type for c in got} == {"Dienstvereinbarung"}
    assert {c.date for c in got} == {date(2026, 3, 1)}
    assert got[0].organizations == ("Gesamtpersonalrat", "Hauptamt")
    assert got[0].url == "https://intranet.example/dv" and got[0].collection == POLICIES
    assert got[0].text.startswith("Dienstvereinbarung DV-KI-1: Muster-Dienstvereinbarung KI")
    assert "Datum: 01.03.2026" in got[0].text and got[0].file_id is None
    datenschutz = [c for c in got if "Personenbezogene" in c.text]
    assert [c.heading for c in datenschutz] == ["§ 4 Datenschutz"]
    assert "title:" not in " ".join(c.text for c in got)  # front matter is not body text


async def test_unchanged_files_are_skipped_and_changed_files_replaced(
    tmp_path: Path, index: EmbeddedIndex, data_dir: Path
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    note = folder / "notiz.txt"
    note.write_text("Erste Fassung. " + "Lange Regel zum Datenschutz. " * 120)
    await index_files([folder], index, data_dir, collection=POLICIES, root=tmp_path)
    first = await chunks(index, "file:docs/notiz.txt")
    assert len(first) > 1

    again = await index_files([folder], index, data_dir, collection=POLICIES, root=tmp_path)
    assert (again.changed, again.unchanged, again.files) == (0, 1, 0)

    note.write_text("Zweite Fassung, kurz.")
    changed = await index_files([folder], index, data_dir, collection=POLICIES, root=tmp_path)
    assert changed.changed == 1
    now = await chunks(index, "file:docs/notiz.txt")
    assert [c.text for c in now] == ["Zweite Fassung, kurz."]  # no stale chunk of version one

    note.unlink()
    gone = await index_files([folder], index, data_dir, collection=POLICIES, root=tmp_path)
    assert gone.deleted == 1
    assert await index.document_ids() == set()


async def test_a_new_extraction_version_reindexes_unchanged_files(
    tmp_path: Path, index: EmbeddedIndex, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import indexer.files

    (tmp_path / "dv.md").write_text(DV)
    await index_files([tmp_path], index, data_dir, collection=POLICIES, root=tmp_path)
    monkeypatch.setattr(indexer.files, "EXTRACTION_VERSION", indexer.files.EXTRACTION_VERSION + 1)
    again = await index_files([tmp_path], index, data_dir, collection=POLICIES, root=tmp_path)
    assert (again.changed, again.unchanged) == (1, 0)  # what the index holds is rebuilt once
    third = await index_files([tmp_path], index, data_dir, collection=POLICIES, root=tmp_path)
    assert (third.changed, third.unchanged) == (0, 1)


async def test_access_groups_from_cli_and_front_matter(
    tmp_path: Path, index: EmbeddedIndex, data_dir: Path
) -> None:
    (tmp_path / "intern.md").write_text(INTERNAL)
    (tmp_path / "rat.txt").write_text("Vertrauliche Vorlage für den Ältestenrat.")
    await index_files(
        [tmp_path / "intern.md", tmp_path / "rat.txt"],
        index,
        data_dir,
        collection="council",
        access=("aeltestenrat",),
        root=tmp_path,
    )
    assert await chunks(index, "file:intern.md") == []  # not visible to the public
    internal = await chunks(index, "file:intern.md", frozenset({"fraktion-gruene"}))
    assert internal and internal[0].access == ("fraktion-gruene",)
    council = await chunks(index, "file:rat.txt", frozenset({"aeltestenrat"}))
    assert council and council[0].access == ("aeltestenrat",)


async def test_pdf_pages_and_broken_files_never_stop_the_run(
    tmp_path: Path, index: EmbeddedIndex, data_dir: Path
) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    _pdf(folder / "gut.pdf", ["Seite eins zur Haushaltssatzung", "Seite zwei zum Stellenplan"])
    (folder / "leer.pdf").write_bytes(b"")
    (folder / "kaputt.pdf").write_bytes(b"%PDF-1.4 abgeschnitten")
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"<" * 20_000_000)
    (folder / "bombe.docx").write_bytes(bomb.getvalue())
    (folder / "front.md").write_text("---\ntitle: [kaputt\n---\nText")
    summary = await index_files([folder], index, data_dir, collection=POLICIES, root=tmp_path)
    reasons = {s.item.rsplit("/", 1)[-1]: s.reason for s in summary.skipped}
    assert set(reasons) == {"leer.pdf", "kaputt.pdf", "bombe.docx", "front.md"}
    assert "empty" in reasons["leer.pdf"]
    assert "broken PDF" in reasons["kaputt.pdf"]
    assert "zip bomb" in reasons["bombe.docx"]
    assert "YAML" in reasons["front.md"]
    good = await chunks(index, "file:mixed/gut.pdf")
    assert [(c.page, "Stellenplan" in c.text) for c in good] == [(1, False), (2, True)] or [
        c.page for c in good
    ] == [1]
    assert "Stellenplan" in " ".join(c.text for c in good)
    # A broken file is remembered: the next run does not parse it again. Broken front
    # matter is reported on every run until someone fixes it.
    again = await index_files([folder], index, data_dir, collection=POLICIES, root=tmp_path)
    assert again.files == 0 and again.unchanged == 4
    assert [s.item.rsplit("/", 1)[-1] for s in again.skipped] == ["front.md"]


async def test_empty_or_missing_folders_mean_nothing_to_index(
    tmp_path: Path, index: EmbeddedIndex, data_dir: Path
) -> None:
    (tmp_path / "leer").mkdir()
    summary = await index_files(
        [tmp_path / "leer"], index, data_dir, collection=POLICIES, root=tmp_path
    )
    assert summary.message == "nothing to index" and summary.changed == 0
    missing = await index_files(
        [tmp_path / "fehlt"], index, data_dir, collection=POLICIES, root=tmp_path
    )
    assert [s.reason for s in missing.skipped] == ["no such file or folder"]


class ExitingParser(TextParser):
    """Dies like pdfium on a hostile file: the whole process goes, no exception."""

    def parse(self, data: bytes, file: FileRef) -> list[Passage]:
        if b"CRASH" in data:
            os._exit(11)
        return super().parse(data, file)


async def test_a_file_that_kills_its_parser_process_is_skipped(
    tmp_path: Path, index: EmbeddedIndex, data_dir: Path
) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    for n in range(4):
        (folder / f"gut{n}.txt").write_text(f"Harmloser Text Nummer {n} über Radwege.")
    (folder / "boese.txt").write_text("CRASH")
    checkpoint = Checkpoint.load(data_dir / "ck.json", source="t")
    source = FilesSource([folder], collection=POLICIES, checkpoint=checkpoint, root=tmp_path)
    job = IndexJob(source, IndexSink(index), checkpoint, parser=ExitingParser(), parse_workers=1)
    summary = await job.run()
    assert [(s.item, s.reason) for s in summary.skipped] == [
        ("file:p/boese.txt", "parser process crashed on this file")
    ]
    assert await index.document_ids() == {f"file:p/gut{n}.txt" for n in range(4)}
    for n in range(4):
        assert await chunks(index, f"file:p/gut{n}.txt")


def _children() -> set[int | None]:
    return {p.pid for p in multiprocessing.active_children()}


class CountsChildProcesses(E5Encoder):
    """The real encoder; records which child processes are alive when a batch arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.children_seen: list[set[int | None]] = []

    def embed_passages(self, texts: Sequence[str]) -> list[list[float]]:
        self.children_seen.append(_children())
        return super().embed_passages(texts)


async def test_the_parser_workers_end_before_the_embedding_step(
    tmp_path: Path, data_dir: Path
) -> None:
    # The embedding step of a large run takes the better part of an hour; the parser
    # processes would only hold memory meanwhile.
    folder = tmp_path / "p"
    folder.mkdir()
    for n in range(3):
        (folder / f"regel{n}.md").write_text(
            f"# Regel {n}\n\nDienstreisen sind {n} Tage vorher zu beantragen."
        )
    encoder = CountsChildProcesses()
    index = EmbeddedIndex(data_dir / "index", encoder=encoder)
    checkpoint = Checkpoint.load(data_dir / "ck.json", source="t")
    source = FilesSource([folder], collection=POLICIES, checkpoint=checkpoint, root=tmp_path)
    job = IndexJob(source, IndexSink(index), checkpoint, parse_workers=1, dedupe=False)
    before = _children()  # pools other tests of this process keep (the shared e5 workers)
    summary = await job.run()
    await index.close()
    assert summary.changed == 3 and summary.embedded == 3
    # The parser worker has gone: nothing started by this run is alive while it embeds. (A
    # pool another test shut down without waiting may end meanwhile, so `before` may shrink.)
    assert len(encoder.children_seen) == 1
    assert encoder.children_seen[0] <= before
