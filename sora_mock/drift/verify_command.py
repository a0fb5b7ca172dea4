"""`sora-mock verify` (CONTRACT I1): its command line; the run itself is `verify.py`'s.

Everything that can be checked before a request is checked here (the flags, the key in the
environment, the upstream URL, the `--json` file and its folder): exit 2 with one line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, TextIO

from ..config import DEFAULT_CONFIG, ConfigError, Settings, load
from ..core.reports import written_by
from . import report
from .report import GENERATOR
from .upstream import (
    ENV_KEY,
    EXIT_USAGE,
    Clock,
    CommandParser,
    Sleep,
    UsageError,
    check_upstream,
    refuse_key_flag,
)
from .verify import (
    DEFAULT_MAX_REQUESTS,
    DEFAULT_MAX_WAIT,
    DEFAULT_POLL_EVERY,
    DEFAULT_RATE,
    EXIT_INTERRUPTED,
    MSG_NO_KEY,
    SPEND_REQUESTS,
    Options,
    Verify,
    free_requests,
)


def _positive(kind: type[float] | type[int]) -> Any:
    """A finite number greater than 0 (a whole one for `int`)."""

    def read(text: str) -> float | int:
        try:
            number = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(number) or number <= 0:
            raise argparse.ArgumentTypeError(f"{text!r} must be a finite number greater than 0")
        if kind is int:
            if not number.is_integer() or not text.strip().lstrip("+").isdigit():
                raise argparse.ArgumentTypeError(f"{text!r} must be a whole number")
            return int(text)
        return number

    return read


def _credits(text: str) -> int:
    try:
        value: int = _positive(int)(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"{text!r} must be a whole number of credits greater than 0"
        ) from None
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = CommandParser(
        prog="sora-mock verify",
        allow_abbrev=False,
        description="Compare the mock with the live provider, from free probes (and spending "
        f"ones with --spend). The key is read from ${ENV_KEY} only.",
    )
    parser.add_argument("--upstream", required=True, metavar="URL", help="the provider's origin")
    parser.add_argument("--spend", type=_credits, metavar="CREDITS", help="allow spending")
    parser.add_argument(
        "--max-wait", type=_positive(float), default=DEFAULT_MAX_WAIT, metavar="SECONDS"
    )
    parser.add_argument(
        "--poll-every",
        type=_positive(float),
        default=DEFAULT_POLL_EVERY,
        metavar="SECONDS",
        help="seconds between two polls of the spending probe's task",
    )
    parser.add_argument(
        "--rate", type=_positive(float), default=DEFAULT_RATE, help="requests a second"
    )
    parser.add_argument(
        "--max-requests", type=_positive(int), default=DEFAULT_MAX_REQUESTS, metavar="N"
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the report here")
    parser.add_argument("--allow-http", action="store_true", help="allow a plain-http upstream")
    parser.add_argument("--config", metavar="FILE", help="the mock's settings (TOML)")
    return parser


def check_writable(path: Path) -> None:
    """`--json PATH` can be written, and is new or an earlier report of verify: checked before
    any request (a run must not end unable to keep its report)."""
    if path.is_dir():
        raise UsageError(f"--json {path}: is a directory")
    folder = path.parent
    if not folder.is_dir():
        raise UsageError(f"--json {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise UsageError(f"--json {path}: cannot be written")
    if path.exists() and not written_by(path, GENERATOR):  # a user's file is never written over
        raise UsageError(
            f"--json {path}: the file exists and is not a report of sora-mock verify; "
            "name a new file"
        )


def check_spend_budget(max_requests: int, settings: Settings) -> None:
    """`--spend` with a `--max-requests` the free probes would use up: refused before any
    request, not found out after them (they run first, at `--rate` a second)."""
    free = free_requests(settings)
    if max_requests < free + SPEND_REQUESTS:
        raise UsageError(
            f"--spend needs --max-requests {free + SPEND_REQUESTS} or more: the free probes "
            f"send up to {free} requests, and spending at least {SPEND_REQUESTS} more (a "
            "create, a poll, the result file, the balance)"
        )


def read_key(environ: Mapping[str, str]) -> str:
    key = environ.get(ENV_KEY, "").strip()
    if not key:
        raise UsageError(MSG_NO_KEY.format(env=ENV_KEY))
    return key


def main(
    argv: Sequence[str],
    *,
    clock: Clock | None = None,
    sleep: Sleep | None = None,
    out: TextIO | None = None,
) -> int:
    """`sora-mock verify ...` (argv without the word `verify`): the exit status of I1."""
    out = out or sys.stdout
    try:
        refuse_key_flag(argv)
        try:
            args = build_parser().parse_args(argv)
        except SystemExit as exc:
            return int(exc.code or 0)
        key = read_key(os.environ)
        check_upstream(args.upstream, allow_http=args.allow_http)
        if args.json is not None:
            check_writable(args.json)
        settings = load(config_file=args.config, flags={}, fallback_file=DEFAULT_CONFIG)
        if args.spend is not None:
            check_spend_budget(args.max_requests, settings)
    except (UsageError, ConfigError) as exc:
        print(f"sora-mock verify: {exc}", file=sys.stderr)
        return EXIT_USAGE
    options = Options(
        args.upstream,
        key,
        settings,
        spend=args.spend,
        max_wait=args.max_wait,
        poll_every=args.poll_every,
        rate=args.rate,
        max_requests=args.max_requests,
        json_path=args.json,
        allow_http=args.allow_http,
    )
    job = Verify(options, clock or time.monotonic, sleep or asyncio.sleep)
    try:
        result = asyncio.run(job.run())
    except KeyboardInterrupt:  # Ctrl-C: no report, no traceback
        print("sora-mock verify: interrupted; no report", file=sys.stderr)
        return EXIT_INTERRUPTED
    masker = job.masker
    for line in report.table(result):
        print(masker(line), file=out)
    if options.json_path is not None:
        text = json.dumps(report.as_json(result), indent=2)
        try:
            options.json_path.write_text(masker(text) + "\n", encoding="utf-8")
        except OSError as exc:
            print(f"sora-mock verify: --json {options.json_path}: {exc.strerror}", file=sys.stderr)
    return result.exit_code
