"""Task records and their lifecycle (CONTRACT B3).

A task's state is a function of the clock, computed when it is read: no timer runs per task, so
100,000 idle tasks cost memory but no CPU. The simulator applies a transition's side effect (the
refund of a failed or cancelled task) the first time any read observes it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final, Generic, Literal, TypeVar, cast, overload

from ..core.errors import mask_key, result_envelope, unsettled_envelope
from ..core.ids import id_text
from ..core.ledger import trans_no

Status = Literal["pending", "running", "succeeded", "failed", "cancelled"]
FINAL: Final = frozenset(("succeeded", "failed", "cancelled"))
REFUNDED: Final = frozenset(("failed", "cancelled"))
UNSETTLED: Final = frozenset(("pending", "running"))
STATUSES: Final[tuple[Status, ...]] = ("pending", "running", "succeeded", "failed", "cancelled")
_ORDER: Final[dict[str, int]] = {
    "pending": 0,
    "running": 1,
    "succeeded": 2,
    "failed": 2,
    "cancelled": 2,
}
Route = Literal["sora-pro", "sora-video"]
# `Task.marks`: the observed status's index in STATUSES in the low bits, then two flags, then
# the charge's transaction number (`CHARGE_SHIFT`)
_INDEX: Final[dict[str, int]] = {status: index for index, status in enumerate(STATUSES)}
_STATUS_BITS: Final = 7
_PENDING: Final = STATUSES.index("pending")
_FIRST_FINAL: Final = STATUSES.index("succeeded")  # STATUSES ends with the final ones
_SETTLED: Final = 8
_SEEN_FINAL: Final = 16
CHARGE_SHIFT: Final = 5  # `marks >> CHARGE_SHIFT` is the task's charge_no
T = TypeVar("T")


# a string a task keeps (a prompt, a shot's Scene, a URL, a failure reason) is cut beyond this
# many characters as the journal cuts `imageData`: its start and `…(<length> chars)` [mock
# decision]. 1 KiB keeps a real prompt whole (they run to a few hundred characters), so records,
# answers and `prompt_contains` on webhook rules see what was sent, while a 16 MiB prompt costs
# a stored task about 1 KiB, not 16 MiB (the journal's non-JSON body cut is the same 1 KiB).
TEXT_KEPT: Final = 1024


def kept(value: Any) -> Any:
    """`value` as a task keeps it: every string in it longer than `TEXT_KEPT` cut (B3).

    Values come from a JSON body, so their types are exactly str, list, dict or a scalar: one
    type test each, on every create's parameters."""
    kind = type(value)
    if kind is str:
        return f"{value[:TEXT_KEPT]}…({len(value)} chars)" if len(value) > TEXT_KEPT else value
    if kind is list:
        return [kept(item) for item in value]
    if kind is dict:
        return {name: kept(item) for name, item in value.items()}
    return value


@dataclass(slots=True, eq=False)
class Shape:
    """What the tasks of one kind and one owner share: made once per API key, route, model,
    parameter names and price of a simulation, and pointed at by each task (so a task does
    not carry them)."""

    key: str  # the owner's API key: the account's own string
    route: Route
    model: str
    param_names: tuple[str, ...]
    price: int
    queue_seconds: float
    run_seconds: float
    # the parameter values of the last task of this shape: a task with the same values (the
    # same body sent again) shares the tuple rather than keeping a copy; `last_whole` says
    # that `kept` cut nothing in them, so the same values sent again need no cut either
    last_values: tuple[Any, ...] = ()
    last_whole: bool = False

    def values(self, sent: tuple[Any, ...]) -> tuple[Any, ...]:
        """The parameter values `sent` as a task keeps them (`kept`), or the equal tuple a
        task of this shape already keeps."""
        last = self.last_values
        if self.last_whole and _same(sent, last):
            return last
        values = tuple(map(kept, sent))
        if _same(values, last):
            return last
        self.last_values = values
        self.last_whole = values == sent
        return values


_NESTED: Final = frozenset((tuple, list, dict))


def _same(a: Any, b: Any) -> bool:
    """Equal with the same JSON types throughout (5 and 5.0, or 1 and true, are not): the
    C-level comparison first, which most different bodies fail at once, then the types."""
    return bool(a == b) and _same_types(a, b)


