"""The provider routes (CONTRACT A): each handler parses, asks the simulator, and shapes.

The pipeline is the layout: route and method (routes of their own) -> faults -> auth -> body
size -> JSON object -> rules (simulator). Every step can stop with an `ApiError`, which leaves
through `answers.error_answer`; every request, however it ends, becomes one journal row and one
log line. The steps after the fault step, the answers and the row are `answers.py`'s, shared with
the mock's own front (`front.py`), which serves the plain requests of the JSON routes.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from aiohttp import web

from . import errors as e
from .answers import (
    admitted,
    check_answer,
    create_answer,
    credits_answer,
    decode,
    error_answer,
    exchange,
    finish,
)
from .faults import MSG_UNKNOWN_PRESET, PRESETS, TASK_ACTIONS, Decision, Request
from .journal import Exchange
from .responses import JSON, REQUEST_LOG, SIMULATOR, closing, json_response, undecodable
from .simulator import Simulator

if TYPE_CHECKING:  # a pydantic model, loaded on first use rather than at start-up
    from .fault_rule import FaultRule

CREATE_PATH: Final = "/api/v1/video/sora-pro"
CHECK_PATH: Final = "/api/video-generations/check-result"
CREDITS_PATH: Final = "/api/get-user-credits"
FILES_PATH: Final = "/files/{task_id}.mp4"
SORA_VIDEO_PATH: Final = "/api/v1/video/sora-video"
ROUTE_OF_PATH: Final = {
    CREATE_PATH: "create",
    SORA_VIDEO_PATH: "sora_video",
    CHECK_PATH: "check_result",
    CREDITS_PATH: "credits",
}
FAULT_HEADER: Final = "X-Sora-Mock-Fault"
VIDEO: Final = (Path(__file__).parent / "assets" / "result.mp4").read_bytes()
HTML_PAGE: Final = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
MALFORMED_BODY: Final = b'{"code": 0, "message": "ok", "data": {"taskId": "'


Step = Callable[[web.Request, Simulator, Exchange], Awaitable[web.StreamResponse]]


class _Dropped(Exception):
    """The connection was closed on purpose (a `timeout` or `reset` fault): nothing was sent."""


class _Answered(Exception):
    """A fault answered with a ready response (`malformed`, `html`)."""

    def __init__(self, response: web.Response) -> None:
        self.response = response


def add_routes(app: web.Application) -> None:
    app.router.add_post(CREATE_PATH, create)
    app.router.add_post(CHECK_PATH, check_result)
    app.router.add_post(CREDITS_PATH, credits)
    app.router.add_get(FILES_PATH, video)


async def create(request: web.Request) -> web.StreamResponse:
    return await _serve(request, "create", _create)


async def check_result(request: web.Request) -> web.StreamResponse:
    return await _serve(request, "check_result", _check_result)


async def credits(request: web.Request) -> web.StreamResponse:
    return await _serve(request, "credits", _credits)


async def video(request: web.Request) -> web.StreamResponse:
    return await _serve(request, "files", _video)


async def _create(request: web.Request, sim: Simulator, x: Exchange) -> web.StreamResponse:
    key, body, fail = await _admit(request, sim, x)
    return json_response(create_answer(sim, x, key, body, fail))


async def _check_result(request: web.Request, sim: Simulator, x: Exchange) -> web.StreamResponse:
    key, body, _ = await _admit(request, sim, x)
    return json_response(check_answer(sim, x, key, body, request))


async def _credits(request: web.Request, sim: Simulator, x: Exchange) -> web.StreamResponse:
    """The balance and VIP flag (A5). The body is not read [mock decision]: clients send `{}`,
    so neither its size nor its shape can refuse the call, and body matchers never match."""
    await _faults(request, sim, x, None)
    return json_response(credits_answer(sim, x, request.headers))


async def _video(request: web.Request, sim: Simulator, x: Exchange) -> web.StreamResponse:
    """A plain file link (A4): no envelope, no auth, one shipped MP4 for every succeeded task.

    A link is fetched without a key, so the request is attributed to the key that owns the task
    [mock decision]: per-key journal views and per-key fault rules then cover downloads too.
    """
    task_id = request.match_info["task_id"]
    x.task_id = task_id
    if x.key is None:
        x.key = sim.owner_of(task_id)
    await _faults(request, sim, x, None)
    if not sim.video_ready(task_id):
        return web.Response(status=404, text="404: Not Found")
    size = len(VIDEO)
    headers = {"Accept-Ranges": "bytes"}
    try:
        wanted = request.http_range
    except ValueError:  # a malformed or multi-part Range is ignored (RFC 9110 14.2)
        wanted = slice(None, None)
    if wanted.start is None and wanted.stop is None:
        return web.Response(body=VIDEO, content_type="video/mp4", headers=headers)
    start, stop = wanted.start, wanted.stop
    if request.headers["Range"].replace(" ", "").lower() == "bytes=-0":  # aiohttp reads it as 0-
        start = size  # a suffix of no bytes cannot be served
    elif start is None or start < 0:  # a suffix range: the last N bytes
        start, stop = max(size + (start or 0), 0), size
    stop = size if stop is None else min(stop, size)
    if start >= size or start >= stop:
        headers["Content-Range"] = f"bytes */{size}"
        return web.Response(status=416, headers=headers)
    headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    return web.Response(
        status=206, body=VIDEO[start:stop], content_type="video/mp4", headers=headers
    )


# -- the pipeline's steps --------------------------------------------------------------------


def _exchange(request: web.Request, sim: Simulator, route: str) -> Exchange:
    return exchange(sim, route, request.method, request.path, request.headers)


async def _admit(
    request: web.Request, sim: Simulator, x: Exchange
) -> tuple[str, dict[str, Any], FaultRule | None]:
    """The steps a JSON route takes before its own rules, in the contract's order: faults,
    auth, body size, a JSON object. Returns the key, the body and a `fail_task` rule."""
    content = request.content
    length = request.content_length
    limit = sim.settings.max_body_bytes
    try:
        if content.is_eof() and length is not None and length <= limit:
            raw: bytes | None = content.read_nowait()  # it came with the headers: no await
        else:
            raw = await _read_body(request, limit)
        body, problem = decode(raw, x)
    except web.RequestPayloadError:  # a gzip or deflate body that does not decode, say (A1)
        body, problem = None, undecodable(request)
    fail = None
    if sim.faults.rules or (sim.settings.fault_header and FAULT_HEADER in request.headers):
        fail = await _faults(request, sim, x, body)
    key, body = admitted(sim, x, request.headers, body, problem)
    return key, body, fail


async def _serve(request: web.Request, route: str, step: Step) -> web.StreamResponse:
    sim = request.app[SIMULATOR]
    x = _exchange(request, sim, route)
    response: web.StreamResponse | None
    try:
        response = await step(request, sim, x)
        x.code = e.OK
    except e.ApiError as err:
        response = _error_response(*error_answer(sim, x, err))
    except _Answered as answer:
        response = answer.response
    except (_Dropped, ConnectionError):  # closed on purpose, or the client left mid-body
        response = None
    except asyncio.CancelledError:  # the client went away (or the server is stopping)
        x.code = None
        _finish(request, sim, x)
        raise
    if response is not None:
        x.http_status = response.status
    if route == "files":
        x.code = None  # a file link has no envelope code (D)
    _finish(request, sim, x)
    return closing(request, response) if response is not None else web.Response(status=204)


async def unmatched(request: web.Request, exc: web.HTTPException) -> web.StreamResponse:
    """An unknown route (404) or a wrong method on a known one (405), in the envelope."""
    sim = request.app[SIMULATOR]
    path = request.path
    route = ROUTE_OF_PATH.get(path, "unknown")
    allowed = getattr(exc, "allowed_methods", None)
    if allowed and path.startswith("/files/"):  # a wrong method on a file link: plain HTTP
        route = "files"
    x = _exchange(request, sim, route)
    if route == "files":
        response: web.Response = web.Response(status=exc.status, text=f"{exc.status}: {exc.reason}")
        if allowed:
            response.headers["Allow"] = ",".join(sorted(allowed))
    else:
        if allowed:
            message = e.MSG_METHOD_NOT_ALLOWED.format(
                method=request.method, path=path, allowed=", ".join(sorted(allowed))
            )
            err = e.ApiError(
                e.METHOD_NOT_ALLOWED, message, headers={"Allow": ",".join(sorted(allowed))}
            )
        else:
            err = e.ApiError(
                e.NOT_FOUND, e.MSG_UNKNOWN_ROUTE.format(method=request.method, path=path)
            )
        response = _error_response(*error_answer(sim, x, err))
    x.http_status = response.status
    _finish(request, sim, x)
    return response


async def _read_body(request: web.Request, limit: int) -> bytes | None:
    """Read the whole body; over `limit`, keep reading to the end, discard it and return None.

    Draining instead of refusing early means a client that is still sending gets its 413
    instead of a reset connection (A1).
    """
    content = request.content
    length = request.content_length
    if length is not None and length <= limit:
        raw = await content.read()
        if len(raw) <= limit:
            return raw
        return None
    size = 0
    chunks: list[bytes] = []
    while chunk := await content.readany():
        size += len(chunk)
        if size <= limit:
            chunks.append(chunk)
        elif chunks:
            chunks.clear()
    return b"".join(chunks) if size <= limit else None


async def _faults(
    request: web.Request, sim: Simulator, x: Exchange, body: dict[str, Any] | None
) -> FaultRule | None:
    """Run the fault step; returns a `fail_task` rule for the create step to carry out."""
    decision = _decide(request, sim, x, body)
    if decision is None:
        return None
    if decision.delay_ms:
        await asyncio.sleep(decision.delay_ms / 1000)
    rule = decision.rule
    if rule is None or rule.action in TASK_ACTIONS:
        return rule
    if rule.action == "error":
        code = rule.code if rule.code is not None else e.SERVER_ERROR
        retry = code == e.TOO_MANY_TASKS
        headers = {"Retry-After": str(sim.retry_after(x.key))} if retry else None
        # a file link has no envelope to look into: its errors keep their HTTP status
        status = code if rule.http_status is None and x.route == "files" else rule.http_status
        message = rule.message or e.MSG_INJECTED
        raise e.ApiError(code, message, http_status=status, headers=headers)
    if rule.action == "malformed":
        raise _Answered(web.Response(body=MALFORMED_BODY, content_type=JSON))
    if rule.action == "html":
        raise _Answered(web.Response(body=HTML_PAGE, status=502, content_type="text/html"))
    if rule.action == "timeout":
        await asyncio.sleep(decision.hold_ms / 1000)
    _drop(request.transport, reset=rule.action == "reset")
    raise _Dropped


def _decide(
    request: web.Request, sim: Simulator, x: Exchange, body: dict[str, Any] | None
) -> Decision | None:
    """The header preset decides alone; else the rules, in the order they were added."""
    preset = request.headers.get(FAULT_HEADER) if sim.settings.fault_header else None
    if preset is not None:
        name = preset.strip()
        rule = PRESETS.get(name)
        if rule is None:
            valid = ", ".join(PRESETS)
            raise e.ApiError(e.BAD_REQUEST, MSG_UNKNOWN_PRESET.format(name=name, valid=valid))
        x.fault = f"preset:{name}"
        return Decision(rule=rule)
    if not sim.faults.rules:
        return None
    decision = sim.faults.decide(Request(x.route, x.key, x.headers, body))
    x.fault = decision.label
    return decision


def _drop(transport: asyncio.Transport | None, *, reset: bool) -> None:
    """Close the connection without an answer: a TCP reset (RST) or a plain close (FIN)."""
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if reset and sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


# -- after the answer ------------------------------------------------------------------------


def _finish(request: web.Request, sim: Simulator, x: Exchange) -> None:
    finish(request.app.get(REQUEST_LOG), sim, x)


def _error_response(status: int, body: bytes, err: e.ApiError) -> web.Response:
    """The one place an envelope error becomes aiohttp's response (`answers.error_answer`)."""
    return web.Response(body=body, status=status, content_type=JSON, headers=err.headers)
