"""Check a Teams app package (zip or folder) and list EVERY problem in plain words.

Checks: the official JSON schema matching `manifestVersion` (manifest/schema_check.py), files the
manifest names are present, icon sizes and colours, a semver version that increased over the last
build, GUIDs, `validDomains` against the bot's and ALLRIS host, unfilled template placeholders,
and the localisation files against their schema. Command titles over the schema's length limits
are named as such. Nothing here raises on bad input: every finding is a string in the result.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from manifest.schema_check import (
    BUNDLED_SCHEMA_DIR,
    GUID,
    json_path,
    schema_file,
    schema_problems,
    short,
)

MANIFEST = "manifest.json"
MAX_PACKAGE_BYTES = 10 * 1024 * 1024  # far above any real package; stops zip bombs early
SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
HOST = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$", re.I)
PLACEHOLDER = re.compile(r"\$\{\{[^}]*\}\}")
ICON_SIZES = {"color": (192, 192), "outline": (32, 32), "color32x32": (32, 32)}


class PackageError(Exception):
    """The package cannot be read at all (not a zip, not a folder, too big)."""


@dataclass(frozen=True)
class LastBuild:
    """What the previous `kiw manifest build` wrote: app id, version, content digest."""

    app_id: str
    version: str
    digest: str


@dataclass(frozen=True)
class Expectations:
    """What the package must agree with, from settings; empty values are not checked."""

    bot_domain: str = ""
    allris_host: str = ""
    last_build: LastBuild | None = None


# ---------------------------------------------------------------- reading


def read_package(path: Path) -> dict[str, bytes]:
    """The package's files by name, from a zip or a folder (top level only, as Teams reads it)."""
    if path.is_dir():
        files = {p.name: p.read_bytes() for p in sorted(path.iterdir()) if p.is_file()}
        if sum(len(b) for b in files.values()) > MAX_PACKAGE_BYTES:
            raise PackageError(f"{path} holds more than {MAX_PACKAGE_BYTES} bytes")
        return files
    if not path.is_file():
        raise PackageError(f"{path} does not exist")
    try:
        with zipfile.ZipFile(path) as archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
            if sum(i.file_size for i in infos) > MAX_PACKAGE_BYTES:
                raise PackageError(f"{path} unpacks to more than {MAX_PACKAGE_BYTES} bytes")
            return {i.filename: archive.read(i) for i in infos}
    except zipfile.BadZipFile as exc:
        raise PackageError(f"{path} is not a zip file ({exc})") from None


def package_digest(files: Mapping[str, bytes]) -> str:
    """A digest of the package content *ignoring* the version, to tell "changed, not bumped"."""
    h = hashlib.sha256()
    for name in sorted(files):
        data = files[name]
        if name == MANIFEST:
            try:
                manifest = json.loads(data)
                manifest.pop("version", None)
                data = json.dumps(manifest, sort_keys=True).encode()
            except (ValueError, AttributeError):
                pass
        h.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return h.hexdigest()


def version_tuple(version: str) -> tuple[int, int, int] | None:
    m = SEMVER.match(version)
    return (int(m[1]), int(m[2]), int(m[3])) if m else None


# ---------------------------------------------------------------- the checks


