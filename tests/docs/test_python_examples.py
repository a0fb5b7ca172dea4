"""Every Python example of the README and the docs passes as the test file it is, through the
installed pytest plugin: all pages in one pytest run (one start-up), a folder per example."""

from __future__ import annotations

import re

import pytest

from .examples import PYTHON_PAGES, TEST, python_groups


def test_the_python_examples_pass(pytester: pytest.Pytester) -> None:
    wanted = 0
    for page in PYTHON_PAGES:
        slug = re.sub(r"\W+", "_", page.removesuffix(".md"))
        for number, files in enumerate(python_groups(page)):
            folder = pytester.path / f"{slug}_{number}"
            folder.mkdir()
            for name, text in files.items():
                (folder / name).write_text(text, encoding="utf-8")
                wanted += len(TEST.findall(text)) if name.startswith("test_") else 0
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist")
    counts = result.parseoutcomes()
    assert 0 == counts.get("failed", 0) + counts.get("errors", 0), str(result.stdout)
    assert counts.get("passed", 0) >= wanted, str(result.stdout)


def test_the_harness_finds_the_examples() -> None:
    assert "README.md" in PYTHON_PAGES
    assert {"docs/pytest-fixture.md", "docs/faults.md"} <= set(PYTHON_PAGES)
