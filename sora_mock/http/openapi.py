"""GET /openapi.json: an OpenAPI 3.1 document of the provider routes (A) and the admin API (D).

Nothing here is written twice: request and response bodies come from the pydantic models that
validate them (`sim/bodies.py`, `faults/rule.py`) or describe them (`schemas.py`), the create-task
body is derived from the tables in `routes/sora_pro.py` that the validator itself uses, and the
admin paths from `OPS` (`sim/control.py`), which the admin routes are made from too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any, Final

from aiohttp import web
from pydantic import BaseModel

from .. import __version__
from ..core.errors import AdminError, dumps
from ..core.journal import ROUTES
from ..core.variants import POINTS
from ..routes import registry
from ..routes import sora_video as a6
from ..routes.sora_pro import ASPECT_RATIOS, MAX_SHOTS, MODELS, SIZES, Kind, ModelSpec
from ..sim.control import OPS, PAGE, Op, body_model, checked_body
from ..sim.deliveries import STATES
from . import schemas
from .admin import PREFIX, TOKEN_HEADER
from .keys import json_response

REF = "#/components/schemas/{model}"
PROMPT: Final = {"type": "string", "minLength": 1, "pattern": r"\S"}
# positive examples are a subset of what the validator accepts: lower-case types, canonical base64
_B64 = r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})"
IMAGE_DATA = rf"^data:image/(png|jpeg|jpg|webp|gif);base64,{_B64}$"
IMAGE_URL = r"^https?://[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:[0-9]{1,5})?(/[A-Za-z0-9._~-]*)*$"


VIDEO: Final = {"content": {"video/mp4": {"schema": {"type": "string", "format": "binary"}}}}


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def body_name(model: str) -> str:
    """`sora-2-pro-text-to-video` -> `Sora2ProTextToVideoBody`: a class name for generators."""
    return "".join(part.capitalize() for part in model.split("-")) + "Body"


def _common(spec: ModelSpec) -> dict[str, Any]:
    """The fields every create body has: the discriminator, aspectRatio, isPublic, nFrames."""
    return {
        "model": {"type": "string", "const": spec.name, "description": "The discriminator."},
        "aspectRatio": {"type": "string", "enum": list(ASPECT_RATIOS), "default": "landscape"},
        "isPublic": {"type": "boolean", "default": True},
        "nFrames": {
            "description": f"Allowed {list(spec.frames)}; other integers are normalized to the "
            "nearest allowed value (a tie goes to the smaller).",
            "default": spec.default_frames,
            "oneOf": [{"type": "integer"}, {"type": "string", "pattern": "^[0-9]+$"}],
        },
    }


def _object(spec: ModelSpec, properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    if spec.sized:
        properties["size"] = {"type": "string", "enum": list(SIZES), "default": "standard"}
    return {
        "type": "object",
        "title": body_name(spec.name),
        "description": f"The create body of model {spec.name}.",
        "properties": properties,
        "required": ["model", *required],
    }


def text_body(spec: ModelSpec) -> dict[str, Any]:
    """A text-to-video body: a prompt."""
    properties = {**_common(spec), "prompt": PROMPT}
    if spec.watermark:  # the -stable models have no removeWatermark (A2)
        properties["removeWatermark"] = {"type": "boolean", "default": True}
    return _object(spec, properties, ["prompt"])


def image_body(spec: ModelSpec) -> dict[str, Any]:
    """An image-to-video body: a prompt and one of imageData or imageUrl.

    Both are plain optional properties, so that a generated client keeps both; which one is
    required is an `if`/`then` (generators skip it, validators such as schemathesis apply it).
    """
    body = text_body(spec)
    body["properties"]["imageData"] = {
        "type": "string",
        "pattern": IMAGE_DATA,
        "description": "The image as a data URL. One of imageData or imageUrl is required; "
        "imageData wins when both are given.",
    }
    # untyped here: when imageData is given, any imageUrl is ignored (the `then` types it)
    body["properties"]["imageUrl"] = {
        "description": "A string, an absolute http(s) URL of the image (never fetched). One of "
        "imageData or imageUrl is required; ignored, whatever it is, when imageData is given.",
    }
    # imageUrl is checked only when imageData is absent
    body["if"] = {"not": {"required": ["imageData"]}}
    body["then"] = {
        "required": ["imageUrl"],
        "properties": {"imageUrl": {"type": "string", "pattern": IMAGE_URL}},
    }
    return body


def storyboard_body(spec: ModelSpec) -> dict[str, Any]:
    """A storyboard body: shots with a capital-S Scene, no prompt."""
    shot = {
        "type": "object",
        "title": "Shot",
        "required": ["Scene", "duration"],
        "properties": {
            "Scene": {"type": "string", "minLength": 1, "pattern": r"\S"},
            "duration": {"type": "number", "exclusiveMinimum": 0},
        },
    }
    shots = {"type": "array", "minItems": 1, "maxItems": MAX_SHOTS, "items": shot}
    return _object(spec, {**_common(spec), "shots": shots}, ["shots"])


# one builder per kind of body; a new kind of model adds its function here
BODIES: Final[dict[Kind, Callable[[ModelSpec], dict[str, Any]]]] = {
    "text": text_body,
    "image": image_body,
    "storyboard": storyboard_body,
}


def create_bodies() -> dict[str, dict[str, Any]]:
    """Every model's create body, by its component name (contract.py's tables decide)."""
    return {body_name(spec.name): BODIES[spec.kind](spec) for spec in MODELS.values()}


def create_body_schema() -> dict[str, Any]:
    """The route's body: one of the named bodies, told apart by `model` (the discriminator)."""
    refs = {spec.name: REF.format(model=body_name(spec.name)) for spec in MODELS.values()}
    return {
        "oneOf": [{"$ref": ref} for ref in refs.values()],
        "discriminator": {"propertyName": "model", "mapping": refs},
    }


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
    body_required: bool = True,
) -> dict[str, Any]:
    error = schemas.ErrorEnvelope if provider else schemas.AdminErrorBody
    responses: dict[str, Any] = {"default": {"description": "An error.", **_json(error)}}
    if ok is not None:
        responses[status] = {"description": "OK", **_json(ok)}
    op: dict[str, Any] = {"summary": summary, "responses": responses}
    if body is not None:
        op["requestBody"] = {"required": body_required, **_json(body)}
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


