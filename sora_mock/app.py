"""`create_app(settings)`: one `web.Application` holding one simulation, and nothing global."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Handler

from . import admin, api, api_sora_video
from .config import Settings, build
from .responses import SIMULATOR
from .simulator import Simulator


def create_app(settings: Settings | None = None, **overrides: Any) -> web.Application:
    """A fresh application: `settings`, with `overrides` (setting names) laid over them."""
    if settings is None or overrides:
        base = settings.model_dump(exclude_unset=True) if settings is not None else {}
        settings = build({**base, **overrides})
    # The handlers read bodies themselves, to the end even when too large (A1), so aiohttp's
    # own limit only guards the admin routes.
    app = web.Application(middlewares=[unmatched_routes], client_max_size=settings.max_body_bytes)
    sim = app[SIMULATOR] = Simulator(settings)
    api.add_routes(app)
    api_sora_video.add_routes(app)

    async def stopping(app: web.Application) -> None:
        """Before the handlers are waited for: end the streams, stop the deliveries' pump."""
        sim.streams.end_all()
        sim.deliveries.stop()

    async def deliveries(app: web.Application) -> AsyncIterator[None]:
        yield
        await sim.deliveries.close()  # the one client session closes with the app (A7)

    app.on_shutdown.append(stopping)
    app.cleanup_ctx.append(deliveries)
    app.router.add_get("/openapi.json", openapi_document)
    app.add_subapp("/__mock/", admin.create_admin_app())
    return app


async def openapi_document(request: web.Request) -> web.StreamResponse:
    """GET /openapi.json; the document's models load on first use, not at every start-up."""
    from . import openapi  # noqa: PLC0415 (deferred on purpose: see the docstring)

    return await openapi.handler(request)


@web.middleware
async def unmatched_routes(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Unknown routes and wrong methods, answered before auth and before the body is read."""
    exc = request.match_info.http_exception
    if exc is None:
        return await handler(request)
    if request.path == "/__mock" or request.path.startswith("/__mock/"):
        return admin.unmatched(exc)
    return await api.unmatched(request, exc)


__all__ = ["Simulator", "create_app"]
