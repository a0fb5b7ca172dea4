"""GET /openapi.json: an OpenAPI 3.1 document of the provider routes (A) and the admin API (D).

Nothing here is written twice: request and response bodies come from the pydantic models that
validate them (`admin.py`, `faults.py`) or describe them (`schemas.py`), and the create-task body
is derived from the tables in `contract.py` that the validator itself uses.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from . import __version__, schemas
from .admin import AccountBody, AdvanceBody, FailBody
from .deliveries import STATES
from .errors import dumps
from .faults import FaultRule
from .journal import ROUTES
from .responses import json_response
from .rules import sora_video as a6
from .rules.sora_pro import ASPECT_RATIOS, MAX_SHOTS, MODELS, SIZES
from .variants import POINTS

REF = "#/components/schemas/{model}"
# positive examples are a subset of what the validator accepts: lower-case types, canonical base64
_B64 = r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})"
IMAGE_DATA = rf"^data:image/(png|jpeg|jpg|webp|gif);base64,{_B64}$"
IMAGE_URL = r"^https?://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?(/[A-Za-z0-9._~-]*)*$"


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def create_body_schema() -> dict[str, Any]:
    """One variant per model (`model` is the discriminator), from contract.py's tables."""
    common: dict[str, Any] = {
        "aspectRatio": {"type": "string", "enum": list(ASPECT_RATIOS), "default": "landscape"},
        "isPublic": {"type": "boolean", "default": True},
    }
    prompt = {"type": "string", "minLength": 1, "pattern": r"\S"}
    variants = []
    for spec in MODELS.values():
        frames = {
            "description": f"Allowed {list(spec.frames)}; other integers are normalized to the "
            "nearest allowed value (a tie goes to the smaller).",
            "default": spec.default_frames,
            "oneOf": [{"type": "integer"}, {"type": "string", "pattern": "^[0-9]+$"}],
        }
        properties: dict[str, Any] = {
            "model": {"const": spec.name},
            **common,
            "nFrames": frames,
        }
        required = ["model"]
        variant: dict[str, Any] = {"type": "object", "properties": properties}
        if spec.kind == "storyboard":
            scene = {"type": "string", "minLength": 1, "pattern": r"\S"}
            shot = {
                "type": "object",
                "required": ["Scene", "duration"],
                "properties": {
                    "Scene": scene,
                    "duration": {"type": "number", "exclusiveMinimum": 0},
                },
            }
            properties["shots"] = {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_SHOTS,
                "items": shot,
            }
            required.append("shots")
        else:
            properties["prompt"] = prompt
            required.append("prompt")
        if spec.watermark:
            properties["removeWatermark"] = {"type": "boolean", "default": True}
        if spec.kind == "image":
            # imageData wins: imageUrl is checked only when imageData is absent
            url = {"type": "string", "pattern": IMAGE_URL}
            properties["imageData"] = {"type": "string", "pattern": IMAGE_DATA}
            properties["imageUrl"] = {"description": "Ignored when imageData is given."}
            variant["anyOf"] = [
                {"required": ["imageData"]},
                {"required": ["imageUrl"], "properties": {"imageUrl": url}},
            ]
        if spec.sized:
            properties["size"] = {"type": "string", "enum": list(SIZES), "default": "standard"}
        variant["required"] = required
        variants.append(variant)
    return {"oneOf": variants}


def video_body_schema() -> dict[str, Any]:
    """A6's body. The VIP inputs `remixTargetId` and `characters` are described, not typed:
    only a result_pid of the caller's own succeeded task is a valid `remixTargetId`, and a
    character's timestamps depend on the duration, which no schema here can say; a generated
    example of either would be refused, and a pattern tight enough to be always valid would
    make valid requests look invalid."""
    url = {"type": "string", "pattern": IMAGE_URL}
    return {
        "type": "object",
        "description": "Also, for VIP accounts: `remixTargetId`, the result_pid of a succeeded "
        "task of the same key; `characters`, at most 5 of {url, timestamps: '<a>,<b>'} with "
        "0 <= a < b <= duration. nFrames, size, removeWatermark, shots and imageUrl are unknown "
        "fields here.",
        "required": ["model", "prompt"],
        "properties": {
            "model": {"type": "string", "enum": list(a6.MODELS)},
            "prompt": {"type": "string", "minLength": 1, "pattern": r"\S"},
            "imageData": {"type": "string", "pattern": IMAGE_DATA},
            "url": {"description": "The legacy reference image URL; ignored with imageData."},
            "aspectRatio": {"type": "string", "enum": list(a6.ASPECT_RATIOS), "default": "9:16"},
            "duration": {
                "description": "Seconds, 10 or 15; other integers are normalized to the nearer.",
                "default": a6.DEFAULT_DURATION,
                "oneOf": [{"type": "integer"}, {"type": "string", "pattern": "^[0-9]+$"}],
            },
            "isPublic": {"type": "boolean", "default": True},
            "webHook": {
                "description": "Receives the final result (A7); '' or '-1' for none.",
                "anyOf": [{"type": "string", "enum": list(a6.NO_WEBHOOK)}, url],
            },
            "shutProgress": {"type": "boolean", "default": False},
        },
        "if": {"required": ["imageData"]},
        "else": {"properties": {"url": url}},
    }