def _same_types(a: Any, b: Any) -> bool:
    kind = type(a)
    if kind is not type(b):
        return False
    if kind is tuple or kind is list:
        # the items' types at C speed; only a nested array or object is looked into
        types = list(map(type, a))
        if types != list(map(type, b)):
            return False
        return _NESTED.isdisjoint(types) or all(map(_same_types, a, b))
    if kind is dict:
        return all(_same_types(value, b[name]) for name, value in a.items())
    return True


@dataclass(slots=True)
class Extra:
    """The rarely set part of a task: made the first time one of these is set."""

    # the task's own time runs ahead of the global clock by this much (the poll clock)
    poll_offset: float = 0.0
    # set by a `fail_task` or `cancel_task` fault: (status, failure_reason, error_message); the
    # task ends failed at its end, or cancelled as it leaves the queue, instead of succeeded
    planned_failure: tuple[Status, str, str | None] | None = None
    # set by the admin API: the task is final now, with this status and frozen progress
    forced: tuple[Status, int] | None = None
    failure_reason: str = ""
    error_message: str | None = None
    refund_no: int | None = None
    # the sibling route's kept `remixTargetId`/`characters` (A3's `metadata`), else None
    metadata: dict[str, Any] | None = None
    webhook: str | None = None  # the id of its webhook delivery (A7), if it has one
    # its webHook URL and the create's base URL, while the delivery waits for it to end (A7)
    hook: tuple[str, str] | None = None
    # `Task.running_at` and `final_at` once it has an `Extra` (until then, its schedule's)
    running_at: float | None = None
    final_at: float | None = None


class _InExtra(Generic[T]):
    """A field of `Extra` read and set through the task: its default while the task has no
    `Extra`, which is made the first time a value other than the default is set."""

    def __init__(self, default: T) -> None:
        self.default = default
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, task: None, owner: type) -> _InExtra[T]: ...
    @overload
    def __get__(self, task: Task, owner: type) -> T: ...
    def __get__(self, task: Task | None, owner: type) -> T | _InExtra[T]:
        if task is None:
            return self
        extra = task.extra
        return self.default if extra is None else cast("T", getattr(extra, self.name))

    def __set__(self, task: Task, value: T) -> None:
        extra = task.extra
        if extra is None:
            if value is self.default:
                return
            extra = task.own_extra()
        setattr(extra, self.name, value)


