"""The docs' table of settings comes from their one declaration (issue 24): docs/configuration.md
carries `docs_table()`'s text as docs/hooks.py writes it (`make docs-tables`), and the build and
tests/unit/test_docs_tables.py fail while it differs, so a setting added, renamed or re-described
in settings.py shows there."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from sora_mock import Settings
from sora_mock.settings import docs_table

CONFIGURATION: Final = Path(__file__).parents[2] / "docs" / "configuration.md"


def test_the_configuration_page_shows_the_generated_table() -> None:
    page = CONFIGURATION.read_text(encoding="utf-8")
    assert (
        f"\n<!-- generated: settings -->\n\n{docs_table()}\n<!-- /generated: settings -->\n" in page
    )
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


def test_a_number_of_seconds_or_a_speed_states_its_range_in_its_help_line() -> None:
    """The allowed range is in the help line (so in --help and the docs), as the bound says."""
    for name, declared in Settings.model_fields.items():
        if declared.annotation is not float:
            continue
        bound = f">= {declared.ge}" if declared.gt is None else f"> {declared.gt}"
        assert f"any finite number {bound}" in declared.help, name
