"""A misspelt `SORA_MOCK_*` variable as the plugin meets it (CONTRACT E, F1; issue 23): one
warning line on stderr when the run starts, as the command line prints it, naming the variable
it resembles; the tests still run."""

from __future__ import annotations

from typing import Final

import pytest

from sora_mock.config import FIXTURE_READER, MSG_ENV_TYPO, MSG_ENV_TYPO_OTHER

from .conftest import run_pytest
from .test_plugin import outcomes

USES_THE_FIXTURE: Final = """
def test_one(sora_mock):
    assert sora_mock.balance() >= 0


def test_two(sora_mock):
    assert sora_mock.balance() >= 0
"""
URI_WARNING: Final = MSG_ENV_TYPO_OTHER.format(
    env="SORA_MOCK_URI", suggestion="SORA_MOCK_URL", reader=FIXTURE_READER
)
VARIANT_WARNING: Final = MSG_ENV_TYPO.format(
    env="SORA_MOCK_VARIANT", suggestion="SORA_MOCK_VARIANTS", name="variants"
)


def warning_lines(result: pytest.RunResult) -> list[str]:
    return [line for line in result.stderr.lines + result.stdout.lines if "SORA_MOCK_" in line]


@pytest.mark.parametrize("xdist", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_a_misspelt_fixture_variable_is_named_once_when_the_run_starts(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, xdist: tuple[str, ...]
) -> None:
    monkeypatch.setenv("SORA_MOCK_URI", "http://127.0.0.1:1")
    monkeypatch.setenv("SORA_MOCK_VARIANT", "random")
    pytester.makepyfile(test_it=USES_THE_FIXTURE)
    result = run_pytest(pytester, *xdist)
    assert {"passed": 2} == outcomes(result)
    assert [f"sora-mock: {URI_WARNING}", f"sora-mock: {VARIANT_WARNING}"] == warning_lines(result)


def test_the_fixtures_own_variables_earn_no_warning(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SORA_MOCK_WAIT", "3")
    monkeypatch.setenv("SORA_MOCK_RECEIVER_ADVERTISE", "host.docker.internal")
    monkeypatch.setenv("SORA_MOCK_INTERCEPT", "false")
    pytester.makepyfile(test_it=USES_THE_FIXTURE)
    result = run_pytest(pytester)
    assert {"passed": 2} == outcomes(result)
    assert [] == warning_lines(result)
