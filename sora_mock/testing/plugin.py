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

import contextlib
import hashlib
import json
import os
import sys
import time
import traceback
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Final, cast
from urllib.parse import urlsplit

import pytest

from ..config import env_warnings
from ..core.variants import parse as parse_variants
from ..core.variants import read_text as read_variants
from ..sim.control import SERVICE
from . import report as client_report
from .apphandle import AppFactory
from .client import SoraMock
from .server import MockServer

DEFAULTS: dict[str, Any] = {"clock": "manual", "host": "127.0.0.1", "port": 0}
MARKER_HELP = (
    "sora_mock(**settings): run the test against a sora-mock server with these settings "
    "(e.g. clock='poll', strict=True, max_concurrent_tasks=2, variants='random'); tests that "
    "ask for the same settings share one server. intercept=True (not a setting): requests to "
    "the provider's origin go to the test's mock for the whole test (CONTRACT H1)."
)
# the marker's one keyword that is not a setting of the server
INTERCEPT: Final = "intercept"
ENV_INTERCEPT: Final = "SORA_MOCK_INTERCEPT"
BOOLS: Final = {"true": True, "false": False, "1": True, "0": False}
MSG_BAD_INTERCEPT: Final = "{source}: {value!r} is not true or false (or 1 or 0)"
REPORT_PROPERTY: Final = "sora_mock_report"
VARIANTS = pytest.StashKey[Any]()


ENV_URL: Final = "SORA_MOCK_URL"
ENV_WAIT: Final = "SORA_MOCK_WAIT"
DEFAULT_WAIT: Final = 10.0
MSG_BAD_URL: Final = (
    "{source}: {url!r} is not a sora-mock URL ({why}); "
    "expected http://HOST:PORT or https://HOST:PORT, e.g. http://127.0.0.1:8000"
)
MSG_BAD_WAIT: Final = "{source}: {value!r} is not a number of seconds >= 0"
MSG_NO_ANSWER: Final = (
    "sora-mock at {url} did not answer GET /__mock/health within {wait:g} s ({reason}); "
    "start it, or point {source} at it (--sora-mock-wait sets how long to wait)"
)
MSG_NOT_A_MOCK: Final = (
    "{source}: {url} is not a sora-mock: GET /__mock/health answered {found}; "
    'a sora-mock answers {{"service": "sora-mock"}} there'
)
SHOWN: Final = 120  # characters of a foreign answer shown in the message


def _option_source(config: pytest.Config, option: str, env: str) -> tuple[Any, str]:
    """The option's value and where it came from: the flag, else the variable."""
    value = config.getoption(option.lstrip("-").replace("-", "_"))
    if value is not None:
        return value, option
    return os.environ.get(env), env


def check_url(url: str, source: str) -> str:
    """The URL without a trailing slash, or a usage error that names the option or variable."""
    parts = urlsplit(url.strip())
    why = None
    if parts.scheme not in ("http", "https"):
        why = "the scheme must be http:// or https://"
    elif not parts.hostname:
        why = "it has no host"
    elif parts.path not in ("", "/"):
        why = f"it has a path ({parts.path!r}); the mock's routes are at the server's root"
    elif parts.query or parts.fragment:
        why = "it has a query or a fragment"
    else:
        try:
            port = parts.port
        except ValueError:
            port = -1
        if port is not None and not 1 <= port <= 65535:
            why = "the port must be a number from 1 to 65535"
    if why is not None:
        raise pytest.UsageError(MSG_BAD_URL.format(source=source, url=url, why=why))
    return url.strip().rstrip("/")


def health_problem(url: str, wait: float) -> tuple[bool, str] | None:
    """None when a sora-mock answers GET /__mock/health; else (whether something answered,
    what was found). It asks until `wait` seconds pass while nothing answers or the answer is
    a 5xx (a container or the proxy before it still starting); any other answer is final."""
    deadline = time.monotonic() + wait
    reason = "no answer"
    while True:
        left = deadline - time.monotonic()
        try:
            with urllib.request.urlopen(  # noqa: S310 (the scheme was checked: http or https)
                f"{url}/__mock/health", timeout=max(0.2, min(left, 2.0))
            ) as response:
                return _not_a_mock(response.status, response.read(4096))
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return _not_a_mock(exc.code, exc.read(4096))
            reason = f"HTTP {exc.code}"
        except (OSError, ValueError) as exc:
            reason = str(getattr(exc, "reason", None) or exc)
        if time.monotonic() >= deadline:
            return False, reason
        time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))


