"""`create_app(settings)`: one `web.Application` holding one simulation, and nothing global."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from aiohttp import hdrs, web
from aiohttp.typedefs import Handler

from ..config import Settings, build
from ..sim.control import LocalControl
from ..sim.simulator import Simulator
from . import admin, provider
from .keys import CONTROL, SIMULATOR


def create_app(settings: Settings | None = None, **overrides: Any) -> web.Application:
    """A fresh application: `settings`, with `overrides` (setting names) laid over them."""
    if settings is None or overrides:
        base = settings.model_dump(exclude_unset=True) if settings is not None else {}
        settings = build({**base, **overrides})
    # The handlers read bodies themselves, to the end even when too large (A1), so aiohttp's
    # own limit only guards the admin routes. No middleware and no sub-application: aiohttp
    # then calls each handler directly (unknown routes and wrong methods have routes of their
    # own, see `_unmatched_routes`).
    app = web.Application(client_max_size=settings.max_body_bytes)
    sim = app[SIMULATOR] = Simulator(settings)
    app[CONTROL] = LocalControl(sim)
    provider.add_routes(app)

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
    admin.add_routes(app)
    _unmatched_routes(app)
    return app


async def openapi_document(request: web.Request) -> web.StreamResponse:
    """GET /openapi.json; the document's models load on first use, not at every start-up."""
    from . import openapi  # noqa: PLC0415 (deferred on purpose: see the docstring)

    return await openapi.handler(request)


def _unmatched_routes(app: web.Application) -> None:
    """Unknown routes and wrong methods, answered before auth and before the body is read.

    Routes of their own rather than a middleware, so that known routes pay nothing for them:
    every known path gets a route for any other method (its 405), added after its own, and
    catch-all resources, added last, answer every other path (404). aiohttp tries resources
    from the longest matching path prefix down, in the order they were added.
    """
    for resource in list(app.router.resources()):
        assert isinstance(resource, web.Resource)  # every route here is added by path
        allowed = frozenset(route.method for route in resource)
        resource.add_route(hdrs.METH_ANY, _method_not_allowed(allowed))
    for path in (admin.PREFIX, admin.PREFIX + "/{tail:.*}", "/{tail:.*}"):
        app.router.add_route(hdrs.METH_ANY, path, _not_found)


def _is_admin(request: web.Request) -> bool:
    return request.path == admin.PREFIX or request.path.startswith(admin.PREFIX + "/")


def _method_not_allowed(allowed: frozenset[str]) -> Handler:
    async def method_not_allowed(request: web.Request) -> web.StreamResponse:
        if _is_admin(request):
            return admin.unmatched(web.HTTPMethodNotAllowed(request.method, allowed))
        return await provider.unmatched(request, allowed)

    return method_not_allowed


async def _not_found(request: web.Request) -> web.StreamResponse:
    if _is_admin(request):
        return admin.unmatched(web.HTTPNotFound())
    return await provider.unmatched(request, None)


__all__ = ["Simulator", "create_app"]
