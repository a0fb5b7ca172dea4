"""The README's reference tables come from the code's own declarations, so they cannot fall
behind the tool (issue 23: the fault tables lacked routes and actions the tool accepts)."""

from __future__ import annotations

from pathlib import Path
from typing import Final, get_args

from sora_mock.faults.actions import ACTIONS, Route, actions_table

README: Final = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_shows_the_table_of_fault_actions_as_the_code_declares_it() -> None:
    assert actions_table() in README.read_text(encoding="utf-8")


def test_the_readme_names_every_route_and_action_a_fault_rule_takes() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Error injection") :]
    section = section[: section.index("\n## ", 1)]
    named = [f"`{name}`" for name in (*get_args(Route), *ACTIONS)]
    assert [] == [name for name in named if name not in section]
