"""`POST /api/v1/video/sora-video` (CONTRACT A6), and its SSE form (A8).

The route takes the same pipeline steps as A2 (`api._admit`: faults, auth, body size, a JSON
object); its rules are `rules/sora_video.py`, its stream's state `stream.py`. Only the writing of
the stream lives here, because only the HTTP layer can hold a response open.
"""

from __future__ import annotations

import asyncio
import math
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import errors as e
from . import varied
from .answers import Origin
from .api import SORA_VIDEO_PATH, _admit, _finish, _serve
from .journal import Exchange
from .responses import json_response
from .simulator import Simulator
from .stream import EVENT_STREAM, encode, wants_stream
from .tasks import Task

if TYPE_CHECKING:
    from .fault_rule import FaultRule


def add_routes(app: web.Application) -> None:
    app.router.add_post(SORA_VIDEO_PATH, sora_video)


async def sora_video(request: web.Request) -> web.StreamResponse:
    return await _serve(request, "sora_video", _create)


def created(sim: Simulator, task: Task) -> dict[str, Any]:
    """A6's union answer: `{"id"}` of one documented version, the rest of the other."""
    seconds = sim.settings.queue_seconds + sim.settings.run_seconds
    return {
        "id": task.task_id,
        "taskId": task.task_id,
        "status": "pending",
        "progress": 0,
        "estimate_seconds": max(1, math.ceil(seconds)),
    }


async def _create(request: web.Request, sim: Simulator, x: Exchange) -> web.StreamResponse:
    key, body, fail = await _admit(request, sim, x)
    if wants_stream(request.headers.get("Accept")):
        base_url = f"{request.scheme}://{request.host}"
        task, checked = sim.create_video_task(key, body, x, fail, base_url)
        x.task_id = task.task_id
        return await _stream(request, sim, x, task, shut=checked.shut_progress, base=base_url)
    return json_response(video_answer(sim, x, key, body, fail=fail, origin=request))


def video_answer(
    sim: Simulator,
    x: Exchange,
    key: str,
    body: dict[str, Any],
    *,
    fail: FaultRule | None,
    origin: Origin,
) -> bytes:
    """A6's answer when no stream is asked for (either front): the union, or one form (G)."""
    task, _ = sim.create_video_task(key, body, x, fail, f"{origin.scheme}://{origin.host}")
    x.task_id = task.task_id
    data = created(sim, task)
    if sim.variants.active:  # G's `create_id`: the union, or one documented form alone
        form = sim.variants.consult(x, "create_id")
        if form == "id":
            data = {"id": task.task_id}
        elif form == "taskId":
            del data["id"]
        return varied.ok_body(sim.variants, x, data)
    return e.ok_envelope(data)


def _gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


async def _stream(
    request: web.Request, sim: Simulator, x: Exchange, task: Task, *, shut: bool, base: str
) -> web.StreamResponse:
    """Events on every change the mock observes, then the final one (A8).

    On the manual and poll clocks the stream looks only when poked (an advance, an admin finish,
    a check-result of the task); it still wakes every `sse_interval_seconds` to notice a client
    that went away. On the real clock each wake is a look.
    """
    response = web.StreamResponse(
        headers={"Content-Type": EVENT_STREAM, "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    x.code, x.http_status = e.OK, 200
    _finish(request, sim, x)  # the journal row is written when the stream starts
    watch = sim.streams.open(task.task_id)
    interval = sim.settings.sse_interval_seconds
    real = sim.clock.mode == "real"
    try:
        look = True
        while not watch.ended:
            if look:
                event, final = sim.watchers.stream_event(task, base)
                if final:
                    await response.write(encode(event))
                    sim.streams.sent_final(task.task_id, event)
                    task.seen_final = True  # the client was shown it (F's report)
                    break
                if not shut and event != watch.last:
                    await response.write(encode(event))
                    watch.last = event
            try:
                await asyncio.wait_for(watch.changed.wait(), interval)
                look = True
            except TimeoutError:
                look = real
            watch.changed.clear()
            if _gone(request):
                return response
        await response.write_eof()
    except ConnectionError:  # the client went away: its stream ends, the task runs on
        pass
    finally:
        sim.streams.close(watch)
    return response
