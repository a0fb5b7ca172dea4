"""Task records and their lifecycle (CONTRACT B3).

A task's state is a function of the clock, computed when it is read: no timer runs per task, so
100,000 idle tasks cost memory but no CPU. The simulator applies a transition's side effect (the
refund of a failed task) the first time any read observes it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from .errors import mask_key

Status = Literal["pending", "running", "succeeded", "failed"]
FINAL: Final = frozenset(("succeeded", "failed"))
_ORDER: Final[dict[str, int]] = {"pending": 0, "running": 1, "succeeded": 2, "failed": 2}


@dataclass(slots=True)
class Task:
    task_id: str
    key: str
    model: str
    params: dict[str, Any]
    price: int
    charge_trans_no: str
    created_at: float
    queue_seconds: float
    run_seconds: float
    seq: int = 0  # creation order within the simulation
    settled: bool = False  # no longer counts against its key's concurrency limit
    # the task's own time runs ahead of the global clock by this much (the poll clock)
    poll_offset: float = 0.0
    # set by a `fail_task` fault: the task ends failed instead of succeeded
    planned_failure: tuple[str, str | None] | None = None
    # set by the admin API: the task is final now, with this status and frozen progress
    forced: tuple[Status, int] | None = None
    failure_reason: str = ""
    error_message: str | None = None
    refund_trans_no: str | None = None
    observed: Status = "pending"
    # (status, global time) pairs: tuples, as 100,000 kept tasks make dicts add up
    history: list[tuple[Status, float]] = field(default_factory=list)

    def age(self, now: float) -> float:
        return now - self.created_at + self.poll_offset

    def state(self, now: float) -> tuple[Status, int]:
        """(status, progress) at global time `now`, without side effects."""
        if self.forced is not None:
            return self.forced
        t = self.age(now)
        if t < self.queue_seconds:
            return "pending", 0
        if t < self.queue_seconds + self.run_seconds:
            return "running", math.floor(100 * (t - self.queue_seconds) / self.run_seconds)
        return ("failed" if self.planned_failure else "succeeded"), 100

    def finishes_at(self) -> float:
        """The global time at which the lifecycle ends, unless forced earlier."""
        return self.created_at + self.queue_seconds + self.run_seconds - self.poll_offset

    def record(self, status: Status, now: float) -> None:
        """Append the transitions from the last observed status up to `status`.

        Natural transitions get the global time at which they happened (clamped into the span
        since the last entry, as the poll clock moves a task's own time in steps); a forced one,
        which the simulator records after observing the current state, gets `now`.
        """
        if status == self.observed:
            return
        if self.forced is not None:
            self.history.append((status, now))
        else:
            last = self.history[-1][1] if self.history else self.created_at
            steps: tuple[Status, ...] = ("running", status) if status in FINAL else ("running",)
            for step in steps:
                if _ORDER[step] <= _ORDER[self.observed]:
                    continue
                boundary = self.queue_seconds + (self.run_seconds if step in FINAL else 0.0)
                when = min(max(self.created_at + boundary - self.poll_offset, last), now)
                self.history.append((step, when))
                last = when
        self.observed = status

    def to_json(self, now: float) -> dict[str, Any]:
        status, progress = self.state(now)
        return {
            "taskId": self.task_id,
            "key": mask_key(self.key),
            "model": self.model,
            "status": status,
            "progress": progress,
            "params": self.params,
            "price": self.price,
            "charge_trans_no": self.charge_trans_no,
            "refund_trans_no": self.refund_trans_no,
            "failure_reason": self.failure_reason,
            "error_message": self.error_message,
            "created_at": self.created_at,
            "history": [{"status": step, "time": at} for step, at in self.history],
        }

    def result(self, now: float, base_url: str) -> dict[str, Any]:
        """The check-result `data` (CONTRACT A3)."""
        status, progress = self.state(now)
        url = f"{base_url}/files/{self.task_id}.mp4" if status == "succeeded" else None
        return {
            "taskId": self.task_id,
            "status": status,
            "progress": progress,
            "result_url": url,
            "result_urls": [url] if url else [],
            "failure_reason": self.failure_reason if status == "failed" else "",
            "error_message": self.error_message if status == "failed" else None,
            "credits_refunded": self.refund_trans_no is not None,
            "refund_trans_no": self.refund_trans_no,
        }
