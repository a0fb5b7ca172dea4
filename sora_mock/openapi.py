"""GET /openapi.json: the OpenAPI document of the provider and admin routes (issue 7)."""

from __future__ import annotations

from aiohttp import web

from .errors import dumps
from .responses import json_response


def document() -> dict[str, object]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "sora_mock", "version": "0.1.0"},
        "paths": {},
    }


async def handler(request: web.Request) -> web.Response:
    return json_response(dumps(document()))
