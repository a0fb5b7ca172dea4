"""The inspector page at /__mock/ui: static HTML, CSS and JavaScript that read the admin API.

The page holds no data of its own, so it is served without the admin token (it has to load in
order to ask for one); every call it makes to the admin API sends the token as a header. Only the
files named in `ASSETS` can be reached: a request names a file, never a path.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType
from typing import Final

from aiohttp import web
from aiohttp.typedefs import Handler

from . import errors as e
from .faults import PRESETS

_DIR: Final = Path(__file__).parent / "assets" / "ui"
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
    ("/__mock/ui", "/__mock/ui/presets.json", *(f"/__mock/ui/{name}" for name in ASSETS))
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


def add_routes(get: Callable[[str, Handler], None]) -> None:
    """The inspector's GET routes, through the admin API's `get` (its prefix and guard)."""
    get("/ui", index)
    get("/ui/presets.json", presets)
    get("/ui/{name}", asset)
