"""Building the package from the template, checked against the OFFICIAL schema in ../shared."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from PIL import Image

from manifest.build import (
    TEMPLATE_DIR,
    LastBuildStore,
    ManifestValues,
    build_package,
    bump_version,
    fill,
)
from manifest.schema_check import BUNDLED_SCHEMA_DIR
from manifest.validate import Expectations, read_package, validate_package
from tests.manifest.conftest import ALLRIS_HOST, APP_ID, BOT_DOMAIN, BOT_ID


def test_template_builds_a_package_the_official_schema_accepts(
    tmp_path: Path, values: ManifestValues, official_schemas: Path
) -> None:
    out = tmp_path / "appPackage.zip"
    result = build_package(
        values, out, LastBuildStore(tmp_path / "data"), schema_dir=official_schemas
    )
    assert result.problems == []
    assert result.path == out
    with zipfile.ZipFile(out) as archive:
        names = sorted(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
        english = json.loads(archive.read("en.json"))
    assert names == ["color.png", "color32x32.png", "en.json", "manifest.json", "outline.png"]
    # Validated again from the zip, independently of the build step.
    files = read_package(out)
    assert validate_package(files, Expectations(BOT_DOMAIN, ALLRIS_HOST), official_schemas) == []

    assert manifest["manifestVersion"] == "1.29"
    assert manifest["id"] == APP_ID and manifest["version"] == "1.0.0"
    bot = manifest["bots"][0]
    assert bot["botId"] == BOT_ID
    assert set(bot["scopes"]) == {"personal", "team", "groupChat"}
    for command_list in bot[
        "commandLists"
    ]:  # prompt starters: tests/manifest/test_prompt_starters.py
        assert command_list["triggers"] == ["mention", "slash"]
    assert {s for cl in bot["commandLists"] for s in cl["scopes"]} == {
        "personal",
        "team",
        "groupChat",
    }
    extension = manifest["composeExtensions"][0]
    assert extension["botId"] == BOT_ID
    search, action = extension["commands"]
    assert (search["type"], search["title"]) == ("query", "ALLRIS-Suche")
    assert set(search["context"]) == {"compose", "commandBox"}  # compose = Outlook too
    assert (action["type"], action["title"], action["context"]) == (
        "action",
        "Zusammenfassen",
        ["message"],
    )
    assert extension["messageHandlers"] == [{"type": "link", "value": {"domains": [ALLRIS_HOST]}}]
    assert manifest["validDomains"] == [BOT_DOMAIN, ALLRIS_HOST]
    assert manifest["webApplicationInfo"] == {"id": BOT_ID, "resource": f"api://botid-{BOT_ID}"}
    assert english["composeExtensions[0].commands[0].title"] == "ALLRIS search"


def test_template_is_valid_for_no_older_version_than_it_needs(
    values: ManifestValues, official_schemas: Path
) -> None:
    """1.29 is the newest schema and the first with slash-menu `triggers`: 1.28 rejects them."""
    from manifest.build import render_files

    files, problems = render_files(values)
    assert problems == []
    manifest = json.loads(files["manifest.json"])
    manifest["manifestVersion"] = "1.28"
    manifest["$schema"] = manifest["$schema"].replace("v1.29", "v1.28")
    files["manifest.json"] = json.dumps(manifest).encode()
    older = validate_package(files, Expectations(), official_schemas)
    assert any("triggers" in p for p in older), older
    assert any("supportsTargetedMessages" in p for p in older), older
    newest = sorted(p.name for p in official_schemas.iterdir() if p.name.startswith("v1."))
    assert max(newest, key=lambda v: tuple(int(x) for x in v[1:].split("."))) == "v1.29"


def test_bundled_schema_is_the_official_file(official_schemas: Path) -> None:
    for name in ("MicrosoftTeams.schema.json", "MicrosoftTeams.Localization.schema.json"):
        bundled = (BUNDLED_SCHEMA_DIR / "v1.29" / name).read_bytes()
        assert bundled == (official_schemas / "v1.29" / name).read_bytes()


def test_committed_icons_follow_the_teams_rules() -> None:
    with Image.open(TEMPLATE_DIR / "color.png") as color:
        assert color.size == (192, 192)
    with Image.open(TEMPLATE_DIR / "outline.png") as image:
        outline = image.convert("RGBA")
    assert outline.size == (32, 32)
    raw = outline.tobytes()
    pixels = {raw[i : i + 4] for i in range(0, len(raw), 4)}
    assert pixels == {b"\x00\x00\x00\x00", b"\xff\xff\xff\xff"}


def test_bump_and_continue_from_the_last_build(tmp_path: Path, values: ManifestValues) -> None:
    store = LastBuildStore(tmp_path / "data")
    first = build_package(values, tmp_path / "a.zip", store)
    again = build_package(values, tmp_path / "b.zip", store)  # nothing changed: same version
    bumped = build_package(values, tmp_path / "c.zip", store, bump="minor")
    assert (first.version, again.version, bumped.version) == ("1.0.0", "1.0.0", "1.1.0")
    assert all(r.ok for r in (first, again, bumped))
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()  # reproducible
    last = store.load()
    assert last is not None and last.version == "1.1.0"
    assert bump_version("1.9.9", "patch") == "1.9.10"
    assert bump_version("1.9.9", "major") == "2.0.0"


def test_values_never_break_the_json() -> None:
    hostile = 'a"b\\c'
    filled = fill({"x": ["${{BOT_DOMAIN}}", "${{UNKNOWN}}"]}, {"BOT_DOMAIN": hostile})
    assert filled == {"x": [hostile, "${{UNKNOWN}}"]}
