"""The one mutable root of a simulation: accounts, tasks, ids, clock, faults and journal.

Every use-case method is synchronous. The HTTP layer awaits only while reading a body or carrying
out a fault's delay, never between a balance check, the charge and the task's creation, so no
interleaving of concurrent requests can overspend an account or refund a task twice.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import deque
from typing import TYPE_CHECKING, Any

from . import errors as e
from .clock import Clock, make_clock
from .config import Settings
from .control import ControlPlane
from .faults import DEFAULT_CANCEL_REASON, DEFAULT_FAILURE_REASON, Faults
from .ids import ResultPids, TaskIds
from .journal import Exchange, Journal
from .ledger import Ledger
from .pricing import price_of
from .rules.common import Collected, bearer_token
from .rules.sora_pro import check_create
from .rules.sora_video import VideoChecked, check_sora_video
from .tasks import FINAL, REFUNDED, Status, Task
from .variants import Variants
from .watchers import Watchers

if TYPE_CHECKING:  # a pydantic model, loaded on first use rather than at start-up
    from collections.abc import Callable

    from .fault_rule import FaultRule

FORGET_SCAN = 1000


class Simulator(ControlPlane):
    """A simulation's state and its provider use cases; the admin API's are `ControlPlane`'s."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clock: Clock = make_clock(settings.clock, settings.speed)
        self.pricing = settings.price_table
        self.faults = Faults(settings.seed)
        self.journal = Journal(settings.journal_size)
        self._task_ids = TaskIds(settings.seed)
        self.result_pid = ResultPids(settings.seed)
        self.variants = Variants.of(settings.variants, settings.seed)
        # one tuple of parameter names per task shape, shared by the tasks of that shape
        self._param_names: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.generation = 0
        self.watchers = Watchers(
            settings,
            self.clock,
            self.faults,
            pids=self.result_pid,
            observe=self.observe,
            find=self._find,
        )
        # the HTTP layer's handles on them: the streams it writes, the deliveries it drains
        self.streams = self.watchers.streams
        self.deliveries = self.watchers.deliveries
        self.reset()

    def reset(self) -> None:
        """Back to the configured start; requests still in flight are not journaled afterwards."""
        self.generation += 1
        self.ledger = Ledger(self.settings.ledger_size)
        for key, entry in self.settings.accounts.items():
            balance = self.settings.default_balance if entry.balance is None else entry.balance
            vip = self.settings.default_vip if entry.vip is None else entry.vip
            self.ledger.open(key, balance, vip)
        self.tasks: dict[str, Task] = {}
        # heap: (charge_no, taskId) of the tasks that may have finished out of creation order
        self._finals: list[tuple[int, str]] = []
        # per key: its tasks in creation order from the oldest that may still be active, and
        # how many of those are final already (they finished out of order)
        self._active: dict[str, deque[Task]] = {}
        self._settled: dict[str, int] = {}
        # per key: tasks a fault will fail or cancel, not yet refunded
        self._doomed: dict[str, list[Task]] = {}
        # whether a task may have finished ahead of older ones without being observed (a
        # `cancel_task` rule's, or one the poll clock moved on): then forgetting scans for it
        self._unseen_early_finals = self.clock.mode == "poll"
        self._counters: dict[str, int] = {}  # per key: taskIds made (B2's n)
        self.sequence = 0  # journaled provider requests so far, numbered for the variants (G)
        self.journal.clear()
        self.clock.reset()
        self.faults.reset(self.settings.faults)
        self.watchers.reset()

    def now(self) -> float:
        return self.clock.now()

    # -- provider use cases --------------------------------------------------------------------

    def authenticate(self, authorization: str | None) -> str:
        """The API key of a request, opening an auto-provisioned account; ApiError 401 if none."""
        token = bearer_token(authorization)
        if token is None:
            blank = authorization is not None and authorization.strip().lower() == "bearer"
            raise e.ApiError(e.UNAUTHORIZED, e.MSG_BLANK_TOKEN if blank else e.MSG_NO_AUTH)
        if token not in self.ledger.accounts:
            if not self.settings.auto_provision:
                raise e.ApiError(e.UNAUTHORIZED, e.MSG_UNKNOWN_KEY.format(key=e.mask_key(token)))
            self.ledger.open(token, self.settings.default_balance, self.settings.default_vip)
        return token

    def create_task(
        self, key: str, body: dict[str, Any], x: Exchange, fail: FaultRule | None = None
    ) -> Task:
        """Validate, check the concurrency limit and the balance, charge, and create the task."""
        checked = check_create(
            body,
            strict=self.settings.strict,
            max_image_bytes=self.settings.max_image_bytes,
            vip=self.ledger.accounts[key].vip,
        )
        _journal_checks(x, checked)
        now = self.clock.now()
        self._check_concurrency(key, now)
        assert checked.model is not None
        model = checked.model.name
        price = price_of(self.pricing, model, checked.n_frames, checked.size)
        return self._open_task(key, model, price, checked.params, now, fail)

    def create_video_task(
        self,
        key: str,
        body: dict[str, Any],
        x: Exchange,
        fail: FaultRule | None = None,
        base_url: str = "",
    ) -> tuple[Task, VideoChecked]:
        """A6: validate, the VIP rule, the concurrency limit shared with A2, credits, the task.

        `base_url` is the create request's scheme and host: the base of the webhook's result
        URL unless `public_base_url` is set (A7).
        """
        checked = check_sora_video(
            body,
            strict=self.settings.strict,
            max_image_bytes=self.settings.max_image_bytes,
            is_own_result=lambda pid: self._own_result(key, pid),
            vip=self.ledger.accounts[key].vip,
        )
        _journal_checks(x, checked)
        now = self.clock.now()
        self._check_concurrency(key, now)
        assert checked.model is not None
        price = price_of(self.pricing, checked.model, checked.duration, None)
        task = self._open_task(key, checked.model, price, checked.params, now, fail)
        task.route = "sora-video"
        kept: dict[str, Any] = {
            k: checked.params[k] for k in ("remixTargetId", "characters") if k in checked.params
        }
        task.metadata = kept or None
        if checked.webhook is not None:
            self.watchers.watch(task, checked.webhook, base_url)
            self.observe(task, now)  # no queue and no run: it is final, and due, at once
        return task, checked

    def _check_concurrency(self, key: str, now: float) -> None:
        limit = self.settings.max_concurrent_tasks
        # a task a `cancel_task` rule ended as it left the queue may sit behind older running
        # ones: observing the key's doomed tasks settles it before the count
        self.book_due_refunds(key, now)
        if self._active_count(key, now) >= limit:
            raise e.ApiError(
                e.TOO_MANY_TASKS,
                e.MSG_TOO_MANY_TASKS.format(limit=limit),
                headers={"Retry-After": str(self._retry_after(key, now))},
            )

    def _own_result(self, key: str, pid: str) -> bool:
        """Whether `pid` is the result_pid of a succeeded task of `key` (A6's remixTargetId).

        A scan of the store, paid only by requests that name a remix target.
        """
        now = self.clock.now()
        return any(
            task.key == key
            and self.observe(task, now)[0] == "succeeded"
            and self.result_pid(task.task_id) == pid
            for task in list(self.tasks.values())
        )

    def _open_task(  # noqa: PLR0917 (the task's parts, each from a different step)
        self,
        key: str,
        model: str,
        price: int,
        params: dict[str, Any],
        now: float,
        fail: FaultRule | None,
    ) -> Task:
        """The charge and the task; the caller has checked the concurrency limit at `now`,
        which booked the key's due refunds, so the balance seen here is current."""
        account = self.ledger.accounts[key]
        if account.balance < price:
            raise e.ApiError(
                e.INSUFFICIENT_CREDITS,
                e.MSG_INSUFFICIENT_CREDITS.format(price=price, balance=account.balance),
            )
        n = self._counters.get(key, 0) + 1
        task_id = self._task_ids(key, n)
        self._counters[key] = n
        names = tuple(params)
        settings = self.settings
        task = Task(  # positional, in the order of Task's fields: the create path's hottest call
            task_id,
            key,
            model,
            self._param_names.setdefault(names, names),
            tuple(params.values()),
            price,
            self.ledger.charge(key, price, task_id, now),
            now,
            settings.queue_seconds,
            settings.run_seconds,
        )
        if fail is not None:
            self._doomed.setdefault(key, []).append(task)
            cancel = fail.action == "cancel_task"
            self._unseen_early_finals |= cancel
            default = DEFAULT_CANCEL_REASON if cancel else DEFAULT_FAILURE_REASON
            task.planned_failure = (
                "cancelled" if cancel else "failed",
                fail.failure_reason or default,
                fail.error_message,
            )
        if len(self.tasks) >= self.settings.max_tasks:
            self._forget_one(now)
        self.tasks[task_id] = task
        queue = self._active.get(key)
        if queue is None:
            queue = self._active[key] = deque()
        queue.append(task)
        return task

    def check_result(
        self, key: str, task_id: str, answer: Callable[[Task, Status, int], bytes]
    ) -> bytes:
        """A3: `answer` shapes the task as its owner sees it now (status, progress), before a
        poll step moves its own time on; the HTTP layer decides the bytes."""
        task = self.tasks.get(task_id)
        if task is None or task.key != key:
            raise e.ApiError(e.NOT_FOUND, e.MSG_TASK_NOT_FOUND.format(task_id=task_id[:64]))
        now = self.clock.now()
        status, progress = self.observe(task, now)
        body = answer(task, status, progress)
        if status in FINAL:
            task.seen_final = True
        if self.clock.mode == "poll" and task.forced is None:
            task.poll_offset += self.settings.poll_step_seconds
            self.observe(task, now)  # by its own time it may be final now: no longer active
        self.streams.poke(task_id)
        return body

    def credits(self, key: str) -> dict[str, Any]:
        """The balance route's `data` (A5): the balance after the refunds due now, the VIP flag."""
        self.book_due_refunds(key)
        account = self.ledger.accounts[key]
        return {"left_credits": account.balance, "is_vip": account.vip}

    def _find(self, task_id: str) -> Task | None:
        return self.tasks.get(task_id)  # `tasks` is a new dict after every reset

    def owner_of(self, task_id: str) -> str | None:
        task = self.tasks.get(task_id)
        return task.key if task is not None else None

    def video_ready(self, task_id: str) -> bool:
        task = self.tasks.get(task_id)
        return task is not None and self.observe(task, self.clock.now())[0] == "succeeded"

    # -- the lifecycle -------------------------------------------------------------------------

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
        oldest_final: Task | None = None
        # without early finishers, a task that is not final has no final one behind it
        scan = FORGET_SCAN if self._unseen_early_finals else 1
        for task in itertools.islice(self.tasks.values(), scan):
            if self.observe(task, now)[0] in FINAL:
                oldest_final = task
                break
        while self._finals and self.tasks.get(self._finals[0][1]) is None:
            heapq.heappop(self._finals)
        if self._finals:
            number, task_id = self._finals[0]
            if oldest_final is None or number < oldest_final.charge_no:
                oldest_final = self.tasks[task_id]
        victim = oldest_final or next(iter(self.tasks.values()))
        del self.tasks[victim.task_id]
        self.watchers.forget(victim.task_id)
        self._settle(victim)

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


def _journal_checks(x: Exchange, checked: Collected) -> None:
    """What validation found goes on the journal row; the first violation is the answer."""
    x.warnings, x.normalizations, x.violations = (
        checked.warnings,
        checked.normalizations,
        checked.violations,
    )
    if checked.violations:
        first = checked.violations[0]
        raise e.ApiError(first.code, first.message)
