"""`sora-mock proxy --upstream URL [--record DIR]` (CONTRACT I2): the application and its handler.

The proxy is the one pipeline with a use case that forwards: each provider request gets the
pipeline's journal row (`pipeline.exchange`), is forwarded to the upstream with the client's own
headers and bytes (a body of any size: past the mock's `max_body_bytes` it is passed on as it
comes, `bodies.py`), is answered with the upstream's answer unchanged (an event stream and a
result file passed on as they come), and leaves its row through `pipeline.finish`. What the
mock would have answered is the pipeline itself on a shadow simulation that is reset before
each request (`shadow.py`), so its verdict comes from the request alone (a body over the limit:
its 413); the differences are the row's `"drift"`.

Only the upstream's host is contacted: each request goes to the upstream's base URL and the
request's own path, redirects are answered to the client, never followed, and no proxy setting
of the environment is read. An upstream that fails (refuses, drops the connection, stalls) is
answered with a 502 or 504 JSON envelope naming the reason, journaled and recorded as such.

The application must be served by `start` (aiohttp's server then leaves a request body as the
client encoded it, so its bytes are forwarded as they came).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import aiohttp
from aiohttp import hdrs, web

from ..config import Settings
from ..core.body import BodyError, parse_object
from ..core.journal import Exchange
from ..http import admin, pipeline
from ..http.app import openapi_document
from ..http.keys import CONTROL, SIMULATOR
from ..http.provider import NO_ANSWER
from ..http.reply import Reply
from ..routes import registry
from ..sim.control import LocalControl
from ..sim.simulator import Simulator
from .bodies import decoded, incoming
from .compare import Answer, Difference
from .headers import AUTO_HEADERS, answer_headers, forwarded_headers
from .record import RECORDER, Recorder, keep
from .shadow import (
    STATEFUL,
    BufferedView,
    code_of,
    comparison_settings,
    drift_of,
    form_shadows,
    name_forms,
    section_of,
    shadow_answer,
    templates,
)
from .upstream import check_upstream

CONNECT_SECONDS: Final = 30.0  # to open a connection to the upstream
FIRST_BYTE_SECONDS: Final = 60.0  # from the request's start to its answer's headers
READ_SECONDS: Final = 30.0  # the longest silence inside a (non-stream) answer's body
STREAM_IDLE_SECONDS: Final = 300.0  # the longest silence between two events of a stream
BAD_GATEWAY: Final = 502
GATEWAY_TIMEOUT: Final = 504
# the proxy's own paths, never forwarded
OWN_PATHS: Final = ("/openapi.json", admin.PREFIX)
SERVER_OPTIONS: Final[dict[str, Any]] = {"auto_decompress": False}  # the client's bytes


@dataclass(frozen=True, slots=True)
class Timeouts:
    """How long the proxy waits on the upstream; no total: an event stream lasts as it lasts."""

    connect: float = CONNECT_SECONDS
    first_byte: float = FIRST_BYTE_SECONDS
    read: float = READ_SECONDS
    stream_idle: float = STREAM_IDLE_SECONDS


UPSTREAM: Final = web.AppKey("upstream", str)
SESSION: Final = web.AppKey("session", aiohttp.ClientSession)
SHADOW: Final = web.AppKey("shadow", Simulator)
# a shadow per form of G that the settings do not serve, with the `variants` table it runs
FORMS: Final = web.AppKey("forms", list[tuple[dict[str, str], Simulator]])
TEMPLATES: Final = web.AppKey("templates", dict[str, bytes])
TIMEOUTS: Final = web.AppKey("timeouts", Timeouts)


class UpstreamFailed(Exception):
    """The upstream did not give a whole answer: the status the client gets, and why."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def failure_answer(status: int, reason: str) -> bytes:
    """The proxy's own answer when the upstream gave none: envelope-like, naming the reason."""
    message = f"sora-mock proxy: {reason}"
    return json.dumps({"code": status, "message": message, "data": None}).encode()


