"""The checkpoint keeps what grows with the corpus on disk, and the summary stays bounded."""

from __future__ import annotations

import json
from pathlib import Path

from indexer.checkpoint import Checkpoint, checkpoint_path
from indexer.oparl.documents import Lookups
from indexer.source import Skip
from indexer.summary import MAX_ITEMS_KEPT, Summary


def test_disk_map_is_a_mapping(tmp_path: Path) -> None:
    ckpt = Checkpoint.load(tmp_path / "c.json", source="s")
    files = ckpt.table("files")
    files["a"] = {"fp": "1", "h": "x"}
    files["b"] = {"fp": "2", "skip": "kein Text, OCR nötig"}
    assert files.get("a") == {"fp": "1", "h": "x"} and files.get("zz") is None
    assert "b" in files and "zz" not in files and 3 not in files
    assert list(files) == ["a", "b"] and len(files) == 2
    del files["a"]
    assert files.pop("a", None) is None and len(files) == 1
    known, listed = ckpt.table("known"), ckpt.table("listed")
    known.add_all(["p1", "p2", "p3"])
    listed.add_all(["p2"])
    assert known.keys_missing_from(listed) == ["p1", "p3"]
    known.remove_all(["p1"])
    assert sorted(known) == ["p2", "p3"]
    ckpt.close()


def test_tables_survive_only_what_was_saved(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    ckpt = Checkpoint.load(path, source="s")
    ckpt.table("known").add_all(["written"])
    ckpt.save()
    ckpt.table("known").add_all(["not confirmed"])  # a run killed before its next save
    ckpt.close()
    again = Checkpoint.load(path, source="s")
    assert list(again.table("known")) == ["written"]
    again.close()


def test_a_json_checkpoint_of_earlier_versions_moves_into_tables(tmp_path: Path) -> None:
    path = checkpoint_path(tmp_path, "oparl", "https://ris.example/oparl/system")
    path.parent.mkdir(parents=True)
    old = {
        "version": 1,
        "source": "x",
        "files": {"f1": {"fp": "1", "h": "abc"}},
        "known": {"p1": 1, "p2": 1},
        "lookups": {"orgs": {"o1": "Gemeinderat"}},
    }
    path.write_text(json.dumps(old), encoding="utf-8")
    ckpt = Checkpoint.load(path, source="x")
    assert ckpt.table("files")["f1"] == {"fp": "1", "h": "abc"}
    assert sorted(ckpt.table("known")) == ["p1", "p2"]
    ckpt.save()
    ckpt.close()
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert "files" not in saved and "known" not in saved
    assert saved["lookups"] == old["lookups"]
    reopened = Checkpoint.load(path, source="x")
    assert sorted(reopened.table("known")) == ["p1", "p2"]
    reopened.close()


def test_summary_counts_every_skip_and_failure_but_keeps_only_the_first() -> None:
    summary = Summary()
    for n in range(MAX_ITEMS_KEPT * 3):
        summary.add_skip(Skip(f"file-{n}", "image-only PDF: kein Text, OCR nötig"))
        summary.add_failure(f"file-{n} failed (HTTP 503)")
    summary.add_failure("paper list: empty page in the middle of the list", first=True)
    assert len(summary.skipped) == MAX_ITEMS_KEPT and summary.skip_count == MAX_ITEMS_KEPT * 3
    assert summary.skip_reasons() == {"image-only PDF: kein Text, OCR nötig": MAX_ITEMS_KEPT * 3}
    assert len(summary.failures) == MAX_ITEMS_KEPT
    line = summary.failure_line()
    assert line is not None and line.startswith("paper list: empty page")
    assert line.endswith(f"(and {MAX_ITEMS_KEPT * 3} more failure(s))")
    assert summary.as_dict()["skipped"] == MAX_ITEMS_KEPT * 3


def test_agenda_papers_live_in_a_table_and_old_ones_move_there(tmp_path: Path) -> None:
    ckpt = Checkpoint.load(tmp_path / "c.json", source="s")
    store = {"agenda_papers": {"top-1": ["paper-2", "paper-1"]}, "orgs": {}}
    lookups = Lookups(store, ckpt.pairs("agenda_papers"))
    assert "agenda_papers" not in store  # no longer rewritten with every page's JSON
    meeting = {
        "id": "m1",
        "type": "https://schema.oparl.org/1.1/Meeting",
        "agendaItem": [{"id": "top-1", "result": "beschlossen"}],
    }
    assert lookups.add_meeting(meeting) == ["paper-1", "paper-2"]
    lookups.consultation_lines({"id": "paper-3", "consultation": [{"agendaItem": "top-1"}]})
    ckpt.save()
    ckpt.close()
    again = Checkpoint.load(tmp_path / "c.json", source="s")
    assert again.pairs("agenda_papers").get("top-1") == ["paper-1", "paper-2", "paper-3"]
    again.close()
