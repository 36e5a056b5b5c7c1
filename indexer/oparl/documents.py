"""OParl objects → pipeline documents: a paper or meeting with its metadata and files.

Lookups the crawler learns along the way (organization names, meeting dates, agenda-item
results) live in `Lookups`, which is kept in the checkpoint so incremental runs still know
the names of organizations that did not change.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from indexer.checkpoint import DiskPairs, MemoryPairs
from indexer.chunking import Passage
from indexer.model import COUNCIL, PUBLIC
from indexer.oparl.quirks import (
    as_list,
    clean,
    last_change,
    parse_date,
    parse_datetime,
    text,
)
from indexer.source import DocumentMeta, FileRef, SourceDocument
from kiw_common.references import allris_ids_in_url

_PLACEHOLDER_MEETING = re.compile(r"Sammeldatum|Sammeltermin|Dummy-?Sitzung", re.IGNORECASE)
_MEETING_STATUS = re.compile(
    r"\s*\((?:öffentlich|nicht öffentlich|öffentlich/nicht öffentlich)\)\s*$"
)


def object_type(obj: dict[str, Any]) -> str:
    """`https://schema.oparl.org/1.1/Paper` → `Paper`."""
    return str(obj.get("type") or "").rstrip("/").rsplit("/", 1)[-1]


def is_deleted(obj: dict[str, Any]) -> bool:
    return obj.get("deleted") is True or str(obj.get("deleted")).lower() == "true"


def placeholder_meeting(meeting: dict[str, Any]) -> bool:
    """ALLRIS 4 "Sammeldatum für alle Vorlagen" meetings are not meetings."""
    return bool(_PLACEHOLDER_MEETING.search(text(meeting, "name") or ""))


def _de_date(value: Any) -> str | None:
    parsed = parse_date(value)
    return parsed.strftime("%d.%m.%Y") if parsed else None


class Lookups:
    """Names and results the crawler needs to describe papers. Backed by checkpoint dicts;
    agenda item → papers, which grows with the papers (not the meetings), by a checkpoint
    table when one is given."""

    def __init__(
        self, store: dict[str, Any], agenda_papers: DiskPairs | MemoryPairs | None = None
    ) -> None:
        self.orgs: dict[str, str] = store.setdefault("orgs", {})
        self.meetings: dict[str, dict[str, str]] = store.setdefault("meetings", {})
        self.results: dict[str, str] = store.setdefault("results", {})  # agendaItem id → result
        self.agenda_papers = agenda_papers if agenda_papers is not None else MemoryPairs()
        legacy = store.pop("agenda_papers", None)  # kept in the JSON by earlier versions
        if isinstance(legacy, dict):
            for item, papers in legacy.items():
                for paper_id in papers if isinstance(papers, list) else []:
                    self.agenda_papers.add(str(item), str(paper_id))

    def add_organization(self, org: dict[str, Any]) -> None:
        oid = org.get("id")
        if not isinstance(oid, str):
            return
        if is_deleted(org):
            self.orgs.pop(oid, None)
            return
        name = text(org, "name") or text(org, "shortName")
        if name:
            self.orgs[oid] = name

    def org_names(self, ids: Any) -> list[str]:
        return [self.orgs[i] for i in as_list(ids) if isinstance(i, str) and i in self.orgs]

    def add_meeting(self, meeting: dict[str, Any]) -> list[str]:
        """Remember the meeting's date, committee and agenda results; return the papers whose
        consultation result changed (so an incremental run can refresh them)."""
        mid = meeting.get("id")
        if not isinstance(mid, str):
            return []
        if is_deleted(meeting) or placeholder_meeting(meeting):
            self.meetings.pop(mid, None)
            return []
        orgs = self.org_names(meeting.get("organization"))
        name = _MEETING_STATUS.sub("", text(meeting, "name") or "")
        self.meetings[mid] = {
            "date": _de_date(meeting.get("start")) or "",
            "org": orgs[0] if orgs else name,
        }
        stale: list[str] = []
        for item in as_list(meeting.get("agendaItem")):
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                continue
            result = text(item, "result")
            old = self.results.get(item["id"])
            if result:
                self.results[item["id"]] = result
            else:
                self.results.pop(item["id"], None)
            if old != result:
                stale.extend(self.agenda_papers.get(item["id"]))
        return stale

    def consultation_lines(self, paper: dict[str, Any]) -> tuple[list[str], list[str], list[str]]:
        """(lines for the overview, decided results for `status`, organization names)."""
        lines: list[str] = []
        status: list[str] = []
        orgs: list[str] = []
        for c in as_list(paper.get("consultation")):
            if not isinstance(c, dict):
                continue
            meeting = self.meetings.get(str(c.get("meeting") or ""), {})
            names = self.org_names(c.get("organization")) or (
                [meeting["org"]] if meeting.get("org") else []
            )
            orgs.extend(names)
            label = " ".join(x for x in (", ".join(names), meeting.get("date")) if x) or "Beratung"
            role = text(c, "role")
            item = c.get("agendaItem")
            if isinstance(item, str) and isinstance(paper.get("id"), str):
                self.agenda_papers.add(item, paper["id"])
            result = self.results.get(item) if isinstance(item, str) else None
            line = label + (f" ({role})" if role else "")
            if result:
                line += f": {result}"
                status.append(f"{label}: {result}")
            lines.append(line)
        return lines, status, orgs


def _file_ref(obj: dict[str, Any], *, fallback_id: str) -> FileRef | None:
    """A File object (embedded) as a FileRef; URL strings (unembedded files) are skipped by
    the caller. Empty `downloadUrl`s fall back to `accessUrl`."""
    urls = tuple(
        u
        for u in (clean(obj.get("downloadUrl")), clean(obj.get("accessUrl")))
        if isinstance(u, str)
    )
    raw_id = obj.get("id")
    file_id = raw_id if isinstance(raw_id, str) and raw_id else fallback_id
    if not urls:
        return None
    stamp = last_change(obj)  # some servers write `created` after `modified`
    fingerprint = (
        stamp.isoformat() if stamp else hashlib.sha256("|".join(urls).encode()).hexdigest()[:16]
    )
    return FileRef(
        file_id=file_id,
        name=text(obj, "name") or text(obj, "fileName"),
        fingerprint=fingerprint,
        urls=urls,
        mime_type=text(obj, "mimeType"),
        url=clean(obj.get("accessUrl")) or urls[0],
    )


def files_of(obj: dict[str, Any], keys: tuple[str, ...]) -> tuple[list[FileRef], list[str]]:
    """Files under these keys (object or list, as servers vary); ids of files without URLs."""
    refs: list[FileRef] = []
    missing: list[str] = []
    seen: set[str] = set()
    for key in keys:
        for n, f in enumerate(as_list(obj.get(key))):
            if not isinstance(f, dict) or is_deleted(f):
                continue
            ref = _file_ref(f, fallback_id=f"{obj.get('id')}/{key}/{n}")
            if ref is None:
                missing.append(str(f.get("id") or f"{obj.get('id')}/{key}/{n}"))
            elif ref.file_id not in seen:
                seen.add(ref.file_id)
                refs.append(ref)
    return refs, missing


def paper_document(paper: dict[str, Any], lookups: Lookups) -> tuple[SourceDocument, list[str]]:
    pid = str(paper["id"])
    title = text(paper, "name") or text(paper, "reference") or "Vorlage ohne Titel"
    reference = text(paper, "reference")
    paper_type = text(paper, "paperType")
    when = parse_date(paper.get("date")) or parse_date(paper.get("created"))
    web = clean(paper.get("web"))
    lines, status, orgs = lookups.consultation_lines(paper)
    directed = lookups.org_names(paper.get("underDirectionOf"))
    originators = lookups.org_names(paper.get("originatorOrganization"))
    organizations = tuple(dict.fromkeys([*orgs, *directed, *originators]))
    files, missing = files_of(paper, ("mainFile", "auxiliaryFile"))
    source_ids = (*allris_ids_in_url(web), *((f"reference={reference}",) if reference else ()))

    overview = [f"{paper_type or 'Vorlage'} {reference or ''}: {title}".replace("  ", " ")]
    if when:
        overview.append(f"Datum: {when.strftime('%d.%m.%Y')}")
    if directed:
        overview.append("Federführend: " + ", ".join(directed))
    if originators:
        overview.append("Eingereicht von: " + ", ".join(originators))
    if lines:
        overview.append("Beratungsfolge:")
        overview.extend(f"- {line}" for line in lines)
    if files:
        overview.append("Dokumente: " + "; ".join(f.name or f.file_id for f in files))
    meta = DocumentMeta(
        doc_id=pid,
        collection=COUNCIL,
        title=title,
        access=(PUBLIC,),
        url=web if isinstance(web, str) else None,
        reference=reference,
        paper_id=pid,
        paper_type=paper_type,
        date=when,
        organizations=organizations,
        source_ids=source_ids,
        status="; ".join(status) or None,
    )
    return SourceDocument(meta=meta, overview="\n".join(overview), files=files), missing


def meeting_document(meeting: dict[str, Any], lookups: Lookups) -> tuple[SourceDocument, list[str]]:
    mid = str(meeting["id"])
    name = text(meeting, "name") or "Sitzung"
    start = parse_datetime(meeting.get("start"))
    orgs = tuple(lookups.org_names(meeting.get("organization")))
    title = f"{name} am {start.strftime('%d.%m.%Y')}" if start else name
    web = clean(meeting.get("web"))
    head = [title]
    if text(meeting, "meetingState"):
        head.append(f"Status: {text(meeting, 'meetingState')}")
    if meeting.get("cancelled") is True:
        head.append("Die Sitzung fällt aus.")
    location = meeting.get("location")
    if isinstance(location, dict):
        where = text(location, "description") or text(location, "room")
        if where:
            head.append(f"Ort: {where}")
    agenda: list[str] = []
    for item in as_list(meeting.get("agendaItem")):
        if not isinstance(item, dict):
            continue
        number = text(item, "number")
        label = text(item, "name") or ""
        result = text(item, "result")
        line = f"TOP {number}: {label}" if number else label
        if result:
            line += f" – {result}"
        if item.get("public") is False:
            line += " (nicht öffentlich)"
        if line.strip():
            agenda.append(f"- {line}")
    passages = [
        Passage("\n".join([*head, "Tagesordnung:", *agenda[i : i + 25]]), None, "Tagesordnung")
        for i in range(0, max(len(agenda), 1), 25)
    ]
    files, missing = files_of(
        meeting, ("invitation", "resultsProtocol", "verbatimProtocol", "auxiliaryFile")
    )
    meta = DocumentMeta(
        doc_id=mid,
        collection=COUNCIL,
        title=title,
        url=web if isinstance(web, str) else None,
        paper_type="Sitzung",
        date=start.date() if start else None,
        organizations=orgs,
        source_ids=allris_ids_in_url(web if isinstance(web, str) else None),
    )
    return SourceDocument(meta=meta, passages=passages, files=files), missing
