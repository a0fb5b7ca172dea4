"""The reference tables, made from the code's own declarations and committed in the pages.

A page carries each table between `<!-- generated: NAME -->` and `<!-- /generated: NAME -->`, so
it reads whole raw (on GitHub, in an editor). NAME is a key of `TABLES`. The mkdocs build (this
file is its hook) fails if a committed table differs from what the code makes now, or if NAME is
unknown; `python docs/hooks.py --write` (or `make docs-tables`) rewrites them all.
`python docs/hooks.py NAME` prints one table.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, get_args

from sora_mock.faults.actions import Route, actions_table
from sora_mock.routes.registry import ROUTES
from sora_mock.settings import docs_table
from sora_mock.sim.control import OPS
from sora_mock.testing.client import SoraMock

DOCS: Final = Path(__file__).resolve().parent
# a table's block: its opening marker, the committed table (none yet: empty), its closing marker;
# blank lines around the table keep Markdown from reading a marker as part of it
BLOCK: Final = re.compile(
    r"^<!-- generated: ([a-z-]+) -->\n(.*?)^<!-- /generated: \1 -->$", re.M | re.S
)
OPENING: Final = re.compile(r"^<!-- generated: ([a-z-]+) -->$", re.M)
FIX: Final = "run `python docs/hooks.py --write` (or `make docs-tables`) and commit the pages"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def routes_table() -> str:
    """The provider routes (sora_mock/routes/registry.py): the journal's and fault rules' names."""
    lines = ["| route name | method | path |", "|---|---|---|"]
    lines += [f"| `{name}` | {method} | `{path}` |" for name, (method, path) in ROUTES.items()]
    return "\n".join(lines) + "\n"


def fault_routes_table() -> str:
    """Every `route` a fault rule takes (C), with what it matches."""
    lines = ["| `route` | matches |", "|---|---|"]
    for name in get_args(Route):
        if name in ROUTES:
            method, path = ROUTES[name]
            what = f"{method} `{path}`"
        elif name == "webhook":
            what = "a webhook delivery attempt of a task (A7), not a request"
        else:
            what = "every request route (not `webhook`); the default"
        lines.append(f"| `{name}` | {what} |")
    return "\n".join(lines) + "\n"


def admin_table() -> str:
    """The admin operations (sora_mock/sim/control.py `OPS`): one row each, as HTTP."""
    lines = [
        "| operation | method | path | query | body | success | token | what |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for op in OPS:
        query = ", ".join(f"`{q}`" for q in op.query) or "—"
        body = f"`{op.body}`" if op.body else "—"
        token = "never" if op.open else "with `admin_token`"
        lines.append(
            f"| `{op.name}` | {op.method} | `/__mock{op.path}` | {query} | {body} "
            f"| {op.status} | {token} | {_cell(op.summary)} |"
        )
    return "\n".join(lines) + "\n"


def _signature(member: Callable[..., Any]) -> tuple[str, str]:
    signature = inspect.signature(member)
    params = [p for name, p in signature.parameters.items() if name != "self"]
    shown = str(signature.replace(parameters=params, return_annotation=inspect.Signature.empty))
    returns = signature.return_annotation
    return shown.replace("'", ""), "" if returns is inspect.Signature.empty else str(returns)


def handle_table() -> str:
    """Every public member of the fixture's handle (`SoraMock`, made from
    sora_mock/testing/handle.py's `Handle`): its arguments, what it returns and its docstring."""
    lines = ["| member | returns | what |", "|---|---|---|"]
    for name, member in vars(SoraMock).items():
        if name.startswith("_"):
            continue
        if isinstance(member, property):
            getter = member.fget
            assert getter is not None
            returns = inspect.signature(getter).return_annotation
            shown, doc = f"`.{name}`", inspect.getdoc(getter) or ""
        else:
            arguments, returns = _signature(member)
            shown, doc = f"`.{name}{arguments}`", inspect.getdoc(member) or ""
        returns = str(returns).replace("'", "")
        lines.append(f"| {shown} | `{returns}` | {_cell(doc)} |")
    return "\n".join(lines) + "\n"


TABLES: Final[dict[str, Callable[[], str]]] = {
    "settings": docs_table,
    "fault-actions": actions_table,
    "fault-routes": fault_routes_table,
    "routes": routes_table,
    "admin": admin_table,
    "handle": handle_table,
}


def render(markdown: str, where: str = "a page") -> str:
    """The page with each generated block holding the table the code makes now."""

    def block(found: re.Match[str]) -> str:
        name = found.group(1)
        if name not in TABLES:
            raise ValueError(f"{where}: no generated table {name!r} (known: {', '.join(TABLES)})")
        table = TABLES[name]()
        return f"<!-- generated: {name} -->\n\n{table}\n<!-- /generated: {name} -->"

    unclosed = set(OPENING.findall(markdown)) - {b.group(1) for b in BLOCK.finditer(markdown)}
    if unclosed:
        raise ValueError(f"{where}: no `<!-- /generated: NAME -->` for {', '.join(unclosed)}")
    return BLOCK.sub(block, markdown)


def stale(markdown: str, where: str = "a page") -> list[str]:
    """The names of the page's committed tables that differ from what the code makes now."""
    blocks = BLOCK.finditer(markdown)
    return [found.group(1) for found in blocks if render(found.group(0), where) != found.group(0)]


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    """mkdocs' hook, called with each page's markdown: a stale committed table fails the build."""
    where = page.file.src_path
    if names := stale(markdown, where):
        raise ValueError(f"{where}: generated table(s) {', '.join(names)} out of date; {FIX}")
    return markdown


def write() -> list[Path]:
    """Rewrite every page's generated tables from the code; the pages that changed."""
    changed = []
    for page in sorted(DOCS.glob("**/*.md")):
        text = page.read_text(encoding="utf-8")
        new = render(text, page.name)
        if new != text:
            page.write_text(new, encoding="utf-8")
            changed.append(page)
    return changed


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        for page in write():
            print(f"rewrote {page.relative_to(DOCS.parent)}")
    else:
        for name in sys.argv[1:] or list(TABLES):
            print(TABLES[name]())
