"""Log lines (CONTRACT E): one per provider request; text, or one JSON object per line.

The command line writes request lines through `RequestLog`, which formats them directly and
writes the lines of one event-loop iteration at once: a `logging` record and a write per line
cost a quarter of a create's time. Embedded servers (the pytest fixture) have no `RequestLog`;
they send request lines to the `sora_mock.requests` logger, at INFO, only when it is enabled.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
from typing import Any, TextIO

from ..core.errors import mask_key
from ..core.journal import Exchange

REQUESTS = logging.getLogger("sora_mock.requests")


def fields(x: Exchange, ms: float) -> dict[str, Any]:
    return {
        "method": x.method,
        "path": x.path,
        "status": x.http_status,
        "code": x.code,
        "ms": round(ms, 2),
        "key": mask_key(x.key) if x.key else None,
        "taskId": x.task_id,
        "fault": x.fault,
    }


def text_line(x: Exchange, ms: float, masked: str | None = None) -> str:
    """The text line; `masked` is `mask_key(x.key)` when the caller has it already."""
    status = x.http_status if x.http_status is not None else "dropped"
    code = x.code if x.code is not None else "-"
    key = (masked or mask_key(x.key)) if x.key else "-"
    line = f"{x.method} {x.path} {status} code={code} {ms:.1f}ms key={key}"
    if x.task_id:
        line += f" taskId={x.task_id}"
    if x.fault:
        line += f" fault={x.fault}"
    return line


class RequestLog:
    """Request lines for one server, batched per event-loop iteration.

    A request only leaves its row, its time and the second it ended; the lines are made from
    them when the batch is written (CONTRACT E's line, from the journal's row).
    """

    def __init__(self, stream: TextIO, log_format: str) -> None:
        self._stream = stream
        self._json = log_format == "json"
        self._pending: list[tuple[Exchange, float, int]] = []
        self._second = -1
        self._stamp = ""
        self._masked = ("", "")  # the last key and its mask: a client sends one key, mostly

    def _stamp_of(self, second: int) -> str:
        if second != self._second:
            self._second = second
            self._stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(second))
        return self._stamp

    def _mask(self, key: str | None) -> str | None:
        if not key:
            return None
        last, masked = self._masked
        if key != last:
            masked = mask_key(key)
            self._masked = (key, masked)
        return masked

    def add(self, x: Exchange, ms: float) -> None:
        if not self._pending:
            asyncio.get_running_loop().call_soon(self.flush)
        self._pending.append((x, ms, int(time.time())))

    def flush(self) -> None:
        if not self._pending:
            return
        stamp = self._stamp_of
        if self._json:
            lines = [
                json.dumps({"time": stamp(second), "level": "INFO", **fields(x, ms)})
                for x, ms, second in self._pending
            ]
        else:
            mask = self._mask
            lines = [
                f"{stamp(second)} {text_line(x, ms, mask(x.key))}"
                for x, ms, second in self._pending
            ]
        self._pending.clear()
        lines.append("")
        self._stream.write("\n".join(lines))
        self._stream.flush()


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = getattr(record, "line", None)
        return f"{self.formatTime(record)} {line or record.levelname + ' ' + record.getMessage()}"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {"time": self.formatTime(record), "level": record.levelname}
        request = getattr(record, "fields", None)
        entry.update(request if request is not None else {"message": record.getMessage()})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry)


def log_request(x: Exchange, ms: float) -> None:
    """The `logging` path, for servers without a RequestLog (called only when INFO is on)."""
    REQUESTS.info(
        "%s %s", x.method, x.path, extra={"fields": fields(x, ms), "line": text_line(x, ms)}
    )


def configure(log_format: str) -> None:
    """Send sora_mock's other log lines to stderr in the chosen format (the command line)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    for name in ("sora_mock", "aiohttp"):  # aiohttp's own errors too, in the same format
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.INFO if name == "sora_mock" else logging.WARNING)
        logger.propagate = False
