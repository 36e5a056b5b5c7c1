"""A light structural check of infra/*.bicep (the Bicep CLI is not installed in CI; when it is,
`bicep build infra/main.bicep` compiles them — see infra/README.md).

Checks what a compiler would catch first: module files exist, every parameter a module call
passes is declared by the module, every module parameter without a default is passed, every
`<module>.outputs.X` exists, and every parameter of main.bicep is used.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import REPO

INFRA = REPO / "infra"
MAIN = INFRA / "main.bicep"
PARAM = re.compile(r"^param\s+(\w+)\s+[\w.\[\]]+(\s*=)?", re.M)
OUTPUT = re.compile(r"^output\s+(\w+)\s", re.M)
MODULE = re.compile(r"^module\s+(\w+)\s+'([^']+)'\s*=\s*(?:if\s*\(.*?\)\s*)?\{", re.M)
ROLE_GUIDS = re.compile(r"'([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'")


def block_after(text: str, start: int) -> str:
    """The text of the `{ ... }` block that opens at or after `start` (balanced braces)."""
    open_at = text.index("{", start)
    depth = 0
    for i in range(open_at, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[open_at + 1 : i]
    raise AssertionError("unbalanced braces")


def passed_params(module_block: str) -> set[str]:
    params = block_after(module_block, module_block.index("params:"))
    # keys at the first nesting level only
    keys, depth = set(), 0
    for line in params.splitlines():
        if depth == 0:
            m = re.match(r"\s*(\w+)\s*:", line)
            if m:
                keys.add(m.group(1))
        depth += line.count("{") + line.count("[") - line.count("}") - line.count("]")
    return keys


def declared(path: Path) -> tuple[dict[str, bool], set[str]]:
    """Parameters (name -> has a default) and outputs of a Bicep file."""
    text = path.read_text(encoding="utf-8")
    params = {m.group(1): bool(m.group(2)) for m in PARAM.finditer(text)}
    return params, set(OUTPUT.findall(text))


def modules() -> list[tuple[str, Path, set[str]]]:
    text = MAIN.read_text(encoding="utf-8")
    out = []
    for m in MODULE.finditer(text):
        block = block_after(text, m.end() - 1)
        out.append((m.group(1), INFRA / m.group(2), passed_params(block)))
    return out


def test_main_calls_every_module_and_modules_exist() -> None:
    called = {path.name for _, path, _ in modules()}
    on_disk = {p.name for p in (INFRA / "modules").glob("*.bicep")}
    assert called == on_disk, (called, on_disk)
    expected = {"bot.bicep", "containerapps.bicep", "keyvault.bicep", "monitoring.bicep"}
    assert expected | {"search.bicep", "openai.bicep", "redis.bicep"} == on_disk


@pytest.mark.parametrize("name", [n for n, _, _ in modules()])
def test_module_parameters_match(name: str) -> None:
    _, path, passed = next(m for m in modules() if m[0] == name)
    params, _ = declared(path)
    assert passed <= set(params), f"{name}: passes undeclared {sorted(passed - set(params))}"
    required = {p for p, has_default in params.items() if not has_default}
    assert required <= passed, f"{name}: does not pass {sorted(required - passed)}"


def test_referenced_outputs_exist_and_main_params_are_used() -> None:
    text = MAIN.read_text(encoding="utf-8")
    outputs = {name: declared(path)[1] for name, path, _ in modules()}
    for module, output in re.findall(r"\b(\w+)\.outputs\.(\w+)", text):
        assert output in outputs[module], f"{module}.outputs.{output} is not declared"
    params, _ = declared(MAIN)
    body = PARAM.sub("", text)
    unused = [p for p in params if not re.search(rf"\b{p}\b", body)]
    assert unused == []


def test_parameters_file_names_only_declared_parameters_and_no_secrets() -> None:
    values = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))
    params, _ = declared(MAIN)
    assert set(values["parameters"]) <= set(params)
    required = {p for p, has_default in params.items() if not has_default}
    assert required <= set(values["parameters"])
    for path in [MAIN, *(INFRA / "modules").glob("*.bicep")]:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"(?i)(password|secret)\s*:\s*'[^'$]+'", text), path.name


def test_least_privilege_roles_only() -> None:
    """Built-in role ids used: Key Vault Secrets User, Search data + service, OpenAI user."""
    allowed = {
        "4633458b-17de-408a-b874-0445c86b69e6",  # Key Vault Secrets User (read)
        "8ebe5a00-799e-43f5-93ac-243d3dce84a7",  # Search Index Data Contributor
        "7ca78c08-252a-4471-8644-bb5ff32d4ba0",  # Search Service Contributor (index schema)
        "5e0bd9bd-7b93-4f28-af87-19fc36ad61bd",  # Cognitive Services OpenAI User
    }
    used = set()
    for path in (INFRA / "modules").glob("*.bicep"):
        used |= set(ROLE_GUIDS.findall(path.read_text(encoding="utf-8")))
    assert used == allowed
