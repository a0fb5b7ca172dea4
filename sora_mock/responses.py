"""What the HTTP modules share: the app key of the simulator and the response builders."""

from __future__ import annotations

from aiohttp import web

from . import errors as e
from . import varied
from .journal import Exchange
from .logs import RequestLog
from .simulator import Simulator
from .tasks import Status, Task

SIMULATOR = web.AppKey("simulator", Simulator)
REQUEST_LOG = web.AppKey("request_log", RequestLog)  # set by the command line
JSON = "application/json"


def envelope_error(sim: Simulator, err: e.ApiError) -> web.Response:
    """The one place an envelope error becomes an HTTP response (`error_status`, A1)."""
    status = err.http_status
    if status is None:
        status = err.code if sim.settings.error_status == "http" else 200
    return web.Response(
        body=e.error_envelope(err.code, err.message),
        status=status,
        content_type=JSON,
        headers=err.headers,
    )


def result_body(request: web.Request, sim: Simulator, x: Exchange, key: str, task_id: str) -> bytes:
    """check-result's answer (A3), shaped as the simulator observes the task: the request's
    base URL is read only for a succeeded task, and the contract's answer is built from pieces
    (`Task.result_envelope`); the variants (G) reshape the `data` dict instead."""

    def shape(task: Task, status: Status, progress: int) -> bytes:
        base_url = ""
        if status == "succeeded":
            base_url = sim.settings.public_base_url or f"{request.scheme}://{request.host}"
        if sim.variants.active:
            data = task.result_data(status, progress, base_url, sim.result_pid)
            return varied.result_body(sim.variants, x, data)
        return task.result_envelope(status, progress, base_url, sim.result_pid)

    return sim.check_result(key, task_id, shape)


def json_response(body: bytes, status: int = 200) -> web.Response:
    return web.Response(body=body, status=status, content_type=JSON)
