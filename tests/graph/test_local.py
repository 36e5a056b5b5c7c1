"""The local YAML directory: lookups, KI-Pass dates, and start-up errors that name the line."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from graph.local import LocalDirectory, parse_directory
from graph.principal import DirectoryFileError, DirectoryUnavailable, UnknownUser
from tests.conftest import REPO

PLAYGROUND_USER = "00000000-0000-0000-0000-0000000000020"  # Agents Playground default aadObjectId
TODAY = date(2026, 11, 27)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "directory.yaml"
    path.write_text(text, encoding="utf-8")
    return path


async def test_sample_ships_every_persona() -> None:
    d = LocalDirectory.from_file(REPO / "samples" / "directory.yaml")
    playground = await d.lookup(PLAYGROUND_USER)
    assert playground.kipass_valid(TODAY)
    assert {"fraktion-gruene", "ausschuss-bau", "public"} <= playground.access_groups
    assert playground.tenant_id == "00000000-0000-0000-0000-0000000000001"
    states = {p.upn: p.kipass_state(TODAY) for p in d.principals}
    assert states["bernd.kroeger@luebeck.de"] == "expired"
    assert states["clara.hansen@luebeck.de"] == "none"
    clara = await d.lookup("clara.hansen@luebeck.de")
    assert clara.open_kipass_steps() == ["leitlinien", "checkliste"]
    groups = {g for p in d.principals for g in p.access_groups}
    assert {"fraktion-gruene", "fraktion-cdu", "ausschuss-bau"} <= groups
    gruene = await d.lookup("dirk.moeller@luebeck.de")
    cdu = await d.lookup("eva.schulz@luebeck.de")
    assert "fraktion-cdu" not in gruene.access_groups
    assert "fraktion-gruene" not in cdu.access_groups


async def test_lookup_by_id_or_upn_case_insensitive(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
users:
  - id: ABC-1
    name: Erika Muster
    upn: Erika.Muster@luebeck.de
    groups: [fraktion-cdu]
    kipass_valid_until: 2027-06-30
""",
    )
    d = LocalDirectory.from_file(path)
    by_id = await d.lookup("abc-1")
    by_upn = await d.lookup("  erika.muster@LUEBECK.DE ")
    assert by_id == by_upn
    assert by_id.access_groups == {"public", "fraktion-cdu"}
    assert by_id.kipass_valid_until == date(2027, 6, 30)
    assert by_id.tenant_id is None
    with pytest.raises(UnknownUser):
        await d.lookup("someone-else")
    with pytest.raises(UnknownUser):
        await d.lookup("")


def test_absent_null_or_past_date_is_no_valid_kipass(tmp_path: Path) -> None:
    principals = parse_directory(
        """
tenant: t-1
users:
  - {id: a, name: A}
  - {id: b, name: B, kipass_valid_until: null}
  - {id: c, name: C, kipass_valid_until: 2026-11-26}
  - {id: d, name: D, kipass_valid_until: "2026-11-27", tenant: t-2}
""",
        tmp_path / "d.yaml",
    )
    valid = {p.id: p.kipass_valid(TODAY) for p in principals}
    assert valid == {"a": False, "b": False, "c": False, "d": True}
    assert [p.tenant_id for p in principals] == ["t-1", "t-1", "t-1", "t-2"]