def validate_package(
    files: Mapping[str, bytes],
    expect: Expectations | None = None,
    schema_dir: Path | None = None,
) -> list[str]:
    """Every problem found, in plain words; [] means the package is good to upload."""
    expect = expect or Expectations()
    schema_dir = schema_dir or BUNDLED_SCHEMA_DIR
    problems: list[str] = []
    nested = [n for n in files if "/" in n and n.rsplit("/", 1)[-1] == MANIFEST]
    if MANIFEST not in files:
        hint = f" (found {nested[0]}: zip the files themselves, not their folder)" if nested else ""
        return [f"{MANIFEST} is missing at the top level of the package{hint}"]
    try:
        manifest = json.loads(files[MANIFEST].decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        return [f"{MANIFEST} is not valid JSON: {exc}"]
    if not isinstance(manifest, dict):
        return [f"{MANIFEST} must hold a JSON object, not {type(manifest).__name__}"]

    version = manifest.get("manifestVersion")
    if not isinstance(version, str):
        problems.append(f"{MANIFEST}: manifestVersion is missing or not a string")
    else:
        path = schema_file(schema_dir, version)
        if path.is_file():
            problems += schema_problems(MANIFEST, manifest, path)
        else:
            problems.append(
                f"{MANIFEST}: no schema for manifestVersion '{version}' in {schema_dir} "
                "(use the bundled version or pass --schema-dir)"
            )
    problems += _placeholder_problems(MANIFEST, manifest)
    problems += _version_problems(manifest, files, expect)
    problems += _guid_problems(manifest)
    problems += _domain_problems(manifest, expect)
    problems += _link_domain_problems(manifest, expect)
    problems += _icon_problems(manifest, files)
    if isinstance(version, str):
        problems += _localization_problems(manifest, files, schema_dir, version)
    return list(dict.fromkeys(problems))  # one line per distinct problem, in order


def _walk_strings(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _walk_strings(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk_strings(v, (*path, i))


def _placeholder_problems(file: str, document: Any) -> list[str]:
    return [
        f"{file}: {json_path(path)}: template placeholder {m[0]} was not filled in"
        for path, text in _walk_strings(document)
        for m in PLACEHOLDER.finditer(text)
    ]


def _version_problems(
    manifest: dict[str, Any], files: Mapping[str, bytes], expect: Expectations
) -> list[str]:
    version = manifest.get("version")
    if not isinstance(version, str) or version_tuple(version) is None:
        return [
            f"{MANIFEST}: version '{version}' is not of the form MAJOR.MINOR.PATCH (e.g. 1.0.3)"
        ]
    last = expect.last_build
    if last is None or last.app_id != manifest.get("id"):
        return []
    previous = version_tuple(last.version)
    if previous is None:
        return []
    current = version_tuple(version)
    assert current is not None
    if current < previous:
        return [
            f"{MANIFEST}: version {version} is lower than the last built version {last.version}; "
            "Teams only accepts an update with a higher version"
        ]
    if current == previous and package_digest(files) != last.digest:
        return [
            f"{MANIFEST}: version not increased: the package changed since the last build, "
            f"but its version is still {version} (build with --bump patch|minor|major)"
        ]
    return []


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _guid_problems(manifest: dict[str, Any]) -> list[str]:
    """Schema errors already name bad GUIDs; this adds what the schema cannot see."""
    out: list[str] = []
    bots = _list(manifest.get("bots"))
    extensions = _list(manifest.get("composeExtensions"))
    bot_ids = [b.get("botId") for b in bots if isinstance(b, dict)]
    for i, bot_id in enumerate(bot_ids):
        if not isinstance(bot_id, str) or not GUID.match(bot_id):
            out.append(
                f"{MANIFEST}: bots[{i}].botId: bot id '{short(bot_id)}' is not a GUID "
                "(use the Microsoft App ID of the Azure Bot, MicrosoftAppId)"
            )
    for i, ext in enumerate(extensions):
        if isinstance(ext, dict) and bot_ids and ext.get("botId") not in bot_ids:
            out.append(
                f"{MANIFEST}: composeExtensions[{i}].botId differs from the bot's id; "
                "the message extension must run on the same bot"
            )
    sso = manifest.get("webApplicationInfo")
    if isinstance(sso, dict) and bot_ids and isinstance(bot_ids[0], str):
        if sso.get("id") != bot_ids[0]:
            out.append(
                f"{MANIFEST}: webApplicationInfo.id differs from the bot id; single sign-on "
                "for the bot needs the bot's own app registration"
            )
        resource = sso.get("resource")
        if isinstance(resource, str) and bot_ids[0] not in resource:
            out.append(
                f"{MANIFEST}: webApplicationInfo.resource '{short(resource)}' does not name the "
                f"bot id (expected api://botid-{bot_ids[0]})"
            )
    return out


def _link_domain_problems(manifest: dict[str, Any], expect: Expectations) -> list[str]:
    """Link unfurling domains: bare hosts, and the ALLRIS host when it is known."""
    out: list[str] = []
    for i, ext in enumerate(_list(manifest.get("composeExtensions"))):
        handlers = _list(ext.get("messageHandlers")) if isinstance(ext, dict) else []
        for j, handler in enumerate(handlers):
            value = handler.get("value") if isinstance(handler, dict) else None
            domains = _list(value.get("domains")) if isinstance(value, dict) else []
            where = f"{MANIFEST}: composeExtensions[{i}].messageHandlers[{j}].value.domains"
            for k, domain in enumerate(domains):
                if not isinstance(domain, str) or PLACEHOLDER.search(domain):
                    continue
                if not HOST.match(domain):
                    out.append(
                        f"{where}[{k}]: '{short(domain)}' is not a bare host name "
                        "(no https://, no path), e.g. ratsinfo.luebeck.de"
                    )
                elif expect.allris_host and not _host_matches(domain, expect.allris_host):
                    out.append(
                        f"{where}[{k}]: '{domain}' is not the ALLRIS host "
                        f"'{expect.allris_host}' (KIW_ALLRIS_HOST)"
                    )
    return out


def _host_matches(entry: str, host: str) -> bool:
    entry, host = entry.lower(), host.lower()
    if entry.startswith("*."):
        return host.endswith(entry[1:])
    return entry == host


def _domain_problems(manifest: dict[str, Any], expect: Expectations) -> list[str]:
    domains = manifest.get("validDomains")
    domains = [d for d in domains if isinstance(d, str)] if isinstance(domains, list) else []
    out: list[str] = []
    for i, entry in enumerate(domains):
        if PLACEHOLDER.search(entry):
            continue  # reported as an unfilled placeholder
        if not HOST.match(entry):
            out.append(
                f"{MANIFEST}: validDomains[{i}]: '{short(entry)}' is not a bare host name "
                "(no https://, no path, no port), e.g. kiw.luebeck.de"
            )
        elif expect.bot_domain and not (
            _host_matches(entry, expect.bot_domain)
            or (expect.allris_host and _host_matches(entry, expect.allris_host))
        ):
            known = f"'{expect.bot_domain}'" + (
                f" nor the ALLRIS host '{expect.allris_host}'" if expect.allris_host else ""
            )
            out.append(
                f"{MANIFEST}: validDomains[{i}]: '{entry}' matches neither the bot host {known}"
            )
    if expect.bot_domain and not any(_host_matches(d, expect.bot_domain) for d in domains):
        out.append(
            f"{MANIFEST}: validDomains does not contain the bot host '{expect.bot_domain}' "
            "(KIW_BOT_DOMAIN)"
        )
    return out


def _icon_problems(manifest: dict[str, Any], files: Mapping[str, bytes]) -> list[str]:
    icons = manifest.get("icons")
    if not isinstance(icons, dict):
        return []  # the schema names the missing icons
    out: list[str] = []
    for kind, (width, height) in ICON_SIZES.items():
        name = icons.get(kind)
        if not isinstance(name, str):
            continue
        if name not in files:
            out.append(f"icons.{kind}: the file '{name}' is not in the package")
            continue
        try:
            with Image.open(io.BytesIO(files[name])) as opened:
                opened.load()
                image_format, image = opened.format, opened.copy()
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
            out.append(f"{name}: cannot be read as an image ({exc})")
            continue
        if image_format != "PNG":
            out.append(f"{name}: must be a PNG file, not {image_format}")
        if image.size != (width, height):
            out.append(
                f"{name}: the {kind} icon must be {width}x{height} pixels, "
                f"not {image.size[0]}x{image.size[1]}"
            )
        if kind == "outline":
            out += _outline_colour_problems(name, image)
    return out


def _outline_colour_problems(name: str, image: Image.Image) -> list[str]:
    """Teams draws the outline icon itself: only white pixels on a transparent background."""
    rgba = image.convert("RGBA").tobytes()
    pixels = [rgba[i : i + 4] for i in range(0, len(rgba), 4)]
    coloured = sum(1 for p in pixels if p[3] > 0 and p[:3] != b"\xff\xff\xff")
    transparent = sum(1 for p in pixels if p[3] == 0)
    out = []
    if coloured:
        out.append(
            f"{name}: the outline icon must be pure white on transparent; "
            f"{coloured} of its {len(pixels)} pixels are neither white nor transparent"
        )
    if not transparent:
        out.append(f"{name}: the outline icon has no transparent background")
    if transparent == len(pixels):
        out.append(f"{name}: the outline icon is fully transparent (nothing to show)")
    return out


def _localization_problems(
    manifest: dict[str, Any], files: Mapping[str, bytes], schema_dir: Path, version: str
) -> list[str]:
    info = manifest.get("localizationInfo")
    if not isinstance(info, dict):
        return []
    names = [info.get("defaultLanguageFile")] + [
        lang.get("file") for lang in info.get("additionalLanguages") or [] if isinstance(lang, dict)
    ]
    schema_path = schema_file(schema_dir, version, localization=True)
    out: list[str] = []
    for name in (n for n in names if isinstance(n, str)):
        if name not in files:
            out.append(f"localizationInfo: the file '{name}' is not in the package")
            continue
        try:
            strings = json.loads(files[name].decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as exc:
            out.append(f"{name}: not valid JSON: {exc}")
            continue
        if schema_path.is_file():
            out += schema_problems(name, strings, schema_path)
        out += _placeholder_problems(name, strings)
    return out
