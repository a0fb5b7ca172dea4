"""The pytest plugin (entry point `pytest11`): the `sora_mock` fixture and its marker.

A server starts once per session for each distinct set of settings and is reset before each
test, so a test pays for a reset (microseconds) rather than a start (~0.1 s). Each test gets an
API key of its own, which is what keeps tests apart on a shared server (`--sora-mock-url`).

With `--sora-mock-report`, each test's handle reads the mock's findings about the client as
the test's fixture is torn down; they travel on the test report (`user_properties`, so that
pytest-xdist carries them to the controller), and the controller prints and writes them once.
Without the option none of that runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import traceback
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final, cast

import pytest
from aiohttp import web

from . import report as client_report
from .app import create_app
from .client import SoraMock
from .server import MockServer
from .variants import parse as parse_variants
from .variants import read_text as read_variants

DEFAULTS: dict[str, Any] = {"clock": "manual", "host": "127.0.0.1", "port": 0}
MARKER_HELP = (
    "sora_mock(**settings): run the test against a sora-mock server with these settings "
    "(e.g. clock='poll', strict=True, max_concurrent_tasks=2, variants='random'); tests that "
    "ask for the same settings share one server."
)
REPORT_PROPERTY: Final = "sora_mock_report"
VARIANTS = pytest.StashKey[Any]()


class ServerErrorInTest(AssertionError):
    """An exception escaped a sora-mock handler while this test ran (the client saw a 500)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sora_mock", "sora-mock")
    group.addoption(
        "--sora-mock-url",
        default=os.environ.get("SORA_MOCK_URL"),
        help="drive an already running sora-mock at URL instead of starting one "
        "(default: $SORA_MOCK_URL)",
    )
    group.addoption(
        "--sora-mock-admin-token",
        default=os.environ.get("SORA_MOCK_ADMIN_TOKEN"),
        help="the admin token of that server, if it has one (default: $SORA_MOCK_ADMIN_TOKEN)",
    )
    group.addoption(
        "--sora-mock-variants",
        default=os.environ.get("SORA_MOCK_VARIANTS"),
        metavar="VARIANTS",
        help="the `variants` setting of every server the plugin starts: random, contract, or "
        "JSON (a list of points, a table of point: form) (default: $SORA_MOCK_VARIANTS)",
    )
    group.addoption(
        "--sora-mock-report",
        nargs="?",
        const="",
        default=None,
        metavar="PATH",
        help="at the end, print what the mock noticed about the client in each test; "
        "--sora-mock-report=PATH also writes it as JSON",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    text = config.getoption("sora_mock_variants")
    if text:
        config.stash[VARIANTS] = _variants(text, "--sora-mock-variants")
    path = config.getoption("sora_mock_report")
    if path is not None and not hasattr(config, "workerinput"):  # not on an xdist worker
        config.pluginmanager.register(ClientReport(path), "sora_mock_client_report")


def _variants(value: Any, where: str) -> Any:
    """A variants value from an option or a marker, checked: a word, or JSON text, or data."""
    try:
        setting = read_variants(value) if isinstance(value, str) else value
        parse_variants(setting)
    except ValueError as exc:
        raise pytest.UsageError(f"{where} {value!r}: {exc}") from None
    return setting


class ClientReport:
    """The `--sora-mock-report` plugin of the controlling process: gathers, prints, writes."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.tests: dict[str, client_report.Findings] = {}

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Take the findings a test's teardown recorded (here or on an xdist worker)."""
        if report.when != "teardown":
            return
        for name, value in report.user_properties:
            if name == REPORT_PROPERTY:
                self.tests[report.nodeid] = cast(client_report.Findings, value)

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if not self.tests:
            return
        terminalreporter.write_sep("=", client_report.TITLE, yellow=True)
        for line in client_report.render(self.tests):
            terminalreporter.write_line(line)
        if self.path:
            terminalreporter.write_line(f"-- JSON: {self.path}")

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.path:
            text = json.dumps(client_report.as_json(self.tests), indent=2)
            Path(self.path).write_text(text + "\n", encoding="utf-8")


class Servers:
    """The session's in-process servers, one per distinct set of settings."""

    def __init__(self) -> None:
        self._running: dict[str, MockServer] = {}

    def get(self, settings: dict[str, Any]) -> MockServer:
        key = json.dumps(settings, sort_keys=True, default=str)
        server = self._running.get(key)
        if server is None:
            server = self._running[key] = MockServer(**settings).start()
        return server

    def close(self) -> None:
        for server in self._running.values():
            server.stop()
        self._running.clear()


@pytest.fixture(scope="session")
def sora_mock_servers() -> Iterator[Servers]:
    servers = Servers()
    yield servers
    servers.close()


@pytest.fixture(scope="session")
def _sora_mock_salt(pytestconfig: pytest.Config) -> str:
    """Keys are stable per test in-process; on a shared server, unique to this session too."""
    return uuid.uuid4().hex[:8] if pytestconfig.getoption("sora_mock_url") else "test"


@pytest.fixture
def sora_mock_settings(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The settings of this test's server: DEFAULTS with the marker's keywords over them."""
    marker = request.node.get_closest_marker("sora_mock")
    settings = {**DEFAULTS, **(marker.kwargs if marker else {})}
    if "variants" in settings:  # the marker's: a word, JSON text, or a list or table
        settings["variants"] = _variants(settings["variants"], "@pytest.mark.sora_mock")
    elif VARIANTS in request.config.stash:
        settings["variants"] = request.config.stash[VARIANTS]
    return settings


@pytest.fixture
def sora_mock(
    request: pytest.FixtureRequest,
    sora_mock_settings: dict[str, Any],
    sora_mock_servers: Servers,
    _sora_mock_salt: str,
) -> Iterator[SoraMock]:
    """A running sora-mock and an API key of this test's own."""
    digest = hashlib.sha256(f"{_sora_mock_salt}\n{request.node.nodeid}".encode()).hexdigest()
    api_key = f"sk-{_sora_mock_salt}-{digest[:24]}"
    url = request.config.getoption("sora_mock_url")
    if url:
        if request.node.get_closest_marker("sora_mock") is not None:
            pytest.skip("@pytest.mark.sora_mock needs a server of its own, not --sora-mock-url")
        token = request.config.getoption("sora_mock_admin_token")
        handle = SoraMock(url, api_key, admin_token=token, shared=True).open()
        yield handle
        _record_findings(request, handle)
        handle.clear_faults()
        handle.close()
        return
    server = sora_mock_servers.get(sora_mock_settings)
    handle = SoraMock(
        server.url,
        api_key,
        admin_token=server.settings.admin_token,
        in_process=server.reset_and_open,
    )
    handle.reset()
    seen = len(server.errors)
    yield handle
    _record_findings(request, handle)
    handle.close()
    escaped = server.errors[seen:]
    if escaped:
        text = "".join(traceback.format_exception(escaped[0]))
        raise ServerErrorInTest(f"sora-mock raised inside the server:\n{text}") from escaped[0]


def _record_findings(request: pytest.FixtureRequest, handle: SoraMock) -> None:
    """With `--sora-mock-report`: the test's findings, onto its report (see the docstring)."""
    if request.config.getoption("sora_mock_report") is None:
        return
    findings = client_report.collect(handle)
    if findings is not None:
        request.node.user_properties.append((REPORT_PROPERTY, findings))


@pytest.fixture
def sora_mock_app() -> Callable[..., web.Application]:
    """`create_app` on the manual clock, for `aiohttp_client(sora_mock_app(**settings))`."""

    def make(**settings: Any) -> web.Application:
        return create_app(**{"clock": "manual", **settings})

    return make
