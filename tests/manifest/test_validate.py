"""Each problem an admin can make is detected and named in plain words; all of them at once."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from manifest.build import TEMPLATE, LastBuildStore, ManifestValues, build_package, render_files
from manifest.schema_check import BUNDLED_SCHEMA_DIR, ManifestValidator, schema_file
from manifest.validate import Expectations, PackageError, read_package, validate_package
from tests.manifest.conftest import ALLRIS_HOST, APP_ID, BOT_DOMAIN, BOT_ID

Edit = Callable[[Callable[[dict[str, Any]], None]], None]


def _build(tmp_path: Path, values: ManifestValues, template_dir: Path, schemas: Path) -> list[str]:
    (tmp_path / "out.zip").unlink(missing_ok=True)
    result = build_package(
        values,
        tmp_path / "out.zip",
        LastBuildStore(tmp_path / "data"),
        template_dir=template_dir,
        schema_dir=schemas,
    )
    assert result.ok == (not result.problems)
    assert (tmp_path / "out.zip").exists() == result.ok  # nothing written when broken
    return result.problems


def _png(size: tuple[int, int], colour: tuple[int, int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def test_draft7_checks_const_which_draft4_ignores() -> None:
    validator = ManifestValidator(json.loads(schema_file(BUNDLED_SCHEMA_DIR, "1.29").read_text()))
    errors = list(validator.iter_errors({"manifestVersion": "1.28"}))
    assert any(e.validator == "const" for e in errors)


def test_typo_in_template_key(
    tmp_path: Path,
    values: ManifestValues,
    template_dir: Path,
    edit_template: Edit,
    official_schemas: Path,
) -> None:
    edit_template(lambda m: m.__setitem__("compseExtensions", m.pop("composeExtensions")))
    problems = _build(tmp_path, values, template_dir, official_schemas)
    assert any(
        "unknown field 'compseExtensions' (did you mean 'composeExtensions'?)" in p
        for p in problems
    ), problems


def test_template_that_is_not_json(
    tmp_path: Path, values: ManifestValues, template_dir: Path, official_schemas: Path
) -> None:
    path = template_dir / TEMPLATE
    path.write_text(path.read_text().replace('"version":', '"version"', 1))
    problems = _build(tmp_path, values, template_dir, official_schemas)
    assert len(problems) == 1
    assert problems[0].startswith("manifest.template.json: not valid JSON at line 4, column")


def test_wrong_icon_size(
    tmp_path: Path, values: ManifestValues, template_dir: Path, official_schemas: Path
) -> None:
    (template_dir / "color.png").write_bytes(_png((100, 100), (181, 18, 27, 255)))
    problems = _build(tmp_path, values, template_dir, official_schemas)
    assert problems == ["color.png: the color icon must be 192x192 pixels, not 100x100"]


def test_coloured_outline(
    tmp_path: Path, values: ManifestValues, template_dir: Path, official_schemas: Path
) -> None:
    with Image.open(template_dir / "outline.png") as original:
        image = original.convert("RGBA")
    image.putpixel((0, 0), (200, 0, 0, 255))
    image.putpixel((1, 0), (255, 255, 255, 255))  # white stays allowed
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    (template_dir / "outline.png").write_bytes(buffer.getvalue())
    problems = _build(tmp_path, values, template_dir, official_schemas)
    assert problems == [
        "outline.png: the outline icon must be pure white on transparent; "
        "1 of its 1024 pixels are neither white nor transparent"
    ]


def test_outline_without_transparency(
    tmp_path: Path, values: ManifestValues, template_dir: Path, official_schemas: Path
) -> None:
    (template_dir / "outline.png").write_bytes(_png((32, 32), (255, 255, 255, 255)))
    problems = _build(tmp_path, values, template_dir, official_schemas)
    assert problems == ["outline.png: the outline icon has no transparent background"]


def test_bot_id_not_a_guid(tmp_path: Path, template_dir: Path, official_schemas: Path) -> None:
    values = ManifestValues(APP_ID, "kiw-bot", BOT_DOMAIN, ALLRIS_HOST)
    problems = _build(tmp_path, values, template_dir, official_schemas)
    assert any("bots[0].botId: bot id 'kiw-bot' is not a GUID" in p for p in problems), problems
    assert all("kiw-bot" in p for p in problems)  # every line is about the bad id


def test_bad_bot_domain(tmp_path: Path, template_dir: Path, official_schemas: Path) -> None:
    values = ManifestValues(APP_ID, BOT_ID, "https://kiw.luebeck.de/api", ALLRIS_HOST)
    problems = _build(tmp_path, values, template_dir, official_schemas)
    assert any(
        "validDomains[0]: 'https://kiw.luebeck.de/api' is not a bare host name" in p
        for p in problems
    ), problems


def test_valid_domain_that_is_not_the_bot_host(
    values: ManifestValues, official_schemas: Path
) -> None:
    files, _ = render_files(values)
    manifest = json.loads(files["manifest.json"])
    manifest["validDomains"] = ["kiw-test.luebeck.de", ALLRIS_HOST]
    files["manifest.json"] = json.dumps(manifest).encode()
    problems = validate_package(files, Expectations(BOT_DOMAIN, ALLRIS_HOST), official_schemas)
    assert problems == [
        "manifest.json: validDomains[0]: 'kiw-test.luebeck.de' matches neither the bot host "
        f"'{BOT_DOMAIN}' nor the ALLRIS host '{ALLRIS_HOST}'",
        f"manifest.json: validDomains does not contain the bot host '{BOT_DOMAIN}' (KIW_BOT_DOMAIN)",
    ]


@pytest.mark.parametrize(
    ("where", "limit"),
    [("composeExtensions", 32), ("bots", 128)],
)
def test_long_command_title(
    tmp_path: Path,
    values: ManifestValues,
    template_dir: Path,
    edit_template: Edit,
    official_schemas: Path,
    where: str,
    limit: int,
) -> None:
    title = "x" * (limit + 1)

    def lengthen(m: dict[str, Any]) -> None:
        if where == "bots":
            m["bots"][0]["commandLists"][1]["commands"][0]["title"] = title
        else:
            m["composeExtensions"][0]["commands"][0]["title"] = title

    edit_template(lengthen)
    problems = _build(tmp_path, values, template_dir, official_schemas)
    shown = title if len(title) <= 60 else "x" * 59 + "…"
    path = (
        "bots[0].commandLists[1].commands[0].title"
        if where == "bots"
        else "composeExtensions[0].commands[0].title"
    )
    assert problems == [
        f"manifest.json: {path}: command title '{shown}' is {limit + 1} characters long; "
        f"the schema allows at most {limit}"
    ]


def test_long_localised_command_title(
    tmp_path: Path, values: ManifestValues, template_dir: Path, official_schemas: Path
) -> None:
    path = template_dir / "en.template.json"
    strings = json.loads(path.read_text())
    strings["composeExtensions[0].commands[0].title"] = "Search the council information system"
    path.write_text(json.dumps(strings))
    problems = _build(tmp_path, values, template_dir, official_schemas)
    assert len(problems) == 1
    assert problems[0].startswith(
        "en.json: composeExtensions[0].commands[0].title: command title 'Search the council"
    )
    assert problems[0].endswith("is 37 characters long; the schema allows at most 32")


def test_version_not_bumped(
    tmp_path: Path,
    values: ManifestValues,
    template_dir: Path,
    edit_template: Edit,
    official_schemas: Path,
) -> None:
    assert _build(tmp_path, values, template_dir, official_schemas) == []
    first = read_package(tmp_path / "out.zip")
    edit_template(lambda m: m["name"].__setitem__("short", "KI-Werkstatt Lübeck"))
    problems = _build(tmp_path, values, template_dir, official_schemas)
    assert problems == [
        "manifest.json: version not increased: the package changed since the last build, but "
        "its version is still 1.0.0 (build with --bump patch|minor|major)"
    ]
    bumped = build_package(
        values,
        tmp_path / "out.zip",
        LastBuildStore(tmp_path / "data"),
        bump="patch",
        template_dir=template_dir,
        schema_dir=official_schemas,
    )
    assert bumped.ok and bumped.version == "1.0.1"
    # The first package, checked now, is older than what was last built.
    expect = Expectations(BOT_DOMAIN, ALLRIS_HOST, LastBuildStore(tmp_path / "data").load())
    assert validate_package(first, expect, official_schemas) == [
        "manifest.json: version 1.0.0 is lower than the last built version 1.0.1; "
        "Teams only accepts an update with a higher version"
    ]


def test_every_problem_is_listed_at_once(
    tmp_path: Path, template_dir: Path, edit_template: Edit, official_schemas: Path
) -> None:
    edit_template(lambda m: m.__setitem__("acentColor", m.pop("accentColor")))
    (template_dir / "color.png").write_bytes(_png((64, 64), (0, 0, 0, 255)))
    values = ManifestValues(APP_ID, "not-a-guid", BOT_DOMAIN, "")
    problems = _build(tmp_path, values, template_dir, official_schemas)
    text = "\n".join(problems)
    for expected in (
        "KIW_ALLRIS_HOST is not set",
        "unknown field 'acentColor' (did you mean 'accentColor'?)",
        "'accentColor' is required but missing",
        "bot id 'not-a-guid' is not a GUID",
        "template placeholder ${{ALLRIS_HOST}} was not filled in",
        "color.png: the color icon must be 192x192 pixels, not 64x64",
    ):
        assert expected in text, text


def test_unreadable_packages_are_named(tmp_path: Path, values: ManifestValues) -> None:
    not_zip = tmp_path / "x.zip"
    not_zip.write_text("hello")
    with pytest.raises(PackageError, match="is not a zip file"):
        read_package(not_zip)
    with pytest.raises(PackageError, match="does not exist"):
        read_package(tmp_path / "missing.zip")
    nested = tmp_path / "nested.zip"
    files, _ = render_files(values)
    with zipfile.ZipFile(nested, "w") as archive:
        for name, data in files.items():
            archive.writestr(f"appPackage/{name}", data)
    assert validate_package(read_package(nested)) == [
        "manifest.json is missing at the top level of the package (found "
        "appPackage/manifest.json: zip the files themselves, not their folder)"
    ]
    assert validate_package({"manifest.json": b"{nope"})[0].startswith(
        "manifest.json is not valid JSON"
    )


def test_folder_and_unknown_manifest_version(tmp_path: Path, values: ManifestValues) -> None:
    files, _ = render_files(values)
    manifest = json.loads(files["manifest.json"])
    manifest["manifestVersion"] = "1.99"
    files["manifest.json"] = json.dumps(manifest).encode()
    folder = tmp_path / "pkg"
    folder.mkdir()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    problems = validate_package(read_package(folder))
    assert problems == [
        f"manifest.json: no schema for manifestVersion '1.99' in {BUNDLED_SCHEMA_DIR} "
        "(use the bundled version or pass --schema-dir)"
    ]


def test_sso_and_link_unfurling_must_match_the_bot_and_allris(
    values: ManifestValues, official_schemas: Path
) -> None:
    files, _ = render_files(values)
    manifest = json.loads(files["manifest.json"])
    manifest["webApplicationInfo"] = {
        "id": "11111111-1111-1111-1111-111111111111",
        "resource": "api://kiw.luebeck.de/other",
    }
    manifest["composeExtensions"][0]["messageHandlers"][0]["value"]["domains"] = [
        "https://ratsinfo.luebeck.de/bi",
        "ratsinfo.example.org",
    ]
    files["manifest.json"] = json.dumps(manifest).encode()
    problems = validate_package(files, Expectations(BOT_DOMAIN, ALLRIS_HOST), official_schemas)
    where = "manifest.json: composeExtensions[0].messageHandlers[0].value.domains"
    assert problems == [
        "manifest.json: webApplicationInfo.id differs from the bot id; single sign-on for the "
        "bot needs the bot's own app registration",
        "manifest.json: webApplicationInfo.resource 'api://kiw.luebeck.de/other' does not name "
        f"the bot id (expected api://botid-{BOT_ID})",
        f"{where}[0]: 'https://ratsinfo.luebeck.de/bi' is not a bare host name (no https://, "
        "no path), e.g. ratsinfo.luebeck.de",
        f"{where}[1]: 'ratsinfo.example.org' is not the ALLRIS host '{ALLRIS_HOST}' "
        "(KIW_ALLRIS_HOST)",
    ]
