"""Prompt starters: real example prompts per scope, in the manifest's command lists.

Teams shows a bot's `commandLists` as prompt starters and in the @mention and slash menus; a
command of type "prompt" puts its `prompt` into the compose box. Each prompt must do what its
title promises when the bot receives it, in German and in the English localisation.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from manifest.build import LastBuildStore, ManifestValues, build_package
from skills.registry import all_skills
from skills.router import route

# What each example prompt is for, by its German title: the skill it must reach.
SKILL_BY_TITLE = {
    "Was kann der Assistent?": "help",
    "Personenbezogene Daten in KI?": "policy_qa",
    "KI-Texte kennzeichnen?": "policy_qa",
    "Wie bekomme ich den KI-Pass?": "policy_qa",
    "Anträge zum Radverkehr": "allris_search",
    "Vorlagen des Bauausschusses": "allris_search",
    "Vorlage zusammenfassen": "summarise",
    "Datei zusammenfassen": "summarise",
    "Mein KI-Pass-Status": "kipass",
}
# Teams shows about this much of a prompt starter's title; the schema allows 128.
TITLE_SHOWN = 32


@pytest.fixture
def package(
    tmp_path: Path, values: ManifestValues, official_schemas: Path
) -> tuple[dict[str, Any], dict[str, Any]]:
    out = tmp_path / "appPackage.zip"
    result = build_package(
        values, out, LastBuildStore(tmp_path / "data"), schema_dir=official_schemas
    )
    assert result.problems == []  # the official v1.29 schema accepts the lists
    with zipfile.ZipFile(out) as archive:
        return json.loads(archive.read("manifest.json")), json.loads(archive.read("en.json"))


def test_one_list_of_example_prompts_per_scope(
    package: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    manifest, _ = package
    lists = manifest["bots"][0]["commandLists"]
    assert [cl["scopes"] for cl in lists] == [["personal"], ["team"], ["groupChat"]]
    for command_list in lists:
        commands = command_list["commands"]
        assert 6 <= len(commands) <= 12  # 12: the schema's limit per list
        for command in commands:
            assert command["type"] == "prompt" and command["prompt"]
            assert len(command["title"]) <= TITLE_SHOWN and command["description"]
        # Examples, not bare command words: most prompts say what to ask or search.
        assert sum(" " in c["prompt"] for c in commands) >= len(commands) - 3
    personal, team, group_chat = ([c["title"] for c in cl["commands"]] for cl in lists)
    # Personal status stays in the 1:1 chat; files are sent in the 1:1 chat.
    assert "Mein KI-Pass-Status" in personal and "Datei zusammenfassen" in personal
    for shared in (team, group_chat):
        assert "Mein KI-Pass-Status" not in shared and "Datei zusammenfassen" not in shared


def test_every_prompt_reaches_the_skill_its_title_promises(
    package: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    manifest, english = package
    skills = all_skills()
    for i, command_list in enumerate(manifest["bots"][0]["commandLists"]):
        for j, command in enumerate(command_list["commands"]):
            expected = SKILL_BY_TITLE[command["title"]]
            german = route(command["prompt"], skills)
            assert (german.skill.name, german.reason) == (expected, "command"), command
            key = f"bots[0].commandLists[{i}].commands[{j}]"
            assert english[f"{key}.title"] and english[f"{key}.description"]
            assert len(english[f"{key}.title"]) <= TITLE_SHOWN
            translated = route(english[f"{key}.prompt"], skills)
            assert translated.skill.name == expected, english[f"{key}.prompt"]


def test_localisation_has_no_entry_for_a_command_that_is_gone(
    package: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    manifest, english = package
    lists = manifest["bots"][0]["commandLists"]
    for key in english:
        if key.startswith("bots[0].commandLists["):
            i = int(key.split("[")[2].split("]")[0])
            j = int(key.split("[")[3].split("]")[0])
            assert i < len(lists) and j < len(lists[i]["commands"]), key
