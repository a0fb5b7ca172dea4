from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient

from sora_mock import create_app

from .helpers import Client

pytest_plugins = ["pytester"]

MakeClient = Callable[..., Awaitable[Client]]


@pytest.fixture
def make_client(aiohttp_client: AiohttpClient) -> MakeClient:
    """A client of a fresh app with the given settings (manual clock unless told otherwise)."""

    async def make(**settings: Any) -> Client:
        settings.setdefault("clock", "manual")
        return await aiohttp_client(create_app(**settings))

    return make


@pytest.fixture
async def client(make_client: MakeClient) -> Client:
    return await make_client()
