"""`--sora-mock-url` as a user gets it wrong (issue 13): no scheme, a bad port, a server that
is not up yet. Each is one clear line naming the URL and the option, never a traceback."""

from __future__ import annotations

import socket
import sys
from collections.abc import Iterator
from typing import Final

import pytest

from sora_mock.plugin import MSG_BAD_URL, MSG_BAD_WAIT

from .conftest import serving

USES_THE_FIXTURE: Final = """
def test_one(sora_mock):
    assert sora_mock.balance() >= 0


def test_two(sora_mock):
    assert sora_mock.balance() >= 0
"""


@pytest.fixture
def closed_port() -> int:
    """A loopback port that nothing listens on: bound, then closed again."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("127.0.0.1:8000", "the scheme must be http:// or https://"),
        ("localhost:8000", "the scheme must be http:// or https://"),
        ("ftp://127.0.0.1:8000", "the scheme must be http:// or https://"),
        ("http://:8000", "it has no host"),
        ("http://127.0.0.1:99999", "the port must be a number from 1 to 65535"),
        ("http://127.0.0.1:eighty", "the port must be a number from 1 to 65535"),
        ("http://127.0.0.1:8000/?x=1", "it has a query or a fragment"),
    ],
)
def test_a_bad_url_is_a_usage_error_naming_the_option(
    pytester: pytest.Pytester, url: str, why: str
) -> None:
    pytester.makepyfile(test_it=USES_THE_FIXTURE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--sora-mock-url", url)
    assert pytest.ExitCode.USAGE_ERROR == result.ret
    expected = MSG_BAD_URL.format(source="--sora-mock-url", url=url, why=why)
    assert [f"ERROR: {expected}"] == [line for line in result.stderr.lines if line.strip()]


def test_a_bad_url_in_the_environment_names_the_variable(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_it=USES_THE_FIXTURE)
    monkeypatch.setenv("SORA_MOCK_URL", "127.0.0.1:8000")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert pytest.ExitCode.USAGE_ERROR == result.ret
    result.stderr.fnmatch_lines(["ERROR: SORA_MOCK_URL: '127.0.0.1:8000' is not a sora-mock URL*"])


@pytest.mark.parametrize("wait", ["soon", "-1", "inf"])
def test_a_bad_wait_is_a_usage_error(pytester: pytest.Pytester, wait: str) -> None:
    pytester.makepyfile(test_it=USES_THE_FIXTURE)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--sora-mock-url", "http://127.0.0.1:1", "--sora-mock-wait", wait
    )
    assert pytest.ExitCode.USAGE_ERROR == result.ret
    expected = MSG_BAD_WAIT.format(source="--sora-mock-wait", value=wait)
    assert [f"ERROR: {expected}"] == [line for line in result.stderr.lines if line.strip()]


@pytest.mark.parametrize("xdist", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_a_server_that_never_answers_fails_the_run_once_naming_url_and_option(
    pytester: pytest.Pytester, closed_port: int, xdist: tuple[str, ...]
) -> None:
    pytester.makepyfile(test_it=USES_THE_FIXTURE)
    url = f"http://127.0.0.1:{closed_port}"
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--sora-mock-url", url, "--sora-mock-wait", "0.5", *xdist
    )
    # under xdist, the worker that stops the run makes the controller report it interrupted
    stopped = {pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.INTERRUPTED}
    assert result.ret in (stopped if xdist else {pytest.ExitCode.TESTS_FAILED})
    output = result.stdout.str()
    assert "Traceback" not in output
    assert "ConnectionRefusedError" not in output
    said = [line for line in result.stdout.lines if line.startswith("sora-mock at ")]
    # one test errors with the message; the run stops there (one per worker under xdist)
    assert 1 <= len(said) <= (2 if xdist else 1), output
    for line in said:
        assert f"sora-mock at {url} did not answer GET /__mock/health within 0.5 s" in line
        assert "--sora-mock-url" in line
        assert "--sora-mock-wait" in line
    assert len(output.splitlines()) < 40, output


@pytest.fixture
def running_mock() -> Iterator[str]:
    with serving([sys.executable, "-m", "sora_mock"]) as url:
        yield url


def test_a_url_with_a_trailing_slash_works(pytester: pytest.Pytester, running_mock: str) -> None:
    pytester.makepyfile(test_it=USES_THE_FIXTURE)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--sora-mock-url", running_mock + "/"
    )
    result.assert_outcomes(passed=2)
