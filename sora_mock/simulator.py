"""The one mutable root of a simulation: accounts, tasks, ids, clock, faults and journal.

Every use-case method is synchronous. The HTTP layer awaits only while reading a body or carrying
out a fault's delay, never between a balance check, the charge and the task's creation, so no
interleaving of concurrent requests can overspend an account or refund a task twice.
"""

from __future__ import annotations

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
from .tasks import FINAL, Status, Task
from .variants import Variants
from .watchers import Watchers

if TYPE_CHECKING:  # a pydantic model, loaded on first use rather than at start-up
    from collections.abc import Callable

    from .fault_rule import FaultRule


class Simulator(ControlPlane):
    """A simulation's state and its provider use cases; the lifecycle (observing, counting and
    forgetting tasks) is `Lifecycle`'s, the admin API's use cases `ControlPlane`'s."""

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
        # the tasks in creation order, for forgetting: a dict finds its oldest entry by skipping
        # every slot its deletions emptied, some 28 µs per create once the store is full; here a
        # task forgotten out of order stays behind until it reaches the front
        self._order: deque[Task] = deque()
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
        self._order.append(task)
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


def _journal_checks(x: Exchange, checked: Collected) -> None:
    """What validation found goes on the journal row; the first violation is the answer."""
    x.warnings, x.normalizations, x.documented_forms, x.violations = (
        checked.warnings,
        checked.normalizations,
        checked.documented_forms,
        checked.violations,
    )
    if checked.violations:
        first = checked.violations[0]
        raise e.ApiError(first.code, first.message)
