"""Local upstreams for the drift tests: a mock (its variants pinned or not) or a stub, served by
aiohttp's TestServer on loopback in the test's loop; the command runs on a worker thread."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Final

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from sora_mock import cli, create_app
from sora_mock.drift import proxy

KEY: Final = "sk-drift-secret-key-7f3a"
Run = Callable[..., Awaitable[int]]


@pytest.fixture
def upstream_key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("SORA_MOCK_UPSTREAM_KEY", KEY)
    for name in ("SORA_MOCK_CONFIG", "SORA_MOCK_VARIANTS", "SORA_MOCK_STRICT"):
        monkeypatch.delenv(name, raising=False)
    return KEY


@pytest.fixture
async def serve() -> AsyncIterator[Callable[..., Awaitable[str]]]:
    """Serve an application on loopback (`options`: aiohttp's server's); its base URL."""
    servers: list[TestServer] = []
    runners: list[web.AppRunner] = []

    async def start(app: web.Application, **options: Any) -> str:
        if proxy.UPSTREAM in app:  # a proxy is served as its command serves it
            runner, url = await proxy.start(app, "127.0.0.1", 0)
            runners.append(runner)
            return url
        server = TestServer(app, host="127.0.0.1")
        await server.start_server(**options)
        servers.append(server)
        return str(server.make_url("")).rstrip("/")

    yield start
    for server in servers:
        await server.close()
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
async def upstream_mock(
    serve: Callable[[web.Application], Awaitable[str]],
) -> Callable[..., Awaitable[str]]:
    async def start(**settings: Any) -> str:
        settings.setdefault("clock", "poll")
        return await serve(create_app(**settings))

    return start


async def run_cli(*argv: str) -> int:
    """`sora-mock <argv>` through the command line's main, on a thread of its own (it runs its
    own event loop) while the upstream keeps serving on this one."""
    return await asyncio.to_thread(cli.main, list(argv))
