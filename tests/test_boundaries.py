"""The package boundaries, read from the source: who may import whom, and no import cycles.

Static (the AST of every module), so a boundary broken in a module no test imports still fails.
The package rules count every import. The cycle check counts the module-level ones (an import
inside a function runs late on purpose, and one under `if TYPE_CHECKING:` never runs) and then
every import too: a type-only or late loop still means two modules a reader must read together.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "skills", "prioritisation", "graph", "indexer", "kiw_common", "manifest")
SDK = ("botbuilder", "botframework", "msrest")


@cache
def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _type_checking_block(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _module_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """Statements that run on import: the body, into if/try blocks, not into defs or classes."""
    out: list[ast.stmt] = []
    for node in body:
        if _type_checking_block(node):
            continue
        out.append(node)
        if isinstance(node, ast.If):
            out += _module_level(node.body) + _module_level(node.orelse)
        elif isinstance(node, ast.Try):
            out += _module_level(node.body) + _module_level(node.orelse)
            out += _module_level(node.finalbody)
            for handler in node.handlers:
                out += _module_level(handler.body)
    return out


@cache
def imports(module: str, *, top_level_only: bool) -> frozenset[str]:
    """Dotted names `module` imports (absolute; relative imports resolved)."""
    path = modules()[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = _module_level(tree.body) if top_level_only else list(ast.walk(tree))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            # `from skills import help` imports the module skills.help
            names.update(f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules())
    return frozenset(names)


def _importers(prefix: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{module} imports {name}"
        for module in modules()
        if module == prefix or module.startswith(prefix + ".")
        for name in imports(module, top_level_only=False)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    )


def test_only_bot_imports_the_bot_framework_sdk() -> None:
    for package in ("skills", "prioritisation", "graph", "indexer", "kiw_common", "manifest"):
        assert _importers(package, SDK) == []


def test_within_bot_only_bot_teams_imports_the_sdk() -> None:
    # A move to the SDK's successor (the Microsoft 365 Agents SDK) is then a change of one folder.
    outside = [line for line in _importers("bot", SDK) if not line.startswith("bot.teams")]
    assert outside == []
    assert _importers("bot.teams.adapter", SDK)  # the check does see the SDK where it is


def test_graph_does_not_reach_into_the_index() -> None:
    # Access groups are shared vocabulary (kiw_common), not something graph/ borrows from indexer/.
    assert _importers("graph", ("indexer", "skills", "bot")) == []


def test_shared_vocabulary_imports_no_project_package() -> None:
    project = ("bot", "skills", "prioritisation", "graph", "indexer", "manifest")
    assert _importers("kiw_common", project) == []


def test_lower_layers_never_import_the_ones_above() -> None:
    assert _importers("indexer", ("bot", "skills")) == []
    assert _importers("skills", ("bot",)) == []
    # A library beside skills/: the skill, the CLI and the dashboard call it, never the reverse.
    assert _importers("prioritisation", ("bot", "skills")) == []


def import_graph(*, top_level_only: bool = True) -> dict[str, list[str]]:
    known = modules()
    return {
        m: sorted(n for n in imports(m, top_level_only=top_level_only) if n in known and n != m)
        for m in known
    }


def cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components; every component of two or more is a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles() -> None:
    graph = import_graph()
    assert "kiw_common.vocabulary" in graph["graph.principal"]  # it reads the real imports
    assert cycles(graph) == []


def test_no_import_cycles_through_type_only_or_late_imports() -> None:
    graph = import_graph(top_level_only=False)
    assert "graph.diagnosis" in graph["bot.cli.kipass"]  # it reads the imports inside functions
    assert cycles(graph) == []


def test_the_cycle_check_finds_a_cycle() -> None:
    graph = {"a": ["b"], "b": ["c"], "c": ["a"], "d": ["a"]}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": ["b"], "b": []}) == []
