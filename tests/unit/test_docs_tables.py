"""The docs' reference tables are made from the code's own declarations (docs/hooks.py) and
committed in the pages, so they read whole raw and cannot fall behind the tool (issue 23: the
README's fault tables lacked routes and actions the tool accepts; issue 27: generated instead of
hand-written). Here: each page carries its tables exactly as the code makes them now, each table
names everything its declaration has, and an unknown or unclosed table fails the build."""

from __future__ import annotations

import importlib.util
import inspect
import re
from pathlib import Path
from types import ModuleType, SimpleNamespace
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
def test_the_page_carries_its_generated_table(page: str, name: str) -> None:
    text = (DOCS / page).read_text(encoding="utf-8")
    block = f"<!-- generated: {name} -->\n\n{table(name)}\n<!-- /generated: {name} -->\n"
    assert block in text, f"docs/{page}: table {name!r} is out of date; {HOOKS.FIX}"


def test_every_committed_table_equals_the_generated_one() -> None:
    for page in sorted(DOCS.glob("**/*.md")):
        text = page.read_text("utf-8")
        assert HOOKS.render(text, page.name) == text, f"docs/{page.name}: {HOOKS.FIX}"


def test_a_stale_table_fails_the_build_with_the_command_to_run() -> None:
    page = "<!-- generated: routes -->\n\n| old |\n<!-- /generated: routes -->\n"
    assert HOOKS.stale(page) == ["routes"]
    assert HOOKS.stale(HOOKS.render(page)) == []
    mkdocs_page = SimpleNamespace(file=SimpleNamespace(src_path="page.md"))
    with pytest.raises(ValueError, match=r"page.md: .*routes.*python docs/hooks.py --write"):
        HOOKS.on_page_markdown(page, mkdocs_page)


def test_an_unknown_or_unclosed_table_fails_the_build() -> None:
    with pytest.raises(ValueError, match="no generated table 'setings'"):
        HOOKS.render("<!-- generated: setings -->\n<!-- /generated: setings -->\n", "page.md")
    with pytest.raises(ValueError, match=r"page.md: no .* for routes"):
        HOOKS.render("<!-- generated: routes -->\n| a table |\n", "page.md")


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
