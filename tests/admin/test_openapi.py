"""GET /openapi.json describes every route the app serves (schemathesis checks the shapes)."""

from __future__ import annotations

from typing import Final, get_args

import jsonschema_rs
import pytest
from aiohttp import web

from sora_mock import create_app
from sora_mock.faults.actions import Action
from sora_mock.http.openapi import body_name
from sora_mock.routes.sora_pro import MODELS

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
    # routes/registry.py names the result file's parameter task_id; the document, taskId
    served = {
        (method, path.replace("{task_id}", "{taskId}"))
        for method, path in served_routes(create_app())
        if path != "/openapi.json" and not path.startswith("/__mock/ui")
    }
    assert served == documented
    assert "3.1.0" == document["openapi"]


async def test_the_create_body_is_described_per_model(client: Client) -> None:
    document = await (await client.get("/openapi.json")).json()
    body = document["paths"]["/api/v1/video/sora-pro"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    components = document["components"]["schemas"]
    variants = [components[ref["$ref"].rsplit("/", 1)[1]] for ref in schema["oneOf"]]
    storyboard = next(
        v for v in variants if v["properties"]["model"]["const"].endswith("storyboard")
    )
    assert ["model", "shots"] == storyboard["required"]
    assert 25 == storyboard["properties"]["shots"]["maxItems"]
    assert 7 == len(variants)


async def test_the_create_body_is_told_apart_by_model(client: Client) -> None:
    """A named schema per model and a discriminator on `model` mapping each model's name."""
    document = await (await client.get("/openapi.json")).json()
    body = document["paths"]["/api/v1/video/sora-pro"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    mapping = schema["discriminator"]["mapping"]
    assert "model" == schema["discriminator"]["propertyName"]
    assert set(MODELS) == set(mapping)
    assert sorted(mapping.values()) == sorted(ref["$ref"] for ref in schema["oneOf"])
    components = document["components"]["schemas"]
    for model, ref in mapping.items():
        named = components[ref.rsplit("/", 1)[1]]
        assert model == named["properties"]["model"]["const"]


async def test_image_bodies_list_both_image_fields_as_properties(client: Client) -> None:
    document = await (await client.get("/openapi.json")).json()
    components = document["components"]["schemas"]
    for model, spec in MODELS.items():
        named = components[body_name(model)]
        has_both = {"imageData", "imageUrl"} <= set(named["properties"])
        assert (spec.kind == "image") == has_both, model
        assert "anyOf" not in named
        assert "oneOf" not in named


async def test_the_video_is_binary_content(client: Client) -> None:
    document = await (await client.get("/openapi.json")).json()
    responses = document["paths"]["/files/{taskId}.mp4"]["get"]["responses"]
    for status in ("200", "206"):
        schema = responses[status]["content"]["video/mp4"]["schema"]
        assert {"type": "string", "format": "binary"} == schema


ROUTES_OF_RULES: Final = ["any", "create", "sora_video", "check_result", "credits", "files"]


@pytest.mark.parametrize("route", [*ROUTES_OF_RULES, "webhook"])
async def test_the_document_allows_exactly_the_rules_the_server_takes(
    client: Client, route: str
) -> None:
    """C: which actions go with which routes, so that a client that follows the schema never
    meets a refusal the document allowed (schemathesis found `drop` on `any`)."""
    document = await (await client.get("/openapi.json")).json()
    schema = {
        **document["components"]["schemas"]["FaultRule"],
        "components": document["components"],
    }
    validator = jsonschema_rs.validator_for(schema)
    for action in get_args(Action):
        rule = {"route": route, "action": action}
        response = await client.post("/__mock/faults", json=rule)
        assert (response.status == 201) == validator.is_valid(rule), rule
        if response.status == 201:
            await client.delete(f"/__mock/faults/{(await response.json())['id']}")
