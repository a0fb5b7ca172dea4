"""The examples harness itself: what it reads as a server start, how it compares output, and
that a page whose output differs fails (so a passing run means the pages print what they show)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .harness import ExampleError, check, matches, session, starts
from .pages import Block, blocks


def block(text: str, lang: str = "sh", output: str | None = None) -> Block:
    shown = None if output is None else Block("page.md", 2, "json", output, None)
    return Block("page.md", 1, lang, text, None, shown)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("make run\n", [("mock", [])]),
        ('make run ARGS="--clock manual"\n', [("mock", ["--clock", "manual"])]),
        (
            ".venv/bin/sora-mock --clock manual\n"
            ".venv/bin/python -m sora_mock.testing.receiver --port 9100\n",
            [("mock", ["--clock", "manual"]), ("receiver", ["--port", "9100"])],
        ),
        ("make run\ncurl -s http://127.0.0.1:8000/__mock/clock\n", None),
        (".venv/bin/sora-mock --clock sometimes; echo $?\n", None),
        ("sora-mock verify --upstream http://127.0.0.1:9\n", None),
        ("make run     # serves on 8000\nmake test\n", None),
    ],
)
def test_a_block_that_only_starts_servers_is_a_start(
    text: str, expected: list[tuple[str, list[str]]] | None
) -> None:
    assert expected == starts(block(text))


def test_output_is_compared_exactly_but_for_dots_and_durations() -> None:
    assert matches("a\nb\n", "a\nb\n")
    assert not matches("a\nb\n", "a\nc\n")
    assert not matches("a\n", "a\nb\n")
    assert matches("a\n...\nd\n", "a\nb\nc\nd\n")
    assert matches("== 1 passed in 0.72s ==\n", "== 1 passed in 3.10s ==\n")


def test_a_page_that_shows_other_output_fails() -> None:
    with session() as live:
        check(live, block("make run\n"))
        check(live, block("echo 127.0.0.1:8000\n", output="127.0.0.1:8000\n"))
        with pytest.raises(ExampleError, match="prints something else"):
            check(live, block("echo 1\n", output="2\n"))


def test_the_output_block_is_the_fence_right_after_a_runnable_one(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text(
        "```sh\necho 1\n```\n```text\n1\n```\n\ntext\n\n```text\nnot output\n```\n"
        "<!-- docs-test: skip: shown, not run -->\n```sh\nrm -rf /\n```\n",
        encoding="utf-8",
    )
    found = blocks(page)
    assert [("sh", "1\n"), ("text", None), ("sh", None)] == [
        (b.lang, b.output.text if b.output else None) for b in found
    ]
    assert "shown, not run" == found[2].skip
