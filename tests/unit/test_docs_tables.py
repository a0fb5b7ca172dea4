"""The docs' reference tables are made from the code's own declarations when the site is built
(docs/hooks.py), so they cannot fall behind the tool (issue 23: the README's fault tables lacked
routes and actions the tool accepts; issue 27: generated instead of compared). Here: each page
asks for its tables, each table names everything its declaration has, and an unknown table
name fails the build."""

from __future__ import annotations

import importlib.util
import inspect
import re
from pathlib import Path
from types import ModuleType
from typing import Final, get_args

import pytest

from sora_mock import Settings
from sora_mock.faults.actions import ACTIONS, Route
from sora_mock.routes.registry import ROUTES
from sora_mock.sim.control import OPS
from sora_mock.testing.client import SoraMock

DOCS: Final = Path(__file__).resolve().parents[2] / "docs"


def load_hooks() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_hooks", DOCS / "hooks.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HOOKS: Final = load_hooks()


def table(name: str) -> str:
    text: str = HOOKS.TABLES[name]()
    return text


@pytest.mark.parametrize(
    ("page", "name"),
    [
        ("configuration.md", "settings"),
        ("faults.md", "fault-actions"),
        ("faults.md", "fault-routes"),
        ("admin-api.md", "admin"),
        ("pytest-fixture.md", "handle"),
        ("provider-api.md", "routes"),
    ],
)
def test_the_page_asks_for_its_generated_table(page: str, name: str) -> None:
    text = (DOCS / page).read_text(encoding="utf-8")
    assert f"\n<!-- generated: {name} -->\n" in text
    assert table(name) in HOOKS.render(text)


def test_every_marker_in_the_docs_names_a_table() -> None:
    for page in DOCS.glob("**/*.md"):
        for name in re.findall(r"<!-- generated: ([a-z-]+) -->", page.read_text("utf-8")):
            assert name in HOOKS.TABLES, f"{page.name}: {name}"


def test_an_unknown_table_fails_the_build() -> None:
    with pytest.raises(ValueError, match="no generated table 'setings'"):
        HOOKS.render("<!-- generated: setings -->\n", "page.md")


def test_the_fault_tables_name_every_route_and_action_a_rule_takes() -> None:
    actions = table("fault-actions")
    routes = table("fault-routes")
    assert [] == [a for a in ACTIONS if f"| `{a}` |" not in actions]
    assert [] == [r for r in get_args(Route) if f"| `{r}` |" not in routes]


def test_the_settings_table_has_every_setting() -> None:
    rows = re.findall(r"^\| `([a-z_]+)` \|", table("settings"), re.M)
    assert list(Settings.model_fields) == rows


def test_the_admin_table_has_every_operation_and_the_provider_routes_every_route() -> None:
    admin = table("admin")
    assert [] == [
        op.name for op in OPS if f"| `{op.name}` | {op.method} | `/__mock{op.path}` |" not in admin
    ]
    provider = table("routes")
    assert [] == [name for name in ROUTES if f"| `{name}` |" not in provider]


def test_every_member_of_the_handle_has_a_row_with_its_return_and_what_it_does() -> None:
    rows = table("handle").splitlines()[2:]
    public = [name for name in vars(SoraMock) if not name.startswith("_")]
    assert len(public) == len(rows)
    for name, row in zip(public, rows, strict=True):
        cells = re.fullmatch(r"\| (`[^`]+`) \| (`[^`]+`) \| (.+) \|", row)
        assert cells is not None, row
        member, _, what = cells.groups()
        assert member.startswith(f"`.{name}"), row
        assert what.strip(), f"{name}: no docstring to show"


def test_a_method_row_shows_its_arguments_without_self() -> None:
    signature = str(inspect.signature(SoraMock.fail)).replace("'", "")
    assert "self" in signature
    row = next(r for r in table("handle").splitlines() if r.startswith("| `.fail("))
    assert (
        "`.fail(task_id: str, failure_reason: str | None = None, error_message: str | None = None)`"
        in row
    )
