from __future__ import annotations

import asyncio
import importlib.util
import inspect
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import aiohttp
import httpx
import pytest
import requests
import urllib3

from sora_mock.testing.server import MockServer

from .clients import CLIENTS

# every attribute intercept() replaces while a block is active, and nothing else
PATCH_POINTS: list[tuple[type, str]] = [
    (urllib3.HTTPConnectionPool, "urlopen"),
    (requests.adapters.HTTPAdapter, "send"),
    (httpx.HTTPTransport, "handle_request"),
    (httpx.AsyncHTTPTransport, "handle_async_request"),
    (aiohttp.BaseConnector, "connect"),
    (urllib.request.HTTPHandler, "http_open"),
    (urllib.request.HTTPSHandler, "https_open"),
]


def library_state() -> dict[tuple[type, str], Any]:
    """What each patch point's class holds itself (the object, not a copy)."""
    return {(owner, name): vars(owner).get(name) for owner, name in PATCH_POINTS}


class Client:
    """A client module imported from its file; async functions are run to completion."""

    def __init__(self, name: str, module: ModuleType) -> None:
        self.name, self.module = name, module

    def __getattr__(self, function: str) -> Any:
        made = getattr(self.module, function)
        if not inspect.iscoroutinefunction(made):
            return made
        return lambda *args: asyncio.run(made(*args))


def load(name: str, folder: Path) -> Client:
    """The client written to a file byte for byte, then imported from that file."""
    path = folder / f"client_{name.replace('-', '_')}.py"
    path.write_bytes(CLIENTS[name].encode())
    assert CLIENTS[name].encode() == path.read_bytes()
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return Client(name, module)


@pytest.fixture(params=sorted(CLIENTS))
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Client:
    return load(request.param, tmp_path)


@pytest.fixture
def other_mock() -> Iterator[MockServer]:
    """A second mock on loopback, for blocks that nest with different targets."""
    server = MockServer(clock="manual", port=0).start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def nothing_left_patched() -> Iterator[None]:
    """Every test here ends with each library as it found it."""
    before = library_state()
    yield
    assert before == library_state()
