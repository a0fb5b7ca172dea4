"""What the HTTP modules share: the app key of the simulator and the response builders."""

from __future__ import annotations

from aiohttp import web

from . import errors as e
from .logs import RequestLog
from .simulator import Simulator

SIMULATOR = web.AppKey("simulator", Simulator)
REQUEST_LOG = web.AppKey("request_log", RequestLog)  # set by the command line
JSON = "application/json"


def envelope_error(sim: Simulator, err: e.ApiError) -> web.Response:
    """The one place an envelope error becomes an HTTP response (`error_status`, A1)."""
    status = err.http_status
    if status is None:
        status = err.code if sim.settings.error_status == "http" else 200
    return web.Response(
        body=e.envelope(err.code, err.message),
        status=status,
        content_type=JSON,
        headers=err.headers,
    )


def json_response(body: bytes, status: int = 200) -> web.Response:
    return web.Response(body=body, status=status, content_type=JSON)
