"""Accounts and the credit ledger (CONTRACT B1): synchronous, so no interleaving can overspend.

Invariant: balance == start + sum(deltas) and balance >= 0, for every account, always.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from .errors import mask_key

Reason = Literal["charge", "refund", "set"]


@dataclass(slots=True)
class Transaction:
    trans_no: str
    reason: Reason
    delta: int
    balance_after: int
    task_id: str | None
    time: float

    def to_json(self) -> dict[str, Any]:
        return {
            "trans_no": self.trans_no,
            "reason": self.reason,
            "delta": self.delta,
            "balance_after": self.balance_after,
            "taskId": self.task_id,
            "time": self.time,
        }


@dataclass(slots=True)
class Account:
    key: str
    start: int
    balance: int
    transactions: list[Transaction] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"key": mask_key(self.key), "balance": self.balance}


class InsufficientCredits(Exception):
    pass


class Ledger:
    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}
        self._counter = 0

    def open(self, key: str, balance: int) -> Account:
        """The account of `key`, opened at `balance` (no transaction) when it is new."""
        account = self.accounts.get(key)
        if account is None:
            account = self.accounts[key] = Account(key, balance, balance)
        return account

    def _book(
        self, account: Account, reason: Reason, delta: int, task_id: str | None, time: float
    ) -> Transaction:
        balance = account.balance + delta
        if balance < 0:
            raise InsufficientCredits(account.key)
        self._counter += 1
        row = Transaction(f"txn_{self._counter:08d}", reason, delta, balance, task_id, time)
        account.balance = balance
        account.transactions.append(row)
        return row

    def set_balance(self, key: str, balance: int, time: float) -> Account:
        """Open `key` at 0 if new, then book a `set` of the difference (none when it is 0)."""
        if balance < 0:
            raise ValueError("a balance cannot be negative")
        account = self.open(key, 0)
        if balance != account.balance:
            self._book(account, "set", balance - account.balance, None, time)
        return account

    def charge(self, key: str, price: int, task_id: str, time: float) -> Transaction:
        return self._book(self.accounts[key], "charge", -price, task_id, time)

    def refund(self, key: str, price: int, task_id: str, time: float) -> Transaction:
        return self._book(self.accounts[key], "refund", price, task_id, time)
