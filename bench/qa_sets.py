"""The dev/test question sets of bench/questions (rules.yaml, council.yaml) and their corpora.

Loaders only; bench/eval_qa.py runs them and prints the figures. The council corpus is built
the way the OParl crawler builds it (indexer/oparl/documents.py + the pipeline's splitter): a
paper's overview chunk with its Beratungsfolge, its files' passages, and one document per
meeting with its agenda, so the searches meet what the production index holds.
"""

from __future__ import annotations

import gzip
import json
import tarfile
import tempfile
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from indexer.chunking import split_page_markers, split_passages
from indexer.embedded import EmbeddedIndex
from indexer.encoders import E5Encoder
from indexer.model import POLICIES, Chunk
from indexer.oparl.documents import Lookups, meeting_document, paper_document
from indexer.parts import ChunkSplitter, ParsedFile
from tests.skills.corpus import chunks_of_file

REPO = Path(__file__).resolve().parent.parent
QUESTIONS = REPO / "bench" / "questions"
KARLSRUHE = REPO.parent / "shared" / "data" / "karlsruhe"
KARLSRUHE_BASE = "https://web1.karlsruhe.de/oparl/bodies/0001/"
WORDINGS = ("document", "everyday", "typo")


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    wording: str  # document / everyday / typo
    split: str  # dev / test
    kind: str  # the answer type the question asks for (rule, duration, who, …)
    facts: tuple[str, ...]  # any of them must appear in the answer; () for unanswerable
    doc_id: str = ""  # where the supporting passage is
    document: str = ""  # the rules set's document key (an unanswerable one: the one it is near)
    names_paper: bool = False  # council: the question names its paper (reference or link)


