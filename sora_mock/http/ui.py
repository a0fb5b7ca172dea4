"""The inspector page at /__mock/ui: static HTML, CSS and JavaScript that read the admin API.

The page holds no data of its own, so it is served without the admin token (it has to load in
order to ask for one); every call it makes to the admin API sends the token as a header. Only the
files named in `ASSETS` can be reached: a request names a file, never a path.

A journal row says which code a rejected request got but not the message it was answered with,
so the page explains each code with a sentence from `REASONS` (the tests assert on the same).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Handler

from ..core import errors as e
from ..faults.engine import PRESETS

_DIR: Final = Path(__file__).parent.parent / "assets" / "ui"
# strict: nothing inline, nothing from elsewhere; forms never navigate (a token typed into a
# form must not end up in a URL even if the script failed to load)
CSP: Final = "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
_HEADERS: Final = MappingProxyType(
    {
        "Cache-Control": "no-cache",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
)
ASSETS: Final = MappingProxyType(
    {
        "ui.css": ((_DIR / "ui.css").read_bytes(), "text/css"),
        "ui.js": ((_DIR / "ui.js").read_bytes(), "text/javascript"),
    }
)
INDEX: Final = (_DIR / "index.html").read_bytes()
PATHS: Final = frozenset(
    (
        "/__mock/ui",
        "/__mock/ui/presets.json",
        "/__mock/ui/reasons.json",
        *(f"/__mock/ui/{name}" for name in ASSETS),
    )
)
_VALIDATION = "The body is not a JSON object, or a field breaks a rule."
# why a request was refused, by its answer's code (CONTRACT A1; a `files` row by its HTTP
# status, A4); "<route>:<code>" is looked up first
REASONS: Final = MappingProxyType(
    {
        str(e.BAD_REQUEST): _VALIDATION,
        "-1": _VALIDATION,  # the provider's other form of a validation error (G, validation_code)
        str(e.UNAUTHORIZED): (
            "Not authorized: the Authorization: Bearer header is missing or blank, or its key "
            "is not an account of the mock."
        ),
        str(e.INSUFFICIENT_CREDITS): (
            "Insufficient credits: the account's balance is below the task's price."
        ),
        str(e.FORBIDDEN): "A VIP-only input from an account that is not VIP (strict mode).",
        str(e.NOT_FOUND): "No such task: its id is unknown, or it belongs to another key.",
        f"unknown:{e.NOT_FOUND}": "No such endpoint: the provider has no route at this path.",
        f"files:{e.NOT_FOUND}": "No result file: the task is unknown or has not succeeded.",
        "files:416": "The requested byte range is outside the file.",
        str(e.METHOD_NOT_ALLOWED): "Wrong HTTP method for this route.",
        str(e.PAYLOAD_TOO_LARGE): "The request body is larger than max_body_bytes.",
        str(e.TOO_MANY_TASKS): (
            "Too many tasks at once: the key already has max_concurrent_tasks tasks pending or "
            "running (see Retry-After)."
        ),
        str(e.SERVER_ERROR): "Server error: the mock was reset while the request was in flight.",
    }
)


async def index(request: web.Request) -> web.Response:
    headers = {**_HEADERS, "Content-Security-Policy": CSP}
    return web.Response(body=INDEX, content_type="text/html", charset="utf-8", headers=headers)


async def asset(request: web.Request) -> web.Response:
    found = ASSETS.get(request.match_info["name"])
    if found is None:
        raise e.AdminError(404, "No such admin route.")
    body, content_type = found
    return web.Response(body=body, content_type=content_type, charset="utf-8", headers=_HEADERS)


async def presets(request: web.Request) -> web.Response:
    """Each preset of `X-Sora-Mock-Fault` as the rule body that POST /__mock/faults takes."""
    rules = {
        name: rule.model_dump(mode="json", exclude_defaults=True) for name, rule in PRESETS.items()
    }
    return web.Response(
        body=e.dumps({"presets": rules}), content_type="application/json", headers=_HEADERS
    )


async def reasons(request: web.Request) -> web.Response:
    """The sentence that explains each rejection code, for rows that list no violations."""
    return web.Response(
        body=e.dumps({"reasons": dict(REASONS)}), content_type="application/json", headers=_HEADERS
    )


def add_routes(get: Callable[[str, Handler], None]) -> None:
    """The inspector's GET routes, through the admin API's `get` (its prefix and guard)."""
    get("/ui", index)
    get("/ui/presets.json", presets)
    get("/ui/reasons.json", reasons)
    get("/ui/{name}", asset)
