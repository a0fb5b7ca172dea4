"""The fenced blocks of the README and the docs pages, as the examples harness reads them.

A block is a fence (three backticks and a language, indented or not) and its text. The line
directly above a fence may be `<!-- docs-test: skip: <reason> -->`: that block is not run.
A block of output is the fence right after a block that runs (json or text), with nothing
but blank lines between them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[2]
DOCS: Final = ROOT / "docs"
FENCE: Final = re.compile(r"^( *)```(\w*)\s*$")
SKIP: Final = re.compile(r"^\s*<!-- docs-test: skip: (.+?) -->\s*$")
SHELL: Final = frozenset(("sh", "bash", "shell"))
RUNS: Final = SHELL | {"console", "python"}
OUTPUT: Final = frozenset(("json", "text", ""))


@dataclass(frozen=True)
class Block:
    page: str
    line: int  # of the opening fence, 1-based
    lang: str
    text: str
    skip: str | None  # the reason, when the line above says to skip it
    output: Block | None = None  # the output block that follows it

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def pages() -> list[Path]:
    """The README and every page of the site."""
    return [ROOT / "README.md", *sorted(DOCS.glob("**/*.md"))]


def page_name(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def blocks(path: Path) -> list[Block]:
    """The page's fenced blocks in order, each runnable one with the output block after it."""
    lines = path.read_text(encoding="utf-8").split("\n")
    found: list[tuple[int, str, str, str | None, int]] = []  # line, lang, text, skip, end
    at = 0
    while at < len(lines):
        opening = FENCE.match(lines[at])
        if not opening:
            at += 1
            continue
        indent, lang = opening.groups()
        end = at + 1
        while end < len(lines) and lines[end].rstrip() != indent + "```":
            end += 1
        if end == len(lines):
            raise ValueError(f"{page_name(path)}:{at + 1}: a fence that is never closed")
        text = "\n".join(row.removeprefix(indent) for row in lines[at + 1 : end]) + "\n"
        above = SKIP.match(lines[at - 1]) if at else None
        found.append((at + 1, lang, text, above.group(1) if above else None, end + 1))
        at = end + 1
    result: list[Block] = []
    index = 0
    while index < len(found):
        line, lang, text, skip, end = found[index]
        output = None
        if lang in RUNS and index + 1 < len(found):
            nxt = found[index + 1]
            between = lines[end : nxt[0] - 1]
            if nxt[1] in OUTPUT and all(not row.strip() for row in between):
                output = Block(page_name(path), nxt[0], nxt[1], nxt[2], nxt[3])
                index += 1
        result.append(Block(page_name(path), line, lang, text, skip, output))
        index += 1
    return result