def _json(schema: dict[str, Any] | type[BaseModel]) -> dict[str, Any]:
    body = _ref(schema) if isinstance(schema, type) else schema
    return {"content": {"application/json": {"schema": body}}}


def _op(
    summary: str,
    ok: type[BaseModel] | None,
    *,
    body: dict[str, Any] | type[BaseModel] | None = None,
    params: list[dict[str, Any]] | None = None,
    provider: bool = False,
    status: str = "200",
) -> dict[str, Any]:
    error = schemas.ErrorEnvelope if provider else schemas.AdminErrorBody
    responses: dict[str, Any] = {"default": {"description": "An error.", **_json(error)}}
    if ok is not None:
        responses[status] = {"description": "OK", **_json(ok)}
    op: dict[str, Any] = {"summary": summary, "responses": responses}
    if body is not None:
        op["requestBody"] = {"required": True, **_json(body)}
    if params:
        op["parameters"] = params
    if provider:
        op["security"] = [{"bearer": []}]
    return op


def _path(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "minLength": 1},
    }


def _operation_id(method: str, path: str) -> str:
    """`post /__mock/faults` -> `post_mock_faults`: stable names for filtering (e.g. in CI)."""
    words = re.findall(r"[A-Za-z0-9]+", path.replace("{", "by_").replace("}", ""))
    return "_".join([method, *(w.lower() for w in words if w not in ("api", "v1"))])


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


