"""`sora-mock proxy` (CONTRACT I2): its command line; the application is `proxy.py`'s."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from aiohttp import web

from ..config import DEFAULT_CONFIG, ConfigError, Settings, load
from .proxy import create_proxy_app, start
from .upstream import EXIT_USAGE, CommandParser, UsageError, refuse_key_flag


def build_parser() -> argparse.ArgumentParser:
    parser = CommandParser(
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
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        runner, url = await start(app, settings.host, settings.port)
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {settings.host}:{settings.port}: {exc.strerror}"
        ) from None
    try:
        print(f"sora-mock proxy listening on {url} for {upstream}", flush=True)
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
        return EXIT_USAGE
    return 0