def _not_a_mock(status: int, body: bytes) -> tuple[bool, str] | None:
    """None for a sora-mock's health answer; else what was found there, on one line."""
    try:
        data = json.loads(body)
    except ValueError:
        text = body.decode("utf-8", "replace")
        shown = f"a body that is not JSON: {text[:SHOWN]!r}" if text else "an empty body"
        return True, f"HTTP {status} with {shown}"
    if status == 200 and isinstance(data, dict) and data.get("service") == SERVICE:
        return None
    shown = json.dumps(data, ensure_ascii=False)
    return True, f"HTTP {status} with {shown[:SHOWN]}{'…' if len(shown) > SHOWN else ''}"


def check_remote(config: pytest.Config) -> None:
    """Before the first test: the `--sora-mock-url` server must be a sora-mock (CONTRACT F1).
    If it is not, or never answers, the session stops with one line naming the URL."""
    url: str = config.option.sora_mock_url
    wait: float = config.option.sora_mock_wait
    source: str = config.option.sora_mock_url_source
    problem = health_problem(url, wait)
    if problem is None:
        return
    answered, found = problem
    if answered:
        message = MSG_NOT_A_MOCK.format(source=source, url=url, found=found)
    else:
        message = MSG_NO_ANSWER.format(url=url, wait=wait, reason=found, source=source)
    raise pytest.UsageError(message)


REPORT_OPTION: Final = "--sora-mock-report"
MSG_REPORT_IS_DIR: Final = "{option}={path}: {path!r} is a directory; name a file for the JSON"
MSG_REPORT_NOT_OURS: Final = (
    "{option}={path}: {path!r} exists and is not a report sora-mock wrote; the report never "
    "writes over a file it did not write (name another file, or remove that one)"
)
MSG_REPORT_NO_FOLDER: Final = "{option}={path}: the folder {folder!r} does not exist"


def check_report_path(path: str) -> None:
    """A usage error, before any test runs, when the JSON could not be written or would
    write over a file the plugin did not write (CONTRACT F1)."""
    target = Path(path)
    message = None
    if target.is_dir():
        message = MSG_REPORT_IS_DIR.format(option=REPORT_OPTION, path=path)
    elif target.exists() and not client_report.written_here(target):
        message = MSG_REPORT_NOT_OURS.format(option=REPORT_OPTION, path=path)
    elif not target.parent.is_dir():
        folder = str(target.parent)
        message = MSG_REPORT_NO_FOLDER.format(option=REPORT_OPTION, path=path, folder=folder)
    if message is not None:
        raise pytest.UsageError(message)