@pytest.mark.parametrize(
    ("text", "line", "problem"),
    [
        (
            "users:\n  - id: a\n    name: A\n    kipas_valid_until: 2027-01-01\n",
            4,
            "unknown key 'kipas_valid_until'",
        ),
        ("users:\n  - id: a\n    name: A\n  - id: b\n", 4, "'name' is missing"),
        ("users:\n  - {id: a, name: A, kipass_valid_until: soon}\n", 2, "must be a date"),
        (
            "users:\n  - {id: a, name: A}\n  - {id: A, name: B}\n",
            3,
            "this id is already used by the user on line 2",
        ),
        (
            "users:\n  - id: a\n    name: A\n    groups: fraktion-cdu\n",
            4,
            "'groups' must be a list",
        ),
        ("users:\n  - id: a\n    name: A\n    groups: [fraktion cdu]\n", 4, "without spaces"),
        (
            "users:\n  - id: a\n    name: A\n    kipass_steps: {schulng: true}\n",
            4,
            "unknown KI-Pass step 'schulng'",
        ),
        (
            "users:\n  - id: a\n    name: A\n    kipass_steps: {schulung: ja bitte}\n",
            4,
            "true or false",
        ),
        ("users:\n  - id: a\n   name: A\n", 3, "not valid YAML"),
        ("users: 5\n", 1, "'users' must be a list"),
        ("people: []\n", 1, "unknown key 'people'"),
    ],
)
def test_malformed_file_names_line_and_problem(
    tmp_path: Path, text: str, line: int, problem: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(DirectoryFileError) as info:
        LocalDirectory.from_file(path)
    message = str(info.value)
    assert f"{path}:{line}:" in message
    assert problem in message


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, "users:\n  - {id: a}\n  - {name: B}\n")
    with pytest.raises(DirectoryFileError) as info:
        LocalDirectory.from_file(path)
    assert str(info.value).count("is missing") == 2


def test_missing_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(DirectoryFileError, match="not found"):
        LocalDirectory.from_file(tmp_path / "nope.yaml")
    with pytest.raises(DirectoryFileError, match="empty"):
        LocalDirectory.from_file(write(tmp_path, ""))


async def test_file_edits_take_effect_and_broken_edits_fail_closed(tmp_path: Path) -> None:
    path = write(tmp_path, "users:\n  - {id: a, name: A, kipass_valid_until: 2027-01-01}\n")
    d = LocalDirectory.from_file(path)
    assert (await d.lookup("a")).kipass_valid(TODAY)
    path.write_text("users:\n  - {id: a, name: A}\n", encoding="utf-8")
    os.utime(path, (1_900_000_000, 1_900_000_000))
    assert not (await d.lookup("a")).kipass_valid(TODAY)
    path.write_text("users:\n  - {id: a, name: A, bogus: 1}\n", encoding="utf-8")
    os.utime(path, (1_900_000_100, 1_900_000_100))
    with pytest.raises(DirectoryUnavailable, match="bogus"):
        await d.lookup("a")


def test_stats(tmp_path: Path) -> None:
    d = LocalDirectory.from_file(REPO / "samples" / "directory.yaml")
    stats = d.stats(TODAY)
    assert stats.users == len(d.principals) >= 7
    assert stats.kipass_valid + stats.kipass_expired + stats.kipass_none == stats.users
    assert stats.kipass_expired >= 1 and stats.kipass_none >= 1


async def test_group_display_names_from_the_file(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
users:
  - {id: a, name: A, groups: [fraktion-gruene, ki-werkstatt-admins, ausschuss-bau]}
group_names:
  fraktion-gruene: Fraktion Bündnis 90/Die Grünen
  ki-werkstatt-admins: KI-Werkstatt (Verwaltung)
  fraktion-cdu: CDU-Fraktion
""",
    )
    a = await LocalDirectory.from_file(path).lookup("a")
    # Only the person's own groups; one without a display name has none (never its raw id).
    assert a.access_group_names == {
        "fraktion-gruene": "Fraktion Bündnis 90/Die Grünen",
        "ki-werkstatt-admins": "KI-Werkstatt (Verwaltung)",
    }
    sample = LocalDirectory.from_file(REPO / "samples" / "directory.yaml")
    playground = await sample.lookup(PLAYGROUND_USER)
    assert set(playground.access_group_names) == playground.access_groups - {"public"}


def test_bad_group_names_are_reported_with_their_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """users:
  - {id: a, name: A}
group_names:
  fraktion gruene: Grüne
  fraktion-cdu: [not, a, name]
""",
    )
    with pytest.raises(DirectoryFileError) as raised:
        LocalDirectory.from_file(path)
    message = str(raised.value)
    assert "directory.yaml:4: group 'fraktion gruene' must be a name" in message
    assert "directory.yaml:5: the display name of group 'fraktion-cdu' must be a text" in message
    with pytest.raises(DirectoryFileError, match="'group_names' must map"):
        parse_directory("users: []\ngroup_names: [a, b]\n", Path("d.yaml"))
