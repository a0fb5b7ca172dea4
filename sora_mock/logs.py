"""Log lines (CONTRACT E): one per provider request; text or one JSON object per line."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

REQUESTS = logging.getLogger("sora_mock.requests")


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] | None = getattr(record, "fields", None)
        if fields is None:
            return f"{self.formatTime(record)} {record.levelname} {record.getMessage()}"
        status = fields["status"] if fields["status"] is not None else "dropped"
        code = fields["code"] if fields["code"] is not None else "-"
        line = (
            f"{self.formatTime(record)} {fields['method']} {fields['path']} {status} "
            f"code={code} {fields['ms']}ms key={fields['key']}"
        )
        if fields["taskId"]:
            line += f" taskId={fields['taskId']}"
        if fields["fault"]:
            line += f" fault={fields['fault']}"
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {"time": self.formatTime(record), "level": record.levelname}
        fields = getattr(record, "fields", None)
        if fields is None:
            line["message"] = record.getMessage()
        else:
            line.update(fields)
        return json.dumps(line)


def configure(log_format: str) -> None:
    """Send sora_mock's log lines to stderr in the chosen format (the command line's logging)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    root = logging.getLogger("sora_mock")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    root.propagate = False
