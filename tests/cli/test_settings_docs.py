"""The docs' table of settings comes from their one declaration (issue 24): docs/hooks.py puts
`docs_table()`'s text in docs/configuration.md when the site is built (issue 27), so a setting
added, renamed or re-described in settings.py shows there."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from sora_mock import Settings
from sora_mock.settings import docs_table

CONFIGURATION: Final = Path(__file__).parents[2] / "docs" / "configuration.md"


def test_the_configuration_page_shows_the_generated_table() -> None:
    assert "\n<!-- generated: settings -->\n" in CONFIGURATION.read_text(encoding="utf-8")
    assert docs_table().startswith("| setting | default | meaning |\n|---|---|---|\n")


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
