"""No private name of a dependency is imported or reached (STYLE: "a private name of a
dependency overridden or imported"): intercept patches libraries, so it must do so through
their public classes and methods only. The scan covers the whole package.

The brief for H1 names tests/unit/test_layout.py as the home of this scan; there is none on
this branch, so it lives here until that module exists and takes DEPENDENCIES over.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Final

import sora_mock

DEPENDENCIES: Final = (
    "aiohttp",
    "pydantic",
    "yarl",
    "multidict",
    "requests",
    "httpx",
    "urllib3",
)
PACKAGE: Final = Path(sora_mock.__file__).parent


def private(dotted: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in dotted.split("."))


def ours(module: str) -> bool:
    return module.split(".", maxsplit=1)[0] in DEPENDENCIES


def findings(tree: ast.AST) -> list[str]:
    found: list[str] = []
    bound: set[str] = set()  # local names of dependency modules
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if ours(alias.name):
                    bound.add((alias.asname or alias.name).split(".")[0])
                    if private(alias.name):
                        found.append(f"import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module and ours(node.module):
            for alias in node.names:
                if private(f"{node.module}.{alias.name}"):
                    found.append(f"from {node.module} import {alias.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and private(node.attr):
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in bound:
                found.append(f"{ast.unparse(node)}")
    return found


def test_no_module_of_the_package_reaches_a_private_name_of_a_dependency() -> None:
    found = {
        str(path.relative_to(PACKAGE)): hits
        for path in sorted(PACKAGE.rglob("*.py"))
        if (hits := findings(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert {} == found


def test_the_scan_finds_what_it_looks_for() -> None:
    source = """
import httpx
import urllib3 as u
from requests.adapters import _private
from aiohttp._helpers import thing
import yarl._url
httpx._transports.default
u.connectionpool._Default
"""
    assert [
        "from requests.adapters import _private",
        "from aiohttp._helpers import thing",
        "import yarl._url",
        "httpx._transports",
        "u.connectionpool._Default",
    ] == sorted(findings(ast.parse(source)), key=source.index)
