"""A task's lifecycle on one simulation (CONTRACT B3): observing a task's state and its side
effects, each key's concurrency count, and forgetting tasks beyond `max_tasks`.

A mixin of `Simulator`, which holds the state these read and change (`reset` makes it); the
provider use cases stay in simulator.py, the admin API's in control.py.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from typing import TYPE_CHECKING

from . import errors as e
from .tasks import FINAL, REFUNDED, Status, Task

if TYPE_CHECKING:
    from .clock import Clock
    from .config import Settings
    from .ledger import Ledger
    from .stream import Streams
    from .watchers import Watchers

# the oldest tasks a full store looks through for a final one, where one can finish early
FORGET_SCAN = 1000


class Lifecycle:
    if TYPE_CHECKING:  # what `Simulator` provides
        settings: Settings
        clock: Clock
        ledger: Ledger
        tasks: dict[str, Task]
        streams: Streams
        watchers: Watchers
        _order: deque[Task]
        _finals: list[tuple[int, str]]
        _active: dict[str, deque[Task]]
        _settled: dict[str, int]
        _doomed: dict[str, list[Task]]
        _unseen_early_finals: bool

    def _check_concurrency(self, key: str, now: float) -> None:
        limit = self.settings.max_concurrent_tasks
        # a task a `cancel_task` rule ended as it left the queue may sit behind older running
        # ones: observing the key's doomed tasks settles it before the count
        self.book_due_refunds(key, now)
        queue = self._active.get(key)
        if queue is None or len(queue) - self._settled.get(key, 0) < limit:
            # At most that many are active (some may have finished unobserved): below the
            # limit, no count is needed. Their ends are observed when they are read, counted
            # or forgotten, with the same times (a natural transition is dated by the task).
            return
        if self._active_count(key, now) >= limit:
            raise e.ApiError(
                e.TOO_MANY_TASKS,
                e.MSG_TOO_MANY_TASKS.format(limit=limit),
                headers={"Retry-After": str(self._retry_after(key, now))},
            )

    def observe(self, task: Task, now: float) -> tuple[Status, int]:
        """The task's state now; the first read that sees it failed or cancelled refunds it."""
        status, progress = task.state(now)
        if status != task.observed:
            task.record(status, now)
            if status in FINAL:
                if task.forced is not None or task.poll_offset or task.cancels:
                    heapq.heappush(self._finals, (task.charge_no, task.task_id))
                self._settle(task)
            if status in REFUNDED and task.refund_no is None:
                if task.forced is None and task.planned_failure is not None:
                    _, task.failure_reason, task.error_message = task.planned_failure
                assert task.final_at is not None  # the refund is dated when the task ended
                task.refund_no = self.ledger.refund(
                    task.key, task.price, task.task_id, task.final_at
                )
            if status in FINAL and self.watchers.watched(task.task_id):
                self.watchers.ended(task, now)
        return status, progress

    def advance(self, seconds: float) -> None:
        """Move the clock on; deliveries fall due and streams look again (the caller drains)."""
        self.clock.advance(seconds)
        self.watchers.look()
        self.streams.poke()

    def _settle(self, task: Task) -> None:
        """The task no longer counts against its key's concurrency limit."""
        if not task.settled:
            task.settled = True
            self._settled[task.key] = self._settled.get(task.key, 0) + 1

    def _active_count(self, key: str, now: float) -> int:
        """How many of the key's tasks are pending or running: O(1) amortized.

        Tasks finish in the order they were made (one queue and run time per simulation, and
        the poll clock observes what it moves), so final ones leave from the front of the
        queue; one finished early (finished by the admin API, cancelled by a fault as it left
        the queue, forgotten) is counted as settled until it reaches the front.
        """
        queue = self._active.get(key)
        if not queue:
            return 0
        while queue:
            head = queue[0]
            if not head.settled:
                if head.task_id not in self.tasks:
                    self._settle(head)
                else:
                    self.observe(head, now)
            if not head.settled:
                break
            queue.popleft()
            self._settled[key] -= 1
        return len(queue) - self._settled.get(key, 0)

    def retry_after(self, key: str | None) -> int:
        """Retry-After for a 429: real seconds to the key's earliest active task's end, else 1."""
        if key is None or key not in self.ledger.accounts:
            return 1
        now = self.clock.now()
        return self._retry_after(key, now) if self._active_count(key, now) else 1

    def _retry_after(self, key: str, now: float) -> int:
        """Real seconds until the key's earliest active task finishes (at least 1)."""
        active = [t for t in self._active.get(key, ()) if not t.settled]
        soonest = min(t.finishes_at() for t in active) - now
        real = self.clock.real_seconds(max(soonest, 0.0))
        return max(1, math.ceil(real)) if math.isfinite(real) else 1

    def _forget_one(self, now: float) -> None:
        """Make room: the oldest final task goes first, else the oldest task [mock decision].

        Two places hold the answer: the oldest tasks, and the heap of the tasks that finished
        out of creation order. Every task runs for the same queue and run seconds, so one that
        finishes on its own has every older task finished too and is found among the oldest;
        only a task finished by the admin API or moved on by polls (the poll clock) can finish
        ahead of older ones, as can one a `cancel_task` rule ends as it leaves the queue, and
        only those go on the heap. Both are cheap, so a full store of
        tasks that never finish costs a bounded scan per create, not O(n), and only where
        such a task can exist unobserved (a `cancel_task` rule has fired, or the poll clock):
        otherwise the oldest task alone says whether any task finished on its own.
        """
        tasks, order = self.tasks, self._order
        while tasks.get(order[0].task_id) is not order[0]:
            order.popleft()  # forgotten out of order, from the heap
        oldest_final: Task | None = None
        # without early finishers, a task that is not final has no final one behind it
        scan = FORGET_SCAN if self._unseen_early_finals else 1
        for task in order:
            if tasks.get(task.task_id) is not task:
                continue
            if self.observe(task, now)[0] in FINAL:
                oldest_final = task
                break
            scan -= 1
            if not scan:
                break
        while self._finals and tasks.get(self._finals[0][1]) is None:
            heapq.heappop(self._finals)
        if self._finals:
            number, task_id = self._finals[0]
            if oldest_final is None or number < oldest_final.charge_no:
                oldest_final = tasks[task_id]
        victim = oldest_final or order[0]
        del tasks[victim.task_id]
        if victim is order[0]:
            order.popleft()
        elif len(order) > 2 * len(tasks):
            # tasks forgotten from behind a front that stays (one never final, under a manual
            # clock) would pile up here: keep only the stored ones, O(1) a forget amortized
            self._order = deque(t for t in order if tasks.get(t.task_id) is t)
        self.watchers.forget(victim.task_id)
        self._settle(victim)
        # the oldest task is the front of its key's queue too: it leaves both, so a key whose
        # count the limit never asks for keeps no more tasks there than the store holds
        key = victim.key
        queue = self._active[key]
        if queue and queue[0] is victim:
            queue.popleft()
            self._settled[key] -= 1
        elif 2 * self._settled[key] > len(queue):
            # a settled task only counts as one to subtract: behind a front that stays, the
            # queue keeps its unsettled ones alone, and counts the same
            self._active[key] = deque(t for t in queue if not t.settled)
            self._settled[key] = 0

    def book_due_refunds(self, key: str | None, now: float | None = None) -> None:
        """Refund the tasks of `key` (or of every key) that a fault has failed by now.

        A task that fails on its own (a `fail_task` rule) is refunded by the first read that
        observes it (B3); a balance is such a read, so its refund shows before anyone looks
        at the task itself.
        """
        if key is not None and not self._doomed.get(key):
            return  # the key has no task a fault will end: nothing can be due
        now = self.clock.now() if now is None else now
        for owner in [key] if key is not None else list(self._doomed):
            tasks = self._doomed.get(owner)
            if tasks:
                tasks[:] = [t for t in tasks if self.observe(t, now)[0] not in FINAL]
