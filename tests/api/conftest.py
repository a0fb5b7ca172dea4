"""Every HTTP test of the provider routes runs twice: through aiohttp's request path, and
through the mock's own front (`sora_mock.front`), which serves the command line, the container
and the pytest fixture. The front answers a plain request itself and hands anything else to
aiohttp, so both runs must see the same answers, rows and log lines."""

from __future__ import annotations

from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient

from sora_mock import create_app

from ..conftest import MakeClient
from ..helpers import Client, FrontTestServer


@pytest.fixture(params=["aiohttp", "front"])
def make_client(request: pytest.FixtureRequest, aiohttp_client: AiohttpClient) -> MakeClient:
    """A client of a fresh app with the given settings (manual clock unless told otherwise),
    served by aiohttp alone or by the mock's front."""

    async def make(**settings: Any) -> Client:
        settings.setdefault("clock", "manual")
        app = create_app(**settings)
        if request.param == "front":
            return await aiohttp_client(FrontTestServer(app))
        return await aiohttp_client(app)

    return make
