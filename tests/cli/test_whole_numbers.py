"""One rule for every whole number the tool reads (issue 23): a setting, a fault rule's count or
status, an account's balance and a price are a number or a string of ASCII digits (`port =
"8001"`, `code = "503"`); anything else written as text, and a boolean, stops start-up with one
line naming the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..helpers import CREATE, KEY, TEXT_BODY
from .test_cli import StartServer, call, run, start_server, stop

__all__ = ["start_server"]  # the fixture, imported from test_cli

RULE_TOML = '[[faults]]\naction = "error"\nroute = "create"\ncode = "503"\ntimes = "1"\n'
RULE_JSON = json.dumps([{"action": "error", "route": "create", "code": "503", "times": "1"}])


@pytest.mark.parametrize("given_by", ["flag", "file"])
def test_a_fault_rules_digit_strings_are_its_numbers(
    start_server: StartServer, tmp_path: Path, given_by: str
) -> None:
    if given_by == "flag":
        args: tuple[str, ...] = ("--faults", RULE_JSON)
    else:
        config = tmp_path / "sora-mock.toml"
        config.write_text(RULE_TOML, encoding="utf-8")
        args = ("--config", str(config))
    proc, url = start_server(*args)
    headers = {"Authorization": f"Bearer {KEY}"}
    codes = [call(url, "POST", CREATE, TEXT_BODY, headers)[1]["code"] for _ in range(2)]
    _, listed = call(url, "GET", "/__mock/faults")
    stop(proc)
    assert [503, 0] == codes
    [rule] = listed["faults"]
    assert (503, 1) == (rule["code"], rule["times"])


def test_balances_and_prices_may_be_digit_strings_too(start_server: StartServer) -> None:
    key = "sk-digits-0001"
    proc, url = start_server(
        *("--accounts", json.dumps({key: "0250"})),
        *("--pricing", json.dumps({"sora-2-text-to-video": {"10": "25"}})),
    )
    opened = call(url, "GET", f"/__mock/accounts/{key}")
    created = call(url, "POST", CREATE, TEXT_BODY, {"Authorization": f"Bearer {key}"})
    charged = call(url, "GET", f"/__mock/accounts/{key}")
    put = call(url, "PUT", f"/__mock/accounts/{key}", {"balance": "873"})
    stop(proc)
    assert (200, 250) == (opened[0], opened[1]["balance"])
    assert 0 == created[1]["code"]
    assert 225 == charged[1]["balance"]
    assert (200, 873) == (put[0], put[1]["balance"])


@pytest.mark.parametrize(
    ("args", "toml", "line"),
    [
        (
            ("--faults", '[{"action": "error", "code": " 503"}]'),
            None,
            "sora-mock: --faults: 0.code: expected a whole number, got ' 503'",
        ),
        (
            (),
            '[[faults]]\naction = "error"\nnth = "2nd"\n',
            "sora-mock: {config}: faults.0.nth: expected a whole number, got '2nd'",
        ),
        (
            ("--port", "8_001"),
            None,
            "sora-mock: --port: expected a whole number, got '8_001'",
        ),
        (
            (),
            "max_tasks = true\n",
            "sora-mock: {config}: max_tasks: expected a whole number, got True",
        ),
    ],
    ids=["fault-flag", "fault-file", "setting-flag", "setting-file"],
)
def test_any_other_form_stops_start_up_naming_the_field(
    tmp_path: Path, args: tuple[str, ...], toml: str | None, line: str
) -> None:
    config = tmp_path / "sora-mock.toml"
    if toml is not None:
        config.write_text(toml, encoding="utf-8")
        args = ("--config", str(config), *args)
    result = run(*args)
    assert (2, "") == (result.returncode, result.stdout)
    assert [line.format(config=config)] == result.stderr.splitlines()