async def read_body(upstream: aiohttp.ClientResponse, timeouts: Timeouts) -> bytes:
    """A whole answer, each read waiting at most `timeouts.read`."""
    parts: list[bytes] = []
    passed = await pass_on(upstream, None, timeouts.read, parts)
    got = passed.got
    if passed.silent:
        raise UpstreamFailed(
            GATEWAY_TIMEOUT,
            f"the upstream stalled mid-answer: nothing for {timeouts.read:g} s after {got} bytes",
        )
    if passed.error is not None:
        raise UpstreamFailed(
            BAD_GATEWAY,
            f"the upstream closed the connection mid-answer after {got} bytes ({passed.error})",
        )
    return b"".join(parts)


def failed_before_answer(exc: BaseException, timeouts: Timeouts) -> UpstreamFailed:
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return UpstreamFailed(
            GATEWAY_TIMEOUT, f"no connection to the upstream within {timeouts.connect:g} s"
        )
    if isinstance(exc, (aiohttp.ServerTimeoutError, TimeoutError)):
        return UpstreamFailed(
            GATEWAY_TIMEOUT,
            f"the upstream did not answer within {timeouts.first_byte:g} s",
        )
    if isinstance(exc, aiohttp.ClientConnectorError):
        return UpstreamFailed(
            BAD_GATEWAY,
            f"the upstream refused or could not be reached ({exc.os_error.strerror or exc})",
        )
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return UpstreamFailed(BAD_GATEWAY, "the upstream closed the connection before answering")
    return UpstreamFailed(BAD_GATEWAY, f"the upstream did not answer ({type(exc).__name__}: {exc})")


async def forward(request: web.Request) -> web.StreamResponse:
    """One provider request: forwarded, answered as the upstream answered, journaled once."""
    app = request.app
    sim, shadow, timeouts = app[SIMULATOR], app[SHADOW], app[TIMEOUTS]
    route = registry.route_at(request.path)
    origin = f"{request.scheme}://{request.host}"
    try:
        sent = await incoming(request, shadow.settings.max_body_bytes)
    except ConnectionError:  # the client went away mid-body, before anything was forwarded
        view = BufferedView(request.method, request.path, request.headers, origin, None)
        x = pipeline.exchange(sim, route, view)
        x.fault = "the client went away mid-body; nothing was forwarded"
        pipeline.finish(None, sim, x)  # no status: nobody was answered (as the mock's row)
        return web.Response(status=NO_ANSWER)
    plain = sent.plain
    view = BufferedView(
        request.method,
        request.path,
        request.headers,
        origin,
        plain if sent.within else None,
        sent.undecodable,
    )
    x = pipeline.exchange(sim, route, view)
    try:
        parsed = parse_object(plain) if sent.within and plain else None
    except BodyError:
        parsed = None
    if plain:
        x.keep_body(plain, parsed)  # over the limit: its first bytes, as text
    x.task_id = registry.file_task_id(request.path) if route == registry.FILES else None
    mine = await shadow_answer(shadow, route, view)
    section = section_of(route, shadow)  # before another request resets the shadow
    try:
        try:
            async with asyncio.timeout(timeouts.first_byte):
                upstream = await app[SESSION].request(
                    request.method,
                    app[UPSTREAM] + request.path_qs,
                    headers=forwarded_headers(request.headers, streamed=sent.streamed),
                    skip_auto_headers=AUTO_HEADERS,
                    data=sent.data,
                    allow_redirects=False,
                )
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            if (cut := request.content.exception()) is not None:  # while its body was passed on
                reason = f"the client went away mid-body ({cut}); the upstream got part of it"
                raise UpstreamFailed(BAD_GATEWAY, reason) from None
            raise failed_before_answer(exc, timeouts) from None
        async with upstream:
            if upstream.content_type == registry.EVENT_STREAM:
                return await _stream(request, upstream, x, mine)
            if route == registry.FILES:
                return await _file(request, upstream, x, mine)
            headers = answer_headers(upstream.headers)
            body = await read_body(upstream, timeouts)
    except UpstreamFailed as failed:
        return await _failed(request, x, failed)
    # compared, journaled and recorded as the client reads it; passed on as it came
    plain_body = decoded(body, upstream.headers.get(hdrs.CONTENT_ENCODING))
    theirs = Answer(upstream.status, plain_body, upstream.content_type)
    x.http_status = upstream.status
    code = code_of(plain_body)
    x.code = code if isinstance(code, int) and not isinstance(code, bool) else None
    x.drift = drift_of(route, mine, theirs, app[TEMPLATES], section)
    if x.drift and code_of(mine.body) not in STATEFUL:
        await name_forms(x.drift, app[FORMS], route, view, theirs)
    text = plain_body.decode("utf-8", "replace")
    await keep(request, x, upstream.status, upstream.headers, text)  # recorded, then journaled
    pipeline.finish(None, sim, x)
    return web.Response(body=body, status=upstream.status, headers=headers)