@cache
def document() -> dict[str, Any]:
    key = _path("key", "The full API key.")
    task_id = _path("taskId", "A taskId.")
    s = schemas
    paths: dict[str, Any] = {
        "/api/v1/video/sora-pro": {
            "post": _op(
                "Create a generation task: validate, charge, return its taskId.",
                s.CreateEnvelope,
                body=create_body_schema(),
                provider=True,
            )
        },
        "/api/v1/video/sora-video": {
            "post": _op(
                "Create a task on the sibling route (sora-2, sora-2-pro, sora-2-stable). With "
                "`Accept: text/event-stream` the answer is an SSE stream of the task's progress.",
                s.VideoCreateEnvelope,
                body=video_body_schema(),
                provider=True,
            )
        },
        "/api/video-generations/check-result": {
            "post": _op(
                "The status of a task of this key.",
                s.ResultEnvelope,
                body=s.CheckResultBody,
                provider=True,
            )
        },
        "/api/get-user-credits": {
            "post": {
                **_op(
                    "The balance and VIP flag of this key (the body is not read).",
                    s.CreditsEnvelope,
                    provider=True,
                ),
                # the body is not read (A5): whatever is sent, none is refused for it
                "requestBody": {
                    "required": False,
                    "content": {
                        "application/json": {
                            "schema": {"description": "Not read; public clients send {}."}
                        }
                    },
                },
            }
        },
        "/files/{taskId}.mp4": {
            "get": {
                "summary": "The result video of a succeeded task (no auth; plain HTTP statuses).",
                "parameters": [task_id],
                "responses": {
                    "200": {
                        "description": "The MP4.",
                        "content": {"video/mp4": {"schema": {"type": "string"}}},
                    },
                    "206": {
                        "description": "A byte range of the MP4.",
                        "content": {"video/mp4": {"schema": {"type": "string"}}},
                    },
                    "default": {"description": "Not found, or a range that cannot be served."},
                },
            }
        },
        "/__mock/health": {"get": _op("Liveness.", s.Health)},
        "/__mock/reset": {"post": _op("Back to the configured start.", s.ResetDone)},
        "/__mock/accounts": {"get": _op("Every account, keys masked.", s.Accounts)},
        "/__mock/accounts/{key}": {
            "parameters": [key],
            "get": _op("One account.", s.Account),
            "put": _op(
                "Set a balance (a `set` transaction), the VIP flag, or both.",
                s.Account,
                body=AccountBody,
            ),
            "post": _op("Open an account at default_balance.", s.Account),
        },
        "/__mock/accounts/{key}/ledger": {
            "parameters": [key],
            "get": _op("The account's kept transactions and what was folded.", s.Ledger),
        },
        "/__mock/tasks": {
            "get": _op(
                "Task records, oldest first; `limit` keeps the newest N.",
                s.Tasks,
                params=[
                    _query("key", {"type": "string"}),
                    _query("limit", {"type": "integer", "minimum": 0}),
                    _query("seen_final", {"enum": ["true", "false"]}),
                ],
            )
        },
        "/__mock/tasks/{taskId}": {"parameters": [task_id], "get": _op("A task.", s.TaskRecord)},
        "/__mock/tasks/{taskId}/succeed": {
            "parameters": [task_id],
            "post": _op("Finish a task now as succeeded (409 if final).", s.TaskRecord),
        },
        "/__mock/tasks/{taskId}/fail": {
            "parameters": [task_id],
            "post": _op("Finish a task now as failed, refunded.", s.TaskRecord, body=FailBody),
        },
        "/__mock/tasks/{taskId}/cancel": {
            "parameters": [task_id],
            "post": _op("End a task now as cancelled, refunded.", s.TaskRecord, body=FailBody),
        },
        "/__mock/clock": {"get": _op("The mock clock.", s.Clock)},
        "/__mock/clock/advance": {"post": _op("Move the clock on.", s.Clock, body=AdvanceBody)},
        "/__mock/faults": {
            "get": _op(
                "Fault rules and how often each fired.",
                s.Faults,
                params=[_query("api_key", {"type": "string"})],
            ),
            "post": _op("Add a fault rule.", s.StoredFault, body=FaultRule, status="201"),
            "delete": _op(
                "Remove every rule (or those of one api_key).",
                s.Faults,
                params=[_query("api_key", {"type": "string"})],
            ),
        },
        "/__mock/faults/{id}": {
            "parameters": [_path("id", "A rule id.")],
            "delete": _op("Remove one rule.", s.Deleted),
        },
        "/__mock/webhooks": {
            "get": _op(
                "Webhook deliveries (A7), oldest first.",
                s.Webhooks,
                params=[
                    _query("key", {"type": "string"}),
                    _query("taskId", {"type": "string"}),
                    _query("state", {"enum": list(STATES)}),
                ],
            ),
            "delete": _op(
                "Forget finished deliveries (or one key's); pending ones go on.",
                s.Webhooks,
                params=[_query("key", {"type": "string"})],
            ),
        },
        "/__mock/requests": {
            "get": _op(
                "The request journal, oldest first.",
                s.Journal,
                params=[
                    _query("route", {"enum": list(ROUTES)}),
                    _query("key", {"type": "string"}),
                    _query("code", {"type": "integer"}),
                    _query("limit", {"type": "integer", "minimum": 0}),
                ],
            ),
            "delete": _op(
                "Clear the journal (or one key's rows).",
                s.Journal,
                params=[_query("key", {"type": "string"})],
            ),
        },
    }
    models: list[type[BaseModel]] = [
        s.CreateEnvelope, s.ResultEnvelope, s.CreditsEnvelope, s.ErrorEnvelope, s.CheckResultBody,
        s.AdminErrorBody,
        s.Health, s.ResetDone, s.Account, s.Accounts, s.Ledger, s.TaskRecord, s.Tasks, s.Clock,
        s.StoredFault, s.Faults, s.Deleted, s.Journal, AccountBody, FailBody, AdvanceBody,
        FaultRule, s.VideoCreateEnvelope, s.Webhooks,
    ]  # fmt: skip
    components: dict[str, Any] = {}
    for model in models:
        schema = model.model_json_schema(ref_template=REF, mode="serialization")
        components.update(schema.pop("$defs", {}))
        components[model.__name__] = schema
    for path, item in paths.items():
        for method, op in item.items():
            if method != "parameters":
                op["operationId"] = _operation_id(method, path)
    # check-result's errors carry their HTTP status under variants check_status = 'http' (G)
    check_errors = paths["/api/video-generations/check-result"]["post"]["responses"]
    for status in ("400", "401", "404", "413", "429"):
        check_errors[status] = {
            "description": "An error, with this HTTP status under error_status = 'http' or the "
            "variant check_status = 'http'.",
            **_json(s.ErrorEnvelope),
        }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "sora_mock",
            "version": __version__,
            "description": "An offline simulator of the Sora 2 Pro video task API. Provider "
            "errors come in the envelope, with HTTP 200 unless error_status is 'http'. The "
            "header X-Sora-Mock-Fault: <preset> injects a fault into one request. The "
            "setting `variants` serves the provider's other documented forms: "
            "x-sora-mock-variants lists each point and its forms, the contract's first.",
            "x-sora-mock-variants": {point: list(forms) for point, forms in POINTS.items()},
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


async def handler(request: web.Request) -> web.Response:
    return json_response(dumps(document()))
