"""The SSE stream of one task (CONTRACT A8), and the final event it shares with A7's payload.

The stream reads the task's state the way every other reader does (derived from the clock when
read, through the lifecycle's `observe`), so it needs no timer of its own on the manual and poll
clocks: the simulator `poke`s the streams of a task whenever that task's time may have moved (a
clock advance, an admin finish, a check-result of it), the lifecycle's `ended` hook pokes them as
their task ends, and each open stream looks once. On the real clock it looks every
`sse_interval_seconds`. A reset `end_all`s them: they close without a final event.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from ..core.clock import Clock
from ..core.ids import ResultPids
from ..tasks import FINAL, Task
from ..tasks.lifecycle import Lifecycle


def progress_event(task_id: str, status: str, progress: int) -> dict[str, Any]:
    return {"id": task_id, "status": status, "progress": progress}


def final_event(result: dict[str, Any]) -> dict[str, Any]:
    """A8's last event, from the task's check-result `data` (A3)."""
    return {
        "id": result["taskId"],
        "status": result["status"],
        "progress": result["progress"],
        "results": [{"url": url} for url in result["result_urls"]],
        "failure_reason": result["failure_reason"] or "",
        "error_message": result["error_message"],
    }


def webhook_payload(result: dict[str, Any]) -> dict[str, Any]:
    """A7's payload: the final event plus `taskId`."""
    event = final_event(result)
    return {"id": event.pop("id"), "taskId": result["taskId"], **event}


def encode(event: dict[str, Any]) -> bytes:
    return b"data: " + json.dumps(event, separators=(",", ":")).encode() + b"\n\n"


@dataclass(eq=False, slots=True)
class Watch:
    """One open stream: set when its task may have changed; `ended` by a reset."""

    task_id: str
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    ended: bool = False
    last: dict[str, Any] | None = None  # the last event sent, for the client report


class Streams:
    def __init__(
        self,
        clock: Clock,
        lifecycle: Lifecycle,
        pids: ResultPids,
        *,
        public_base_url: str | None,
        kept: int = 1000,
    ) -> None:
        self._clock = clock
        self._lifecycle = lifecycle
        self._pids = pids
        self._public_base_url = public_base_url
        lifecycle.ended.append(self.on_ended)
        self._open: dict[str, set[Watch]] = {}
        # the newest final events sent, by taskId: what a client saw through its stream (F's
        # report also has the task's `seen_final`); bounded, like the journal
        self.finals: dict[str, dict[str, Any]] = {}
        self._kept = kept

    def on_ended(self, task: Task, now: float) -> None:
        """The lifecycle's `ended` hook: the task's streams look again, and send its end."""
        if self._open and task.task_id in self._open:  # most tasks end with none open
            self.poke(task.task_id)

    def event(self, task: Task, base_url: str) -> tuple[dict[str, Any], bool]:
        """The event a stream of `task` would send now (A8), and whether it is the last."""
        now = self._clock.now()
        status, progress = self._lifecycle.observe(task, now)
        if status in FINAL:
            base = self._public_base_url or base_url
            return final_event(task.result(now, base, self._pids)), True
        return progress_event(task.task_id, status, progress), False

    def sent_final(self, task_id: str, event: dict[str, Any]) -> None:
        self.finals[task_id] = event
        if len(self.finals) > self._kept:
            del self.finals[next(iter(self.finals))]

    def open(self, task_id: str) -> Watch:
        watch = Watch(task_id)
        self._open.setdefault(task_id, set()).add(watch)
        return watch

    def close(self, watch: Watch) -> None:
        watches = self._open.get(watch.task_id)
        if watches is not None:
            watches.discard(watch)
            if not watches:
                del self._open[watch.task_id]

    def poke(self, task_id: str | None = None) -> None:
        """Tell the streams of `task_id` (or every stream) to look at their task again."""
        if task_id is None:
            for watches in self._open.values():
                for watch in watches:
                    watch.changed.set()
        else:
            for watch in self._open.get(task_id, ()):
                watch.changed.set()

    def end_all(self) -> None:
        for watches in self._open.values():
            for watch in watches:
                watch.ended = True
                watch.changed.set()
        self._open.clear()
        self.finals.clear()

    def __len__(self) -> int:
        return sum(len(w) for w in self._open.values())
