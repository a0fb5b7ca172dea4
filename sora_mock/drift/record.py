"""`--record DIR` (I2): one JSON file per exchange, `0007-check_result.json`.

A recording never writes over a file: the folder must be absent, empty, or hold only recordings
(`NNNN-<route>.json`), and the sequence goes on after the highest one found; a folder holding
anything else is refused at start-up (it is someone's, not ours). Each file is created
exclusively, so even a file that appeared meanwhile is never replaced. `keep` writes one
exchange as the proxy has it (`record_of`: masked as the journal masks its row), off the event
loop.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from aiohttp import web

from ..core.errors import masked
from ..core.journal import Exchange
from .upstream import UsageError

log = logging.getLogger("sora_mock.proxy")

NAME: Final = re.compile(r"(\d{4,})-([a-z_]+)\.json")


class Recorder:
    """The folder is checked, and made, at start-up: a recording that cannot be written is a
    usage error before any request, not a lost answer later."""

    def __init__(self, folder: Path) -> None:
        try:
            if folder.exists() and not folder.is_dir():
                raise UsageError(f"--record {folder}: is not a directory")
            folder.mkdir(parents=True, exist_ok=True)
            found = sorted(p.name for p in folder.iterdir())
        except OSError as exc:
            raise UsageError(f"--record {folder}: {exc.strerror or exc}") from None
        if not os.access(folder, os.W_OK | os.X_OK):
            raise UsageError(f"--record {folder}: is not writable")
        foreign = [name for name in found if NAME.fullmatch(name) is None]
        if foreign:
            raise UsageError(
                f"--record {folder}: holds files that are not recordings ({foreign[0]}); "
                "give an empty or new folder, or one of earlier recordings"
            )
        numbers = [int(match.group(1)) for name in found if (match := NAME.fullmatch(name))]
        self.folder = folder
        self.next = max(numbers, default=0) + 1

    def write(self, route: str, exchange: dict[str, Any]) -> Path:
        """One file, created exclusively; OSError when it cannot be written."""
        while True:
            path = self.folder / f"{self.next:04d}-{route}.json"
            self.next += 1
            try:
                with path.open("x", encoding="utf-8") as file:
                    json.dump(exchange, file, indent=2, ensure_ascii=False)
                    file.write("\n")
            except FileExistsError:
                continue
            return path


RECORDER: Final = web.AppKey("recorder", Recorder)


def record_of(
    x: Exchange, query: str, status: int | None, headers: Mapping[str, str], text: str
) -> dict[str, Any]:
    """One recorded exchange, masked as the journal masks its row (the one `masked`)."""
    row = x.to_json()
    try:
        body: Any = json.loads(text)
    except ValueError:
        body = text
    record = {
        "route": x.route,
        "request": {
            "method": x.method,
            "path": x.path,
            "query": query,
            "headers": row["headers"],
            "body": row["body"],
        },
        "response": {"status": status, "headers": dict(headers), "body": body},
        "drift": row.get("drift", []),
    }
    if x.fault is not None:
        record["failure"] = x.fault
    shown: dict[str, Any] = masked(record, x.key)
    return shown


async def keep(
    request: web.Request, x: Exchange, status: int | None, headers: Any, text: str
) -> None:
    """Record the exchange, off the event loop; a failed write costs the client nothing: one
    line in the log."""
    recorder = request.app.get(RECORDER)
    if recorder is None:
        return
    record = record_of(x, request.query_string, status, headers, text)
    try:
        await asyncio.to_thread(recorder.write, x.route, record)
    except OSError as exc:
        log.error(
            "sora-mock proxy: --record %s: %s; the exchange is not recorded",
            recorder.folder,
            exc.strerror or exc,
        )