def _facts(value: str | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _expand(
    item: dict[str, Any], split: str, facts: tuple[str, ...], doc_id: str, document: str = ""
) -> list[Question]:
    return [
        Question(
            id=f"{item['id']}/{wording}",
            text=text,
            wording=wording,
            split=split,
            kind=str(item.get("type", "none")),
            facts=facts,
            doc_id=doc_id,
            document=document,
            names_paper=bool(item.get("ref")),
        )
        for wording, text in zip(WORDINGS, item["q"], strict=True)
    ]


# ---------------------------------------------------------------- rules


def rules_spec() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load((QUESTIONS / "rules.yaml").read_text(encoding="utf-8"))
    return spec


def rule_doc_id(path: str) -> str:
    return f"file:{path}"


def rules_chunks() -> list[Chunk]:
    """The rule documents as the policies collection, one chunk per section."""
    out: list[Chunk] = []
    for doc in rules_spec()["documents"].values():
        doc_id = rule_doc_id(doc["path"])
        for chunk in chunks_of_file(REPO / doc["path"], POLICIES):
            out.append(replace(chunk, id=f"{doc_id}#{chunk.id.rsplit('#', 1)[1]}", doc_id=doc_id))
    return out


def rules_questions() -> tuple[list[Question], list[Question]]:
    """(answerable, unanswerable), each wording its own question."""
    spec = rules_spec()
    docs = spec["documents"]
    check_rules_spec(spec)
    answerable = [
        q
        for item in spec["answerable"]
        for q in _expand(
            item,
            docs[item["doc"]]["split"],
            _facts(item["fact"]),
            rule_doc_id(docs[item["doc"]]["path"]),
            item["doc"],
        )
    ]
    unanswerable = [
        q
        for item in spec["unanswerable"]
        for q in _expand(item, docs[item["near"]]["split"], (), "", item["near"])
    ]
    return answerable, unanswerable


def split_rule_questions(split: str) -> list[Question]:
    """The answerable, then the unanswerable rule questions of one split ("dev" or "test")."""
    answerable, unanswerable = rules_questions()
    return [q for q in answerable + unanswerable if q.split == split]


@asynccontextmanager
async def rules_index(encoder: E5Encoder | None = None) -> AsyncIterator[EmbeddedIndex]:
    """The rule documents in a temporary embedded index with e5 passage vectors, as
    bench/eval_qa.py builds it; closed and removed on exit."""
    with tempfile.TemporaryDirectory() as tmp:
        index = EmbeddedIndex(Path(tmp) / "rules", encoder=encoder or E5Encoder())
        try:
            await index.upsert(rules_chunks())
            await index.embed_pending()
            yield index
        finally:
            await index.close()


def check_rules_spec(spec: dict[str, Any]) -> None:
    """Raises ValueError naming every entry whose fact is not a verbatim substring of its
    document, whose wordings are not three, or whose id is used twice: a fact that the
    document does not contain would count a correct answer as a miss."""
    texts = {
        name: (REPO / doc["path"]).read_text(encoding="utf-8")
        for name, doc in spec["documents"].items()
    }
    problems: list[str] = []
    seen: set[str] = set()
    for item in spec["answerable"] + spec["unanswerable"]:
        if item["id"] in seen:
            problems.append(f"{item['id']}: id used twice")
        seen.add(item["id"])
        if len(item["q"]) != len(WORDINGS):
            problems.append(f"{item['id']}: {len(item['q'])} wordings, not {len(WORDINGS)}")
        doc = item.get("doc") or item.get("near")
        if doc not in texts:
            problems.append(f"{item['id']}: unknown document {doc!r}")
            continue
        for fact in _facts(item.get("fact")):
            if fact not in texts[doc]:
                problems.append(f"{item['id']}: fact {fact!r} is not in {doc}")
    if problems:
        raise ValueError("bench/questions/rules.yaml: " + "; ".join(problems))


# ---------------------------------------------------------------- council


@dataclass(frozen=True)
class CouncilSearch:
    text: str
    category: str
    split: str
    expect: tuple[str, ...]  # full OParl ids


def _split_of(short_id: str) -> str:
    return "dev" if int(short_id.rsplit("/", 1)[1]) % 2 == 0 else "test"


def council_spec() -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load((QUESTIONS / "council.yaml").read_text(encoding="utf-8"))
    return spec


def council_searches() -> list[CouncilSearch]:
    return [
        CouncilSearch(
            text=item["q"],
            category=item["cat"],
            split=_split_of(item["expect"][0]),
            expect=tuple(_full_id(e) for e in item["expect"]),
        )
        for item in council_spec()["search"]
    ]


def council_questions() -> list[Question]:
    """The answerable council questions, each wording its own question; checked first."""
    spec = council_spec()
    check_council_spec(spec)
    return [
        q
        for item in spec["answerable"]
        for q in _expand(
            item, _split_of(item["paper"]), _facts(item["fact"]), _full_id(item["paper"])
        )
    ]


def council_unanswerable() -> list[Question]:
    """Council questions no paper answers; `doc_id` is the paper each is near (its split)."""
    return [
        q
        for item in council_spec().get("unanswerable", [])
        for q in _expand(item, _split_of(item["near"]), (), _full_id(item["near"]))
    ]


def _paper_texts(short_ids: Iterable[str]) -> dict[str, str]:
    """Each paper's files' texts joined, whitespace collapsed (as passages join lines)."""
    wanted = {_full_id(s) for s in short_ids}
    files = {
        f["id"].rsplit("/", 1)[1]: p["id"]
        for p in _read_jsonl("papers.jsonl.gz")
        if p["id"] in wanted
        for f in p.get("auxiliaryFile", [])
    }
    joined: dict[str, list[str]] = {}
    for file_id, text in karlsruhe_texts(files).items():
        joined.setdefault(files[file_id], []).append(text)
    return {paper: " ".join(" ".join(texts).split()) for paper, texts in joined.items()}


def check_council_spec(spec: dict[str, Any]) -> None:
    """Raises ValueError naming every answerable entry whose fact is not in its paper's texts
    (whitespace collapsed), whose wordings are not three, or whose id is used twice."""
    items = spec["answerable"] + spec.get("unanswerable", [])
    texts = _paper_texts(item["paper"] for item in spec["answerable"])
    problems: list[str] = []
    seen: set[str] = set()
    for item in items:
        if item["id"] in seen:
            problems.append(f"{item['id']}: id used twice")
        seen.add(item["id"])
        if len(item["q"]) != len(WORDINGS):
            problems.append(f"{item['id']}: {len(item['q'])} wordings, not {len(WORDINGS)}")
        if "paper" not in item:
            continue
        text = texts.get(_full_id(item["paper"]), "")
        for fact in _facts(item.get("fact")):
            if fact not in text:
                problems.append(f"{item['id']}: fact {fact!r} is not in {item['paper']}")
    if problems:
        raise ValueError("bench/questions/council.yaml: " + "; ".join(problems))


def _full_id(short: str) -> str:
    kind, number = short.split("/")
    return f"{KARLSRUHE_BASE}{'papers/vo' if kind == 'vo' else kind}/{number}"


def _read_jsonl(name: str) -> list[dict[str, Any]]:
    with gzip.open(KARLSRUHE / name, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def karlsruhe_texts(needed: Iterable[str]) -> dict[str, str]:
    """The extracted text of the Karlsruhe files whose ids (last URL segment) are `needed`."""
    wanted = set(needed)
    texts: dict[str, str] = {}
    with tarfile.open(KARLSRUHE / "texts.tar.gz") as tar:
        for member in tar:
            name = Path(member.name).stem
            if member.isfile() and name in wanted:
                extracted = tar.extractfile(member)
                if extracted:
                    texts[name] = extracted.read().decode("utf-8", errors="replace")
    return texts


def karlsruhe_chunks(limit: int, wanted: set[str]) -> list[Chunk]:
    """The wanted papers plus the newest others up to `limit` papers, and every meeting, as the
    crawler would index them (texts from texts.tar.gz stand in for the downloaded PDFs)."""
    lookups = Lookups({})
    for org in _read_jsonl("organizations.jsonl.gz"):
        lookups.add_organization(org)
    meetings = _read_jsonl("meetings.jsonl.gz")
    for meeting in meetings:
        lookups.add_meeting(meeting)
    papers = [p for p in _read_jsonl("papers.jsonl.gz") if not p.get("deleted")]
    chosen = [p for p in papers if p["id"] in wanted]
    chosen += [p for p in papers if p["id"] not in wanted][: max(0, limit - len(chosen))]
    documents = [paper_document(p, lookups)[0] for p in chosen]
    documents += [meeting_document(m, lookups)[0] for m in meetings]
    needed = {f.file_id.rsplit("/", 1)[1] for d in documents for f in d.files}
    texts = karlsruhe_texts(needed)
    splitter = ChunkSplitter()
    chunks: list[Chunk] = []
    for doc in documents:
        parsed = []
        for file in doc.files:
            text = texts.get(file.file_id.rsplit("/", 1)[1], "")
            if len(text.strip()) >= 50:
                parsed.append(ParsedFile(file, split_passages(split_page_markers(text))))
        chunks.extend(splitter.split(doc, parsed))
    return chunks