class ServerErrorInTest(AssertionError):
    """An exception escaped a sora-mock handler while this test ran (the client saw a 500)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sora_mock", "sora-mock")
    group.addoption(
        "--sora-mock-url",
        metavar="URL",
        help="drive an already running sora-mock at URL (http://HOST:PORT) instead of starting "
        "one (default: $SORA_MOCK_URL)",
    )
    group.addoption(
        "--sora-mock-wait",
        metavar="SECONDS",
        help="with --sora-mock-url: how long to wait for the server to answer before the run "
        f"fails (default: $SORA_MOCK_WAIT, else {DEFAULT_WAIT:g})",
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
        "--sora-mock-intercept",
        action="store_true",
        default=None,
        help="every test that uses the sora_mock fixture runs inside sora_mock.intercept(): "
        "requests to the provider's origin go to the test's mock (default: "
        f"${ENV_INTERCEPT}, true or false)",
    )
    # nargs="?" for `--sora-mock-report` alone; pytest_load_initial_conftests makes sure the
    # word after it is never taken as its value
    group.addoption(
        REPORT_OPTION,
        nargs="?",
        const="",
        default=None,
        metavar="PATH",
        help="at the end, print what the mock noticed about the client in each test; "
        "--sora-mock-report=PATH (with '=') also writes it as JSON, never over a file that is "
        "not such a report",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(args: list[str]) -> None:
    """A bare `--sora-mock-report` becomes `--sora-mock-report=`, so that the word after it
    stays what it is, a test path (argparse would take it as the option's value, and the
    report would be written over it). `args` holds the addopts too; it is the list pytest
    parses next, so it is changed in place. Words after `--` are left alone."""
    end = args.index("--") if "--" in args else len(args)
    args[:end] = [f"{REPORT_OPTION}=" if arg == REPORT_OPTION else arg for arg in args[:end]]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)
    if not hasattr(config, "workerinput"):  # once per run, not once per xdist worker
        # on stderr as the command line writes it, before the run's first line: a pytest
        # warning would come with this file's line number, and under `-W error` (or
        # filterwarnings = error) would end the run with an internal error's traceback
        for line in env_warnings(os.environ):
            sys.stderr.write(f"sora-mock: {line}\n")
    url, source = _option_source(config, "--sora-mock-url", ENV_URL)
    config.option.sora_mock_url = check_url(url, source) if url else None
    config.option.sora_mock_url_source = source
    wait, wait_source = _option_source(config, "--sora-mock-wait", ENV_WAIT)
    try:
        seconds = DEFAULT_WAIT if wait is None else float(wait)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise pytest.UsageError(MSG_BAD_WAIT.format(source=wait_source, value=wait))
    config.option.sora_mock_wait = seconds
    config.option.sora_mock_intercept = _intercept_option(config)
    text = config.getoption("sora_mock_variants")
    if text:
        config.stash[VARIANTS] = _variants(text, "--sora-mock-variants")
    path = config.getoption("sora_mock_report")
    if path is not None and not hasattr(config, "workerinput"):  # not on an xdist worker
        if path:
            check_report_path(path)
        config.pluginmanager.register(ClientReport(path), "sora_mock_client_report")


def pytest_sessionstart(session: pytest.Session) -> None:
    """The `--sora-mock-url` check, once, in the controlling process (xdist's workers start
    after it), and not for `--collect-only`, which runs no test."""
    config = session.config
    worker = hasattr(config, "workerinput")
    if config.option.sora_mock_url and not worker and not config.option.collectonly:
        check_remote(config)


def _intercept_option(config: pytest.Config) -> bool:
    """`--sora-mock-intercept`, else SORA_MOCK_INTERCEPT read as true or false."""
    value, source = _option_source(config, "--sora-mock-intercept", ENV_INTERCEPT)
    if value is None or isinstance(value, bool):
        return bool(value)
    flag = BOOLS.get(value.strip().lower())
    if flag is None:
        raise pytest.UsageError(MSG_BAD_INTERCEPT.format(source=source, value=value))
    return flag


def _intercepted(request: pytest.FixtureRequest) -> bool:
    """Whether this test runs inside intercept(): the marker's `intercept`, else the option."""
    marker = request.node.get_closest_marker("sora_mock")
    if marker is not None and INTERCEPT in marker.kwargs:
        value = marker.kwargs[INTERCEPT]
        if not isinstance(value, bool):
            raise pytest.UsageError(
                f"@pytest.mark.sora_mock({INTERCEPT}={value!r}): give True or False"
            )
        return value
    return bool(request.config.option.sora_mock_intercept)


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
    """The settings of this test's server: DEFAULTS with the marker's keywords over them
    (`intercept` is not a setting: tests that differ in it alone share a server)."""
    marker = request.node.get_closest_marker("sora_mock")
    settings = {**DEFAULTS, **(marker.kwargs if marker else {})}
    settings.pop(INTERCEPT, None)
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
    intercepted = _intercepted(request)
    url = request.config.getoption("sora_mock_url")
    if url:
        marker = request.node.get_closest_marker("sora_mock")
        # `intercept=True` alone asks for no server of its own
        if marker is not None and set(marker.kwargs) != {INTERCEPT}:
            pytest.skip("@pytest.mark.sora_mock needs a server of its own, not --sora-mock-url")
        token = request.config.getoption("sora_mock_admin_token")
        handle = SoraMock(url, api_key, admin_token=token, shared=True).open()
        with _maybe_intercept(handle, intercepted):
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
    with _maybe_intercept(handle, intercepted):
        yield handle
    _record_findings(request, handle)
    handle.close()
    escaped = server.errors[seen:]
    if escaped:
        text = "".join(traceback.format_exception(escaped[0]))
        raise ServerErrorInTest(f"sora-mock raised inside the server:\n{text}") from escaped[0]


def _maybe_intercept(handle: SoraMock, intercepted: bool) -> AbstractContextManager[Any]:
    return handle.intercept() if intercepted else contextlib.nullcontext()


def _record_findings(request: pytest.FixtureRequest, handle: SoraMock) -> None:
    """With `--sora-mock-report`: the test's findings, onto its report (see the docstring)."""
    if request.config.getoption("sora_mock_report") is None:
        return
    findings = client_report.collect(handle)
    if findings is not None:
        request.node.user_properties.append((REPORT_PROPERTY, findings))


@pytest.fixture
def sora_mock_app() -> Iterator[AppFactory]:
    """For pytest-aiohttp's `aiohttp_client`: `sora_mock_app(**settings)` is a fresh app of its
    own (manual clock unless told otherwise) and `sora_mock_app.handle(app)` drives it in
    process, with the `sora_mock` handle's calls, never blocking the test's event loop."""
    factory = AppFactory()
    yield factory
    factory.close()