async def _failed(request: web.Request, x: Exchange, failed: UpstreamFailed) -> web.Response:
    body = failure_answer(failed.status, failed.reason)
    x.code, x.http_status, x.drift = None, failed.status, []
    x.fault = f"upstream: {failed.reason}"
    await keep(request, x, failed.status, {}, body.decode())
    pipeline.finish(None, request.app[SIMULATOR], x)
    return web.Response(body=body, status=failed.status, content_type="application/json")


@dataclass(slots=True)
class Passed:
    """How passing an answer's body on ended: the bytes passed, and why it ended early (the
    upstream silent for longer than the wait, an error, or the client gone)."""

    got: int = 0
    silent: bool = False
    error: BaseException | None = None
    client_gone: bool = False

    @property
    def cut(self) -> bool:
        """The answer ended before the upstream ended it."""
        return self.silent or self.error is not None


async def pass_on(
    upstream: aiohttp.ClientResponse,
    response: web.StreamResponse | None,
    wait: float,
    kept: list[bytes] | None = None,
) -> Passed:
    """The upstream's body as it comes, each read waiting at most `wait`: written to the
    client's `response` when given, appended to `kept` when given."""
    passed = Passed()
    while True:
        try:
            async with asyncio.timeout(wait):
                chunk = await upstream.content.readany()
        except TimeoutError:
            passed.silent = True
            return passed
        except (aiohttp.ClientError, OSError) as exc:
            passed.error = exc
            return passed
        if not chunk:
            return passed
        if kept is not None:
            kept.append(chunk)
        if response is not None:
            try:
                await response.write(chunk)
            except ConnectionError:  # the client went away (so does the upstream's answer)
                passed.client_gone = True
                return passed
            except OSError as exc:
                passed.error = exc
                return passed
        passed.got += len(chunk)  # handed to the client's connection, or kept


async def _file(
    request: web.Request, upstream: aiohttp.ClientResponse, x: Exchange, mine: Reply
) -> web.StreamResponse:
    """A result file, passed on chunk by chunk as it comes: the proxy never holds a whole video.
    Its drift is its status and type alone (A4), known from the head. An upstream that stalls
    or drops after the head has gone out cannot be answered with a 502 or 504 any more: the
    client's connection is cut short of the announced length, as the upstream cut the proxy's,
    and the row and the record name why."""
    app = request.app
    read = app[TIMEOUTS].read
    x.http_status, x.code = upstream.status, None
    theirs = Answer(upstream.status, b"", upstream.content_type)
    x.drift = drift_of(registry.FILES, mine, theirs, app[TEMPLATES])
    response = web.StreamResponse(status=upstream.status, headers=answer_headers(upstream.headers))
    await response.prepare(request)
    passed = await pass_on(upstream, response, read)
    got = passed.got
    if passed.silent:
        x.fault = f"upstream: the file stalled after {got} bytes (nothing for {read:g} s); cut"
    elif passed.error is not None:
        x.fault = f"upstream: the file was cut after {got} bytes ({passed.error})"
    elif passed.client_gone:
        x.fault = f"the client went away after {got} bytes of the file"
    # recorded, then journaled, before the client's answer ends: what it reads next finds both
    await keep(request, x, upstream.status, upstream.headers, f"({got} bytes)")
    pipeline.finish(None, app[SIMULATOR], x)
    if passed.cut and request.transport is not None:
        request.transport.abort()  # short of its Content-Length (or chunked without its end)
    elif not passed.client_gone:
        with contextlib.suppress(ConnectionError):
            await response.write_eof()
    return response


