"""Every shell and console example of the README and the docs prints what its page shows, run
against a live mock (harness.py: a fresh mock per page, started as the page starts it)."""

from __future__ import annotations

import pytest

from .examples import PAGES, SHELL_LANGS, SHELL_PAGES, runnable
from .harness import check, session


@pytest.mark.parametrize("page", SHELL_PAGES)
def test_the_shell_examples_print_what_the_page_shows(page: str) -> None:
    with session() as live:
        for block in runnable(page, SHELL_LANGS):
            check(live, block)


def test_the_harness_finds_the_examples() -> None:
    """A renamed fence or language would silently leave examples out."""
    assert "README.md" in SHELL_PAGES
    assert len(SHELL_PAGES) >= 8


def test_every_skip_says_why() -> None:
    for page_blocks in PAGES.values():
        for block in page_blocks:
            assert block.skip is None or len(block.skip) >= 10, block.where
