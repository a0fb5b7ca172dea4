"""`sora-mock`: run the mock from the command line (CONTRACT E)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import signal
import sys
from collections.abc import Callable, Sequence

from aiohttp import web

from . import logs
from .app import create_app
from .config import DEFAULT_CONFIG, ConfigError, Settings, load
from .responses import REQUEST_LOG

_BOOLEAN_HINT = "true|false"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sora-mock",
        allow_abbrev=False,  # `--str true` must not quietly mean --strict
        description="An offline simulator of the Sora 2 Pro video-generation task API.",
        epilog="Every setting can also come from SORA_MOCK_<NAME> or the TOML file; "
        "flags beat environment beat file beat defaults.",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help=f"a TOML file (default: $SORA_MOCK_CONFIG, else {DEFAULT_CONFIG} if present)",
    )
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        metavar = _BOOLEAN_HINT if field.annotation is bool else name.upper()
        parser.add_argument(
            "--" + name.replace("_", "-"),
            dest=name,
            metavar=metavar,
            help=f"default: {default!r}" if default not in (None, [], {}) else None,
        )
    return parser


async def serve(settings: Settings) -> None:
    """Serve until SIGINT or SIGTERM; print the listening line once the port is bound."""
    app = create_app(settings)
    # A long-running mock keeps up to max_tasks tasks and every ledger row: with the default
    # thresholds, full collections over that heap paused the server for up to 250 ms under load.
    # Objects made at start-up are frozen out of collection; young collections come less often.
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 1000)
    request_log = app[REQUEST_LOG] = logs.RequestLog(sys.stderr, settings.log_format)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # before the line is out: the line promises a server that a signal stops cleanly
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await site.start()
        host, port = runner.addresses[0][:2]
        shown = f"[{host}]" if ":" in host else host
        print(f"sora-mock listening on http://{shown}:{port}", flush=True)
        await stop.wait()
    finally:
        await runner.cleanup()
        request_log.flush()


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop when it is installed (`pip install 'sora-mock[fast]'`), else None:
    asyncio's own. Only the command line (and so the container) picks it; an embedded server
    runs on whatever loop its caller has."""
    try:
        import uvloop  # noqa: PLC0415 (optional, and only the command line wants it)
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed the usage and the bad flag
        return int(exc.code or 0)
    flags = {k: v for k, v in vars(args).items() if v is not None and k != "config"}
    try:
        settings = load(config_file=args.config, flags=flags, fallback_file=DEFAULT_CONFIG)
    except ConfigError as exc:
        print(f"sora-mock: {exc}", file=sys.stderr)
        return 2
    logs.configure(settings.log_format)
    try:
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            runner.run(serve(settings))
    except OSError as exc:  # the host does not resolve, or the port is taken: a bad value
        where = f"{settings.host}:{settings.port}"
        print(
            f"sora-mock: settings 'host'/'port': cannot listen on {where}: {exc}", file=sys.stderr
        )
        return 2
    return 0
