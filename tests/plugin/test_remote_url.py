"""`--sora-mock-url` as a user gets it wrong (issues 13, 23): no scheme, a bad port, a path, a
server that is not up yet or is not a sora-mock. Each stops the run before any test with one
clear line naming the URL and the option, never a traceback."""

from __future__ import annotations

import socket
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

import pytest

from sora_mock.testing.plugin import MSG_BAD_URL, MSG_BAD_WAIT, MSG_NO_ANSWER, MSG_NOT_A_MOCK
from sora_mock.testing.server import MockServer

from .conftest import run_pytest, serving

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
        ("http://127.0.0.1:8000#top", "it has a query or a fragment"),
        (
            "http://127.0.0.1:8765/api",
            "it has a path ('/api'); the mock's routes are at the server's root",
        ),
    ],
)
def test_a_bad_url_is_a_usage_error_naming_the_option(
    pytester: pytest.Pytester, url: str, why: str
) -> None:
    pytester.makepyfile(test_it=USES_THE_FIXTURE)
    result = run_pytest(pytester, "--sora-mock-url", url)
    assert pytest.ExitCode.USAGE_ERROR == result.ret
    expected = MSG_BAD_URL.format(source="--sora-mock-url", url=url, why=why)
    assert [f"ERROR: {expected}"] == [line for line in result.stderr.lines if line.strip()]


def test_a_bad_url_in_the_environment_names_the_variable(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_it=USES_THE_FIXTURE)
    monkeypatch.setenv("SORA_MOCK_URL", "127.0.0.1:8000")
    result = run_pytest(pytester)
    assert pytest.ExitCode.USAGE_ERROR == result.ret
    result.stderr.fnmatch_lines(["ERROR: SORA_MOCK_URL: '127.0.0.1:8000' is not a sora-mock URL*"])


@pytest.mark.parametrize("wait", ["soon", "-1", "inf"])
def test_a_bad_wait_is_a_usage_error(pytester: pytest.Pytester, wait: str) -> None:
    pytester.makepyfile(test_it=USES_THE_FIXTURE)
    result = run_pytest(pytester, "--sora-mock-url", "http://127.0.0.1:1", "--sora-mock-wait", wait)
    assert pytest.ExitCode.USAGE_ERROR == result.ret
    expected = MSG_BAD_WAIT.format(source="--sora-mock-wait", value=wait)
    assert [f"ERROR: {expected}"] == [line for line in result.stderr.lines if line.strip()]


def only_error_line(result: pytest.RunResult) -> str:
    """The run stopped before any test with one error line (and no traceback): that line.
    (pytest-asyncio may warn on stderr before it about its own settings.)"""
    assert pytest.ExitCode.USAGE_ERROR == result.ret
    output = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in output
    assert "passed" not in output
    [line] = [line for line in result.stderr.lines if line.startswith("ERROR")]
    assert 1 == output.count("/__mock/health"), output
    return line


@pytest.mark.parametrize("xdist", [(), ("-n", "2")], ids=["serial", "xdist"])
def test_a_server_that_never_answers_stops_the_run_once_naming_url_and_option(
    pytester: pytest.Pytester, closed_port: int, xdist: tuple[str, ...]
) -> None:
    pytester.makepyfile(test_it=USES_THE_FIXTURE)
    url = f"http://127.0.0.1:{closed_port}"
    result = run_pytest(pytester, "--sora-mock-url", url, "--sora-mock-wait", "0.5", *xdist)
    line = only_error_line(result)
    said = MSG_NO_ANSWER.format(url=url, wait=0.5, reason="REASON", source="--sora-mock-url")
    before, after = said.split("REASON")
    assert line.startswith(f"ERROR: {before}"), line
    assert line.endswith(after), line
    assert "ConnectionRefusedError" not in line


class ForeignServer(ThreadingHTTPServer):
    """Another service on a loopback port: every GET gets `answer` (status, body)."""

    answer: tuple[int, bytes] = (200, b"")


class Foreign(BaseHTTPRequestHandler):
    server: ForeignServer

    def do_GET(self) -> None:
        status, body = self.server.answer
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def foreign() -> Iterator[ForeignServer]:
    server = ForeignServer(("127.0.0.1", 0), Foreign)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.mark.parametrize(
    ("status", "body", "found"),
    [
        (200, b'{"status":"ok"}', 'HTTP 200 with {"status": "ok"}'),
        (
            200,
            b"<html>\n<h1>It works</h1>",
            "HTTP 200 with a body that is not JSON: '<html>\\n<h1>It works</h1>'",
        ),
        (200, b"", "HTTP 200 with an empty body"),
        (404, b'{"detail":"Not Found"}', 'HTTP 404 with {"detail": "Not Found"}'),
    ],
    ids=["json", "html", "empty", "404"],
)
def test_another_server_on_the_url_stops_the_run_naming_url_and_answer(
    pytester: pytest.Pytester,
    foreign: ForeignServer,
    status: int,
    body: bytes,
    found: str,
) -> None:
    foreign.answer = (status, body)
    url = f"http://127.0.0.1:{foreign.server_address[1]}"
    pytester.makepyfile(test_it=USES_THE_FIXTURE)
    result = run_pytest(pytester, "--sora-mock-url", url)
    expected = MSG_NOT_A_MOCK.format(source="--sora-mock-url", url=url, found=found)
    assert f"ERROR: {expected}" == only_error_line(result)


def test_a_sora_mock_in_process_passes_the_check(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_it=USES_THE_FIXTURE)
    with MockServer(clock="manual", port=0) as server:
        result = run_pytest(pytester, "--sora-mock-url", server.url, "--sora-mock-wait", "0")
    result.assert_outcomes(passed=2)


@pytest.fixture
def running_mock() -> Iterator[str]:
    with serving([sys.executable, "-m", "sora_mock"]) as url:
        yield url


def test_a_url_with_a_trailing_slash_works(pytester: pytest.Pytester, running_mock: str) -> None:
    pytester.makepyfile(test_it=USES_THE_FIXTURE)
    result = run_pytest(pytester, "--sora-mock-url", running_mock + "/")
    result.assert_outcomes(passed=2)
