"""The official Teams JSON schemas, checked with a Draft-7 validator, errors in plain words.

The official files declare draft-04 but use `const`, which a draft-04 validator silently
ignores. Their patterns use `\\p{L}`, which Python's `re` lacks (translated here). An error
names the field's path, and says what is wrong as an admin would ask: a command title over its
length limit, an unknown field with the nearest known one, a value not among those allowed.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator, ValidationError, validators

BUNDLED_SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def _python_pattern(pattern: str) -> str:
    r"""Python's `re` lacks `\p{L}` (any letter); `[^\W\d_]` is the same class."""
    letter = r"[^\W\d_]"

    def in_class(m: re.Match[str]) -> str:
        rest = m[1] + m[2]
        return f"(?:{letter}|[{rest}])" if rest else letter

    return re.sub(r"\[([^\]]*?)\\p\{L\}([^\]]*)\]", in_class, pattern).replace(r"\p{L}", letter)


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "string"):
        return
    try:
        matcher = re.compile(_python_pattern(pattern))
    except re.error:
        return  # a pattern Python cannot read: not the package's fault
    if not matcher.search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


ManifestValidator = validators.extend(Draft7Validator, {"pattern": _pattern})


def schema_file(schema_dir: Path, manifest_version: str, localization: bool = False) -> Path:
    folder = manifest_version if manifest_version == "devPreview" else f"v{manifest_version}"
    name = (
        "MicrosoftTeams.Localization.schema.json" if localization else "MicrosoftTeams.schema.json"
    )
    return schema_dir / folder / name


@cache
def _load_validator(path: Path) -> Any:
    return ManifestValidator(json.loads(path.read_text(encoding="utf-8")))


def json_path(parts: Any) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain_schema_error(file: str, error: ValidationError) -> str:
    where = f"{file}: {json_path(error.absolute_path)}"
    v, inst, sch = error.validator, error.instance, error.schema
    if v == "maxLength" and isinstance(inst, str):
        what = "command title" if _is_command_title(error.absolute_path) else "text"
        return (
            f"{where}: {what} '{short(inst)}' is {len(inst)} characters long; "
            f"the schema allows at most {error.validator_value}"
        )
    if v == "additionalProperties" and isinstance(inst, dict) and isinstance(sch, dict):
        known = list(sch.get("properties", {}))
        patterns = [re.compile(p) for p in sch.get("patternProperties", {})]
        extra = [k for k in inst if k not in known and not any(p.search(k) for p in patterns)]
        hints = []
        for key in extra:
            close = difflib.get_close_matches(key, known, n=1)
            hints.append(f"'{key}'" + (f" (did you mean '{close[0]}'?)" if close else ""))
        return f"{where}: unknown field {', '.join(hints)} — the schema does not allow it"
    if v == "required":
        return (
            f"{where}: {error.message.replace('is a required property', 'is required but missing')}"
        )
    if v in ("enum", "const"):
        allowed = error.validator_value if v == "enum" else [error.validator_value]
        shown = ", ".join(short(a, 30) for a in allowed)
        return f"{where}: '{short(inst)}' is not allowed here (allowed: {shown})"
    if v == "pattern" and error.validator_value == GUID.pattern:
        return f"{where}: '{short(inst)}' is not a GUID"
    if v == "type":
        return f"{where}: should be of type {error.validator_value}, not {type(inst).__name__}"
    return f"{where}: {short(error.message, 200)}"


def _is_command_title(path: Any) -> bool:
    # Manifest paths are lists ("commands", 0, "title"); localisation keys are one flat string.
    return bool(re.search(r"commands\[\d+\]\.title$", json_path(path)))


def schema_problems(file: str, document: Any, schema_path: Path) -> list[str]:
    """Every schema error of `document` (the file named `file`), in plain words."""
    validator = _load_validator(schema_path)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    return [_plain_schema_error(file, e) for e in errors]
