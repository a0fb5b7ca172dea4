"""The control plane under /__mock/ (CONTRACT D): plain JSON, plain HTTP statuses.

Its routes share the main router under /__mock, each handler wrapped in the token check and the
`{"error": ...}` shape, so neither touches the provider routes.
"""

from __future__ import annotations

import hmac
import json
from typing import TYPE_CHECKING, Any, Final, TypeVar

from aiohttp import web
from aiohttp.typedefs import Handler

from ..core import errors as e
from ..sim.control import OPS, Op
from . import ui
from .keys import CONTROL, SIMULATOR, closing, json_response, undecodable

if TYPE_CHECKING:
    from pydantic import BaseModel

TOKEN_HEADER: Final = "X-Sora-Mock-Admin-Token"  # noqa: S105 (a header name, not a secret)
PREFIX: Final = "/__mock"
# what answers without the admin token: the open operations (health) and the inspector's files
OPEN_ROUTES: Final = frozenset((*(PREFIX + op.path for op in OPS if op.open), *ui.PATHS))
M = TypeVar("M", bound="BaseModel")


def _reply(value: Any, status: int = 200) -> web.Response:
    return json_response(e.dumps(value), status)


def _error(status: int, message: str) -> web.Response:
    return _reply({"error": message}, status)


def unmatched(exc: web.HTTPException) -> web.Response:
    allowed = getattr(exc, "allowed_methods", None)
    if exc.status == 405 and allowed:
        response = _error(
            405, f"Method not allowed on this admin route; use {', '.join(sorted(allowed))}."
        )
        response.headers["Allow"] = ",".join(sorted(allowed))
        return response
    return _error(exc.status, "No such admin route.")


def _guarded(handler: Handler) -> Handler:
    """The admin token (unless the route is open), and AdminError as `{"error": ...}`."""

    async def guarded(request: web.Request) -> web.StreamResponse:
        token = request.app[SIMULATOR].settings.admin_token
        if token is not None and request.path not in OPEN_ROUTES:
            given = request.headers.get(TOKEN_HEADER, "")
            if not hmac.compare_digest(given.encode(), token.encode()):
                return _error(401, f"The admin API needs the header {TOKEN_HEADER}.")
        try:
            return await handler(request)
        except e.AdminError as err:
            return closing(request, _error(err.status, err.message))

    return guarded


async def _json_body(request: web.Request) -> Any:
    """The request's body as JSON (None when it is empty); AdminError 413 or 400 if not."""
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        limit = request.config_dict[SIMULATOR].settings.max_body_bytes
        raise e.AdminError(413, f"The body is larger than the limit of {limit} bytes.") from None
    except web.RequestPayloadError:
        raise e.AdminError(400, f"The body must be JSON: {undecodable(request)}.") from None
    if not raw:
        return None  # no body: each field of it as absent (fail, cancel)
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):
        raise e.AdminError(400, "The body must be JSON.") from None
    if value is None:  # `null` is a body, and not an object: not the same as none
        raise e.AdminError(400, "The body must be a JSON object, not null.")
    return value


def _operation(op: Op) -> Handler:
    """The admin route of one operation: its parameters, query and body to `LocalControl`."""

    async def operation(request: web.Request) -> web.StreamResponse:
        body = await _json_body(request) if op.body is not None else None
        control = request.app[CONTROL]
        answer = await control.call(op.name, request.match_info, request.query, body)
        return _reply(answer, op.status)

    operation.__name__ = op.name
    return operation


def add_routes(app: web.Application) -> None:
    """The admin routes on the main router, each behind the token check.

    Not a sub-application: its middleware would make aiohttp run the middleware chain of every
    provider request too (issue 17). Unknown admin paths and wrong methods are the catch-alls'
    and method routes' of `routing`, answered before the token check as before.
    """

    for op in OPS:
        handler = _guarded(_operation(op))
        if op.method == "GET":  # with HEAD, as aiohttp's add_get adds it
            app.router.add_get(PREFIX + op.path, handler)
        else:
            app.router.add_route(op.method, PREFIX + op.path, handler)

    def get(path: str, handler: Handler) -> None:
        app.router.add_get(PREFIX + path, _guarded(handler))

    ui.add_routes(get)
