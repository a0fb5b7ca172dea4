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

from . import __version__, ui
from . import errors as e
from .config import describe
from .deliveries import STATES
from .journal import ROUTES
from .responses import SIMULATOR, json_response
from .simulator import Simulator
from .tasks import Status

if TYPE_CHECKING:
    from pydantic import BaseModel

TOKEN_HEADER: Final = "X-Sora-Mock-Admin-Token"  # noqa: S105 (a header name, not a secret)
OPEN_ROUTES: Final = frozenset(("/__mock/health", *ui.PATHS))
# the health answer names the service (E1): the fixture checks it before it trusts a URL
SERVICE: Final = "sora-mock"
HEALTH: Final = {"status": "ok", "service": SERVICE, "version": __version__}
_HEALTH_BODY: Final = e.dumps(HEALTH)  # encoded once: a health check costs no JSON work
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
            return _error(err.status, err.message)

    return guarded


async def _body(request: web.Request, model: type[M]) -> M:
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        limit = request.config_dict[SIMULATOR].settings.max_body_bytes
        raise e.AdminError(413, f"The body is larger than the limit of {limit} bytes.") from None
    try:
        value = json.loads(raw or b"{}")
    except (ValueError, RecursionError):
        raise e.AdminError(400, "The body must be JSON.") from None
    from pydantic import ValidationError  # noqa: PLC0415 (a body's first check loads pydantic)

    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise e.AdminError(400, describe(exc, subject="field")) from None


def _sim(request: web.Request) -> Simulator:
    return request.config_dict[SIMULATOR]


async def health(request: web.Request) -> web.Response:
    return json_response(_HEALTH_BODY)


async def reset(request: web.Request) -> web.Response:
    _sim(request).reset()
    return _reply({"status": "reset"})


async def list_accounts(request: web.Request) -> web.Response:
    accounts = _sim(request).accounts()
    return _reply({"accounts": [a.to_json() for a in accounts]})


async def get_account(request: web.Request) -> web.Response:
    return _reply(_sim(request).account(request.match_info["key"]).to_json())


async def put_account(request: web.Request) -> web.Response:
    from .admin_bodies import AccountBody  # noqa: PLC0415 (pydantic's models load on first use)

    body = await _body(request, AccountBody)
    account = _sim(request).set_account(request.match_info["key"], body.balance, body.vip)
    return _reply(account.to_json())


async def open_account(request: web.Request) -> web.Response:
    return _reply(_sim(request).open_account(request.match_info["key"]).to_json())


async def ledger(request: web.Request) -> web.Response:
    return _reply(_sim(request).account(request.match_info["key"]).ledger_json())


async def list_tasks(request: web.Request) -> web.Response:
    limit = _query_int(request, "limit")
    seen = request.query.get("seen_final")  # an extension, for the client report (F)
    if seen not in (None, "true", "false"):
        raise e.AdminError(400, "seen_final must be true or false.")
    seen_final = None if seen is None else seen == "true"
    tasks = _sim(request).list_tasks(request.query.get("key"), limit, seen_final=seen_final)
    return _reply({"tasks": tasks})


async def get_task(request: web.Request) -> web.Response:
    sim = _sim(request)
    return _reply(sim.task_json(sim.task(request.match_info["task_id"])))


async def succeed_task(request: web.Request) -> web.Response:
    sim = _sim(request)
    return _reply(sim.task_json(sim.finish(request.match_info["task_id"], "succeeded")))


async def fail_task(request: web.Request) -> web.Response:
    return await _end_task(request, "failed")


async def cancel_task(request: web.Request) -> web.Response:
    return await _end_task(request, "cancelled")


async def _end_task(request: web.Request, status: Status) -> web.Response:
    from .admin_bodies import FailBody  # noqa: PLC0415 (pydantic's models load on first use)

    body = await _body(request, FailBody)
    sim = _sim(request)
    task = sim.finish(
        request.match_info["task_id"], status, body.failure_reason, body.error_message
    )
    return _reply(sim.task_json(task))


async def get_clock(request: web.Request) -> web.Response:
    return _reply(_sim(request).clock_json())


async def advance_clock(request: web.Request) -> web.Response:
    from .admin_bodies import AdvanceBody  # noqa: PLC0415 (pydantic's models load on first use)

    body = await _body(request, AdvanceBody)
    sim = _sim(request)
    sim.advance(body.seconds)
    # every attempt this made due, and any in flight, has ended before the answer (A7)
    await sim.deliveries.drain()
    return _reply(sim.clock_json())


