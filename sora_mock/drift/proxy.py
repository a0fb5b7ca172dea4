"""`sora-mock proxy --upstream URL [--record DIR]` (CONTRACT I2).

The proxy is the one pipeline with a use case that forwards: each provider request gets the
pipeline's journal row (`pipeline.exchange`), is forwarded to the upstream with the client's own
headers and body, is answered with the upstream's answer unchanged (an event stream as a
stream), and leaves its row through `pipeline.finish`. What the mock would have answered is the
pipeline itself (`pipeline.serve`) on a shadow simulation that is reset before each request, so
its verdict comes from the request alone; its answer is compared with the upstream's
(`compare.py`) and the differences are the row's `"drift"`. When the mock's verdict depends on
state the shadow cannot have (an upstream task is unknown to it: 404; a balance, 402; a limit,
429), the upstream's success is compared with the shape of the mock's own success on that route.

Only the upstream's host is contacted: each request goes to the upstream's base URL and the
request's own path, redirects are answered to the client, never followed, and no proxy setting
of the environment is read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, NoReturn

import aiohttp
from aiohttp import hdrs, web

from ..config import DEFAULT_CONFIG, ConfigError, Settings, build, load
from ..core.body import BodyError, parse_object
from ..core.errors import mask_key
from ..core.journal import Exchange, mask_authorization
from ..core.variants import CONTRACT, POINTS
from ..http import admin, pipeline
from ..http.keys import CONTROL, SIMULATOR
from ..http.reply import JSON, Reply
from ..routes import registry
from ..sim.control import LocalControl
from ..sim.simulator import Simulator
from .compare import Answer, Difference, differences
from .record import Recorder
from .upstream import TIMEOUT_SECONDS, UsageError, check_upstream
from .verify import refuse_key_flag

# state the shadow cannot have: the verdict is not the request's alone
STATEFUL: Final = frozenset((402, 404, 429))
HOP_BY_HOP: Final = frozenset(
    h.lower()
    for h in (
        hdrs.CONNECTION,
        hdrs.KEEP_ALIVE,
        hdrs.PROXY_AUTHENTICATE,
        hdrs.PROXY_AUTHORIZATION,
        hdrs.TE,
        hdrs.TRAILER,
        hdrs.TRANSFER_ENCODING,
        hdrs.UPGRADE,
        hdrs.HOST,
        hdrs.CONTENT_LENGTH,
    )
)
# aiohttp writes these itself for the answer it sends
NOT_PASSED_BACK: Final = HOP_BY_HOP | {hdrs.DATE.lower(), hdrs.SERVER.lower()}
UPSTREAM: Final = web.AppKey("upstream", str)
SESSION: Final = web.AppKey("session", aiohttp.ClientSession)
SHADOW: Final = web.AppKey("shadow", Simulator)
# a shadow per form of G that the settings do not serve, with the `variants` table it runs
FORMS: Final = web.AppKey("forms", list[tuple[dict[str, str], Simulator]])
RECORDER: Final = web.AppKey("recorder", Recorder)
TEMPLATES: Final = web.AppKey("templates", dict[str, bytes])


class BufferedView:
    """A `RequestView` of a request whose body was already read (to be forwarded)."""

    __slots__ = ("_headers", "_method", "_origin", "_path", "raw")

    def __init__(
        self, method: str, path: str, headers: Mapping[str, str], origin: str, raw: bytes
    ) -> None:
        self._method = method
        self._path = path
        self._headers = headers
        self._origin = origin
        self.raw = raw

    @property
    def method(self) -> str:
        return self._method

    @property
    def path(self) -> str:
        return self._path

    @property
    def headers(self) -> Mapping[str, str]:
        return self._headers

    @property
    def origin(self) -> str:
        return self._origin

    def byte_range(self) -> slice:
        return slice(None, None)

    async def read(self, limit: int) -> bytes | None:
        return self.raw if len(self.raw) <= limit else None


def route_of(method: str, path: str) -> str:
    if path.startswith(registry.FILES_PREFIX) and path.endswith(registry.FILES_SUFFIX):
        return registry.FILES
    return registry.route_of_path(path)


def shadow_settings(settings: Settings, **overrides: Any) -> Settings:
    """The mock that answers in the shadow: the user's settings without injected faults (they
    are not the contract's answers) and on the manual clock (time is not compared)."""
    values = settings.model_dump(exclude_unset=True)
    return build({**values, "faults": [], "fault_header": False, "clock": "manual", **overrides})


