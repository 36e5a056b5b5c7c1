"""Shared pieces for the manifest tests: a copy of the template folder to break on purpose."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from manifest.build import TEMPLATE, TEMPLATE_DIR, ManifestValues
from tests.conftest import shared_path

APP_ID = "6c1f3b7e-2d4a-4c58-9b1e-0f2a3b4c5d6e"
BOT_ID = "0b9a8c7d-6e5f-4a3b-8c2d-1e0f9a8b7c6d"
BOT_DOMAIN = "kiw.luebeck.de"
ALLRIS_HOST = "ratsinfo.luebeck.de"


@pytest.fixture
def official_schemas() -> Path:
    """The official schema folder in ../shared (v1.16 … v1.29), not the bundled copy."""
    return shared_path("teams-manifest-schema")


@pytest.fixture
def values() -> ManifestValues:
    return ManifestValues(APP_ID, BOT_ID, BOT_DOMAIN, ALLRIS_HOST)


@pytest.fixture
def template_dir(tmp_path: Path) -> Path:
    """A private copy of manifest/ (template, localisation template, icons)."""
    target = tmp_path / "template"
    target.mkdir()
    for source in TEMPLATE_DIR.iterdir():
        if source.suffix in (".json", ".png") and source.is_file():
            shutil.copy(source, target / source.name)
    return target


@pytest.fixture
def edit_template(template_dir: Path) -> Callable[[Callable[[dict[str, Any]], None]], None]:
    """Change the parsed template and write it back."""

    def edit(change: Callable[[dict[str, Any]], None]) -> None:
        path = template_dir / TEMPLATE
        document = json.loads(path.read_text(encoding="utf-8"))
        change(document)
        path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")

    return edit
