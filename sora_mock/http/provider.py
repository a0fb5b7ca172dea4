"""The provider routes on aiohttp: a `RequestView` in, the pipeline's `Reply` out (CONTRACT A).

Nothing here decides anything a client can see but how aiohttp is asked to send it: the step
order, the answers and the journal are `pipeline.py`'s. What only the HTTP layer can do lives
here: reading a body to its end, closing or resetting a connection, holding an event stream open.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from aiohttp import web
from aiohttp.typedefs import Handler

from ..routes import registry
from ..sim.streams import encode
from . import pipeline
from .keys import REQUEST_LOG, SIMULATOR, abandon_body, closing
from .logs import RequestLog
from .reply import Reply, Stream, Undecodable

if TYPE_CHECKING:
    from ..sim.simulator import Simulator

NO_ANSWER: Final = 204  # what aiohttp is handed when the connection was dropped: never sent


class AioView:
    """A `pipeline.RequestView` of an aiohttp request."""

    __slots__ = ("request",)

    def __init__(self, request: web.Request) -> None:
        self.request = request

    @property
    def method(self) -> str:
        return self.request.method

    @property
    def path(self) -> str:
        return self.request.path

    @property
    def headers(self) -> Mapping[str, str]:
        return self.request.headers

    @property
    def origin(self) -> str:
        return f"{self.request.scheme}://{self.request.host}"

    def byte_range(self) -> slice:
        try:
            return self.request.http_range
        except ValueError:  # a malformed or multi-part Range is ignored (RFC 9110 14.2)
            return slice(None, None)

    async def read(self, limit: int) -> bytes | None:
        """The whole body; over `limit`, read to its end and discarded (None).

        Draining instead of refusing early means a client that is still sending gets its 413
        instead of a reset connection (A1). A body whose content coding does not decode cannot
        be read further, nor anything after it: it is marked read (else aiohttp would linger to
        read it after the answer and log the decoding error as a traceback) and the answer
        closes the connection (`respond`).
        """
        request = self.request
        content = request.content
        length = request.content_length
        try:
            if content.is_eof() and length is not None and length <= limit:
                return content.read_nowait()  # it came with the headers: no await
            if length is not None and length <= limit:
                raw = await content.read()
                return raw if len(raw) <= limit else None
            size = 0
            chunks: list[bytes] = []
            while chunk := await content.readany():
                size += len(chunk)
                if size <= limit:
                    chunks.append(chunk)
                elif chunks:
                    chunks.clear()
            return b"".join(chunks) if size <= limit else None
        except web.RequestPayloadError:
            raise Undecodable(abandon_body(request)) from None


def add_routes(app: web.Application) -> None:
    """The provider routes of `registry.ROUTES`, each an adapter around `pipeline.serve`."""
    for name, (method, path) in registry.ROUTES.items():
        if method == "GET":  # with HEAD, as `registry.methods` says, and aiohttp adds it
            app.router.add_get(path, _handler(name))
        else:
            app.router.add_route(method, path, _handler(name))


def _handler(route: str) -> Handler:
    # the app's simulator and request log, looked up at the first request (the command line
    # sets the log after the routes are added) and not again: a handler serves one app
    found: list[tuple[Simulator, RequestLog | None]] = []

    async def handle(request: web.Request) -> web.StreamResponse:
        if not found:
            app = request.app
            found.append((app[SIMULATOR], app.get(REQUEST_LOG)))
        sim, sink = found[0]
        reply = await pipeline.serve(sim, route, AioView(request), sink)
        if reply.stream is None and reply.drop is None:  # the plain answer: no await
            return _response(request, reply)
        return await respond(request, reply)

    handle.__name__ = route
    return handle


async def unmatched(request: web.Request, allowed: frozenset[str] | None) -> web.StreamResponse:
    """An unknown route (404) or a wrong method on a known one (405), through the pipeline."""
    app = request.app
    view = AioView(request)
    reply = await pipeline.unmatched(app[SIMULATOR], view, allowed, app.get(REQUEST_LOG))
    return await respond(request, reply)


async def respond(request: web.Request, reply: Reply) -> web.StreamResponse:
    """The reply as aiohttp sends it: a response, a dropped connection, or a stream."""
    if reply.drop is not None:
        if reply.drop != "gone":
            drop(request.transport, reset=reply.drop == "reset")
        return web.Response(status=NO_ANSWER)
    if reply.stream is not None:
        return await stream(request, reply.stream)
    return _response(request, reply)


def _response(request: web.Request, reply: Reply) -> web.Response:
    """A reply that is an answer: its status, body and headers."""
    response = web.Response(
        body=reply.body,
        status=reply.status,
        content_type=reply.content_type,
        charset=reply.charset,
        headers=reply.headers,
    )
    closing(request, response)
    return response


def drop(transport: asyncio.Transport | None, *, reset: bool) -> None:
    """Close the connection without an answer: a TCP reset (RST) or a plain close (FIN)."""
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if reset and sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def _gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


async def stream(request: web.Request, plan: Stream) -> web.StreamResponse:
    """Events on every change the mock observes, then the final one (A8).

    On the manual and poll clocks the stream looks only when poked (an advance, an admin finish,
    a check-result of the task); it still wakes every `sse_interval_seconds` to notice a client
    that went away. On the real clock each wake is a look.
    """
    sim = request.app[SIMULATOR]
    task = plan.task
    response = web.StreamResponse(
        headers={"Content-Type": registry.EVENT_STREAM, "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    watch = sim.streams.open(task.task_id)
    interval = sim.settings.sse_interval_seconds
    real = sim.clock.mode == "real"
    try:
        look = True
        while not watch.ended:
            if look:
                event, final = sim.streams.event(task, plan.base_url)
                if final:
                    await response.write(encode(event))
                    sim.streams.sent_final(task.task_id, event)
                    task.seen_final = True  # the client was shown it (F's report)
                    break
                if not plan.shut and event != watch.last:
                    await response.write(encode(event))
                    watch.last = event
            try:
                await asyncio.wait_for(watch.changed.wait(), interval)
                look = True
            except TimeoutError:
                look = real
            watch.changed.clear()
            if _gone(request):
                return response
        await response.write_eof()
    except ConnectionError:  # the client went away: its stream ends, the task runs on
        pass
    finally:
        sim.streams.close(watch)
    return response