# the paging of the admin lists (an extension): what the inspector reads once a second
PAGING: Final = (
    "`limit` keeps the newest N (after the filters), `offset` first skips the newest that "
    "many; a page stays oldest first, so `limit=L&offset=k*L` is the k-th page back. Without "
    "`limit`, every match (a full store of tasks is a large answer)."
)


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


# what OPS cannot say of an admin operation: the model of its answer, by the op's name
ANSWERS: Final[dict[str, type[BaseModel]]] = {
    "health": schemas.Health,
    "reset": schemas.ResetDone,
    "accounts": schemas.Accounts,
    "account": schemas.Account,
    "set_account": schemas.Account,
    "open_account": schemas.Account,
    "ledger": schemas.Ledger,
    "tasks": schemas.Tasks,
    "task": schemas.TaskRecord,
    "succeed": schemas.TaskRecord,
    "fail": schemas.TaskRecord,
    "cancel": schemas.TaskRecord,
    "clock": schemas.Clock,
    "advance": schemas.Clock,
    "faults": schemas.Faults,
    "add_fault": schemas.StoredFault,
    "clear_faults": schemas.Faults,
    "remove_fault": schemas.Deleted,
    "webhooks": schemas.Webhooks,
    "clear_webhooks": schemas.Webhooks,
    "requests": schemas.Journal,
    "clear_requests": schemas.Journal,
    "drift": schemas.DriftRows,
}
# nor of a parameter, by its name (one meaning in every op that names it): what a path
# parameter is, and the schema of a query parameter
PATH_PARAMETERS: Final = {"key": "The full API key.", "taskId": "A taskId.", "id": "A rule id."}
QUERY_PARAMETERS: Final[dict[str, dict[str, Any]]] = {
    "key": {"type": "string"},
    "api_key": {"type": "string"},
    "taskId": {"type": "string"},
    "route": {"enum": list(ROUTES)},
    "state": {"enum": list(STATES)},
    "code": {"type": "integer"},
    "limit": {"type": "integer", "minimum": 0},
    "offset": {"type": "integer", "minimum": 0},
    "seen_final": {"enum": ["true", "false"]},
}
PLACEHOLDER: Final = re.compile(r"\{(\w+)\}")


def _needs_body(op: Op) -> bool:
    """Whether the op refuses a request without a body, which its route reads as `{}`."""
    try:
        checked_body(op, None)
    except AdminError:
        return True
    return False