@dataclass(slots=True)
class Task:
    """One task, kept compact: a full store holds 100,000 of these.

    Its taskId is kept as an int, and its observed status, flags and charge number as one
    (`marks`). What tasks of one kind and owner share (the key among them) is their `shape`;
    `params` is kept as the shape's names and the task's values (a tuple shared with the task
    before it when the values are the same), and `history` as the two times after creation at
    which it changed; both are made into their JSON shapes only when a record is read. The
    fields a plain task never sets (a fault's plan, the admin API's end, the poll clock's
    offset, a refund, metadata, a webhook) are one optional `Extra`, read through properties of
    the same names.
    """

    # the taskId's 128 bits (`task_id` writes its 32 hex digits): half the memory of the str
    id_number: int
    shape: Shape  # its owner's key too (`key`)
    param_values: tuple[Any, ...]
    created_at: float
    # the observed status, `settled`, `seen_final` and the charge's transaction number (which
    # also orders tasks by creation: it only grows) in one int; its status bits start at
    # pending (0). With the key in the shape, a task is six fields: 80 bytes where seven took
    # 96 (Python allocates small objects in steps of 16 bytes)
    marks: int
    extra: Extra | None = None

    poll_offset = _InExtra[float](0.0)
    planned_failure = _InExtra[tuple[Status, str, str | None] | None](None)
    forced = _InExtra[tuple[Status, int] | None](None)
    failure_reason = _InExtra[str]("")
    error_message = _InExtra[str | None](None)
    refund_no = _InExtra[int | None](None)
    metadata = _InExtra[dict[str, Any] | None](None)
    webhook = _InExtra[str | None](None)
    hook = _InExtra[tuple[str, str] | None](None)

    @property
    def task_id(self) -> str:
        return id_text(self.id_number)

    @property
    def key(self) -> str:
        """The API key that owns it."""
        return self.shape.key

    @property
    def observed(self) -> Status:
        """The status the last read saw (`record` notes each change)."""
        return STATUSES[self.marks & _STATUS_BITS]

    @observed.setter
    def observed(self, status: Status) -> None:
        self.marks = self.marks & ~_STATUS_BITS | _INDEX[status]

    @property
    def settled(self) -> bool:
        """It no longer counts against its key's concurrency limit."""
        return bool(self.marks & _SETTLED)

    @settled.setter
    def settled(self, value: bool) -> None:
        self.marks = self.marks | _SETTLED if value else self.marks & ~_SETTLED

    @property
    def seen_final(self) -> bool:
        """A check-result answer (or a stream) showed the client its final status (F)."""
        return bool(self.marks & _SEEN_FINAL)

    @seen_final.setter
    def seen_final(self, value: bool) -> None:
        self.marks = self.marks | _SEEN_FINAL if value else self.marks & ~_SEEN_FINAL

    # The global times at which it was seen to start running and to become final. A task
    # without an `Extra` was seen at its schedule's times (`record` clamps them only for the
    # poll clock, a forced end, or when a read came a float's rounding early), so it keeps
    # none: they are its creation plus the queue (and run) seconds once `observed` is there.
    # Any other time is kept in an `Extra`, which keeps both times from when it is made.

    @property
    def running_at(self) -> float | None:
        extra = self.extra
        if extra is not None:
            return extra.running_at
        if self.marks & _STATUS_BITS == _PENDING:
            return None
        return self.created_at + self.shape.queue_seconds

    @running_at.setter
    def running_at(self, when: float | None) -> None:
        if self.extra is None and when == self.created_at + self.shape.queue_seconds:
            return  # its schedule's time
        self.own_extra().running_at = when

    @property
    def final_at(self) -> float | None:
        extra = self.extra
        if extra is not None:
            return extra.final_at
        if self.marks & _STATUS_BITS < _FIRST_FINAL:
            return None
        shape = self.shape
        return self.created_at + (shape.queue_seconds + shape.run_seconds)

    @final_at.setter
    def final_at(self, when: float | None) -> None:
        shape = self.shape
        if self.extra is None and when == self.created_at + (
            shape.queue_seconds + shape.run_seconds
        ):
            return  # its schedule's time
        self.own_extra().final_at = when

    def own_extra(self) -> Extra:
        """Its `Extra`, made now if it has none, with the times its schedule gave so far."""
        extra = self.extra
        if extra is None:
            extra = Extra(running_at=self.running_at, final_at=self.final_at)
            self.extra = extra
        return extra

    @property
    def route(self) -> Route:
        return self.shape.route

    @property
    def model(self) -> str:
        return self.shape.model

    @property
    def price(self) -> int:
        return self.shape.price

    @property
    def param_names(self) -> tuple[str, ...]:
        return self.shape.param_names

    @property
    def queue_seconds(self) -> float:
        return self.shape.queue_seconds

    @property
    def run_seconds(self) -> float:
        return self.shape.run_seconds

    @property
    def cancels(self) -> bool:
        """A `cancel_task` fault ends it as it leaves the queue: it never runs (B3)."""
        plan = self.planned_failure
        return plan is not None and plan[0] == "cancelled"

    @property
    def params(self) -> dict[str, Any]:
        return dict(zip(self.param_names, self.param_values, strict=True))

    @property
    def history(self) -> list[tuple[Status, float]]:
        steps: list[tuple[Status, float]] = [("pending", self.created_at)]
        if self.running_at is not None:
            steps.append(("running", self.running_at))
        if self.final_at is not None:
            steps.append((self.observed, self.final_at))
        return steps

    @property
    def charge_no(self) -> int:
        return self.marks >> CHARGE_SHIFT

    @property
    def charge_trans_no(self) -> str:
        return trans_no(self.charge_no)

    @property
    def refund_trans_no(self) -> str | None:
        return trans_no(self.refund_no) if self.refund_no is not None else None

    def age(self, now: float) -> float:
        return now - self.created_at + self.poll_offset

    def state(self, now: float) -> tuple[Status, int]:
        """(status, progress) at global time `now`, without side effects."""
        extra, shape = self.extra, self.shape
        t = now - self.created_at
        plan = None
        if extra is not None:  # a plain task has none: its state is the clock's alone
            if extra.forced is not None:
                return extra.forced
            t += extra.poll_offset
            plan = extra.planned_failure
        queue = shape.queue_seconds
        if t < queue:
            return "pending", 0
        if plan is not None and plan[0] == "cancelled":
            return "cancelled", 0
        run = shape.run_seconds
        if t < queue + run:
            return "running", math.floor(100 * (t - queue) / run)
        return ("failed" if plan else "succeeded"), 100

    def finishes_at(self) -> float:
        """The global time at which the lifecycle ends, unless forced earlier."""
        run = 0.0 if self.cancels else self.run_seconds
        return self.created_at + self.queue_seconds + run - self.poll_offset

    def record(self, status: Status, now: float) -> None:
        """Note the transitions from the last observed status up to `status`.

        Natural transitions get the global time at which they happened (clamped into the span
        since the last entry, as the poll clock moves a task's own time in steps); a forced one,
        which the simulator records after observing the current state, gets `now`.
        """
        if status == self.observed:
            return
        if self.extra is None:
            shape = self.shape
            run = shape.run_seconds if status in FINAL else 0.0
            if now >= self.created_at + (shape.queue_seconds + run):
                # a plain task seen at or after its schedule's time: its times are the
                # schedule's, which `running_at` and `final_at` give (most tasks, once each)
                self.observed = status
                return
        if self.forced is not None:
            self.final_at = now
        else:
            last = self.running_at if self.running_at is not None else self.created_at
            steps: tuple[Status, ...] = ("running", status) if status in FINAL else ("running",)
            if self.cancels:
                steps = (status,)
            for step in steps:
                if _ORDER[step] <= _ORDER[self.observed]:
                    continue
                run = self.run_seconds if step in FINAL and not self.cancels else 0.0
                boundary = self.queue_seconds + run
                when = min(max(self.created_at + boundary - self.poll_offset, last), now)
                if step in FINAL:
                    self.final_at = when
                else:
                    self.running_at = last = when
                self.observed = step  # so an `Extra` made by the next step keeps this one's
        self.observed = status

    def to_json(self, now: float, pids: Callable[[str], str]) -> dict[str, Any]:
        """The task record (B3); `pids` makes a succeeded task's `result_pid`."""
        status, progress = self.state(now)
        task_id = self.task_id
        return {
            "taskId": task_id,
            "route": self.route,
            "key": mask_key(self.key),
            "model": self.model,
            "status": status,
            "progress": progress,
            "params": self.params,
            "price": self.price,
            "charge_trans_no": self.charge_trans_no,
            "refund_trans_no": self.refund_trans_no,
            "failure_reason": self.failure_reason,
            "error_message": self.error_message,
            "result_pid": pids(task_id) if status == "succeeded" else None,
            "webhook": self.webhook,
            "created_at": self.created_at,
            "history": [{"status": step, "time": at} for step, at in self.history],
        }

    def result(self, now: float, base_url: str, pids: Callable[[str], str]) -> dict[str, Any]:
        """The check-result `data` (CONTRACT A3)."""
        status, progress = self.state(now)
        return self.result_data(status, progress, base_url, pids)

    def result_data(
        self, status: Status, progress: int, base_url: str, pids: Callable[[str], str]
    ) -> dict[str, Any]:
        """The `data` of the state (status, progress) just observed; `base_url` is read only
        when it succeeded."""
        task_id = self.task_id
        done = status == "succeeded"
        url = f"{base_url}/files/{task_id}.mp4" if done else None
        pid = pids(task_id) if done else None
        ended = status in REFUNDED
        return {
            "taskId": task_id,
            "status": status,
            "progress": progress,
            "result_url": url,
            "result_urls": [url] if url else [],
            "result_pid": pid,
            "result_pids": [pid] if pid else [],
            "failure_reason": self.failure_reason if ended else "",
            "error_message": self.error_message if ended else None,
            "credits_refunded": self.refund_no is not None,
            "refund_trans_no": self.refund_trans_no,
            "metadata": dict(self.metadata) if self.metadata else {},
        }

    def result_envelope(
        self, status: Status, progress: int, base_url: str, pids: Callable[[str], str]
    ) -> bytes:
        """`ok_envelope(self.result_data(...))`, without the dict: check-result's answer."""
        task_id, extra = self.task_id, self.extra
        refund = extra.refund_no if extra is not None else None
        metadata = extra.metadata if extra is not None else None
        if refund is None and status in UNSETTLED:
            return unsettled_envelope(task_id, status, progress, metadata)
        url = pid = None
        if status == "succeeded":
            url = f"{base_url}/files/{task_id}.mp4"
            pid = pids(task_id)
        reason, message = "", None
        if status in REFUNDED:
            reason, message = self.failure_reason, self.error_message
        return result_envelope(
            task_id,
            status,
            progress,
            url,
            pid,
            reason,
            message,
            trans_no(refund) if refund is not None else None,
            metadata,
        )
