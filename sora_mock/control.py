"""The admin API's use cases on one simulation (CONTRACT D): end a task now, read tasks and
accounts, set a balance or the VIP flag, read the clock.

A mixin of `Simulator`, which holds the state these read and change, on top of the lifecycle
(`lifecycle.py`) whose reads these take; the provider use cases stay in simulator.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import errors as e
from .lifecycle import Lifecycle
from .tasks import FINAL, REFUNDED, Status, Task

if TYPE_CHECKING:
    from .ids import ResultPids
    from .ledger import Account

DEFAULT_ADMIN_FAILURE: str = "failed_by_admin"
DEFAULT_ADMIN_CANCEL: str = "cancelled_by_admin"


class ControlPlane(Lifecycle):
    if TYPE_CHECKING:  # what `Simulator` provides besides the lifecycle's state
        result_pid: ResultPids

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
            task.failure_reason = failure_reason or default
            task.error_message = error_message
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
        self, key: str | None = None, limit: int | None = None, *, seen_final: bool | None = None
    ) -> list[dict[str, Any]]:
        """Task records in creation order; with `limit`, only the newest that many; with
        `seen_final`, only those whose final status the client was (or was not) shown."""
        tasks = [
            t
            for t in self.tasks.values()
            if key in (None, t.key) and seen_final in (None, t.seen_final)
        ]
        if limit is not None:
            tasks = tasks[len(tasks) - limit :] if limit else []
        return [self.task_json(t) for t in tasks]

    def accounts(self) -> list[Account]:
        self.watchers.look()
        self.book_due_refunds(None)
        return list(self.ledger.accounts.values())

    def account(self, key: str) -> Account:
        self.watchers.look()
        self.book_due_refunds(key)
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
        self.book_due_refunds(key)
        default_vip = self.settings.default_vip if vip is None else vip
        account = self.ledger.open(key, 0, default_vip)
        if vip is not None:
            account.vip = vip
        if balance is not None:
            self.ledger.set_balance(key, balance, self.clock.now())
        return account

    def clock_json(self) -> dict[str, Any]:
        return {"now": self.clock.now(), "mode": self.clock.mode, "speed": self.clock.speed}
