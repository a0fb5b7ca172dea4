"""`sora-mock`: run the mock from the command line (CONTRACT E)."""

from __future__ import annotations

import argparse
import asyncio
import errno
import gc
import os
import signal
import sys
from collections.abc import Callable, Sequence
from typing import Final, Literal, NoReturn, get_args, get_origin

from aiohttp import web

from . import __version__
from .config import DEFAULT_CONFIG, ConfigError, Settings, closest, env_warnings, load
from .http import logs, tls
from .http.app import create_app
from .http.keys import REQUEST_LOG

MSG_UNKNOWN_FLAG: Final = "sora-mock: unknown setting {flag}{hint}; see sora-mock --help"
MSG_USAGE: Final = "sora-mock: {message}; see sora-mock --help"
MSG_PORT_IN_USE: Final = (
    "setting 'port': {where} is already in use; choose another port, or --port 0 for any free one"
)
MSG_PORT_DENIED: Final = (
    "setting 'port': not allowed to listen on {where} ({reason}); choose another port, "
    "or --port 0 for any free one"
)
MSG_CANNOT_LISTEN: Final = "setting 'host': cannot listen on {where}: {reason}"


def _choices(name: str) -> tuple[str, ...] | None:
    annotation = Settings.model_fields[name].annotation
    if annotation is bool:
        return ("true", "false")
    if get_origin(annotation) is Literal:
        return tuple(str(choice) for choice in get_args(annotation))
    return None


class Parser(argparse.ArgumentParser):
    """argparse with one short line for a bad command line, not the whole usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, MSG_USAGE.format(message=message) + "\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="sora-mock",
        allow_abbrev=False,  # `--str true` must not quietly mean --strict
        description="An offline simulator of the Sora 2 Pro video-generation task API.",
        epilog="Every setting can also come from SORA_MOCK_<NAME> or the TOML file; "
        "flags beat environment beat file beat defaults. Tables and lists take JSON. "
        "Two more commands: `sora-mock verify --upstream URL` compares the mock with the live "
        "provider (the drift check), `sora-mock proxy --upstream URL` forwards to it and notes "
        "where the mock differs; each has its own --help.",
    )
    parser.add_argument("--version", action="version", version=f"sora-mock {__version__}")
    parser.add_argument(
        "--config",
        metavar="FILE",
        help=f"a TOML file (default: $SORA_MOCK_CONFIG, else {DEFAULT_CONFIG} if present)",
    )
    for name, field in Settings.model_fields.items():
        default = field.get_default(call_default_factory=True)
        choices = _choices(name)
        text = field.help
        if field.is_table:
            metavar = "JSON"
            text += f"; JSON, e.g. {field.example}" if field.example else "; JSON"
        elif choices is not None:
            metavar = "{" + ",".join(choices) + "}"
        elif field.annotation is int:
            metavar = "N"
        elif field.annotation is float:
            metavar = "SECONDS" if name.endswith("_seconds") else "NUMBER"
        else:
            metavar = name.upper()
        if default not in (None, [], {}):
            shown = str(default).lower() if isinstance(default, bool) else default
            text += f" (default: {shown})"
        parser.add_argument(field.flag, dest=name, metavar=metavar, help=text.replace("%", "%%"))
    return parser


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse, and answer an unknown flag with one line naming the nearest setting."""
    args, extra = parser.parse_known_args(argv)
    if extra:
        word = next((x for x in extra if x.startswith("-")), extra[0])
        flag = word.split("=", 1)[0]
        if not flag.startswith("-"):
            parser.error(f"unexpected argument {flag!r} (settings are flags: --name VALUE)")
        from difflib import get_close_matches  # noqa: PLC0415 (only a mistyped flag needs it)

        known = [field.flag for field in Settings.model_fields.values()] + ["--config", "--version"]
        near = closest(flag, known) or next(iter(get_close_matches(flag, known, 1)), None)
        hint = f" (did you mean {near}?)" if near else ""
        parser.exit(2, MSG_UNKNOWN_FLAG.format(flag=flag, hint=hint) + "\n")
    return args


def listen_error(settings: Settings, exc: OSError) -> ConfigError:
    """A bind that failed, as the setting to change: a taken or forbidden port names `port`
    and offers port 0; anything else (a name that does not resolve, an address that is not
    this machine's) names `host`."""
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    where = f"{host}:{settings.port}"
    # asyncio's strerror repeats the address; the errno's own words are enough
    code = exc.errno or 0
    reason = os.strerror(code) if code > 0 else (exc.strerror or str(exc))
    if exc.errno == errno.EADDRINUSE:
        return ConfigError(MSG_PORT_IN_USE.format(where=where))
    if exc.errno == errno.EACCES:
        return ConfigError(MSG_PORT_DENIED.format(where=where, reason=reason.lower()))
    return ConfigError(MSG_CANNOT_LISTEN.format(where=where, reason=reason.lower()))


async def serve(settings: Settings) -> None:
    """Serve until SIGINT or SIGTERM; print the listening line once the port is bound."""
    app = create_app(settings)
    # A long-running mock keeps up to max_tasks tasks and every ledger row: with the default
    # thresholds, full collections over that heap paused the server for up to 250 ms under load.
    # Objects made at start-up are frozen out of collection; young collections come less often.
    # No full collection first: it found some 60 unreachable objects among ~37,000 and cost
    # 6-15 ms of every start (issue 17); those few stay frozen with the rest.
    gc.freeze()
    gc.set_threshold(50_000, 50, 1000)
    # the CA first: a folder it cannot use stops the start before there is a runner to clean up
    ssl_context, ca_file = tls.server_context(settings) if settings.tls else (None, None)
    request_log = app[REQUEST_LOG] = logs.RequestLog(sys.stderr, settings.log_format)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port, ssl_context=ssl_context)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    # before the line is out: the line promises a server that a signal stops cleanly
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        try:
            await site.start()
        except OSError as exc:
            raise listen_error(settings, exc) from None
        host, port = runner.addresses[0][:2]
        shown = f"[{host}]" if ":" in host else host
        if ca_file is not None:  # before the listening line: whoever waits for it can trust
            print(f"sora-mock TLS: clients trust the CA certificate {ca_file}", flush=True)
        scheme = "https" if ssl_context is not None else "http"
        print(f"sora-mock listening on {scheme}://{shown}:{port}", flush=True)
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


SUBCOMMANDS: Final = ("verify", "proxy")  # CONTRACT I; `serve` is the default


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in SUBCOMMANDS:
        from .drift import command  # noqa: PLC0415 (only these subcommands need it)

        return command.main(argv[0], argv[1:])
    parser = build_parser()
    try:
        args = _parse(parser, argv)
    except SystemExit as exc:  # argparse has printed the help, the version or one line
        return int(exc.code or 0)
    flags = {k: v for k, v in vars(args).items() if v is not None and k != "config"}
    for line in env_warnings(os.environ):
        print(f"sora-mock: {line}", file=sys.stderr)
    try:
        settings = load(config_file=args.config, flags=flags, fallback_file=DEFAULT_CONFIG)
    except ConfigError as exc:
        print(f"sora-mock: {exc}", file=sys.stderr)
        return 2
    logs.configure(settings.log_format)
    try:
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            runner.run(serve(settings))
    except ConfigError as exc:  # the port is taken, or the host is not this machine's
        print(f"sora-mock: {exc}", file=sys.stderr)
        return 2
    return 0
