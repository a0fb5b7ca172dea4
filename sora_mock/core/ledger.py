"""Accounts and the credit ledger (CONTRACT B1): synchronous, so no interleaving can overspend.

Invariant: balance == opening_balance + sum(kept deltas) and balance >= 0, for every account.

Each account keeps its newest `ledger_size` rows [mock decision]; the oldest is folded into the
account's `opening_balance` when one more is booked, so a long-running container's ledger is
bounded. Rows are stored column by column in arrays (about 41 bytes a row instead of about 330
as objects) used as a ring once full: folding overwrites the oldest slot in place, O(1), never
shifting the rest. They are made into `Transaction` objects only when someone reads them.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator, MutableSequence
from dataclasses import InitVar, dataclass, field
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
    """One account's newest `size` transactions, oldest first; the older ones are folded.

    The columns grow until they hold `size` rows, then `_head` (the slot of the oldest row)
    walks round them: a new row overwrites the oldest, whose balance becomes the opening
    balance. A delta is the difference of a row's balance and the one before it.
    """

    __slots__ = (
        "_balances",
        "_head",
        "_numbers",
        "_reasons",
        "_size",
        "_task_ids",
        "_times",
        "folded",
        "opening_balance",
    )

    def __init__(self, start: int, size: int) -> None:
        self.opening_balance = start
        self.folded = 0
        self._size = size
        self._head = 0
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
        if len(self._numbers) < self._size:
            try:
                self._balances.append(balance)
            except OverflowError:
                self._balances = [*self._balances, balance]
            self._numbers.append(number)
            self._reasons.append(_CODE[reason])
            self._times.append(time)
            self._task_ids += task_bytes
            return
        self.folded += 1
        if not self._size:  # ledger_size 0: every row is folded as it is booked
            self.opening_balance = balance
            return
        slot = self._head
        self.opening_balance = self._balances[slot]
        try:
            self._balances[slot] = balance
        except OverflowError:
            self._balances = [*self._balances]
            self._balances[slot] = balance
        self._numbers[slot] = number
        self._reasons[slot] = _CODE[reason]
        self._times[slot] = time
        self._task_ids[slot * _ID_BYTES : (slot + 1) * _ID_BYTES] = task_bytes
        self._head = (slot + 1) % self._size

    def __len__(self) -> int:
        return len(self._numbers)

    def __getitem__(self, i: int) -> Transaction:
        i = range(len(self))[i]  # negative indexes count from the end; IndexError when out
        n = len(self)
        slot = (self._head + i) % n
        reason = REASONS[self._reasons[slot]]
        balance = self._balances[slot]
        before = self._balances[(slot - 1) % n] if i else self.opening_balance
        task_id = self._task_ids[slot * _ID_BYTES : (slot + 1) * _ID_BYTES].hex()
        return Transaction(
            self._numbers[slot],
            reason,
            balance - before,
            balance,
            None if reason == "set" else task_id,
            self._times[slot],
        )

    def __iter__(self) -> Iterator[Transaction]:
        return (self[i] for i in range(len(self)))


@dataclass(slots=True)
class Account:
    key: str
    start: int
    balance: int
    vip: bool = False
    size: InitVar[int] = 10_000
    transactions: Rows = field(init=False)

    def __post_init__(self, size: int) -> None:
        self.transactions = Rows(self.start, size)

    def to_json(self) -> dict[str, Any]:
        return {"key": mask_key(self.key), "balance": self.balance, "vip": self.vip}

    def ledger_json(self) -> dict[str, Any]:
        """The ledger route's shape (D): the kept rows and what was folded before them."""
        rows = self.transactions
        return {
            "opening_balance": rows.opening_balance,
            "folded": rows.folded,
            "transactions": [t.to_json() for t in rows],
        }


class InsufficientCredits(Exception):
    pass


class Ledger:
    def __init__(self, size: int = 10_000) -> None:
        self.accounts: dict[str, Account] = {}
        self._counter = 0
        self._size = size  # rows kept per account (B1's ledger_size)

    def open(self, key: str, balance: int, vip: bool = False) -> Account:
        """The account of `key`, opened at `balance` (no transaction) when it is new."""
        account = self.accounts.get(key)
        if account is None:
            account = self.accounts[key] = Account(key, balance, balance, vip, self._size)
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
