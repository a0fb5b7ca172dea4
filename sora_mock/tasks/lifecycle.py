"""A task's lifecycle (CONTRACT B3), declared: its transitions, what entering each status does,
and who is told when a task ends.

A task's state is a function of the clock (`Task.state`), computed when it is read; `observe`
is the one place that notices a change and applies it, the first time any read sees it:

    TRANSITIONS    the statuses each status may move to (anything else is a bug: AssertionError)
    ON_ENTER       the effects of entering a status: leave the key's count, refund, tell `ended`
    ended          hooks, called once per task as it becomes final (deliveries, streams)

The concurrency limit (A1's 429), the refunds a balance read books (B3) and forgetting beyond
`max_tasks` read the same way, through `observe`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Final

from ..core import errors as e
from ..core.clock import Clock
from ..core.ledger import Ledger
from .store import TaskStore
from .task import FINAL, Status, Task

# B3: pending -> running -> succeeded, or failed/cancelled (a fault or the admin API) from
# either; run_seconds = 0 goes from pending to succeeded, and a forced end skips running
TRANSITIONS: Final[dict[Status, frozenset[Status]]] = {
    "pending": frozenset(("running", "succeeded", "failed", "cancelled")),
    "running": frozenset(("succeeded", "failed", "cancelled")),
    "succeeded": frozenset(),
    "failed": frozenset(),
    "cancelled": frozenset(),
}

Ended = Callable[[Task, float], None]


class Lifecycle:
    """The tasks of one simulation and the effects of their transitions."""

    def __init__(self, clock: Clock, ledger: Ledger, *, max_concurrent: int) -> None:
        self.clock = clock
        self.ledger = ledger
        self.max_concurrent = max_concurrent
        self.store = TaskStore(early_finals=clock.mode == "poll")
        # told once per task, as it becomes final: the webhook deliveries and the streams
        self.ended: list[Ended] = []

    def reset(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.store = TaskStore(early_finals=self.clock.mode == "poll")

    # -- the one place a transition happens ---------------------------------------------------

    def observe(self, task: Task, now: float) -> tuple[Status, int]:
        """The task's state now; a change since the last read is recorded and its effects run."""
        status, progress = task.state(now)
        if status != task.observed:
            assert status in TRANSITIONS[task.observed], (task.observed, status)
            task.record(status, now)
            for effect in ON_ENTER[status]:
                effect(self, task, now)
        return status, progress

    def _leave_count(self, task: Task, now: float) -> None:
        self.store.ended(task)

    def _refund(self, task: Task, now: float) -> None:
        """A failed or cancelled task is refunded exactly once, dated when it ended (B3)."""
        if task.refund_no is not None:
            return
        if task.forced is None and task.planned_failure is not None:
            _, task.failure_reason, task.error_message = task.planned_failure
        assert task.final_at is not None
        task.refund_no = self.ledger.refund(task.key, task.price, task.task_id, task.final_at)

    def _tell_ended(self, task: Task, now: float) -> None:
        for hook in self.ended:
            hook(task, now)

    # -- reads that may move tasks on -----------------------------------------------------------

    def check_concurrency(self, key: str, now: float) -> None:
        """A1's 429 when the key already has `max_concurrent` tasks pending or running."""
        limit = self.max_concurrent
        # a task a `cancel_task` rule ended as it left the queue may sit behind older running
        # ones: observing the key's doomed tasks settles it before the count
        self.book_due_refunds(key, now)
        if not self.store.may_reach(key, limit):
            return
        if self.store.active_count(key, now, self.observe) >= limit:
            raise e.ApiError(
                e.TOO_MANY_TASKS,
                e.MSG_TOO_MANY_TASKS.format(limit=limit),
                headers={"Retry-After": str(self._retry_after(key, now))},
            )

    def retry_after(self, key: str | None) -> int:
        """Retry-After for a 429: real seconds to the key's earliest active task's end, else 1."""
        if key is None or key not in self.ledger.accounts:
            return 1
        now = self.clock.now()
        if self.store.active_count(key, now, self.observe):
            return self._retry_after(key, now)
        return 1

    def _retry_after(self, key: str, now: float) -> int:
        soonest = min(t.finishes_at() for t in self.store.active(key)) - now
        real = self.clock.real_seconds(max(soonest, 0.0))
        return max(1, math.ceil(real)) if math.isfinite(real) else 1

    def book_due_refunds(self, key: str | None, now: float | None = None) -> None:
        """Refund the tasks of `key` (or of every key) that a fault has failed by now.

        A task that fails on its own (a `fail_task` rule) is refunded by the first read that
        observes it (B3); a balance is such a read, so its refund shows before anyone looks
        at the task itself.
        """
        doomed = self.store.doomed
        if key is not None and not doomed.get(key):
            return  # the key has no task a fault will end: nothing can be due
        now = self.clock.now() if now is None else now
        for owner in [key] if key is not None else list(doomed):
            tasks = doomed.get(owner)
            if tasks:
                tasks[:] = [t for t in tasks if self.observe(t, now)[0] not in FINAL]

    def add(self, task: Task, max_tasks: int) -> None:
        """Keep a new task, forgetting the oldest final one first when the store is full."""
        store = self.store
        if task.planned_failure is not None:
            store.doom(task)
        if len(store) >= max_tasks:
            store.forget_one(task.created_at, self.observe)
        store.add(task)


Effect = Callable[[Lifecycle, Task, float], None]
# what entering each status does (B3): a final task leaves its key's count; a failed or
# cancelled one is refunded; every final one is told to the `ended` hooks, last
ON_ENTER: Final[dict[Status, tuple[Effect, ...]]] = {
    "pending": (),
    "running": (),
    "succeeded": (Lifecycle._leave_count, Lifecycle._tell_ended),
    "failed": (Lifecycle._leave_count, Lifecycle._refund, Lifecycle._tell_ended),
    "cancelled": (Lifecycle._leave_count, Lifecycle._refund, Lifecycle._tell_ended),
}
