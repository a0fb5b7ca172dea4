"""THE step order of a provider request (CONTRACT A1, A2, A5, A6, C, D, E): `serve`.

Every provider request, and every unknown route, takes these steps and no others, whichever
route it names; a step may stop it with an `ApiError`, which leaves through `error_reply`:

    the journal row -> the body, read to its end -> faults (C) -> the same simulation ->
    auth (401) -> body size (413) -> a JSON object (400) -> the route's use case and answer
    -> the row and the log line, once

An unknown route or a wrong method stops at the first step (A1: before faults and auth); the
balance route reads no body (A5); a file link has no auth and no envelope (A4). What reaches the
pipeline is a `RequestView` (what a request says, whatever server received it) and what leaves
is a `Reply` (what to answer, or to drop the connection, or to stream), so the step order is
written once and the HTTP adapters (`provider.py`) only translate.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from ..core import errors as e
from ..core import varied
from ..core.body import BodyError, parse_object
from ..core.journal import Exchange
from ..routes import files, registry
from ..routes.answers import (
    Admitted,
    check_answer,
    create_answer,
    credits_answer,
    video_answer,
    video_stream,
)
from ..routes.common import bearer_token
from .fault_actions import FAULT_HEADER, Answered, Dropped, fault_step
from .logs import REQUESTS, RequestLog, log_request
from .reply import JSON, Reply, RequestView, Stream, Undecodable

if TYPE_CHECKING:
    from ..faults.rule import FaultRule
    from ..sim.simulator import Simulator


UseCase = Callable[["Simulator", Exchange, Admitted, RequestView], bytes | Reply]
Sink = RequestLog | None


# -- the one entry ----------------------------------------------------------------------------


async def serve(sim: Simulator, route: str, view: RequestView, sink: Sink = None) -> Reply:
    """Serve one provider request (or an unknown route) through every step, in order."""
    x = exchange(sim, route, view)
    try:
        reply = await _steps(sim, route, view, x)
        x.code = None if route == registry.FILES else e.OK  # a file link has no envelope (D)
    except e.ApiError as err:
        reply = error_reply(sim, x, err)
    except Answered as answered:  # a fault's own answer: no envelope code
        reply = answered.reply
    except Dropped as dropped:
        reply = Reply(drop=dropped.how)
    except ConnectionError:  # the client went away mid-body
        reply = Reply(drop="gone")
    except asyncio.CancelledError:  # the client went away (or the server is stopping)
        x.code = None
        finish(sink, sim, x)
        raise
    if reply.drop is None:
        x.http_status = reply.status
    if route == registry.FILES:
        x.code = None
    finish(sink, sim, x)
    return reply


async def unmatched(
    sim: Simulator, view: RequestView, allowed: frozenset[str] | None, sink: Sink = None
) -> Reply:
    """An unknown route (404) or a wrong method on a known one (405): the first step (A1)."""
    path = view.path
    route = registry.route_of_path(path)
    if allowed and path.startswith(registry.FILES_PREFIX):
        route = registry.FILES  # a wrong method on a file link: plain HTTP, no envelope
    x = exchange(sim, route, view)
    allow = ",".join(sorted(allowed)) if allowed else None
    if route == registry.FILES:
        reply = Reply(405, b"405: Method Not Allowed", "text/plain", {"Allow": allow or ""})
        reply.charset = "utf-8"
    elif allowed:
        message = e.MSG_METHOD_NOT_ALLOWED.format(
            method=view.method, path=path, allowed=", ".join(sorted(allowed))
        )
        err = e.ApiError(e.METHOD_NOT_ALLOWED, message, headers={"Allow": allow or ""})
        reply = error_reply(sim, x, err)
    else:
        message = e.MSG_UNKNOWN_ROUTE.format(method=view.method, path=path)
        reply = error_reply(sim, x, e.ApiError(e.NOT_FOUND, message))
    x.http_status = reply.status
    finish(sink, sim, x)
    return reply


# -- the steps --------------------------------------------------------------------------------


async def _steps(sim: Simulator, route: str, view: RequestView, x: Exchange) -> Reply:
    if route == registry.CREDITS:  # A5: the body is not read [mock decision]
        await fault_step(sim, view, x, None)
        same_simulation(sim, x)
        return _reply(credits_answer(sim, x, sim.authenticate(view.headers.get("Authorization"))))
    if route == registry.FILES:
        return await _file(sim, view, x)
    body, problem = await _body(sim, view, x)
    fail = None
    if sim.faults.rules or (sim.settings.fault_header and FAULT_HEADER in view.headers):
        fail = await fault_step(sim, view, x, body)
    admitted = _admit(sim, x, view, body, problem, fail=fail)
    return _reply(_USE_CASES[route](sim, x, admitted, view))


async def _body(
    sim: Simulator, view: RequestView, x: Exchange
) -> tuple[dict[str, Any] | None, str | None]:
    """The body as a JSON object, or None and why not ("" when it was too large)."""
    try:
        raw = await view.read(sim.settings.max_body_bytes)
    except Undecodable as exc:
        return None, e.MSG_UNDECODABLE.format(coding=exc.coding)
    if raw is None:
        return None, ""
    try:
        body = parse_object(raw)
    except BodyError as exc:
        x.keep_body(raw, None)
        return None, str(exc)
    x.keep_body(raw, body)
    return body, None


def _admit(
    sim: Simulator,
    x: Exchange,
    view: RequestView,
    body: dict[str, Any] | None,
    problem: str | None,
    *,
    fail: FaultRule | None,
) -> Admitted:
    """After the fault step: the same simulation, auth, the body's size, a JSON object."""
    same_simulation(sim, x)
    key = x.key  # the row's key is the bearer token: an open account needs no more checks
    if key is None or key not in sim.ledger.accounts:
        key = sim.authenticate(view.headers.get("Authorization"))
    if body is None:
        if problem == "":
            limit = sim.settings.max_body_bytes
            raise e.ApiError(e.PAYLOAD_TOO_LARGE, e.MSG_BODY_TOO_LARGE.format(limit=limit))
        raise e.ApiError(e.BAD_REQUEST, e.MSG_NOT_JSON_OBJECT.format(reason=problem))
    return Admitted(key, body, fail)


