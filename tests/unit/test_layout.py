"""The inside holds to its layout (STYLE.md revision 3, CONTRACT E1): imports point down the
tree, no import circle, no private name of a dependency, no HTTP of the mock's own."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path
from typing import Final

PACKAGE: Final = Path(__file__).resolve().parents[2] / "sora_mock"
# each part's layer: a module imports (at run time) only modules of its own layer or below
LAYERS: Final = {
    "core": 0,
    "routes": 1,
    "tasks": 1,
    "faults": 1,
    "settings": 2,
    "config": 2,
    "settings_model": 2,
    "sim": 3,
    "http": 4,
    "testing": 5,
    "drift": 5,
    "cli": 5,
    "__main__": 6,
}
# every library the package imports beyond the standard library (http/tls.py makes its CA with
# trustme and cryptography; intercept patches the last three, through their public classes only)
DEPENDENCIES: Final = (
    "aiohttp",
    "pydantic",
    "yarl",
    "multidict",
    "trustme",
    "cryptography",
    "requests",
    "httpx",
    "urllib3",
)


def _private(part: str) -> bool:
    return part.startswith("_") and not part.startswith("__")


def modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, ast.parse(path.read_text(encoding="utf-8"), str(path))


def is_package(name: str) -> bool:
    return (PACKAGE.parent / name.replace(".", "/") / "__init__.py").exists()


def _type_checking_only(tree: ast.Module) -> set[int]:
    """The ids of import nodes under `if TYPE_CHECKING:` (they never run)."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skipped |= {id(inner) for stmt in node.body for inner in ast.walk(stmt)}
    return skipped


def runtime_imports(name: str, tree: ast.Module) -> set[str]:
    """The sora_mock modules `name` imports when it runs (module level or in a function)."""
    skipped = _type_checking_only(tree)
    package = name if is_package(name) else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            if not module.startswith("sora_mock"):
                continue
            for alias in node.names:
                child = f"{module}.{alias.name}"
                is_module = (PACKAGE.parent / (child.replace(".", "/") + ".py")).exists()
                found.add(child if is_module or is_package(child) else module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("sora_mock")}
    return found - {name, "sora_mock"}


def layer(name: str) -> int | None:
    parts = name.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


def test_imports_point_down_the_tree() -> None:
    upward = [
        (name, imported)
        for name, tree in modules()
        for imported in sorted(runtime_imports(name, tree))
        if (mine := layer(name)) is not None
        and (theirs := layer(imported)) is not None
        and theirs > mine
    ]
    assert [] == upward


def test_no_module_of_the_package_is_in_an_import_circle() -> None:
    graph = {name: runtime_imports(name, tree) for name, tree in modules()}
    circles: list[list[str]] = []
    state: dict[str, int] = {}  # 1: on the path, 2: done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for nxt in sorted(graph.get(name, ())):
            if state.get(nxt) == 1:
                circles.append([*path[path.index(nxt) :], nxt] if nxt in path else [name, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert [] == circles


def _dependency_imports(name: str, tree: ast.Module) -> tuple[set[str], list[str]]:
    """The names a module binds to a dependency, and its imports of a private name of one."""
    aliases: set[str] = set()
    private: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and not node.level and node.module:
            if node.module.split(".")[0] in DEPENDENCIES:
                dotted = [node.module, *(a.name for a in node.names)]
                if any(_private(part) for d in dotted for part in d.split(".")):
                    private.append(f"{name}: from {node.module} import ...")
                aliases |= {a.asname or a.name for a in node.names}
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] in DEPENDENCIES:
                    if any(_private(part) for part in a.name.split(".")):
                        private.append(f"{name}: import {a.name}")
                    aliases.add(a.asname or a.name.split(".")[0])
    return aliases, private


def test_no_private_name_of_a_dependency_is_imported_or_reached() -> None:
    """E1: aiohttp's server through its public API only (and so for every dependency)."""
    private: list[str] = []
    for name, tree in modules():
        aliases, imported = _dependency_imports(name, tree)
        private += imported
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and _private(node.attr):
                root = node.value
                while isinstance(root, ast.Attribute):
                    root = root.value
                if isinstance(root, ast.Name) and root.id in aliases:
                    private.append(f"{name}: {ast.unparse(node)}")
    assert [] == private


def test_the_mock_writes_and_parses_no_http_of_its_own() -> None:
    """E1: no protocol of its own (data_received), no status line written by hand."""
    own = [
        f"{name}: {what}"
        for name, tree in modules()
        for node in ast.walk(tree)
        for what in (
            [node.name]
            if isinstance(node, ast.FunctionDef) and node.name == "data_received"
            else [repr(node.value)]
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str | bytes)
            and node.value[:7] in ("HTTP/1.", b"HTTP/1.")
            else []
        )
    ]
    assert [] == own