async def list_webhooks(request: web.Request) -> web.Response:
    state = request.query.get("state")
    if state is not None and state not in STATES:
        raise e.AdminError(400, f"state must be one of: {', '.join(STATES)}.")
    found = _sim(request).watchers.webhooks(
        key=request.query.get("key"), task_id=request.query.get("taskId"), state=state
    )
    return _reply({"webhooks": [d.to_json() for d in found]})


async def clear_webhooks(request: web.Request) -> web.Response:
    _sim(request).deliveries.clear(request.query.get("key"))
    return _reply({"webhooks": []})


async def list_faults(request: web.Request) -> web.Response:
    key = request.query.get("api_key")
    rules = [r.to_json() for r in _sim(request).faults.rules if key in (None, r.rule.api_key)]
    return _reply({"faults": rules})


async def add_fault(request: web.Request) -> web.Response:
    from .fault_rule import FaultRule  # noqa: PLC0415 (pydantic's models load on first use)

    rule = await _body(request, FaultRule)
    return _reply(_sim(request).faults.add(rule).to_json(), 201)


async def clear_faults(request: web.Request) -> web.Response:
    _sim(request).faults.clear(request.query.get("api_key"))
    return _reply({"faults": []})


async def delete_fault(request: web.Request) -> web.Response:
    rule_id = request.match_info["rule_id"]
    if not _sim(request).faults.remove(rule_id):
        raise e.AdminError(404, f"Fault rule {rule_id[:64]} was not found.")
    return _reply({"deleted": rule_id})


def _query_int(request: web.Request, name: str) -> int | None:
    text = request.query.get(name)
    if text is None:
        return None
    try:
        value = int(text)
    except ValueError:
        raise e.AdminError(400, f"{name} must be an integer.") from None
    if name == "limit" and value < 0:
        raise e.AdminError(400, "limit must be 0 or more.")
    return value


async def list_requests(request: web.Request) -> web.Response:
    route = request.query.get("route")
    if route is not None and route not in ROUTES:
        raise e.AdminError(400, f"route must be one of: {', '.join(ROUTES)}.")
    rows = _sim(request).journal.query(
        route=route,
        key=request.query.get("key"),
        code=_query_int(request, "code"),
        limit=_query_int(request, "limit"),
    )
    return _reply({"requests": rows})


async def clear_requests(request: web.Request) -> web.Response:
    _sim(request).journal.clear(request.query.get("key"))
    return _reply({"requests": []})


PREFIX: Final = "/__mock"


def add_routes(app: web.Application) -> None:
    """The admin routes on the main router, each behind the token check.

    Not a sub-application: its middleware would make aiohttp run the middleware chain of every
    provider request too (issue 17). Unknown admin paths and wrong methods are the catch-alls'
    and method routes' of `routing`, answered before the token check as before.
    """

    def get(path: str, handler: Handler) -> None:
        app.router.add_get(PREFIX + path, _guarded(handler))

    def post(path: str, handler: Handler) -> None:
        app.router.add_post(PREFIX + path, _guarded(handler))

    def put(path: str, handler: Handler) -> None:
        app.router.add_put(PREFIX + path, _guarded(handler))

    def delete(path: str, handler: Handler) -> None:
        app.router.add_delete(PREFIX + path, _guarded(handler))

    get("/health", health)
    post("/reset", reset)
    get("/accounts", list_accounts)
    get("/accounts/{key}", get_account)
    put("/accounts/{key}", put_account)
    post("/accounts/{key}", open_account)
    get("/accounts/{key}/ledger", ledger)
    get("/tasks", list_tasks)
    get("/tasks/{task_id}", get_task)
    post("/tasks/{task_id}/succeed", succeed_task)
    post("/tasks/{task_id}/fail", fail_task)
    post("/tasks/{task_id}/cancel", cancel_task)
    get("/clock", get_clock)
    post("/clock/advance", advance_clock)
    get("/faults", list_faults)
    post("/faults", add_fault)
    delete("/faults", clear_faults)
    delete("/faults/{rule_id}", delete_fault)
    get("/webhooks", list_webhooks)
    delete("/webhooks", clear_webhooks)
    get("/requests", list_requests)
    delete("/requests", clear_requests)
    ui.add_routes(get)
