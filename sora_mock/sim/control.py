"""The control surface (CONTRACT D, D1): every admin operation, declared once, and its one
in-process implementation on a simulation.

`OPS` names each operation with its HTTP form under /__mock (method, path, query, body); the
admin routes are made from it (`http/admin.py`), the fixture's handle calls it by name over HTTP
or in process (`handle.py`), and `LocalControl` carries it out. So `advance` means one thing
whichever way it is called: move the clock, settle what became due, wake the streams, and return
only after the deliveries it made due were attempted.

An operation takes its path parameters, its query (text, as a URL carries it) and its JSON body,
and returns the JSON the admin route answers; a refusal is an `AdminError` (its HTTP status and
sentence). Bodies are checked by the pydantic models of `admin_bodies` and `fault_rule`, loaded
on the first call that has a body, so a start-up imports no pydantic.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypeVar

from .. import __version__
from ..config import describe
from ..core import errors as e
from ..core.journal import ROUTES
from ..tasks import Status
from .deliveries import STATES

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .simulator import Simulator

Params = Mapping[str, str]
# a limit or offset beyond any store, journal or ring (their sizes are whole numbers of items
# far below this), to which larger ones are cut: a page's ends stay within what islice takes
PAST_ANY_STORE: Final = 2**40
T = TypeVar("T")
Query = Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Op:
    """One admin operation and its HTTP form: `method` and `path` under /__mock. The admin
    routes, the handle, the docs' table and the admin paths of /openapi.json are made from it."""

    name: str
    method: str
    path: str
    summary: str  # what it does, in a phrase: the docs' table and the OpenAPI document show it
    query: tuple[str, ...] = ()
    body: str | None = None  # the name of its body's model (`body_model`), if it takes one
    status: int = 200  # the status of its success
    open: bool = False  # answered without the admin token


# the query of a paged list (an extension): `_page` reads it, the OpenAPI document explains it
PAGE: Final = ("limit", "offset")
OPS: Final[tuple[Op, ...]] = (
    Op("health", "GET", "/health", "Liveness", open=True),
    Op("reset", "POST", "/reset", "Back to the configured start"),
    Op("accounts", "GET", "/accounts", "Every account, keys masked"),
    Op("account", "GET", "/accounts/{key}", "One account"),
    Op(
        "set_account",
        "PUT",
        "/accounts/{key}",
        "Set a balance (a `set` transaction), the VIP flag, or both",
        body="AccountBody",
    ),
    Op("open_account", "POST", "/accounts/{key}", "Open an account at default_balance"),
    Op(
        "ledger",
        "GET",
        "/accounts/{key}/ledger",
        "The account's kept transactions and what was folded",
    ),
    Op("tasks", "GET", "/tasks", "Task records, oldest first", query=("key", *PAGE, "seen_final")),
    Op("task", "GET", "/tasks/{taskId}", "A task"),
    Op(
        "succeed",
        "POST",
        "/tasks/{taskId}/succeed",
        "Finish a task now as succeeded (409 if final)",
    ),
    Op(
        "fail",
        "POST",
        "/tasks/{taskId}/fail",
        "Finish a task now as failed, refunded (the body, and each field, optional)",
        body="FailBody",
    ),
    Op(
        "cancel",
        "POST",
        "/tasks/{taskId}/cancel",
        "End a task now as cancelled, refunded (the body, and each field, optional)",
        body="FailBody",
    ),
    Op("clock", "GET", "/clock", "The mock clock"),
    Op("advance", "POST", "/clock/advance", "Move the clock on", body="AdvanceBody"),
    Op("faults", "GET", "/faults", "Fault rules and how often each fired", query=("api_key",)),
    Op("add_fault", "POST", "/faults", "Add a fault rule", body="FaultRule", status=201),
    Op(
        "clear_faults",
        "DELETE",
        "/faults",
        "Remove every rule (or those of one api_key)",
        query=("api_key",),
    ),
    Op("remove_fault", "DELETE", "/faults/{id}", "Remove one rule"),
    Op(
        "webhooks",
        "GET",
        "/webhooks",
        "Webhook deliveries (A7), oldest first",
        query=("key", "taskId", "state", *PAGE),
    ),
    Op(
        "clear_webhooks",
        "DELETE",
        "/webhooks",
        "Forget finished deliveries (or one key's); pending ones go on",
        query=("key",),
    ),
    Op(
        "requests",
        "GET",
        "/requests",
        "The request journal, oldest first",
        query=("route", "key", "code", *PAGE),
    ),
    Op(
        "clear_requests",
        "DELETE",
        "/requests",
        "Clear the journal (or one key's rows)",
        query=("key",),
    ),
    Op(
        "drift",
        "GET",
        "/drift",
        "A proxy's journal rows where the mock would have answered otherwise (I2)",
        query=("key", *PAGE),
    ),
)
BY_NAME: Final = {op.name: op for op in OPS}
# the health answer names the service (E1): the fixture checks it before it trusts a URL
SERVICE: Final = "sora-mock"
HEALTH: Final = {"status": "ok", "service": SERVICE, "version": __version__}


