"""The ceiling of the stack: a bare aiohttp app that answers the seed's success JSON.

By default it never reads the request body and returns pre-encoded bytes, so what it costs per
request is aiohttp itself: the baseline of every ratio. `--reads` makes it the reference rows,
handlers that do only the first steps of a create and keep nothing: `body` reads the body,
`json` also decodes it with `json.loads`, `pydantic` validates it into a pydantic model of the
create request (what the issue's 0.69x was measured with). It starts like `python -m sora_mock`
(port 0, the same runner options, the same kind of listening line) and runs on the event loop
that sora_mock used in the same bench run. `--server low` serves the fixed answer on aiohttp's
low-level `web.Server` with a route table of its own instead of `web.Application` (not a bench
row: a measurement of what that server would save, bench/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Literal

from aiohttp import web

CREATE_PATH = "/api/v1/video/sora-pro"
HEALTH_PATH = "/__mock/health"
# the seed's example response, with a taskId of the real length (32 lowercase hex digits)
SUCCESS = b'{"code":0,"message":"ok","data":{"taskId":"281e5b0a9c4d7e1f2b3a6c8d0e4f39b9"}}'
HEALTHY = b'{"status":"ok"}'
LOOPS = ("asyncio", "uvloop")
READS = ("nothing", "body", "json", "pydantic")
SERVERS = ("app", "low")


async def create(request: web.Request) -> web.Response:
    return web.Response(body=SUCCESS, content_type="application/json")


async def create_reading_body(request: web.Request) -> web.Response:
    await request.read()
    return web.Response(body=SUCCESS, content_type="application/json")


async def create_decoding_json(request: web.Request) -> web.Response:
    json.loads(await request.read())
    return web.Response(body=SUCCESS, content_type="application/json")


def pydantic_handler() -> Callable[[web.Request], Awaitable[web.Response]]:
    """A handler validating the create body with a pydantic model (imported only for it)."""
    from pydantic import BaseModel, ConfigDict  # noqa: PLC0415 (only this handler needs it)

    class CreateRequest(BaseModel):
        model_config = ConfigDict(extra="forbid")

        model: Literal[
            "sora-2-text-to-video",
            "sora-2-image-to-video",
            "sora-2-text-to-video-stable",
            "sora-2-image-to-video-stable",
            "sora-2-pro-text-to-video",
            "sora-2-pro-image-to-video",
            "sora-2-pro-storyboard",
        ]
        prompt: str | None = None
        imageUrl: str | None = None
        aspectRatio: Literal["portrait", "landscape"] = "landscape"
        nFrames: int | str = 10
        size: Literal["standard", "high"] = "standard"
        removeWatermark: bool = True
        isPublic: bool = True
        shots: list[dict[str, Any]] | None = None

    async def create_validating(request: web.Request) -> web.Response:
        CreateRequest.model_validate_json(await request.read())
        return web.Response(body=SUCCESS, content_type="application/json")

    return create_validating


async def health(request: web.Request) -> web.Response:
    return web.Response(body=HEALTHY, content_type="application/json")


def create_app(reads: str = "nothing") -> web.Application:
    handlers = {"nothing": create, "body": create_reading_body, "json": create_decoding_json}
    app = web.Application()
    app.router.add_post(CREATE_PATH, handlers[reads] if reads in handlers else pydantic_handler())
    app.router.add_get(HEALTH_PATH, health)
    return app


def low_level_server() -> web.Server:
    """The fixed answers on `web.Server`: a path looked up in a dict, no router, no app."""
    routes = {("POST", CREATE_PATH): SUCCESS, ("GET", HEALTH_PATH): HEALTHY}

    async def handle(request: web.BaseRequest) -> web.StreamResponse:
        body = routes.get((request.method, request.path))
        if body is None:
            return web.Response(status=404)
        return web.Response(body=body, content_type="application/json")

    return web.Server(handle)


async def serve(host: str, port: int, reads: str = "nothing", server: str = "app") -> None:
    """Serve until SIGINT or SIGTERM, as sora_mock's command line does."""
    options: dict[str, Any] = {"handle_signals": False, "shutdown_timeout": 0.5}
    runner: web.BaseRunner[Any]
    if server == "low":
        runner = web.ServerRunner(low_level_server(), access_log=None, **options)
    else:
        runner = web.AppRunner(create_app(reads), access_log=None, **options)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await site.start()
        bound_host, bound_port = runner.addresses[0][:2]
        print(f"baseline listening on http://{bound_host}:{bound_port}", flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()


def loop_factory(name: str) -> Callable[[], asyncio.AbstractEventLoop] | None:
    """None means asyncio's default policy, which is what `asyncio.run` in sora_mock uses."""
    if name == "uvloop":
        # optional: only when sora_mock itself runs on uvloop; untyped when installed
        import uvloop  # type: ignore[import-not-found]  # noqa: PLC0415

        factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
        return factory
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--loop", choices=LOOPS, default="asyncio")
    parser.add_argument("--reads", choices=READS, default="nothing", help="see the docstring")
    parser.add_argument("--server", choices=SERVERS, default="app", help="see the docstring")
    args = parser.parse_args(argv)
    if args.server == "low" and args.reads != "nothing":
        parser.error("--server low answers without reading the body: no --reads")
    with asyncio.Runner(loop_factory=loop_factory(args.loop)) as runner:
        runner.run(serve(args.host, args.port, args.reads, args.server))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
