"""GET /openapi.json describes every route the app serves (schemathesis checks the shapes)."""

from __future__ import annotations

import re

from aiohttp import web

from sora_mock import create_app

from ..helpers import Client


def served_routes(app: web.Application) -> set[tuple[str, str]]:
    """(method, path) of every route, sub-apps included (their paths carry their prefix)."""
    routes: set[tuple[str, str]] = set()
    for resource in app.router.resources():
        info = resource.get_info()
        if "app" in info:
            routes |= served_routes(info["app"])
            continue
        path = info.get("path", info.get("formatter", ""))
        for route in resource:
            if route.method not in ("HEAD", "*"):
                routes.add((route.method.lower(), path))
    return routes


async def test_every_route_is_in_the_document(client: Client) -> None:
    document = await (await client.get("/openapi.json")).json()
    documented = {
        (method, path)
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }
    served = {
        (method, re.sub(r"\{task_id\}", "{taskId}", re.sub(r"\{rule_id\}", "{id}", path)))
        for method, path in served_routes(create_app())
        if path != "/openapi.json" and not path.startswith("/__mock/ui")
    }
    assert served == documented
    assert "3.1.0" == document["openapi"]


async def test_the_create_body_is_described_per_model(client: Client) -> None:
    document = await (await client.get("/openapi.json")).json()
    body = document["paths"]["/api/v1/video/sora-pro"]["post"]["requestBody"]
    variants = body["content"]["application/json"]["schema"]["oneOf"]
    storyboard = next(
        v for v in variants if v["properties"]["model"]["const"].endswith("storyboard")
    )
    assert ["model", "shots"] == storyboard["required"]
    assert 25 == storyboard["properties"]["shots"]["maxItems"]
    assert 7 == len(variants)