def body_model(name: str) -> type[BaseModel]:
    """A body's model by its name, loaded on first use (a start-up imports no pydantic)."""
    if name == "FaultRule":
        from ..faults.rule import FaultRule  # noqa: PLC0415 (see the module docstring)

        return FaultRule
    from . import bodies as admin_bodies  # noqa: PLC0415 (see the module docstring)

    model: type[BaseModel] = getattr(admin_bodies, name)
    return model


def checked_body(op: Op, value: Any) -> Any:
    """The op's body as its model reads it; AdminError 400 naming the field when it is not."""
    assert op.body is not None
    from pydantic import ValidationError  # noqa: PLC0415 (a body's first check loads pydantic)

    try:
        return body_model(op.body).model_validate({} if value is None else value)
    except ValidationError as exc:
        raise e.AdminError(400, describe(exc, subject="field")) from None


def _integer(query: Query, name: str) -> int | None:
    text = query.get(name)
    if text is None:
        return None
    try:
        value = int(text)
    except ValueError:
        raise e.AdminError(400, f"{name} must be an integer.") from None
    if name in ("limit", "offset"):
        if value < 0:
            raise e.AdminError(400, f"{name} must be 0 or more.")
        value = min(value, PAST_ANY_STORE)  # all of it, or an empty page
    return value


def _page(items: list[T], limit: int | None, offset: int | None) -> list[T]:
    """A page of a list kept oldest first (D, extension): the newest `limit` after skipping
    the newest `offset`, still oldest first; so `limit=L&offset=k*L` walks back page by page."""
    end = len(items) - (offset or 0)
    if end <= 0:
        return []
    return items[max(0, end - limit) : end] if limit is not None else items[:end]


