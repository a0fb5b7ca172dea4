"""The one mutable root of a simulation: accounts, tasks, ids, clock, faults, journal, and what
hangs off the lifecycle (webhook deliveries, streams).

Every use case is synchronous. The HTTP layer awaits only while reading a body or carrying out a
fault's delay, never between a balance check, the charge and the task's creation, so no
interleaving of concurrent requests can overspend an account or refund a task twice. A use case
returns what it made and what validation found, or raises an `ApiError` that carries it; the
pipeline writes the journal row (the simulation never sees one).
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import islice
from typing import TYPE_CHECKING, Any, Final

from ..config import Settings
from ..core import errors as e
from ..core.clock import Clock, make_clock
from ..core.findings import Collected
from ..core.ids import ResultPids, TaskIds
from ..core.journal import Journal
from ..core.ledger import Account, Ledger
from ..core.variants import Variants
from ..faults.actions import DEFAULT_CANCEL_REASON, DEFAULT_FAILURE_REASON
from ..faults.engine import Faults
from ..routes.common import bearer_token
from ..routes.pricing import price_of
from ..routes.sora_pro import Checked, check_create
from ..routes.sora_video import VideoChecked, check_sora_video
from ..tasks import FINAL, REFUNDED, Route, Status, Task
from ..tasks.lifecycle import Lifecycle
from ..tasks.store import TaskStore
from ..tasks.task import CHARGE_SHIFT, Shape, kept
from .deliveries import Deliveries
from .streams import Streams

if TYPE_CHECKING:  # a pydantic model, loaded on first use rather than at start-up
    from ..faults.rule import FaultRule

DEFAULT_ADMIN_FAILURE: Final = "failed_by_admin"
DEFAULT_ADMIN_CANCEL: Final = "cancelled_by_admin"


class Simulator:
    """A simulation's state, its provider use cases, and the moves the control surface makes."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clock: Clock = make_clock(settings.clock, settings.speed)
        self.pricing = settings.price_table
        self.faults = Faults(settings.seed)
        self.journal = Journal(settings.journal_size)
        self._task_ids = TaskIds(settings.seed)
        self.result_pid = ResultPids(settings.seed)
        self.variants = Variants.of(settings.variants, settings.seed)
        # what the tasks of one kind and owner share (key, route, model, parameter names,
        # price), made once
        self._shapes: dict[tuple[str, str, str, tuple[str, ...], int], Shape] = {}
        self.generation = 0
        self.ledger = Ledger(settings.ledger_size)
        self.lifecycle = Lifecycle(
            self.clock, self.ledger, max_concurrent=settings.max_concurrent_tasks
        )
        self.deliveries = Deliveries(
            settings, self.clock, self.faults, self.lifecycle, self.result_pid
        )
        self.streams = Streams(
            self.clock,
            self.lifecycle,
            self.result_pid,
            public_base_url=settings.public_base_url,
            kept=settings.journal_size,
        )
        self.reset()

    def reset(self) -> None:
        """Back to the configured start; requests still in flight are not journaled afterwards.
        Pending deliveries are cancelled and open streams end, without a final event."""
        self.generation += 1
        self.ledger = Ledger(self.settings.ledger_size)
        for key, entry in self.settings.accounts.items():
            balance = self.settings.default_balance if entry.balance is None else entry.balance
            vip = self.settings.default_vip if entry.vip is None else entry.vip
            self.ledger.open(key, balance, vip)
        self.lifecycle.reset(self.ledger)
        self._counters: dict[str, int] = {}  # per key: taskIds made (B2's n)
        self.sequence = 0  # journaled provider requests so far, numbered for the variants (G)
        self.journal.clear()
        self.clock.reset()
        self.faults.reset(self.settings.faults)
        self.deliveries.reset()
        self.streams.end_all()

    def now(self) -> float:
        return self.clock.now()

    @property
    def tasks(self) -> TaskStore:
        """Every stored task, in creation order; `.get(taskId)`."""
        return self.lifecycle.store

    def observe(self, task: Task, now: float) -> tuple[Status, int]:
        return self.lifecycle.observe(task, now)

    def retry_after(self, key: str | None) -> int:
        return self.lifecycle.retry_after(key)

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
        self, key: str, body: dict[str, Any], fail: FaultRule | None = None
    ) -> tuple[Task, Checked]:
        """A2: validate, check the concurrency limit and the balance, charge, create the task."""
        checked = check_create(
            body,
            strict=self.settings.strict,
            max_image_bytes=self.settings.max_image_bytes,
            vip=self.ledger.accounts[key].vip,
        )
        _refuse(checked)
        now = self.clock.now()
        self._limit(key, now, checked)
        assert checked.model is not None
        model = checked.model.name
        price = price_of(self.pricing, model, checked.n_frames, checked.size)
        return self._open_task(key, model, price, checked, now, fail), checked

    def create_video_task(
        self,
        key: str,
        body: dict[str, Any],
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
        _refuse(checked)
        now = self.clock.now()
        self._limit(key, now, checked)
        assert checked.model is not None
        price = price_of(self.pricing, checked.model, checked.duration, None)
        task = self._open_task(key, checked.model, price, checked, now, fail, "sora-video")
        params = task.params  # as the task keeps them (a long URL cut)
        metadata: dict[str, Any] = {
            k: params[k] for k in ("remixTargetId", "characters") if k in params
        }
        task.metadata = metadata or None
        if checked.webhook is not None:
            self.deliveries.watch(task, checked.webhook, base_url)
            self.observe(task, now)  # no queue and no run: it is final, and due, at once
        return task, checked

    def _limit(self, key: str, now: float, checked: Collected) -> None:
        try:
            self.lifecycle.check_concurrency(key, now)
        except e.ApiError as err:
            err.found = checked
            raise

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
        checked: Collected,
        now: float,
        fail: FaultRule | None,
        route: Route = "sora-pro",
    ) -> Task:
        """The charge and the task; the caller has checked the concurrency limit at `now`,
        which booked the key's due refunds, so the balance seen here is current."""
        account = self.ledger.accounts[key]
        if account.balance < price:
            raise e.ApiError(
                e.INSUFFICIENT_CREDITS,
                e.MSG_INSUFFICIENT_CREDITS.format(price=price, balance=account.balance),
                found=checked,
            )
        n = self._counters.get(key, 0) + 1
        task_id = self._task_ids(key, n)
        self._counters[key] = n
        params = checked.params
        names = tuple(params)
        settings = self.settings
        shape = self._shapes.get((key, route, model, names, price))
        if shape is None:
            shape = Shape(  # the account's own key string, not this request's copy of it
                account.key,
                route,
                model,
                names,
                price,
                settings.queue_seconds,
                settings.run_seconds,
            )
            self._shapes[key, route, model, names, price] = shape
        task = Task(  # positional, in the order of Task's fields: the create path's hottest call
            int(task_id, 16),
            shape,
            shape.values(tuple(params.values())),
            now,
            self.ledger.charge(key, price, task_id, now) << CHARGE_SHIFT,  # status: pending
        )
        if fail is not None:
            cancel = fail.action == "cancel_task"
            default = DEFAULT_CANCEL_REASON if cancel else DEFAULT_FAILURE_REASON
            task.planned_failure = (
                "cancelled" if cancel else "failed",
                kept(fail.failure_reason or default),
                kept(fail.error_message),
            )
        self.lifecycle.add(task, settings.max_tasks)
        return task

    def check_result(
        self,
        key: str,
        task: Task | None,
        task_id: str,
        answer: Callable[[Task, Status, int], bytes],
    ) -> bytes:
        """A3: `answer` shapes the task as its owner sees it now (status, progress), before a
        poll step moves its own time on; the HTTP layer decides the bytes. `task` is the stored
        task `task_id` names (`tasks.get`), if any."""
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
        self.lifecycle.book_due_refunds(key)
        account = self.ledger.accounts[key]
        return {"left_credits": account.balance, "is_vip": account.vip}

    def owner_of(self, task_id: str) -> str | None:
        task = self.tasks.get(task_id)
        return task.key if task is not None else None

    def video_ready(self, task_id: str) -> bool:
        task = self.tasks.get(task_id)
        return task is not None and self.observe(task, self.clock.now())[0] == "succeeded"

    # -- what the control surface does (D) ----------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Move the clock on: deliveries fall due and streams look again (`Control.advance`
        then waits for the attempts it made due)."""
        self.clock.advance(seconds)
        self.deliveries.look()
        self.streams.poke()

    def finish(
        self,
        task_id: str,
        status: Status,
        failure_reason: str | None = None,
        error_message: str | None = None,
    ) -> Task:
        """Admin succeed/fail/cancel: final now; 409 (AdminError) if it already was.

        A failed or cancelled task ends where it stands (its progress frozen) and is refunded.
        """
        task = self.task(task_id)
        now = self.clock.now()
        current, progress = self.observe(task, now)
        if current in FINAL:
            raise e.AdminError(409, f"Task {task_id} is already {current}.")
        if status in REFUNDED:
            task.forced = (status, progress)
            default = DEFAULT_ADMIN_FAILURE if status == "failed" else DEFAULT_ADMIN_CANCEL
            task.failure_reason = kept(failure_reason or default)
            task.error_message = kept(error_message)
        else:
            task.forced = ("succeeded", 100)
        self.observe(task, now)
        self.streams.poke(task_id)
        return task

    def task(self, task_id: str) -> Task:
        task = self.tasks.get(task_id)
        if task is None:
            raise e.AdminError(404, f"Task {task_id[:64]} was not found.")
        return task

    def task_json(self, task: Task) -> dict[str, Any]:
        now = self.clock.now()
        self.observe(task, now)
        return task.to_json(now, self.result_pid)

    def list_tasks(
        self,
        key: str | None = None,
        limit: int | None = None,
        *,
        seen_final: bool | None = None,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Task records in creation order; with `limit`, only the newest that many, after
        skipping the newest `offset`; with `seen_final`, only those whose final status the
        client was (or was not) shown. A page reads from the newest end and stops once it is
        full, so a bounded page of a full store costs the page, not the store."""
        chosen = (
            t
            for t in self.tasks.newest_first()
            if key in (None, t.key) and seen_final in (None, t.seen_final)
        )
        page = list(islice(chosen, offset, None if limit is None else offset + limit))
        page.reverse()
        return [self.task_json(t) for t in page]

    def accounts(self) -> list[Account]:
        self.deliveries.look()
        self.lifecycle.book_due_refunds(None)
        return list(self.ledger.accounts.values())

    def account(self, key: str) -> Account:
        self.deliveries.look()
        self.lifecycle.book_due_refunds(key)
        account = self.ledger.accounts.get(key)
        if account is None:
            raise e.AdminError(404, f"Account {e.mask_key(key)} was not found.")
        return account

    def open_account(self, key: str) -> Account:
        return self.ledger.open(key, self.settings.default_balance, self.settings.default_vip)

    def set_account(self, key: str, balance: int | None, vip: bool | None) -> Account:
        """Admin PUT (D): a balance (a `set` row), the VIP flag (no row), or both.

        An unknown key opens at 0, with `default_vip` unless `vip` is given.
        """
        self.lifecycle.book_due_refunds(key)
        default_vip = self.settings.default_vip if vip is None else vip
        account = self.ledger.open(key, 0, default_vip)
        if vip is not None:
            account.vip = vip
        if balance is not None:
            self.ledger.set_balance(key, balance, self.clock.now())
        return account

    def clock_json(self) -> dict[str, Any]:
        return {"now": self.clock.now(), "mode": self.clock.mode, "speed": self.clock.speed}


def _refuse(checked: Collected) -> None:
    """The first violation is the answer; the error carries every finding for the row."""
    if checked.violations:
        first = checked.violations[0]
        raise e.ApiError(first.code, first.message, found=checked)
