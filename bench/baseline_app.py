"""The ceiling of the stack: a bare aiohttp app that answers the seed's success JSON.

It never reads the request body and returns pre-encoded bytes, so what it costs per request is
aiohttp itself. It starts like `python -m sora_mock` (port 0, the same runner options, the same
kind of listening line) and runs on the event loop that sora_mock used in the same bench run.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Callable, Sequence

from aiohttp import web

CREATE_PATH = "/api/v1/video/sora-pro"
HEALTH_PATH = "/__mock/health"
# the seed's example response, with a taskId of the real length (32 lowercase hex digits)
SUCCESS = b'{"code":0,"message":"ok","data":{"taskId":"281e5b0a9c4d7e1f2b3a6c8d0e4f39b9"}}'
HEALTHY = b'{"status":"ok"}'
LOOPS = ("asyncio", "uvloop")


async def create(request: web.Request) -> web.Response:
    return web.Response(body=SUCCESS, content_type="application/json")


async def health(request: web.Request) -> web.Response:
    return web.Response(body=HEALTHY, content_type="application/json")


def create_app() -> web.Application:
    app = web.Application()
    app.router.add_post(CREATE_PATH, create)
    app.router.add_get(HEALTH_PATH, health)
    return app


async def serve(host: str, port: int) -> None:
    """Serve until SIGINT or SIGTERM, as sora_mock's command line does."""
    runner = web.AppRunner(
        create_app(), access_log=None, handle_signals=False, shutdown_timeout=0.5
    )
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
    args = parser.parse_args(argv)
    with asyncio.Runner(loop_factory=loop_factory(args.loop)) as runner:
        runner.run(serve(args.host, args.port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
