"""Each JSON route's answer, the `data` of a 200 (A2, A3, A5, A6), after the pipeline's steps.

Each function asks the simulation's use case and shapes what it returns; the variants (G)
reshape the contract's answer only when some are on (`sim.variants.active`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..core import errors as e
from ..core import varied
from ..core.findings import Violation
from ..core.journal import Exchange
from ..tasks import Status, Task
from .check_result import check_task_id

if TYPE_CHECKING:
    from ..faults.rule import FaultRule
    from ..sim.simulator import Simulator


@dataclass(slots=True)
class Admitted:
    """What the pipeline's steps before a route's use case established."""

    key: str
    body: dict[str, Any]
    fail: FaultRule | None  # a `fail_task`/`cancel_task` rule for the task this request makes


def create_answer(sim: Simulator, x: Exchange, a: Admitted) -> bytes:
    """A2's answer: the task's id in the envelope."""
    task, checked = sim.create_task(a.key, a.body, a.fail)
    x.note(checked)
    x.task_id = task_id = task.task_id
    if sim.variants.active:
        return varied.ok_body(sim.variants, x, {"taskId": task_id})
    return e.created_envelope(task_id)


def check_answer(sim: Simulator, x: Exchange, a: Admitted, origin: Callable[[], str]) -> bytes:
    """A3's answer, shaped as the simulator observes the task: the base URL is read only for a
    succeeded task, and the contract's answer is built from pieces (`Task.result_envelope`);
    the variants (G) reshape the `data` dict instead."""
    key = a.key
    task_id = check_task_id(a.body)
    if isinstance(task_id, Violation):
        x.violations = [task_id]
        raise e.ApiError(e.BAD_REQUEST, task_id.message)
    x.task_id = task_id
    task = sim.tasks.get(task_id)
    owner = task.key if task is not None else None
    if owner is not None and owner != key:
        # several public clients poll from a pool of keys: the row names the cause (A3)
        x.warnings = [*x.warnings, e.MSG_OTHER_KEYS_TASK.format(task_id=task_id)]
        x.owner = owner
        if sim.variants.active and varied.any_key(sim.variants, x):
            key = owner  # G's `task_scope = "any"`: any key may read any task

    def shape(task: Task, status: Status, progress: int) -> bytes:
        base_url = ""
        if status == "succeeded":
            base_url = sim.settings.public_base_url or origin()
        if sim.variants.active:
            data = task.result_data(status, progress, base_url, sim.result_pid)
            return varied.result_body(sim.variants, x, data)
        return task.result_envelope(status, progress, base_url, sim.result_pid)

    return sim.check_result(key, task, task_id, shape)


def credits_answer(sim: Simulator, x: Exchange, key: str) -> bytes:
    """A5's answer: the balance and the VIP flag; no body is read."""
    if sim.variants.active:
        return varied.ok_body(sim.variants, x, sim.credits(key))
    return e.ok_envelope(sim.credits(key))


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


def _video_task(sim: Simulator, x: Exchange, a: Admitted, origin: str) -> tuple[Task, bool]:
    """A6's use case, noted on the row: the task, and whether a stream sends its end alone."""
    task, checked = sim.create_video_task(a.key, a.body, a.fail, origin)
    x.note(checked)
    x.task_id = task.task_id
    return task, checked.shut_progress


def video_answer(sim: Simulator, x: Exchange, a: Admitted, origin: str) -> bytes:
    """A6's answer when no stream is asked for: the union, or one form (G)."""
    task, _ = _video_task(sim, x, a, origin)
    data = created(sim, task)
    if sim.variants.active:  # G's `create_id`: the union, or one documented form alone
        form = sim.variants.consult(x, "create_id")
        if form == "id":
            data = {"id": task.task_id}
        elif form == "taskId":
            del data["id"]
        return varied.ok_body(sim.variants, x, data)
    return e.ok_envelope(data)


def video_stream(sim: Simulator, x: Exchange, a: Admitted, origin: str) -> tuple[Task, bool]:
    """A6 with A8's stream: the task, and whether only its final event is sent."""
    return _video_task(sim, x, a, origin)
