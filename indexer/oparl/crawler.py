"""The OParl source of the pipeline: System → bodies → organizations, meetings, papers.

Order matters: organizations first (names), then meetings (dates and agenda results), then
papers, which are described with both. Each list page is one pipeline batch; after the sink
has written it, the checkpoint records the next page URL, so a killed run resumes there.

Incremental runs ask only for what changed since the start of the last complete run
(`modified_since`, OParl 1.1 §"Filter"); servers then also list deleted objects
(`deleted: true`), which are removed from the index. A paper whose consultation result
changed in a meeting (without the paper itself changing) is fetched again at the end.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from indexer.checkpoint import Checkpoint
from indexer.oparl.client import OParlClient, OParlError
from indexer.oparl.documents import (
    Lookups,
    is_deleted,
    meeting_document,
    object_type,
    paper_document,
    placeholder_meeting,
)
from indexer.oparl.listing import ListTally
from indexer.oparl.quirks import parse_datetime
from indexer.progress import Progress
from indexer.source import FileRef, Skip, SourceBatch, SourceDocument

log = logging.getLogger(__name__)

PHASES = ("organization", "meeting", "paper")
MAX_FILE_BYTES = 60_000_000
# Clocks of council servers drift; ask for a little more than strictly needed.
SINCE_MARGIN = timedelta(minutes=5)
# A full run that would remove more than this share of what the source has in the index
# stops and asks for --allow-mass-delete: a server that lists less than last time is more
# often broken than purged.
MAX_DELETE_SHARE = 0.10


class OParlSource:
    def __init__(
        self,
        client: OParlClient,
        url: str,
        checkpoint: Checkpoint,
        *,
        max_papers: int | None = None,
        progress: Progress | None = None,
        index_meetings: bool = True,
        full: bool = False,
        max_delete_share: float = MAX_DELETE_SHARE,
        allow_mass_delete: bool = False,
    ) -> None:
        self.client = client
        self.url = url
        self.checkpoint = checkpoint
        self.max_papers = max_papers
        self.progress = progress or Progress(enabled=False)
        self.index_meetings = index_meetings
        self.full = full  # ignore modified_since; afterwards remove what the server no longer lists
        self.max_delete_share = max_delete_share
        self.allow_mass_delete = allow_mass_delete
        self.lookups = Lookups(checkpoint.section("lookups"), checkpoint.pairs("agenda_papers"))
        self.truncated = False  # stopped at max_papers: the run is not complete
        self.failed_lists: list[str] = []  # one plain reason per list that failed for good
        self.failed_objects: list[str] = []  # objects that could not be fetched again
        self.refused_delete: str | None = None  # why vanished documents were kept
        self.resumed = False
        # Papers taken so far, batches not yet written included (the limit counts those);
        # the checkpoint's `run["papers"]` only moves when a batch is committed.
        self._papers_taken = 0

    # ---- the run record in the checkpoint

    def _run_state(self) -> dict[str, Any]:
        run = self.checkpoint.data.get("run")
        if isinstance(run, dict):
            self.resumed = True
            return run
        since = None if self.full else self.checkpoint.data.get("last_complete_start")
        run = {
            "started": datetime.now(UTC).isoformat(),
            "since": since,
            "body": 0,
            "phase": 0,
            "next": None,
            "papers": 0,
            # documents whose files failed last time (network, HTTP 5xx) are fetched again
            "refresh": sorted(self.checkpoint.section("retry")),
            # A full listing also shows what the server dropped without a tombstone: the
            # documents it lists go into the `listed` table (on disk; it grows with the corpus).
            "listing_all": since is None,
        }
        self.checkpoint.table("listed").clear()
        self.checkpoint.data["run"] = run
        self.checkpoint.save()
        return run

    def _since(self, run: dict[str, Any]) -> datetime | None:
        since = parse_datetime(run.get("since"))
        return since - SINCE_MARGIN if since else None

    # ---- batches

    async def batches(self) -> AsyncIterator[SourceBatch]:
        """One batch per list page. The run's position moves only in a batch's `commit`,
        which the job calls after the sink has written that batch; the generator itself
        never saves, so a batch still being written can never be skipped on resume."""
        run = self._run_state()
        since = self._since(run)
        self._papers_taken = int(run["papers"])
        bodies = await self._bodies()

        def position(
            b: int, p: int, n: str | None, tally: dict[str, Any] | None = None
        ) -> Callable[[], None]:
            papers = self._papers_taken  # as of this batch, not of batches prepared after it
            return lambda: run.update(body=b, phase=p, next=n, tally=tally, papers=papers)

        for b in range(int(run["body"]), len(bodies)):
            body = bodies[b]
            for p in range(int(run["phase"]) if b == run["body"] else 0, len(PHASES)):
                phase = PHASES[p]
                list_url = body.get(phase)
                if not isinstance(list_url, str) or not list_url:
                    continue
                resuming = (run["body"], run["phase"]) == (b, p) and run["next"]
                url = run["next"] if resuming else None
                tally = ListTally.from_state(run.get("tally") if resuming else None)
                first = url is None
                url = url or self.client.list_url(list_url, since)
                seen: set[str] = set()
                while url:
                    if url in seen:  # a server whose `next` links go round in a circle
                        log.warning("pagination loop at %s; stopping this list", url)
                        self.failed_lists.append(f"{phase} list: pagination loop at {url}")
                        break
                    seen.add(url)
                    try:
                        page = await self.client.fetch_page(url, since)
                        tally.check(page)
                    except OParlError as exc:
                        # One broken list must not cost the others; the run counts as
                        # incomplete (no deletions, the incremental window stays), so the
                        # next run asks for the same changes again.
                        log.warning("giving up on list %s: %s", url, exc)
                        self.failed_lists.append(f"{phase} list: {exc}")
                        yield self._seal(
                            SourceBatch(skipped=[Skip(url, f"list failed: {exc}")]),
                            run,
                            position(b, p + 1, None),
                        )
                        break
                    if first:
                        self.progress.add_total(page.total)
                        first = False
                    batch = self._batch(phase, page.items, run)
                    next_url = page.next_url
                    if self._paper_limit_reached(run) and phase == "paper":
                        self.truncated = self.truncated or next_url is not None
                        next_url = None
                    move = (
                        position(b, p, next_url, tally.state())
                        if next_url
                        else position(b, p + 1, None)
                    )
                    yield self._seal(batch, run, move)
                    url = next_url
        async for batch in self._refresh(run):
            yield batch
        yield self._seal(SourceBatch(deleted=self._vanished(run)), run, lambda: self._finish(run))

    def _seal(
        self, batch: SourceBatch, run: dict[str, Any], move: Callable[[], None]
    ) -> SourceBatch:
        """Attach the commit: move the run's position and record which documents this source
        has in the index (`known`), once the sink has written the batch."""
        written = [d.meta.doc_id for d in batch.documents]
        deleted = list(batch.deleted)
        # Listed now, not at commit: the final batch (which computes what vanished) is built
        # while the batch before it may still be being written.
        if run.get("listing_all"):
            self.checkpoint.table("listed").add_all(written)

        def commit() -> None:
            move()
            known = self.checkpoint.table("known")
            known.add_all(written)
            known.remove_all(deleted)

        batch.commit = commit
        return batch

    def _vanished(self, run: dict[str, Any]) -> list[str]:
        """After a complete full listing: documents indexed earlier that the server no longer
        lists at all (depublished without a `deleted` tombstone)."""
        if not run.get("listing_all") or self.truncated or self.failed_lists:
            return []
        known = self.checkpoint.table("known")
        vanished = known.keys_missing_from(self.checkpoint.table("listed"))
        share = len(vanished) / max(len(known), 1)
        if vanished and share > self.max_delete_share and not self.allow_mass_delete:
            self.refused_delete = (
                f"kept {len(vanished)} of {len(known)} indexed documents ({share:.0%}) that the "
                f"server no longer lists: more than {self.max_delete_share:.0%} looks like a "
                "broken server; check it, then run again with --allow-mass-delete"
            )
            log.warning("%s", self.refused_delete)
            return []
        return vanished

    async def _bodies(self) -> list[dict[str, Any]]:
        entry = await self.client.get_entry(self.url)
        kind = object_type(entry)
        if kind == "Body":
            return [entry]
        if kind != "System" and "body" not in entry:
            raise OParlError(f"{self.url} is neither an OParl System nor a Body (type {kind!r})")
        body_list = entry.get("body")
        if not isinstance(body_list, str):
            raise OParlError(f"{self.url}: the System names no body list")
        bodies: list[dict[str, Any]] = []
        url: str | None = body_list
        seen: set[str] = set()
        while url and url not in seen:
            seen.add(url)
            page = await self.client.fetch_page(url, None)
            bodies.extend(b for b in page.items if not is_deleted(b))
            url = page.next_url
        return bodies

    def _paper_limit_reached(self, run: dict[str, Any]) -> bool:
        return self.max_papers is not None and self._papers_taken >= self.max_papers

    def _batch(self, phase: str, items: list[dict[str, Any]], run: dict[str, Any]) -> SourceBatch:
        batch = SourceBatch(fetched=len(items))
        for obj in items:
            oid = obj.get("id")
            if not isinstance(oid, str):
                batch.skipped.append(Skip("?", f"{phase} without id"))
                continue
            if phase == "organization":
                self.lookups.add_organization(obj)
            elif phase == "meeting":
                self._meeting(obj, run, batch)
            elif phase == "paper":
                if self._paper_limit_reached(run):
                    batch.fetched -= 1
                    self.truncated = True  # papers left over on this very page
                    continue
                self._papers_taken += 1
                self._paper(obj, batch)
        return batch

    def _meeting(self, meeting: dict[str, Any], run: dict[str, Any], batch: SourceBatch) -> None:
        mid = str(meeting["id"])
        stale = self.lookups.add_meeting(meeting)
        if run.get("since"):  # a full run fetches every paper anyway
            run["refresh"] = sorted(set(run["refresh"]) | set(stale))
        if is_deleted(meeting):
            batch.deleted.append(mid)
        elif placeholder_meeting(meeting):
            batch.skipped.append(Skip(mid, "placeholder meeting (Sammeldatum)"))
            batch.deleted.append(mid)  # in case an earlier version was indexed
        elif self.index_meetings:
            doc, missing = meeting_document(meeting, self.lookups)
            batch.documents.append(doc)
            batch.skipped.extend(Skip(f, "file without downloadUrl/accessUrl") for f in missing)

    def _paper(self, paper: dict[str, Any], batch: SourceBatch) -> None:
        pid = str(paper["id"])
        if is_deleted(paper):
            batch.deleted.append(pid)
            return
        doc, missing = paper_document(paper, self.lookups)
        batch.documents.append(doc)
        batch.skipped.extend(Skip(f, "file without downloadUrl/accessUrl") for f in missing)

    async def _refresh(self, run: dict[str, Any]) -> AsyncIterator[SourceBatch]:
        """Objects to fetch again one by one: papers whose consultation result changed, and
        documents whose files failed to download in an earlier run. A few per batch."""
        pending = list(run["refresh"])
        for start in range(0, len(pending), 20):
            batch = SourceBatch()
            for oid in pending[start : start + 20]:
                try:
                    obj = await self.client.get_object(oid)
                except OParlError as exc:
                    batch.skipped.append(Skip(oid, f"refresh failed: {exc}"))
                    self.failed_objects.append(f"{oid}: {exc}")
                    # Asked for again on the next run, like a document whose file failed.
                    self.checkpoint.section("retry")[oid] = f"refresh failed: {exc}"
                    continue
                batch.fetched += 1
                if object_type(obj) == "Meeting":
                    self._meeting(obj, run, batch)
                else:
                    self._paper(obj, batch)

            def move(rest: list[str] = pending[start + 20 :]) -> None:
                run["refresh"] = rest

            yield self._seal(batch, run, move)

    def _finish(self, run: dict[str, Any]) -> None:
        data = self.checkpoint.data
        data.pop("run", None)
        if not self.truncated and not self.failed_lists:
            # Only a complete run moves the incremental window forward.
            data["last_complete_start"] = run["started"]

    # ---- files

    async def load(self, file: FileRef) -> bytes:
        last: Exception | None = None
        for url in file.urls:
            try:
                data, _ = await self.client.download(url, max_bytes=MAX_FILE_BYTES)
            except OParlError as exc:
                last = exc
                continue
            if data:
                return data
            last = OParlError(f"empty download from {url}")
        raise last or OParlError("no URL to download")


def describe(doc: SourceDocument) -> str:
    return f"{doc.meta.paper_type or 'Dokument'} {doc.meta.reference or doc.meta.doc_id}"
