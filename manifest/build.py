"""Render manifest.template.json into the Teams app package (the zip admins upload).

The template is JSON with `${{NAME}}` placeholders inside string values. It is parsed FIRST and
filled value by value, so a value can never break the JSON (quotes, backslashes). Localisation
files are rendered the same way from `<name>.template.json`. The package is checked with exactly
the checks of `kiw manifest validate`; with any problem, nothing is written.

Versions only move when the admin says so (`--bump`): the last built version (and a digest of
the content) is remembered in the data dir, so a changed package with an unchanged version is
reported as "version not increased" instead of being rejected later by the Teams admin center.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from manifest.validate import (
    MANIFEST,
    Expectations,
    LastBuild,
    package_digest,
    validate_package,
    version_tuple,
)

TEMPLATE_DIR = Path(__file__).resolve().parent
TEMPLATE = "manifest.template.json"
FIRST_VERSION = "1.0.0"
PLACEHOLDER = re.compile(r"\$\{\{([A-Za-z0-9_]+)\}\}")
Bump = Literal["patch", "minor", "major"]
# Fixed timestamp inside the zip: the same inputs give byte-identical packages.
ZIP_DATE = (2026, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class ManifestValues:
    """What the template needs; from settings (KIW_TEAMS_APP_ID, MicrosoftAppId, ...)."""

    teams_app_id: str
    bot_id: str
    bot_domain: str
    allris_host: str
    version: str = ""  # "" = continue from the last build (or FIRST_VERSION)

    def placeholders(self) -> dict[str, str]:
        return {
            "TEAMS_APP_ID": self.teams_app_id,
            "BOT_ID": self.bot_id,
            "BOT_DOMAIN": self.bot_domain,
            "ALLRIS_HOST": self.allris_host,
            "APP_VERSION": self.version or FIRST_VERSION,
        }

    def missing(self) -> list[str]:
        names = {
            "KIW_TEAMS_APP_ID": self.teams_app_id,
            "MicrosoftAppId": self.bot_id,
            "KIW_BOT_DOMAIN": self.bot_domain,
            "KIW_ALLRIS_HOST": self.allris_host,
        }
        return [f"{name} is not set (needed in the manifest)" for name, v in names.items() if not v]


@dataclass
class BuildResult:
    problems: list[str]
    version: str
    files: dict[str, bytes] = field(default_factory=dict)
    path: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


# ---------------------------------------------------------------- versions


def bump_version(version: str, part: Bump) -> str:
    parsed = version_tuple(version)
    if parsed is None:
        raise ValueError(f"version '{version}' is not MAJOR.MINOR.PATCH")
    major, minor, patch = parsed
    if part == "major":
        return f"{major + 1}.0.0"
    if part == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


class LastBuildStore:
    """`<data dir>/manifest/last-build.json`: the version and digest of the last written package."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / "manifest" / "last-build.json"

    def load(self) -> LastBuild | None:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
            return LastBuild(str(raw["appId"]), str(raw["version"]), str(raw["digest"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None  # never built here (or a damaged record): nothing to compare with

    def save(self, build: LastBuild) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        record = {"appId": build.app_id, "version": build.version, "digest": build.digest}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        tmp.replace(self.path)


# ---------------------------------------------------------------- rendering


def fill(value: Any, placeholders: Mapping[str, str]) -> Any:
    """Replace `${{NAME}}` in every string of a parsed JSON value; unknown names stay visible."""
    if isinstance(value, str):
        return PLACEHOLDER.sub(lambda m: placeholders.get(m[1], m[0]) or m[0], value)
    if isinstance(value, list):
        return [fill(v, placeholders) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, placeholders) for k, v in value.items()}
    return value


def _load_template(path: Path) -> tuple[Any, list[str]]:
    try:
        return json.loads(path.read_text(encoding="utf-8")), []
    except OSError as exc:
        return None, [f"{path.name}: cannot be read ({exc.strerror})"]
    except json.JSONDecodeError as exc:
        return None, [
            f"{path.name}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ]


def _dump(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def render_files(
    values: ManifestValues, template_dir: Path = TEMPLATE_DIR
) -> tuple[dict[str, bytes], list[str]]:
    """The package's files (manifest, localisation files, icons), and problems met on the way."""
    template, problems = _load_template(template_dir / TEMPLATE)
    if template is None:
        return {}, problems
    placeholders = values.placeholders()
    manifest = fill(template, placeholders)
    files = {MANIFEST: _dump(manifest)}
    if not isinstance(manifest, dict):
        return files, problems
    for name in _referenced_files(manifest):
        source = template_dir / name
        localized = template_dir / name.replace(".json", ".template.json")
        if name.endswith(".json") and localized.is_file():
            strings, more = _load_template(localized)
            problems += more
            if strings is not None:
                files[name] = _dump(fill(strings, placeholders))
        elif source.is_file():
            files[name] = source.read_bytes()
        # a missing file is named by validate_package ("not in the package")
    return files, problems


def _referenced_files(manifest: dict[str, Any]) -> list[str]:
    names: list[Any] = []
    icons = manifest.get("icons")
    if isinstance(icons, dict):
        names += list(icons.values())
    info = manifest.get("localizationInfo")
    if isinstance(info, dict):
        names.append(info.get("defaultLanguageFile"))
        names += [
            lang.get("file")
            for lang in info.get("additionalLanguages") or []
            if isinstance(lang, dict)
        ]
    # Only plain names next to the template: never read outside the template folder.
    return [n for n in names if isinstance(n, str) and n and "/" not in n and "\\" not in n]


# ---------------------------------------------------------------- building


def build_package(
    values: ManifestValues,
    out: Path,
    store: LastBuildStore,
    *,
    bump: Bump | None = None,
    template_dir: Path = TEMPLATE_DIR,
    schema_dir: Path | None = None,
) -> BuildResult:
    """Render, check and (only when clean) write the zip and remember the version."""
    last = store.load()
    version = values.version
    if not version:  # continue from the last build of this app unless told otherwise
        same_app = last is not None and last.app_id == values.teams_app_id
        version = last.version if last is not None and same_app else FIRST_VERSION
    if bump:
        try:
            version = bump_version(version, bump)
        except ValueError as exc:
            return BuildResult([str(exc)], version)
    values = ManifestValues(
        values.teams_app_id, values.bot_id, values.bot_domain, values.allris_host, version
    )
    files, problems = render_files(values, template_dir)
    problems = values.missing() + problems
    if files:
        expect = Expectations(values.bot_domain, values.allris_host, last)
        problems += validate_package(files, expect, schema_dir)
    result = BuildResult(list(dict.fromkeys(problems)), version, files)
    if result.ok:
        write_zip(files, out)
        store.save(LastBuild(values.teams_app_id, version, package_digest(files)))
        result.path = out
    return result


def write_zip(files: Mapping[str, bytes], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(files):  # manifest.json at the top level, as Teams requires
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name])
    tmp.replace(out)
