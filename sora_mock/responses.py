"""What the HTTP modules share: the app key of the simulator and the response builders."""

from __future__ import annotations

from aiohttp import web

from .logs import RequestLog
from .simulator import Simulator

SIMULATOR = web.AppKey("simulator", Simulator)
REQUEST_LOG = web.AppKey("request_log", RequestLog)  # set by the command line
JSON = "application/json"


def json_response(body: bytes, status: int = 200) -> web.Response:
    return web.Response(body=body, status=status, content_type=JSON)