# the admin token (D): asked for only when the server's `admin_token` is set, so an op that is
# not open takes either no credential or the token (`{}` is the requirement of none)
ADMIN_SECURITY: Final[list[dict[str, list[str]]]] = [{}, {"adminToken": []}]
ADMIN_TOKEN_SCHEME: Final = {
    "type": "apiKey",
    "in": "header",
    "name": TOKEN_HEADER,
    "description": "Required on every admin route but the open ones (health, the inspector) "
    "when the server's `admin_token` setting is set; a missing or wrong one is a 401.",
}


def _admin_op(op: Op) -> dict[str, Any]:
    paged = set(PAGE) <= set(op.query)
    answer = _op(
        f"{op.summary}; {PAGING}" if paged else f"{op.summary}.",
        ANSWERS[op.name],
        body=None if op.body is None else body_model(op.body),
        params=[_query(name, QUERY_PARAMETERS[name]) for name in op.query],
        status=str(op.status),
        body_required=op.body is not None and _needs_body(op),
    )
    if not op.open:
        answer["security"] = ADMIN_SECURITY
    return answer


def admin_paths() -> dict[str, Any]:
    """The admin API (D) as OPS declares it: each op's path, method, path and query parameters,
    body and success status, with its summary and the model of its answer."""
    paths: dict[str, Any] = {}
    for op in OPS:
        item = paths.setdefault(PREFIX + op.path, {})
        if names := PLACEHOLDER.findall(op.path):
            item["parameters"] = [_path(name, PATH_PARAMETERS[name]) for name in names]
        item[op.method.lower()] = _admin_op(op)
    return paths


def provider_paths() -> dict[str, Any]:
    """The provider routes (A) at the paths and methods of `registry.ROUTES`, each with its
    summary, body and answer."""
    s = schemas
    ops: dict[str, dict[str, Any]] = {
        registry.CREATE: _op(
            "Create a generation task: validate, charge, return its taskId.",
            s.CreateEnvelope,
            body=create_body_schema(),
            provider=True,
        ),
        registry.SORA_VIDEO: _op(
            "Create a task on the sibling route (sora-2, sora-2-pro, sora-2-stable). With "
            "`Accept: text/event-stream` the answer is an SSE stream of the task's progress.",
            s.VideoCreateEnvelope,
            body=video_body_schema(),
            provider=True,
        ),
        registry.CHECK_RESULT: _op(
            "The status of a task of this key.",
            s.ResultEnvelope,
            body=s.CheckResultBody,
            provider=True,
        ),
        registry.CREDITS: {
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
        },
        registry.FILES: {
            "summary": "The result video of a succeeded task (no auth; plain HTTP statuses).",
            "parameters": [_path("taskId", PATH_PARAMETERS["taskId"])],
            "responses": {
                "200": {"description": "The MP4.", **VIDEO},
                "206": {"description": "A byte range of the MP4.", **VIDEO},
                "default": {"description": "Not found, or a range that cannot be served."},
            },
        },
    }
    return {path: {method.lower(): ops[name]} for name, (method, path) in registry.ROUTES.items()}


@cache
def document() -> dict[str, Any]:
    s = schemas
    paths: dict[str, Any] = {**provider_paths(), **admin_paths()}
    models: list[type[BaseModel]] = [
        s.CreateEnvelope, s.ResultEnvelope, s.CreditsEnvelope, s.ErrorEnvelope, s.CheckResultBody,
        s.VideoCreateEnvelope, s.AdminErrorBody,
        *dict.fromkeys(ANSWERS.values()),
        *dict.fromkeys(body_model(op.body) for op in OPS if op.body is not None),
    ]  # fmt: skip
    components: dict[str, Any] = dict(create_bodies())
    for model in models:
        schema = model.model_json_schema(ref_template=REF, mode="serialization")
        components.update(schema.pop("$defs", {}))
        components[model.__name__] = schema
    for path, item in paths.items():
        for method, op in item.items():
            if method != "parameters":
                op["operationId"] = _operation_id(method, path)
    # check-result's errors carry their HTTP status under variants check_status = 'http' (G)
    check_method, check_path = registry.ROUTES[registry.CHECK_RESULT]
    check_errors = paths[check_path][check_method.lower()]["responses"]
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
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "adminToken": ADMIN_TOKEN_SCHEME,
            },
        },
    }


async def handler(request: web.Request) -> web.Response:
    return json_response(dumps(document()))