def same_simulation(sim: Simulator, x: Exchange) -> None:
    """A request that was waiting (its body, a delay) when the mock was reset changes nothing."""
    if x.generation != sim.generation:
        raise e.ApiError(e.SERVER_ERROR, e.MSG_RESET_IN_FLIGHT)


def _create(sim: Simulator, x: Exchange, a: Admitted, view: RequestView) -> bytes:
    return create_answer(sim, x, a)


def _check_result(sim: Simulator, x: Exchange, a: Admitted, view: RequestView) -> bytes:
    # the origin (scheme and Host) is read only for a succeeded task's result URL
    return check_answer(sim, x, a, lambda: view.origin)


def _sora_video(sim: Simulator, x: Exchange, a: Admitted, view: RequestView) -> bytes | Reply:
    if registry.wants_stream(view.headers.get("Accept")):
        task, shut = video_stream(sim, x, a, view.origin)
        return Reply(stream=Stream(task, view.origin, shut))
    return video_answer(sim, x, a, view.origin)


_USE_CASES: Final[dict[str, UseCase]] = {
    registry.CREATE: _create,
    registry.CHECK_RESULT: _check_result,
    registry.SORA_VIDEO: _sora_video,
}


async def _file(sim: Simulator, view: RequestView, x: Exchange) -> Reply:
    """A plain file link (A4): no envelope, no auth, one shipped MP4 for every succeeded task.

    A link is fetched without a key, so the request is attributed to the key that owns the task
    [mock decision]: per-key journal views and per-key fault rules then cover downloads too.
    """
    task_id = registry.file_task_id(view.path)
    x.task_id = task_id
    if x.key is None:
        x.key = sim.owner_of(task_id)
    await fault_step(sim, view, x, None)
    if not sim.video_ready(task_id):
        return Reply(404, b"404: Not Found", "text/plain", charset="utf-8")
    status, body, headers = files.answer(view.byte_range(), view.headers.get("Range"))
    return Reply(status, body, files.CONTENT_TYPE if body else None, headers)


def _reply(answer: bytes | Reply) -> Reply:
    return answer if isinstance(answer, Reply) else Reply(body=answer)


# -- the row, the errors, the end -------------------------------------------------------------


def exchange(sim: Simulator, route: str, view: RequestView) -> Exchange:
    """The journal row of a provider request, started as it arrives."""
    headers = view.headers
    x = Exchange(route, view.method, view.path, headers, sim.now(), sim.generation)
    x.key = bearer_token(headers.get("Authorization"))
    if sim.variants.active:  # every journaled provider request is numbered, in arrival order
        x.sequence = sim.sequence
        sim.sequence += 1
    return x


def error_reply(sim: Simulator, x: Exchange, err: e.ApiError) -> Reply:
    """The one place an envelope error becomes an answer: `error_status` (A1), the variants'
    forms (G). Sets the row's code."""
    if err.found is not None:
        x.note(err.found)
    if sim.variants.active:
        err = varied.error(sim.variants, sim.settings.error_status, x, err)
        body = e.error_envelope(err.code, err.message)
        if x.route != registry.FILES:  # a file link's injected error is not a JSON route's
            body = varied.error_body(sim.variants, x, err)
    else:
        body = e.error_envelope(err.code, err.message)
    x.code = err.code
    status = err.http_status
    if status is None:
        status = err.code if sim.settings.error_status == "http" else 200
    return Reply(status, body, JSON, err.headers)


def finish(sink: Sink, sim: Simulator, x: Exchange) -> None:
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
