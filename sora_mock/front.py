"""The mock's own HTTP front: the plain requests of the four JSON routes, without aiohttp's path.

aiohttp's request path (its protocol, request and response objects, router and writer) costs a
bare handler about 187 k instructions a request, more than the whole simulation of a create
(issue 17). A server started by `FrontRunner` (the command line, the container, the pytest
fixture) reads each request itself and answers it here when it is a plain one:

- `POST` to create, sora-video, check-result or the balance route, in HTTP/1.1, with exactly one
  `Host` and one `Content-Length` (no more than `max_body_bytes`), and a head of at most 8,190
  bytes (aiohttp's own line limit) whose every field is a token, a colon and printable ASCII;
- no `Transfer-Encoding`, `Expect` or `Upgrade`; `Connection` absent, `keep-alive` or `close`
  (and then nothing after it: aiohttp refuses bytes after a `close` request with a 400);
- no fault step to take (no fault rule, no fault header) and no stream asked for (A8);
- for the balance route, its whole body already here (aiohttp answers it on its head alone).

It answers through `answers.py`, the same code aiohttp's handlers call, and writes the bytes
aiohttp would have written: the same status line and headers in the same order (`Date`,
`Server`), keep-alive and `Connection: close` alike; it names the fields aiohttp knows as
aiohttp's parser does, starts a row when its head arrives and journals a body that never came
as dropped, and closes connections idle for aiohttp's keep-alive timeout. Anything else, with
every byte from its request line on, is handed to aiohttp's own protocol, which keeps the
connection from then on: other routes and methods, the admin API, files, streams, faults, 413
drains, malformed or partial heads that cannot become plain ones. `tests/api/test_front.py`
holds the two fronts to the same bytes, rows and log lines, and `tests/api` runs every HTTP
test through both.

Two differences remain, both in streams no HTTP client sends on purpose. A request whose head
arrived in an earlier read than its body's end takes its number in the variants' draw (G) when
its body is complete, where aiohttp's handler takes it on the head: with `variants = "random"`,
two connections racing a slow body against a fast one can swap their forms. A request followed
at once by the client's end of the stream (FIN) is answered; aiohttp closes before it answers.

`front = "aiohttp"` serves every request through aiohttp (`runner()`), as does a server with
`keepalive_timeout=0` and one behind TLS; `sora_mock_app` (pytest-aiohttp) always does.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, Final, cast

from aiohttp import web
from aiohttp.tcp_helpers import tcp_keepalive
from multidict import CIMultiDictProxy

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
from .api import FAULT_HEADER
from .api_sora_video import video_answer
from .http1 import ROUTE_PATHS, Heads, head, http_date, may_be_plain, server_error
from .journal import Exchange
from .responses import REQUEST_LOG, SIMULATOR
from .stream import wants_stream

SERVER_ERROR_LOG = logging.getLogger("aiohttp.server")
KEEPALIVE_TIMEOUT: Final = 3630  # aiohttp's RequestHandler default, which the front keeps too


def runner(
    app: web.Application,
    *,
    on_error: Callable[[BaseException], None] | None = None,
    **kwargs: Any,
) -> web.AppRunner:
    """The runner of the `front` setting: the mock's front first (`mock`), or aiohttp alone."""
    if app[SIMULATOR].settings.front == "aiohttp":
        return web.AppRunner(app, **kwargs)
    return FrontRunner(app, on_error=on_error, **kwargs)