async def _stream(
    request: web.Request, upstream: aiohttp.ClientResponse, x: Exchange, mine: Reply
) -> web.StreamResponse:
    """An event stream, passed on chunk by chunk as it comes; journaled when it starts (A8).
    Its end, however it comes (the upstream's end, a silence longer than `stream_idle`, a
    dropped connection on either side), ends the client's stream cleanly and is recorded."""
    app = request.app
    idle = app[TIMEOUTS].stream_idle
    response = web.StreamResponse(status=upstream.status, headers=answer_headers(upstream.headers))
    await response.prepare(request)
    x.http_status, x.code = upstream.status, 0
    x.drift = (
        []
        if mine.stream is not None
        else [
            Difference(x.route, "stream", code_of(mine.body), "text/event-stream", "A8").to_json()
        ]
    )
    pipeline.finish(None, app[SIMULATOR], x)
    events: list[bytes] = []
    passed = await pass_on(upstream, response, idle, events)
    if passed.silent:
        x.fault = f"upstream: the event stream was silent for {idle:g} s; ended"
    elif passed.error is not None:
        x.fault = f"upstream: the event stream was cut ({passed.error})"
    text = b"".join(events).decode("utf-8", "replace")
    await keep(request, x, upstream.status, upstream.headers, text)  # before the stream's end
    if not passed.client_gone:
        with contextlib.suppress(ConnectionError):
            await response.write_eof()
    return response


def create_proxy_app(
    settings: Settings,
    upstream: str,
    *,
    record: Path | None = None,
    allow_http: bool = False,
    timeouts: Timeouts | None = None,
) -> web.Application:
    """The proxy: the admin API (journal, /__mock/drift, the inspector) and /openapi.json on a
    simulation of its own, every other path forwarded to `upstream`. UsageError for a bad URL
    or folder. Serve it with `start`."""
    base = check_upstream(upstream, allow_http=allow_http)[0]
    # the limit of a body the admin routes read whole; a forwarded body has none (`incoming`)
    app = web.Application(client_max_size=settings.max_body_bytes)
    sim = app[SIMULATOR] = Simulator(settings)
    app[CONTROL] = LocalControl(sim)
    app[SHADOW] = Simulator(comparison_settings(settings))
    app[FORMS] = form_shadows(settings)
    app[UPSTREAM] = base
    app[TIMEOUTS] = used = timeouts or Timeouts()
    if record is not None:
        app[RECORDER] = Recorder(record)

    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        app[TEMPLATES] = await templates(settings)
        session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(
                total=None, connect=used.connect, sock_read=None
            ),  # the answer's waits are the handler's: a stream has no total
            trust_env=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,  # the upstream's bytes, as it sent them
        )
        app[SESSION] = session
        yield
        await session.close()
        await app[SHADOW].deliveries.close()
        for _, shadow in app[FORMS]:
            await shadow.deliveries.close()
        await sim.deliveries.close()

    app.cleanup_ctx.append(lifetime)
    admin.add_routes(app)
    app.router.add_get("/openapi.json", openapi_document)
    app.router.add_route(hdrs.METH_ANY, admin.PREFIX, _admin_unknown)
    app.router.add_route(hdrs.METH_ANY, admin.PREFIX + "/{tail:.*}", _admin_unknown)
    app.router.add_route(hdrs.METH_ANY, "/{tail:.*}", forward)
    return app


async def _admin_unknown(request: web.Request) -> web.StreamResponse:
    return admin.unmatched(web.HTTPNotFound())


async def start(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, str]:
    """Serve the proxy (request bodies left as the client encoded them); the runner and the
    base URL it listens on. OSError when the address cannot be bound."""
    runner = web.AppRunner(
        app, access_log=None, handle_signals=False, shutdown_timeout=0.5, **SERVER_OPTIONS
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError:
        await runner.cleanup()
        raise
    bound_host, bound_port = runner.addresses[0][:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    return runner, f"http://{shown}:{bound_port}"
