"""What a provider request is answered, whichever front received it (CONTRACT A, D, E).

Two fronts serve the provider routes: aiohttp's request path (`api.py`, every request), and
the mock's own HTTP front (`front.py`), which takes the plain requests of the four JSON routes
off aiohttp's path when nothing in them needs aiohttp (no fault step, no stream, no drain). Both
start the journal row here, take the steps after the fault step here (same simulation, auth,
a JSON object), shape each route's answer here and finish the row here, so a request gets the
same answer, row and log line from either; `tests/api/test_front.py` holds them to it, byte for
byte.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import hdrs

from . import errors as e
from . import varied
from .journal import Exchange
from .jsonbody import BodyError, parse_object
from .logs import REQUESTS, RequestLog, log_request
from .rules.check import check_task_id
from .rules.common import Violation, bearer_token
from .simulator import Simulator
from .tasks import Status, Task

if TYPE_CHECKING:  # a pydantic model, loaded on first use rather than at start-up
    from .fault_rule import FaultRule


class Origin(Protocol):
    """Where a request was sent: what a result URL is built from (aiohttp's request has it)."""

    @property
    def scheme(self) -> str: ...

    @property
    def host(self) -> str: ...


def exchange(
    sim: Simulator, route: str, method: str, path: str, headers: Mapping[str, str]
) -> Exchange:
    """The journal row of a provider request, started as it arrives."""
    x = Exchange(route, method, path, headers, sim.now(), sim.generation)
    x.key = bearer_token(headers.get(hdrs.AUTHORIZATION))
    if sim.variants.active:  # every journaled provider request is numbered, in arrival order
        x.sequence = sim.sequence
        sim.sequence += 1
    return x


def decode(raw: bytes | None, x: Exchange) -> tuple[dict[str, Any] | None, str | None]:
    """The body as a JSON object, or None and why not ("" when it was too large)."""
    if raw is None:
        return None, ""
    try:
        body = parse_object(raw)
    except BodyError as exc:
        x.keep_body(raw, None)
        return None, str(exc)
    x.keep_body(raw, body)
    return body, None


def admitted(
    sim: Simulator,
    x: Exchange,
    headers: Mapping[str, str],
    body: dict[str, Any] | None,
    problem: str | None,
) -> tuple[str, dict[str, Any]]:
    """The steps after the fault step, in the contract's order: the same simulation, auth, the
    body size, a JSON object. Returns the key and the body."""
    same_simulation(sim, x)
    key = x.key  # the row's key is the bearer token: an open account needs no more checks
    if key is None or key not in sim.ledger.accounts:
        key = sim.authenticate(headers.get(hdrs.AUTHORIZATION))
    if body is None:
        if problem == "":
            limit = sim.settings.max_body_bytes
            raise e.ApiError(e.PAYLOAD_TOO_LARGE, e.MSG_BODY_TOO_LARGE.format(limit=limit))
        raise e.ApiError(e.BAD_REQUEST, e.MSG_NOT_JSON_OBJECT.format(reason=problem))
    return key, body


def same_simulation(sim: Simulator, x: Exchange) -> None:
    """A request that was waiting (its body, a delay) when the mock was reset changes nothing."""
    if x.generation != sim.generation:
        raise e.ApiError(e.SERVER_ERROR, e.MSG_RESET_IN_FLIGHT)


# -- each route's answer (the `data` of a 200) ----------------------------------------------


def create_answer(
    sim: Simulator, x: Exchange, key: str, body: dict[str, Any], fail: FaultRule | None
) -> bytes:
    """A2's answer: the task's id in the envelope."""
    task = sim.create_task(key, body, x, fail)
    x.task_id = task.task_id
    if sim.variants.active:
        return varied.ok_body(sim.variants, x, {"taskId": task.task_id})
    return e.created_envelope(task.task_id)


def check_answer(
    sim: Simulator, x: Exchange, key: str, body: dict[str, Any], origin: Origin
) -> bytes:
    """A3's answer, shaped as the simulator observes the task: the base URL is read only for a
    succeeded task, and the contract's answer is built from pieces (`Task.result_envelope`);
    the variants (G) reshape the `data` dict instead."""
    task_id = check_task_id(body)
    if isinstance(task_id, Violation):
        x.violations = [task_id]
        raise e.ApiError(e.BAD_REQUEST, task_id.message)
    x.task_id = task_id
    owner = sim.owner_of(task_id)
    if owner is not None and owner != key:
        # several public clients poll from a pool of keys: the row names the cause (A3)
        x.warnings = [*x.warnings, e.MSG_OTHER_KEYS_TASK.format(task_id=task_id)]
        x.owner = owner
        if sim.variants.active and varied.any_key(sim.variants, x):
            key = owner  # G's `task_scope = "any"`: any key may read any task

    def shape(task: Task, status: Status, progress: int) -> bytes:
        base_url = ""
        if status == "succeeded":
            base_url = sim.settings.public_base_url or f"{origin.scheme}://{origin.host}"
        if sim.variants.active:
            data = task.result_data(status, progress, base_url, sim.result_pid)
            return varied.result_body(sim.variants, x, data)
        return task.result_envelope(status, progress, base_url, sim.result_pid)

    return sim.check_result(key, task_id, shape)


def credits_answer(sim: Simulator, x: Exchange, headers: Mapping[str, str]) -> bytes:
    """A5's answer, after the fault step: the balance and the VIP flag; no body is read."""
    same_simulation(sim, x)
    key = sim.authenticate(headers.get(hdrs.AUTHORIZATION))
    if sim.variants.active:
        return varied.ok_body(sim.variants, x, sim.credits(key))
    return e.ok_envelope(sim.credits(key))


def error_answer(sim: Simulator, x: Exchange, err: e.ApiError) -> tuple[int, bytes, e.ApiError]:
    """An envelope error as it leaves (`error_status`, A1; the variants' form, G): its HTTP
    status, its body, and the error whose headers go with it. Sets the row's code."""
    if sim.variants.active:
        err = varied.error(sim.variants, sim.settings.error_status, x, err)
        body = e.error_envelope(err.code, err.message)
        if x.route != "files":  # a file link's injected error is not one of the JSON routes
            body = varied.error_body(sim.variants, x, err)
    else:
        body = e.error_envelope(err.code, err.message)
    x.code = err.code
    status = err.http_status
    if status is None:
        status = err.code if sim.settings.error_status == "http" else 200
    return status, body, err


# -- after the answer ------------------------------------------------------------------------


def finish(sink: RequestLog | None, sim: Simulator, x: Exchange) -> None:
    """Journal and log the exchange, once (a stream's row is written when it starts)."""
    if x.journaled:
        return
    x.journaled = True
    started = x.started
    if x.generation == sim.generation:
        sim.journal.add(x)
    if sink is not None:
        sink.add(x, (time.perf_counter() - started) * 1000)
    elif REQUESTS.isEnabledFor(logging.INFO):
        log_request(x, (time.perf_counter() - started) * 1000)
