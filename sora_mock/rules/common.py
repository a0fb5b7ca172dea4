"""Rules both create routes share (A2, A6): http(s) URLs; more move here as the routes meet."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from .. import errors as e
from ..contract import Violation


def check_http_url(raw: Any, name: str) -> str | Violation:
    """An absolute http or https URL with a host, without whitespace or control characters."""
    if not isinstance(raw, str) or any(c.isspace() or ord(c) < 32 for c in raw):
        return Violation(name, e.MSG_HTTP_URL.format(field=name))
    try:
        parts = urlsplit(raw)
        host = parts.hostname
    except ValueError:
        return Violation(name, e.MSG_HTTP_URL.format(field=name))
    if parts.scheme.lower() not in ("http", "https") or not host:
        return Violation(name, e.MSG_HTTP_URL.format(field=name))
    return raw