def form_shadows(settings: Settings) -> list[tuple[dict[str, str], Simulator]]:
    """A shadow for each single form of G the settings do not already serve (none when the
    settings draw forms at random: no one table then matches)."""
    base = settings.variants
    if base != CONTRACT and not isinstance(base, dict):
        return []
    table = dict(base) if isinstance(base, dict) else {}
    return [
        (pinned, Simulator(shadow_settings(settings, variants=pinned)))
        for point, forms in POINTS.items()
        for form in forms
        if table.get(point, forms[0]) != form
        for pinned in ({**table, point: form},)
    ]


async def name_forms(
    found: list[dict[str, Any]],
    forms: list[tuple[dict[str, str], Simulator]],
    route: str,
    view: BufferedView,
    theirs: Answer,
) -> None:
    """Each drift item's `variants`: the first table whose mock answers as the upstream did on
    that aspect (as `verify` names them)."""
    section = _SECTIONS.get(route, "A1")
    for table, shadow in forms:
        if all(item["variants"] is not None for item in found):
            return
        reply = await shadow_answer(shadow, route, view)
        mine = Answer(reply.status, reply.body, reply.content_type)
        still = {d.aspect for d in differences(route, mine, theirs, section=section)}
        for item in found:
            if item["variants"] is None and item["aspect"] not in still:
                item["variants"] = table


async def templates(settings: Settings) -> dict[str, bytes]:
    """The mock's own success answer on each JSON route, for the shape of an upstream success
    that the shadow cannot reach from the request alone (a task it does not have)."""
    sim = Simulator(shadow_settings(settings))
    auth = {"Authorization": "Bearer sk-sora-mock-proxy-template"}
    found: dict[str, bytes] = {}

    async def answer(route: str, body: bytes) -> bytes:
        view = BufferedView("POST", registry.ROUTES[route][1], auth, "http://127.0.0.1", body)
        return (await pipeline.serve(sim, route, view)).body

    for route, model in (
        (registry.CREATE, "sora-2-text-to-video"),
        (registry.SORA_VIDEO, "sora-2"),
    ):
        found[route] = await answer(route, json.dumps({"model": model, "prompt": "t"}).encode())
    task_id = json.loads(found[registry.CREATE])["data"]["taskId"]
    body = json.dumps({"taskId": task_id}).encode()
    found[registry.CHECK_RESULT] = await answer(registry.CHECK_RESULT, body)
    found[registry.CREDITS] = await answer(registry.CREDITS, b"{}")
    await sim.deliveries.close()
    return found


async def shadow_answer(shadow: Simulator, route: str, view: BufferedView) -> Reply:
    """What the mock answers to this request alone: the pipeline on a fresh shadow simulation,
    the first step (an unknown route, a wrong method) as the HTTP adapter would take it."""
    shadow.reset()
    if route == registry.UNKNOWN:
        return await pipeline.unmatched(shadow, view, None)
    method = registry.ROUTES[route][0]
    allowed = frozenset((method, "HEAD")) if method == "GET" else frozenset((method,))
    if view.method not in allowed:
        return await pipeline.unmatched(shadow, view, allowed)
    return await pipeline.serve(shadow, route, view)


def forwarded_headers(headers: Mapping[str, str], decoded: bool) -> list[tuple[str, str]]:
    """The client's own headers, less those that belong to one connection (and less its
    Content-Encoding when aiohttp's server already decoded the body it read)."""
    return [
        (name, value)
        for name, value in headers.items()
        if name.lower() not in HOP_BY_HOP
        and not (decoded and name.lower() == hdrs.CONTENT_ENCODING.lower())
    ]


def answer_headers(headers: Mapping[str, str]) -> list[tuple[str, str]]:
    return [(n, v) for n, v in headers.items() if n.lower() not in NOT_PASSED_BACK]


