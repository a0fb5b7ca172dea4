"""What the HTTP modules share: the app key of the simulator and the response builders."""

from __future__ import annotations

from aiohttp import web

from ..core import errors as e
from ..sim.control import LocalControl
from ..sim.simulator import Simulator
from .logs import RequestLog
from .reply import JSON

SIMULATOR = web.AppKey("simulator", Simulator)
CONTROL = web.AppKey("control", LocalControl)  # the admin operations on that simulator (D1)
REQUEST_LOG = web.AppKey("request_log", RequestLog)  # set by the command line


def json_response(body: bytes, status: int = 200) -> web.Response:
    return web.Response(body=body, status=status, content_type=JSON)


def abandon_body(request: web.Request) -> str:
    """A body whose content coding did not decode (A1): its coding, once it is given up.

    The rest of such a body cannot be read, nor anything after it on the connection: the body is
    marked read (else aiohttp would linger to read it after the answer and log the decoding
    error as a traceback) and the answer closes the connection (`closing`)."""
    request.content.feed_eof()
    return request.headers.get("Content-Encoding", "")


def undecodable(request: web.Request) -> str:
    """Why such a body is refused, naming its coding (`abandon_body`)."""
    return e.MSG_UNDECODABLE.format(coding=abandon_body(request))


def closing(request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
    """The answer, closing the connection when the request's stream cannot go on (its body
    failed to decode: `abandon_body`)."""
    if request.content.exception() is not None:
        response.force_close()
    return response
