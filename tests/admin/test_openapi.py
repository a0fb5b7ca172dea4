"""GET /openapi.json describes every route the app serves (schemathesis checks the shapes)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping
from typing import Any, Final, get_args

import jsonschema_rs
import pytest
from aiohttp import web

from sora_mock import create_app
from sora_mock.core.errors import AdminError
from sora_mock.faults.actions import Action
from sora_mock.http.keys import CONTROL
from sora_mock.http.openapi import ANSWERS, PATH_PARAMETERS, QUERY_PARAMETERS, body_name
from sora_mock.routes.sora_pro import MODELS
from sora_mock.sim.control import OPS, Op

from ..conftest import MakeClient
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


PLACEHOLDER: Final = re.compile(r"\{(\w+)\}")
# a body each admin body model takes, to carry out every operation once
BODIES: Final[dict[str, Any]] = {
    "AccountBody": {"balance": 1},
    "FailBody": None,
    "AdvanceBody": {"seconds": 0},
    "FaultRule": {"action": "error", "code": 500},
}


def documented(document: dict[str, Any], op: Op) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The op's operation in the document, and the names of its parameters by where they go
    (a path's parameters may sit on the path, beside its operations)."""
    item = document["paths"][f"/__mock{op.path}"]
    operation: dict[str, Any] = item[op.method.lower()]
    names: dict[str, list[str]] = {"path": [], "query": []}
    for parameter in [*item.get("parameters", []), *operation.get("parameters", [])]:
        names[parameter["in"]].append(parameter["name"])
    return operation, names


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
async def test_each_admin_operation_is_documented_as_its_route_takes_it(
    client: Client, op: Op
) -> None:
    """OPS makes the admin routes: the document names the same path parameters, query, body
    model and success status, so a generated client sends what the route reads."""
    document = await (await client.get("/openapi.json")).json()
    operation, names = documented(document, op)
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
    assert PLACEHOLDER.findall(op.path) == names["path"]
    assert list(op.query) == names["query"]
    model = None if op.body is None else f"#/components/schemas/{op.body}"
    assert model == body.get("schema", {}).get("$ref")
    assert op.body is None or op.body in document["components"]["schemas"]
    assert [str(op.status), "default"] == sorted(operation["responses"])


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
async def test_the_admin_token_is_documented_where_a_route_asks_for_it(
    make_client: MakeClient, op: Op
) -> None:
    """With `admin_token` set, a route that answers 401 without it documents the token (as
    optional: a server without the setting asks for none); an open route documents none."""
    client = await make_client(admin_token="sk-admin-secret")
    document = await (await client.get("/openapi.json")).json()
    operation, names = documented(document, op)
    path = op.path.format(**dict.fromkeys(names["path"], "unknown"))
    refused = (await client.request(op.method, f"/__mock{path}")).status == 401
    assert ([{}, {"adminToken": []}] if refused else None) == operation.get("security")
    scheme = document["components"]["securitySchemes"]["adminToken"]
    assert ("apiKey", "header", "X-Sora-Mock-Admin-Token") == (
        scheme["type"],
        scheme["in"],
        scheme["name"],
    )


@pytest.mark.parametrize("op", [op for op in OPS if op.body is not None], ids=lambda op: op.name)
async def test_a_body_is_documented_as_required_when_the_route_refuses_none(
    client: Client, op: Op
) -> None:
    """The route reads no body as `{}`: required exactly when its model refuses that."""
    document = await (await client.get("/openapi.json")).json()
    operation, names = documented(document, op)
    path = op.path.format(**dict.fromkeys(names["path"], "unknown"))
    response = await client.request(op.method, f"/__mock{path}")
    assert operation["requestBody"]["required"] == (response.status == 400), await response.text()


def test_the_tables_beside_ops_name_exactly_its_operations_and_parameters() -> None:
    """An entry left behind by a removed op or parameter would describe nothing."""
    assert [op.name for op in OPS] == list(ANSWERS)
    assert {name for op in OPS for name in op.query} == set(QUERY_PARAMETERS)
    assert {name for op in OPS for name in PLACEHOLDER.findall(op.path)} == set(PATH_PARAMETERS)


class Reads(Mapping[str, str]):
    """A request's path parameters (each `value`) or query (each absent) that records the
    names an operation reads."""

    def __init__(self, value: str | None) -> None:
        self.value = value
        self.read: set[str] = set()

    def __getitem__(self, name: str) -> str:
        self.read.add(name)
        if self.value is None:
            raise KeyError(name)
        return self.value

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


@pytest.mark.parametrize("op", OPS, ids=lambda op: op.name)
async def test_each_admin_operation_reads_the_parameters_the_document_names(
    client: Client, op: Op
) -> None:
    """The route hands an op the whole query: one the op reads but OPS leaves out would work,
    undocumented; one OPS names but the op ignores would be documented and do nothing."""
    document = await (await client.get("/openapi.json")).json()
    _, names = documented(document, op)
    params, query = Reads("unknown"), Reads(None)
    body = None if op.body is None else BODIES[op.body]
    with contextlib.suppress(AdminError):  # an unknown task, account or rule: read already
        await client.app[CONTROL].call(op.name, params, query, body)
    assert sorted(names["path"]) == sorted(params.read)
    assert sorted(names["query"]) == sorted(query.read)