class LocalControl:
    """Every operation of `OPS` on one simulation, in process."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    async def call(self, name: str, params: Params, query: Query, body: Any = None) -> Any:
        """Carry out operation `name`; its JSON answer, or AdminError."""
        op = BY_NAME[name]
        checked = checked_body(op, body) if op.body is not None else None
        if name == "advance":
            assert checked is not None
            return await self.advance(checked.seconds)
        return getattr(self, f"_{name}")(params, query, checked)

    async def advance(self, seconds: float) -> dict[str, Any]:
        """Move the clock on; answer once every attempt this made due, and any in flight, has
        ended (A7), so the caller needs no waiting."""
        sim = self.sim
        sim.advance(seconds)
        await sim.deliveries.drain()
        return sim.clock_json()

    # -- the operations (each: path parameters, query, checked body -> JSON) -----------------

    def _health(self, params: Params, query: Query, body: None) -> dict[str, Any]:
        return HEALTH

    def _reset(self, params: Params, query: Query, body: None) -> dict[str, Any]:
        self.sim.reset()
        return {"status": "reset"}

    def _accounts(self, params: Params, query: Query, body: None) -> dict[str, Any]:
        return {"accounts": [a.to_json() for a in self.sim.accounts()]}

    def _account(self, params: Params, query: Query, body: None) -> dict[str, Any]:
        return self.sim.account(params["key"]).to_json()

    def _set_account(self, params: Params, query: Query, body: Any) -> dict[str, Any]:
        return self.sim.set_account(params["key"], body.balance, body.vip).to_json()

    def _open_account(self, params: Params, query: Query, body: None) -> dict[str, Any]:
        return self.sim.open_account(params["key"]).to_json()

    def _ledger(self, params: Params, query: Query, body: None) -> dict[str, Any]:
        return self.sim.account(params["key"]).ledger_json()

    def _tasks(self, params: Params, query: Query, body: None) -> dict[str, Any]:
        seen = query.get("seen_final")  # an extension, for the client report (F)
        if seen not in (None, "true", "false"):
            raise e.AdminError(400, "seen_final must be true or false.")
        seen_final = None if seen is None else seen == "true"
        limit, offset = _integer(query, "limit"), _integer(query, "offset") or 0
        tasks = self.sim.list_tasks(query.get("key"), limit, seen_final=seen_final, offset=offset)
        return {"tasks": tasks}

    def _task(self, params: Params, query: Query, body: None) -> dict[str, Any]:
        sim = self.sim
        return sim.task_json(sim.task(params["taskId"]))

    def _succeed(self, params: Params, query: Query, body: None) -> dict[str, Any]:
        return self._end(params["taskId"], "succeeded", None, None)

    def _fail(self, params: Params, query: Query, body: Any) -> dict[str, Any]:
        return self._end(params["taskId"], "failed", body.failure_reason, body.error_message)

    def _cancel(self, params: Params, query: Query, body: Any) -> dict[str, Any]:
        return self._end(params["taskId"], "cancelled", body.failure_reason, body.error_message)

    def _end(
        self, task_id: str, status: Status, reason: str | None, message: str | None
    ) -> dict[str, Any]:
        sim = self.sim
        return sim.task_json(sim.finish(task_id, status, reason, message))

    def _clock(self, params: Params, query: Query, body: None) -> dict[str, Any]:
        return self.sim.clock_json()

    def _faults(self, params: Params, query: Query, body: None) -> dict[str, Any]:
        key = query.get("api_key")
        rules = self.sim.faults.rules
        return {"faults": [r.to_json() for r in rules if key in (None, r.rule.api_key)]}

    def _add_fault(self, params: Params, query: Query, body: Any) -> dict[str, Any]:
        stored: dict[str, Any] = self.sim.faults.add(body).to_json()
        return stored

    def _clear_faults(self, params: Params, query: Query, body: None) -> dict[str, Any]:
        self.sim.faults.clear(query.get("api_key"))
        return {"faults": []}

    def _remove_fault(self, params: Params, query: Query, body: None) -> dict[str, Any]:
        rule_id = params["id"]
        if not self.sim.faults.remove(rule_id):
            raise e.AdminError(404, f"Fault rule {rule_id[:64]} was not found.")
        return {"deleted": rule_id}

    def _webhooks(self, params: Params, query: Query, body: None) -> dict[str, Any]:
        state = query.get("state")
        if state is not None and state not in STATES:
            raise e.AdminError(400, f"state must be one of: {', '.join(STATES)}.")
        found = self.sim.deliveries.query_now(
            key=query.get("key"), task_id=query.get("taskId"), state=state
        )
        page = _page(found, _integer(query, "limit"), _integer(query, "offset"))
        return {"webhooks": [d.to_json() for d in page]}

    def _clear_webhooks(self, params: Params, query: Query, body: None) -> dict[str, Any]:
        self.sim.deliveries.clear(query.get("key"))
        return {"webhooks": []}

    def _requests(self, params: Params, query: Query, body: None) -> dict[str, Any]:
        route = query.get("route")
        if route is not None and route not in ROUTES:
            raise e.AdminError(400, f"route must be one of: {', '.join(ROUTES)}.")
        limit, offset = _integer(query, "limit"), _integer(query, "offset") or 0
        rows = self.sim.journal.query(
            route=route,
            key=query.get("key"),
            code=_integer(query, "code"),
            limit=None if limit is None else limit + offset,  # the journal shapes no more
        )
        return {"requests": _page(rows, None, offset)}

    def _drift(self, params: Params, query: Query, body: None) -> dict[str, Any]:
        """I2: the journal rows of a proxy on which the mock would have answered otherwise
        (a mock's own rows have none), oldest first."""
        rows = [row for row in self.sim.journal.query(key=query.get("key")) if row.get("drift")]
        page = _page(rows, _integer(query, "limit"), _integer(query, "offset"))
        return {"drift": page}

    def _clear_requests(self, params: Params, query: Query, body: None) -> dict[str, Any]:
        self.sim.journal.clear(query.get("key"))
        return {"requests": []}
