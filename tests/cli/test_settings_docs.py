"""The docs' table of settings comes from their one declaration (issue 24): the README's
Configuration table is `docs_table()`'s text, so a setting added, renamed or re-described in
settings.py shows there, or this test fails."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from sora_mock import Settings
from sora_mock.settings import docs_table

README: Final = Path(__file__).parents[2] / "README.md"
HEADER: Final = "| setting | default | meaning |\n"
REGENERATE: Final = (
    "paste the output of: python -c 'import sora_mock.settings as s; print(s.docs_table())'"
)


def readme_table() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(HEADER)
    return text[start : text.index("\n\n", start) + 1]


def test_the_readmes_settings_table_is_the_generated_one() -> None:
    assert docs_table() == readme_table(), REGENERATE


def test_the_table_has_one_row_per_setting_in_the_declarations_order() -> None:
    rows = re.findall(r"^\| `([a-z_]+)` \|", docs_table(), re.M)
    assert list(Settings.model_fields) == rows


def test_a_row_shows_the_default_as_toml_writes_it_and_the_help_line() -> None:
    table = docs_table()
    assert (
        '| `seed` | `"sora-mock"` | the seed of taskIds and of the fault rules\' random draws |'
        in table
    )
    assert "| `admin_token` | unset | " in table
    assert "| `max_body_bytes` | `16777216` (16 MiB) | " in table
