"""The fixture's interception (F1): `@pytest.mark.sora_mock(intercept=True)` for one test,
`--sora-mock-intercept` (or SORA_MOCK_INTERCEPT) for every test that uses the fixture, against
the test's own server or the one `--sora-mock-url` names."""

from __future__ import annotations

from typing import Final

import pytest

from sora_mock.testing.plugin import MSG_BAD_INTERCEPT
from sora_mock.testing.server import MockServer

from ..plugin.test_plugin import outcomes

TESTS: Final = """
import json
import urllib.request

import pytest


def credits(key):
    request = urllib.request.Request(
        "https://FreeSoraGenerator.com/api/get-user-credits", data=b"{}", method="POST",
        headers={"Authorization": f"Bearer {key}"},
    )
    with urllib.request.urlopen(request) as answer:
        return json.loads(answer.read())["data"]["left_credits"]


def intercepted():
    return hasattr(vars(urllib.request.HTTPHandler)["http_open"], "__wrapped__")


@pytest.mark.sora_mock(intercept=True)
def test_marked(sora_mock):
    assert sora_mock.balance() == credits(sora_mock.api_key)
    assert ["credits"] == [row["route"] for row in sora_mock.requests()]


@pytest.mark.sora_mock(intercept=True, clock="poll")
def test_marked_with_a_setting(sora_mock):
    assert intercepted()


@pytest.mark.sora_mock(intercept=False)
def test_marked_not_to(sora_mock):
    assert not intercepted()


def test_plain(sora_mock):
    assert OPTION == intercepted()


def test_without_the_fixture():
    assert not intercepted()
"""


INI: Final = "[pytest]\nasyncio_default_fixture_loop_scope = function\n"


def run(pytester: pytest.Pytester, *args: str, option: bool = False) -> pytest.RunResult:
    pytester.makeini(INI)
    pytester.makepyfile(test_it=TESTS.replace("OPTION", str(option)))
    return pytester.runpytest("-p", "no:cacheprovider", *args)


def test_the_marker_intercepts_one_test(pytester: pytest.Pytester) -> None:
    assert {"passed": 5} == outcomes(run(pytester))


@pytest.mark.parametrize(
    ("args", "env"), [(["--sora-mock-intercept"], None), ([], "true"), ([], "1")]
)
def test_the_option_intercepts_every_test_with_the_fixture(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, args: list[str], env: str | None
) -> None:
    if env is not None:
        monkeypatch.setenv("SORA_MOCK_INTERCEPT", env)
    assert {"passed": 5} == outcomes(run(pytester, *args, option=True))


def test_the_variable_false_intercepts_nothing(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SORA_MOCK_INTERCEPT", "false")
    assert {"passed": 5} == outcomes(run(pytester))


def test_a_variable_that_is_not_a_boolean_is_a_usage_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SORA_MOCK_INTERCEPT", "yes please")
    result = run(pytester)
    assert pytest.ExitCode.USAGE_ERROR == result.ret
    message = MSG_BAD_INTERCEPT.format(source="SORA_MOCK_INTERCEPT", value="yes please")
    result.stderr.fnmatch_lines([f"*{message}"])


def test_a_marker_value_that_is_not_a_boolean_fails_the_test(pytester: pytest.Pytester) -> None:
    pytester.makeini(INI)
    pytester.makepyfile(
        test_it="""
import pytest

@pytest.mark.sora_mock(intercept="yes")
def test_it(sora_mock):
    pass
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert {"errors": 1} == outcomes(result)
    result.stdout.fnmatch_lines(["*@pytest.mark.sora_mock(intercept='yes'): give True or False*"])


def test_under_sora_mock_url_the_marker_intercepts_against_that_server(
    pytester: pytest.Pytester,
) -> None:
    """`intercept=True` alone asks for no server of its own, so the test runs; a marker with
    a setting is still skipped there."""
    with MockServer(clock="manual", port=0) as server:
        result = run(pytester, f"--sora-mock-url={server.url}")
    assert {"passed": 4, "skipped": 1} == outcomes(result)
