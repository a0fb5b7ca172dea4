"""Accounts and the credit ledger (CONTRACT B1): synchronous, so no interleaving can overspend.

Invariant: balance == start + sum(deltas) and balance >= 0, for every account, always.

B1 keeps every row for as long as the simulation runs, so rows are stored column by column in
arrays (about 41 bytes a row instead of about 330 as objects) and made into `Transaction`
objects only when someone reads them. That is what keeps a long-running container's memory
nearly flat once its task store is full.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, MutableSequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from .errors import mask_key

Reason = Literal["charge", "refund", "set"]
REASONS: Final[tuple[Reason, ...]] = ("charge", "refund", "set")
_CODE: Final[dict[Reason, int]] = {reason: code for code, reason in enumerate(REASONS)}
_ID_BYTES: Final = 16  # a taskId is 32 hex digits (B2)


def trans_no(number: int) -> str:
    """The transaction number as clients see it: `txn_00000001`."""
    return f"txn_{number:08d}"


@dataclass(frozen=True, slots=True)
class Transaction:
    number: int
    reason: Reason
    delta: int
    balance_after: int
    task_id: str | None
    time: float

    @property
    def trans_no(self) -> str:
        return trans_no(self.number)

    def to_json(self) -> dict[str, Any]:
        return {
            "trans_no": self.trans_no,
            "reason": self.reason,
            "delta": self.delta,
            "balance_after": self.balance_after,
            "taskId": self.task_id,
            "time": self.time,
        }


class Rows:
    """One account's transactions, oldest first; a delta is the difference of two balances."""

    __slots__ = ("_balances", "_numbers", "_reasons", "_start", "_task_ids", "_times")

    def __init__(self, start: int) -> None:
        self._start = start
        self._numbers = array("q")
        self._reasons = bytearray()
        # a balance beyond 64 bits (the admin API takes any integer) turns the column into a list
        self._balances: MutableSequence[int] = array("q")
        self._times = array("d")
        self._task_ids = bytearray()  # 16 bytes a row; zeros for a `set`, which has no task

    def append(
        self, number: int, reason: Reason, balance: int, task_id: str | None, time: float
    ) -> None:
        task_bytes = bytes.fromhex(task_id) if task_id is not None else bytes(_ID_BYTES)
        try:
            self._balances.append(balance)
        except OverflowError:
            self._balances = [*self._balances, balance]
        self._numbers.append(number)
        self._reasons.append(_CODE[reason])
        self._times.append(time)
        self._task_ids += task_bytes

    def __len__(self) -> int:
        return len(self._numbers)

    def __getitem__(self, i: int) -> Transaction:
        i = range(len(self))[i]  # negative indexes count from the end; IndexError when out
        reason = REASONS[self._reasons[i]]
        balance = self._balances[i]
        before = self._balances[i - 1] if i else self._start
        task_id = self._task_ids[i * _ID_BYTES : (i + 1) * _ID_BYTES].hex()
        return Transaction(
            self._numbers[i],
            reason,
            balance - before,
            balance,
            None if reason == "set" else task_id,
            self._times[i],
        )

    def __iter__(self) -> Iterator[Transaction]:
        return (self[i] for i in range(len(self)))


@dataclass(slots=True)
class Account:
    key: str
    start: int
    balance: int
    transactions: Rows = field(init=False)

    def __post_init__(self) -> None:
        self.transactions = Rows(self.start)

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
    ) -> int:
        """Book one row; its transaction number."""
        balance = account.balance + delta
        if balance < 0:
            raise InsufficientCredits(account.key)
        self._counter += 1
        account.transactions.append(self._counter, reason, balance, task_id, time)
        account.balance = balance
        return self._counter

    def set_balance(self, key: str, balance: int, time: float) -> Account:
        """Open `key` at 0 if new, then book a `set` of the difference (none when it is 0)."""
        if balance < 0:
            raise ValueError("a balance cannot be negative")
        account = self.open(key, 0)
        if balance != account.balance:
            self._book(account, "set", balance - account.balance, None, time)
        return account

    def charge(self, key: str, price: int, task_id: str, time: float) -> int:
        """Charge a task's price; the transaction number."""
        return self._book(self.accounts[key], "charge", -price, task_id, time)

    def refund(self, key: str, price: int, task_id: str, time: float) -> int:
        """Give a task's price back; the transaction number."""
        return self._book(self.accounts[key], "refund", price, task_id, time)