def drift_of(
    route: str, mine: Reply, theirs: Answer, templates: Mapping[str, bytes]
) -> list[dict[str, Any]]:
    """What the mock would have answered differently (I2), from the request alone."""
    if route == registry.FILES or mine.stream is not None or mine.drop is not None:
        return []
    if theirs.content_type == registry.EVENT_STREAM:
        return []
    mock = Answer(mine.status, mine.body, mine.content_type)
    code = _code(mine.body)
    shape_only = code in STATEFUL
    if shape_only and _code(theirs.body) == 0 and route in templates:
        mock = Answer(200, templates[route], JSON)  # the shape of the mock's own success
    elif shape_only:
        return []
    section = _SECTIONS.get(route, "A1")
    found = differences(route, mock, theirs, section=section, shape_only=shape_only)
    return [d.to_json() for d in found]


_SECTIONS: Final = {
    registry.CREATE: "A2",
    registry.SORA_VIDEO: "A6",
    registry.CHECK_RESULT: "A3",
    registry.CREDITS: "A5",
    registry.FILES: "A4",
}


def _code(body: bytes) -> Any:
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value.get("code") if isinstance(value, dict) else None


def _masked_text(text: str, token: str | None) -> str:
    return text.replace(token, mask_key(token)) if token else text


def record_of(
    x: Exchange, query: str, theirs: Answer, headers: Mapping[str, str], text: str
) -> dict[str, Any]:
    row = x.to_json()
    token = x.key
    try:
        body: Any = json.loads(text)
    except ValueError:
        body = text
    return {
        "route": x.route,
        "request": {
            "method": x.method,
            "path": x.path,
            "query": query,
            "headers": row["headers"],
            "body": row["body"],
        },
        "response": {
            "status": theirs.status,
            "headers": {
                n: mask_authorization(v) if n.lower() == "authorization" else _masked_text(v, token)
                for n, v in headers.items()
            },
            "body": body if not isinstance(body, str) else _masked_text(body, token),
        },
        "drift": row.get("drift", []),
    }


async def forward(request: web.Request) -> web.StreamResponse:
    """One provider request: forwarded, answered as the upstream answered, journaled once."""
    app = request.app
    sim, shadow = app[SIMULATOR], app[SHADOW]
    try:
        raw = await request.read()
    except web.RequestPayloadError:
        raw = b""
    decoded = hdrs.CONTENT_ENCODING in request.headers
    route = route_of(request.method, request.path)
    origin = f"{request.scheme}://{request.host}"
    view = BufferedView(request.method, request.path, request.headers, origin, raw)
    x = pipeline.exchange(sim, route, view)
    try:
        parsed = parse_object(raw) if raw else None
    except BodyError:
        parsed = None
    if raw:
        x.keep_body(raw, parsed)
    x.task_id = registry.file_task_id(request.path) if route == registry.FILES else None
    mine = await shadow_answer(shadow, route, view)
    url = app[UPSTREAM] + request.path_qs
    try:
        upstream = await app[SESSION].request(
            request.method,
            url,
            headers=forwarded_headers(request.headers, decoded),
            data=raw if raw or request.method not in ("GET", "HEAD") else None,
            allow_redirects=False,
        )
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        x.code, x.http_status = None, 502
        x.drift = []
        pipeline.finish(None, sim, x)
        message = f"sora-mock proxy: the upstream did not answer: {type(exc).__name__}"
        return web.json_response({"error": message}, status=502)
    async with upstream:
        headers = answer_headers(upstream.headers)
        if upstream.content_type == registry.EVENT_STREAM:
            return await _stream(request, upstream, headers, x, mine)
        body = await upstream.read()
    theirs = Answer(upstream.status, body, upstream.content_type)
    x.http_status = upstream.status
    code = _code(body)
    x.code = code if isinstance(code, int) and not isinstance(code, bool) else None
    shapes: dict[str, bytes] = app[TEMPLATES]
    x.drift = drift_of(route, mine, theirs, shapes)
    if x.drift and _code(mine.body) not in STATEFUL:
        await name_forms(x.drift, app[FORMS], route, view, theirs)
    pipeline.finish(None, sim, x)
    recorder = app.get(RECORDER)
    if recorder is not None:
        text = (
            body.decode("utf-8", "replace") if route != registry.FILES else f"({len(body)} bytes)"
        )
        recorder.write(route, record_of(x, request.query_string, theirs, upstream.headers, text))
    return web.Response(body=body, status=upstream.status, headers=headers)


