"""Every TOML example in the docs is a config file the server accepts (issue 27): read as
`--config` reads it, then checked as every setting is (E)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sora_mock.config import build, read_file

from .examples import PAGES
from .pages import Block

TOML = [block for page in PAGES.values() for block in page if block.lang == "toml"]


def test_the_docs_have_toml_examples() -> None:
    assert len(TOML) >= 4


@pytest.mark.parametrize("block", TOML, ids=[block.where for block in TOML])
def test_the_toml_example_is_a_config_the_server_accepts(block: Block, tmp_path: Path) -> None:
    config = tmp_path / "sora-mock.toml"
    config.write_text(block.text, encoding="utf-8")
    build(read_file(config))