class FrontRunner(web.AppRunner):
    """`web.AppRunner` whose sites accept connections on the front (`Front`) first.

    `on_error` is told of an exception that escapes an answer (the client gets aiohttp's 500),
    as `MockServer` records the ones that escape aiohttp's handlers.
    """

    def __init__(
        self,
        app: web.Application,
        *,
        on_error: Callable[[BaseException], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(app, **kwargs)
        self.on_error = on_error
        self.keepalive_timeout: float = kwargs.get("keepalive_timeout", KEEPALIVE_TIMEOUT)

    async def _make_server(self) -> web.Server:
        inner = await super()._make_server()
        if self.keepalive_timeout <= 0:
            return inner  # aiohttp then closes after every answer: nothing to gain here
        front = Front(inner, self.app, self.on_error, self.keepalive_timeout)
        return cast(web.Server, front)  # what the sites and the runner ask of a server


class Front:
    """A server's protocol factory: connections start here; aiohttp's `web.Server` is behind.

    It answers what aiohttp's runner and sites ask of a `web.Server`: a protocol per
    connection, `pre_shutdown()` and `shutdown()`.
    """

    def __init__(
        self,
        inner: web.Server,
        app: web.Application,
        on_error: Callable[[BaseException], None] | None,
        keepalive_timeout: float,
    ) -> None:
        self.inner = inner
        self.sim = app[SIMULATOR]
        self.sink = app.get(REQUEST_LOG)
        self.on_error = on_error
        self.keepalive_timeout = keepalive_timeout
        self.connections: set[Connection] = set()
        self.handed_off = 0  # connections given to aiohttp, for the tests and the curious
        self.answered = 0  # requests answered here
        self.heads = Heads()  # the plain heads read so far, by their bytes
        self._loop = asyncio.get_running_loop()
        self._sweep: asyncio.TimerHandle | None = None
        self._second = -1
        self._date = b""

    def __call__(self) -> asyncio.Protocol:
        return Connection(self)

    @property
    def requests_count(self) -> int:
        """As aiohttp's: the requests this server has answered (gunicorn's max_requests)."""
        return self.inner.requests_count + self.answered

    def pre_shutdown(self) -> None:
        """No answer is ever in progress here (each is made at once): close every connection."""
        for connection in list(self.connections):
            connection.close()
        if self._sweep is not None:
            self._sweep.cancel()
            self._sweep = None
        self.inner.pre_shutdown()

    async def shutdown(self, timeout: float | None = None) -> None:  # noqa: ASYNC109 (aiohttp's)
        await self.inner.shutdown(timeout)

    def date(self) -> bytes:
        """The `Date` header's value, made once a second as aiohttp makes it."""
        now = time.time()
        second = int(now)
        if second != self._second:
            self._second = second
            self._date = http_date(second)
        return self._date

    def watch_idle(self) -> None:
        """Close keep-alive connections idle for `keepalive_timeout`, as aiohttp does."""
        if self._sweep is None and self.keepalive_timeout > 0:
            delay = max(self.keepalive_timeout / 10, 0.01)
            self._sweep = self._loop.call_later(delay, self._close_idle, delay)

    def _close_idle(self, delay: float) -> None:
        self._sweep = None
        since = self._loop.time() - self.keepalive_timeout
        for connection in list(self.connections):
            connection.close_if_idle(since)
        if self.connections:
            self._sweep = self._loop.call_later(delay, self._close_idle, delay)


class _Origin:
    """Where a request was sent, for a result URL: the `Host` it named, over plain HTTP."""

    __slots__ = ("host",)
    scheme: Final = "http"

    def __init__(self, host: str) -> None:
        self.host = host


class _Pending:
    """A head read and accepted: the request's route, fields and what its body must be."""

    __slots__ = ("close", "head_size", "headers", "length", "route", "since")

    def __init__(
        self, route: str, headers: CIMultiDictProxy[str], length: int, close: bool
    ) -> None:
        self.route = route
        self.headers = headers
        self.length = length
        self.close = close
        self.head_size = 0
        # the mock time, generation and start of a request whose body came later: its row
        # starts when its head arrived, as aiohttp's handler starts on the head
        self.since: tuple[float, int, float] | None = None


class Connection(asyncio.Protocol):
    """One client connection, until a request of it is not a plain one (then aiohttp's).

    It keeps the reads that hold the first unanswered request and what follows, as they came:
    a read is answered only when all of it is plain requests (or the start of one). Else the
    connection goes to aiohttp with those reads replayed one by one, so that aiohttp parses
    them as it would have (its parser refuses a whole read when any of it is malformed, and
    quotes the read in its 400).
    """

    __slots__ = (
        "_broken",
        "_front",
        "_last",
        "_paused",
        "_pending",
        "_reads",
        "_size",
        "_transport",
    )

    def __init__(self, front: Front) -> None:
        self._front = front
        self._transport: asyncio.Transport | None = None
        self._reads: list[bytes] = []  # from the first byte of the first unanswered request
        self._size = 0
        self._pending: _Pending | None = None  # its head, read and accepted; its body coming
        self._last = 0.0  # when the connection opened or last answered (the keep-alive clock)
        self._paused = False
        self._broken = False  # an answer failed: aiohttp's 500, then the connection closes

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        front = self._front
        front.connections.add(self)
        if transport.get_extra_info("sslcontext") is not None:
            self._hand_off()  # TLS: the result URLs' scheme is aiohttp's to tell
            return
        tcp_keepalive(self._transport)  # as aiohttp's protocol does
        self._last = front._loop.time()
        front.watch_idle()

    def connection_lost(self, exc: Exception | None) -> None:
        """A request whose body never all came is journaled as dropped, as aiohttp's path does
        (its handler had started on the head; its read of the body fails)."""
        self._front.connections.discard(self)
        self._transport = None
        pending = self._pending
        self._reads = []
        if pending is not None:
            self._pending = None
            finish(self._front.sink, self._front.sim, self._exchange(pending))

    def pause_writing(self) -> None:  # a client that does not read its answers stops being read
        self._paused = True
        if self._transport is not None:
            self._transport.pause_reading()

    def resume_writing(self) -> None:
        self._paused = False
        if self._transport is not None:
            self._transport.resume_reading()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def close_if_idle(self, since: float) -> None:
        """As aiohttp's keep-alive timer: nothing answered since `since` and no request whose
        body is arriving (its handler would be running): a silent connection, or one that sent
        part of a head, is idle."""
        if self._last < since and self._pending is None:
            self.close()

    def data_received(self, data: bytes) -> None:
        self._reads.append(data)
        self._size += len(data)
        pending = self._pending
        if pending is not None and self._size < pending.head_size + pending.length:
            return  # a large body arriving: no copy until it is all here
        whole = data if len(self._reads) == 1 else b"".join(self._reads)
        plain, rest = self._scan(whole, pending)
        if rest is not None:  # not all of it plain: aiohttp's, as it came
            self._hand_off()
            return
        transport = self._transport
        assert transport is not None
        answers = []
        close = False
        for pending, body in plain:
            answers.append(self._answer(pending, body))
            close = pending.close or self._broken
            if close:
                break
        if answers:
            transport.write(b"".join(answers) if len(answers) > 1 else answers[0])
            self._last = self._front._loop.time()
            self._front.answered += len(answers)
        if close:
            self._reads = []
            transport.close()

    def _scan(
        self, data: bytes, pending: _Pending | None
    ) -> tuple[list[tuple[_Pending, bytes]], int | None]:
        """The whole plain requests at the start of `data`, with their bodies, and where what
        is not one of them starts: None when nothing is left (an unfinished plain request is
        then kept for the next read). Changes nothing when something is left."""
        plain: list[tuple[_Pending, bytes]] = []
        start = 0
        while start < len(data):
            if pending is None:
                end = data.find(b"\r\n\r\n", start)
                if end < 0:
                    if not may_be_plain(data, start):
                        return plain, start  # aiohttp may refuse it before the head ends
                    self._keep_head(data, start)
                    return plain, None
                pending = self._accept(data, start, end)
                if pending is None:
                    return plain, start
                pending.head_size = end + 4 - start
            stop = start + pending.head_size + pending.length
            if stop > len(data):
                if pending.route == "credits":
                    return plain, start  # aiohttp answers it on its head alone
                self._keep(pending, data, start)
                return plain, None
            if pending.close and stop < len(data):
                return plain, start  # bytes after `Connection: close`: aiohttp refuses them
            if pending.since is not None and self._front.sim.faults.rules:
                return plain, start  # a rule came while its body did: aiohttp's fault step
            plain.append((pending, data[stop - pending.length : stop]))
            start = stop
            pending = None
        self._pending = None  # all of it answered
        self._reads = []
        self._size = 0
        return plain, None

    def _keep_head(self, data: bytes, start: int) -> None:
        """Keep the start of a head for the next read."""
        self._pending = None
        if start:
            self._reads = [data[start:]]
        self._size = len(data) - start

    def _keep(self, pending: _Pending, data: bytes, start: int) -> None:
        """Keep a request whose body is still arriving, from its request line on."""
        if pending.since is None:
            sim = self._front.sim
            pending.since = (sim.now(), sim.generation, time.perf_counter())
        self._pending = pending
        if start:
            self._reads = [data[start:]]
        self._size = len(data) - start

    def _accept(self, data: bytes, start: int, end: int) -> _Pending | None:
        """A plain head (`http1.plain_head`, remembered by `Heads`) that nothing in the
        simulation sends to aiohttp: a body within `max_body_bytes`, no fault step to take, no
        stream asked for."""
        found = self._front.heads(data, start, end)
        if found is None:
            return None
        route, headers, length, close = found
        sim = self._front.sim
        settings = sim.settings
        if length > settings.max_body_bytes:
            return None  # aiohttp's path drains it and answers 413
        if sim.faults.rules or (settings.fault_header and FAULT_HEADER in headers):
            return None
        if route == "sora_video" and wants_stream(headers.get("Accept")):
            return None
        return _Pending(route, headers, length, close)

    def _answer(self, pending: _Pending, raw: bytes) -> bytes:
        """The whole HTTP answer of an accepted request, as aiohttp would have written it."""
        front = self._front
        sim = front.sim
        headers = pending.headers
        route = pending.route
        x = self._exchange(pending)
        extra: dict[str, str] | None = None
        try:
            if route == "credits":
                data = credits_answer(sim, x, headers)
            else:
                body, problem = decode(raw, x)
                key, body = admitted(sim, x, headers, body, problem)
                if route == "create":
                    data = create_answer(sim, x, key, body, None)
                elif route == "check_result":
                    data = check_answer(sim, x, key, body, _Origin(headers["Host"]))
                else:
                    data = video_answer(
                        sim, x, key, body, fail=None, origin=_Origin(headers["Host"])
                    )
            x.code = e.OK
            status = 200
        except e.ApiError as err:
            status, data, err = error_answer(sim, x, err)
            extra = err.headers
        except Exception as exc:  # a bug: aiohttp's 500, and the connection closes
            return self._server_error(exc, headers)
        x.http_status = status
        finish(front.sink, sim, x)
        return head(status, extra, len(data), front.date(), pending.close) + data

    def _exchange(self, pending: _Pending) -> Exchange:
        route = pending.route
        x = exchange(self._front.sim, route, "POST", ROUTE_PATHS[route], pending.headers)
        if pending.since is not None:
            x.time, x.generation, x.started = pending.since
        return x

    def _server_error(self, exc: Exception, headers: CIMultiDictProxy[str]) -> bytes:
        self._broken = True
        peer = self._transport.get_extra_info("peername") if self._transport else None
        remote = peer[0] if isinstance(peer, (tuple, list)) and peer else peer
        SERVER_ERROR_LOG.error("Error handling request from %s", remote, exc_info=exc)
        if self._front.on_error is not None:
            self._front.on_error(exc)
        return server_error(headers.get("Accept", ""), self._front.date())

    def _hand_off(self) -> None:
        """Give the connection to aiohttp's protocol, with the kept reads, one by one."""
        transport = self._transport
        assert transport is not None
        front = self._front
        front.connections.discard(self)
        front.handed_off += 1
        reads, self._reads, self._pending = self._reads, [], None
        self._transport = None
        handler = front.inner()
        transport.set_protocol(handler)
        handler.connection_made(transport)
        if self._paused:  # the transport will not say so again: aiohttp must wait to write
            handler.pause_writing()
        for data in reads:
            handler.data_received(data)
