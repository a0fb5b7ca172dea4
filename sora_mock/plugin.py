"""The pytest plugin (entry point `pytest11`): the `sora_mock` fixture and its marker.

A server starts once per session for each distinct set of settings and is reset before each
test, so a test pays for a reset (microseconds) rather than a start (~0.1 s). Each test gets an
API key of its own, which is what keeps tests apart on a shared server (`--sora-mock-url`).
"""

from __future__ import annotations

import hashlib
import json
import os
import traceback
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from aiohttp import web

from .app import create_app
from .client import SoraMock
from .server import MockServer

DEFAULTS: dict[str, Any] = {"clock": "manual", "host": "127.0.0.1", "port": 0}
MARKER_HELP = (
    "sora_mock(**settings): run the test against a sora-mock server with these settings "
    "(e.g. clock='poll', strict=True, max_concurrent_tasks=2); tests that ask for the same "
    "settings share one server."
)


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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER_HELP)


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
    return {**DEFAULTS, **(marker.kwargs if marker else {})}


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
        handle.clear_faults()
        handle.close()
        return
    server = sora_mock_servers.get(sora_mock_settings)
    handle = SoraMock(server.url, api_key, admin_token=server.settings.admin_token)
    handle.reset()
    seen = len(server.errors)
    yield handle
    handle.close()
    escaped = server.errors[seen:]
    if escaped:
        text = "".join(traceback.format_exception(escaped[0]))
        raise ServerErrorInTest(f"sora-mock raised inside the server:\n{text}") from escaped[0]


@pytest.fixture
def sora_mock_app() -> Callable[..., web.Application]:
    """`create_app` on the manual clock, for `aiohttp_client(sora_mock_app(**settings))`."""

    def make(**settings: Any) -> web.Application:
        return create_app(**{"clock": "manual", **settings})

    return make