async def _stream(
    request: web.Request,
    upstream: aiohttp.ClientResponse,
    headers: list[tuple[str, str]],
    x: Exchange,
    mine: Reply,
) -> web.StreamResponse:
    """An event stream, passed on chunk by chunk as it comes; journaled when it starts (A8)."""
    app = request.app
    response = web.StreamResponse(status=upstream.status, headers=headers)
    await response.prepare(request)
    x.http_status, x.code = upstream.status, 0
    x.drift = (
        []
        if mine.stream is not None
        else [Difference(x.route, "stream", _code(mine.body), "text/event-stream", "A8").to_json()]
    )
    pipeline.finish(None, app[SIMULATOR], x)
    events: list[bytes] = []
    try:
        async for chunk in upstream.content.iter_any():
            events.append(chunk)
            await response.write(chunk)
        await response.write_eof()
    except ConnectionError:  # the client went away: so does the upstream's stream
        pass
    recorder = app.get(RECORDER)
    if recorder is not None:
        text = b"".join(events).decode("utf-8", "replace")
        theirs = Answer(upstream.status, b"", upstream.content_type)
        recorder.write(x.route, record_of(x, request.query_string, theirs, upstream.headers, text))
    return response


def create_proxy_app(
    settings: Settings, upstream: str, *, record: Path | None = None, allow_http: bool = False
) -> web.Application:
    """The proxy: the admin API (journal, /__mock/drift, the inspector) on a simulation of its
    own, and every other path forwarded to `upstream`. UsageError for a bad URL or folder."""
    base, _ = check_upstream(upstream, allow_http=allow_http)
    app = web.Application(client_max_size=settings.max_body_bytes)
    sim = app[SIMULATOR] = Simulator(settings)
    app[CONTROL] = LocalControl(sim)
    app[SHADOW] = Simulator(shadow_settings(settings))
    app[FORMS] = form_shadows(settings)
    app[UPSTREAM] = base
    if record is not None:
        app[RECORDER] = Recorder(record)

    async def lifetime(app: web.Application) -> AsyncIterator[None]:
        app[TEMPLATES] = await templates(settings)
        session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS, sock_read=None),
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
    app.router.add_route(hdrs.METH_ANY, admin.PREFIX + "/{tail:.*}", _admin_unknown)
    app.router.add_route(hdrs.METH_ANY, "/{tail:.*}", forward)
    return app


async def _admin_unknown(request: web.Request) -> web.StreamResponse:
    return admin.unmatched(web.HTTPNotFound())


# -- the command line ---------------------------------------------------------------------------


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"sora-mock proxy: {message}; see sora-mock proxy --help\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="sora-mock proxy",
        allow_abbrev=False,
        description="Forward provider requests to the upstream, answer with its answers, and "
        "journal where the mock would have answered otherwise (GET /__mock/drift).",
    )
    parser.add_argument("--upstream", required=True, metavar="URL", help="the provider's origin")
    parser.add_argument("--record", type=Path, metavar="DIR", help="write each exchange here")
    parser.add_argument("--allow-http", action="store_true", help="allow a plain-http upstream")
    parser.add_argument("--host", help="the address to listen on (default: the setting host)")
    parser.add_argument("--port", help="the port (default: the setting port; 0 = any free)")
    parser.add_argument("--config", metavar="FILE", help="the mock's settings (TOML)")
    return parser


async def run(app: web.Application, settings: Settings, upstream: str) -> None:
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        site = web.TCPSite(runner, settings.host, settings.port)
        try:
            await site.start()
        except OSError as exc:
            raise UsageError(
                f"cannot listen on {settings.host}:{settings.port}: {exc.strerror}"
            ) from None
        host, port = runner.addresses[0][:2]
        shown = f"[{host}]" if ":" in host else host
        print(f"sora-mock proxy listening on http://{shown}:{port} for {upstream}", flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: Sequence[str]) -> int:
    """`sora-mock proxy ...` (argv without the word `proxy`)."""
    try:
        refuse_key_flag(argv)
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as exc:
            return int(exc.code or 0)
        flags = {k: v for k, v in (("host", args.host), ("port", args.port)) if v is not None}
        settings = load(config_file=args.config, flags=flags, fallback_file=DEFAULT_CONFIG)
        app = create_proxy_app(
            settings, args.upstream, record=args.record, allow_http=args.allow_http
        )
        asyncio.run(run(app, settings, args.upstream))
    except (UsageError, ConfigError) as exc:
        print(f"sora-mock proxy: {exc}", file=sys.stderr)
        return 2
    return 0
