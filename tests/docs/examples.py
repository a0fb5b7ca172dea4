"""The runnable examples of the README and the docs site, by page (issue 27).

`<!-- docs-test: skip: <reason> -->` on the line above a block leaves it out (root, containers,
the network, or another suite runs it)."""

from __future__ import annotations

import re
from typing import Final

from .pages import SHELL, Block, blocks, page_name, pages

NAMED: Final = re.compile(r"^# (\w+\.py)\b")
TEST: Final = re.compile(r"^(?:async )?def test_", re.M)
PAGES: Final = {page_name(path): blocks(path) for path in pages()}
SHELL_LANGS: Final = SHELL | {"console"}
PYTHON: Final = frozenset({"python"})


def runnable(page: str, langs: frozenset[str]) -> list[Block]:
    return [block for block in PAGES[page] if block.lang in langs and block.skip is None]


SHELL_PAGES: Final = [page for page in PAGES if runnable(page, SHELL_LANGS)]
PYTHON_PAGES: Final = [page for page in PAGES if runnable(page, PYTHON)]


class NoTest(ValueError):
    pass


def python_groups(page: str) -> list[dict[str, str]]:
    """The page's Python examples as folders of files: a block whose first line is
    `# name.py` is that file, kept with the blocks after it up to and with the next block that
    has tests; a block with tests and no name is `test_example_<line>.py`."""
    groups: list[dict[str, str]] = []
    files: dict[str, str] = {}
    for block in runnable(page, PYTHON):
        named = NAMED.match(block.text)
        has_tests = TEST.search(block.text) is not None
        if not named and not has_tests:
            raise NoTest(f"{block.where}: a Python example with no test and no file name")
        name = named.group(1) if named else f"test_example_{block.line}.py"
        files[name] = block.text
        if has_tests:
            groups.append(files)
            files = {}
    if files:
        raise NoTest(f"{page}: {', '.join(files)} but no test after them uses it")
    return groups
