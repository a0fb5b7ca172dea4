"""What waits for a task to end (A7, A8): the webhook a task may have, and the open streams.

The simulator calls `ended(task, now)` the first time any read sees a watched task final, which
is the one moment its delivery is made due (at the task's finish time, on the mock clock); and
`look()` observes the watched tasks when time may have moved (an advance, the real clock's
timer). Kept apart from the simulator so that its lifecycle reads without them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .clock import Clock
from .config import Settings
from .deliveries import Deliveries, Delivery
from .faults import Faults
from .stream import Streams, final_event, progress_event, webhook_payload
from .tasks import FINAL, Status, Task

Observe = Callable[[Task, float], tuple[Status, int]]


class Watchers:
    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        faults: Faults,
        *,
        pids: Callable[[str], str],
        observe: Observe,
        find: Callable[[str], Task | None],
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._pids = pids
        self._observe = observe
        self._find = find
        self.streams = Streams(settings.journal_size)
        self.deliveries = Deliveries(
            settings, clock, faults, look=self.look, delivered=self._delivered
        )
        self._hooks: dict[str, tuple[Task, str, str]] = {}

    def reset(self) -> None:
        """Pending deliveries are cancelled and open streams end, without a final event."""
        self._hooks = {}  # tasks with a webHook not seen final yet: the URL, the create's base
        self.deliveries.reset()
        self.streams.end_all()

    def watch(self, task: Task, url: str, base_url: str) -> None:
        self._hooks[task.task_id] = (task, url, base_url)
        self.deliveries.alarm(task.finishes_at())

    def watched(self, task_id: str) -> bool:
        return task_id in self._hooks

    def forget(self, task_id: str) -> None:
        self._hooks.pop(task_id, None)

    def ended(self, task: Task, now: float) -> None:
        """The task was just seen final: its webhook is due at its finish time (A7)."""
        _, url, base = self._hooks.pop(task.task_id)
        status = task.observed
        if status != "succeeded" and not self._settings.webhook_on_failure:
            return
        result = task.result(now, self._settings.public_base_url or base, self._pids)
        assert task.final_at is not None
        delivery = self.deliveries.schedule(
            task_id=task.task_id,
            key=task.key,
            url=url,
            event=status,
            payload=webhook_payload(result),
            model=task.model,
            prompt=task.params.get("prompt"),
            due=task.final_at,
        )
        task.webhook = delivery.id

    def _delivered(self, task_id: str) -> None:
        """A 2xx acknowledged the task's final result: the client has seen it (F's report)."""
        task = self._find(task_id)
        if task is not None:
            task.seen_final = True

    def look(self) -> None:
        """Observe every task whose webhook waits for it to finish."""
        now = self._clock.now()
        for task, _, _ in list(self._hooks.values()):
            self._observe(task, now)

    def stream_event(self, task: Task, base_url: str) -> tuple[dict[str, Any], bool]:
        """The event a stream of `task` would send now (A8), and whether it is the last."""
        now = self._clock.now()
        status, progress = self._observe(task, now)
        if status in FINAL:
            result = task.result(now, self._settings.public_base_url or base_url, self._pids)
            return final_event(result), True
        return progress_event(task.task_id, status, progress), False

    def webhooks(
        self, key: str | None = None, task_id: str | None = None, state: str | None = None
    ) -> list[Delivery]:
        self.look()
        return self.deliveries.query(key=key, task_id=task_id, state=state)
