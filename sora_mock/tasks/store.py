"""`TaskStore`: every task of one simulation by id, in creation order, and per key the tasks
that may still count against its concurrency limit (CONTRACT A1's 429, B3's `max_tasks`).

Each operation is O(1) amortized, so a full store of 100,000 tasks costs a create no more than
an empty one: the oldest task is the front of a deque (a dict finds its first entry by skipping
every slot its deletions emptied, some 28 µs per create once the store is full), and a key's
active tasks are a queue from which finished ones leave at the front.

The store never decides a task's state: the operations that need it are given the lifecycle's
`observe`, which applies a transition's effects the first time any read sees it.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Iterator, ValuesView

from ..core.ids import id_number
from .task import FINAL, Status, Task

Observe = Callable[[Task, float], tuple[Status, int]]

# the oldest tasks a full store looks through for a final one, where one can finish early
FORGET_SCAN = 1000


class TaskStore:
    def __init__(self, *, early_finals: bool = False) -> None:
        # by the taskId's int (`Task.id_number`): `get` reads a taskId
        self.by_id: dict[int, Task] = {}
        # the tasks in creation order, for forgetting; a task forgotten out of order stays
        # behind until it reaches the front
        self._order: deque[Task] = deque()
        # heap: (charge_no, id_number) of the tasks that may have finished out of creation order
        self._finals: list[tuple[int, int]] = []
        # per key: its tasks in creation order from the oldest that may still be active, and
        # how many of those are final already (they finished out of order)
        self._active: dict[str, deque[Task]] = {}
        self._settled: dict[str, int] = {}
        # per key: tasks a fault will fail or cancel, not yet refunded
        self.doomed: dict[str, list[Task]] = {}
        # whether a task may have finished ahead of older ones without being observed (a
        # `cancel_task` rule's, or one the poll clock moved on): then forgetting scans for it
        self._unseen_early_finals = early_finals

    def __len__(self) -> int:
        return len(self.by_id)

    def __iter__(self) -> Iterator[Task]:
        return iter(self.by_id.values())

    def values(self) -> ValuesView[Task]:
        """Every stored task, in creation order."""
        return self.by_id.values()

    def newest_first(self) -> Iterator[Task]:
        return reversed(self.by_id.values())

    def __contains__(self, task_id: str) -> bool:
        return self.get(task_id) is not None

    def get(self, task_id: str) -> Task | None:
        number = id_number(task_id)
        return None if number is None else self.by_id.get(number)

    def add(self, task: Task) -> None:
        self.by_id[task.id_number] = task
        self._order.append(task)
        queue = self._active.get(task.key)
        if queue is None:
            queue = self._active[task.key] = deque()
        queue.append(task)

    def doom(self, task: Task) -> None:
        """A fault will end `task` (B3): its refund is booked by the key's next balance read."""
        self.doomed.setdefault(task.key, []).append(task)
        self._unseen_early_finals |= task.cancels

    def ended(self, task: Task) -> None:
        """`task` just became final: it leaves its key's count (and, having finished early,
        is remembered for forgetting)."""
        extra = task.extra  # a plain task has none, and finishes in creation order
        if extra is not None and (extra.forced is not None or extra.poll_offset or task.cancels):
            heapq.heappush(self._finals, (task.charge_no, task.id_number))
        self.settle(task)

    def settle(self, task: Task) -> None:
        """The task no longer counts against its key's concurrency limit."""
        if not task.settled:
            task.settled = True
            self._settled[task.key] = self._settled.get(task.key, 0) + 1

    def may_reach(self, key: str, limit: int) -> bool:
        """Whether the key may have `limit` active tasks (else no count is needed: some may
        have finished unobserved, but at most that many are active)."""
        queue = self._active.get(key)
        return queue is not None and len(queue) - self._settled.get(key, 0) >= limit

    def active_count(self, key: str, now: float, observe: Observe) -> int:
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
                if head.id_number not in self.by_id:
                    self.settle(head)
                else:
                    observe(head, now)
            if not head.settled:
                break
            queue.popleft()
            self._settled[key] -= 1
        return len(queue) - self._settled.get(key, 0)

    def active(self, key: str) -> list[Task]:
        return [t for t in self._active.get(key, ()) if not t.settled]

    def forget_one(self, now: float, observe: Observe) -> Task:
        """Make room: the oldest final task goes first, else the oldest task [mock decision].

        Two places hold the answer: the oldest tasks, and the heap of the tasks that finished
        out of creation order. Every task runs for the same queue and run seconds, so one that
        finishes on its own has every older task finished too and is found among the oldest;
        only a task finished by the admin API or moved on by polls (the poll clock) can finish
        ahead of older ones, as can one a `cancel_task` rule ends as it leaves the queue, and
        only those go on the heap. Both are cheap, so a full store of tasks that never finish
        costs a bounded scan per create, not O(n), and only where such a task can exist
        unobserved (a `cancel_task` rule has fired, or the poll clock): otherwise the oldest
        task alone says whether any task finished on its own. Returns the forgotten task.
        """
        tasks, order = self.by_id, self._order
        while tasks.get(order[0].id_number) is not order[0]:
            order.popleft()  # forgotten out of order, from the heap
        oldest_final: Task | None = None
        # without early finishers, a task that is not final has no final one behind it
        scan = FORGET_SCAN if self._unseen_early_finals else 1
        for task in order:
            if tasks.get(task.id_number) is not task:
                continue
            if observe(task, now)[0] in FINAL:
                oldest_final = task
                break
            scan -= 1
            if not scan:
                break
        while self._finals and tasks.get(self._finals[0][1]) is None:
            heapq.heappop(self._finals)
        if self._finals:
            charge_no, number = self._finals[0]
            if oldest_final is None or charge_no < oldest_final.charge_no:
                oldest_final = tasks[number]
        victim = oldest_final or order[0]
        del tasks[victim.id_number]
        if victim is order[0]:
            order.popleft()
        elif len(order) > 2 * len(tasks):
            # tasks forgotten from behind a front that stays (one never final, under a manual
            # clock) would pile up here: keep only the stored ones, O(1) a forget amortized
            self._order = deque(t for t in order if tasks.get(t.id_number) is t)
        victim.hook = None  # a forgotten task's webhook is never due
        self.settle(victim)
        # the oldest task is the front of its key's queue too: it leaves both, so a key whose
        # count the limit never asks for keeps no more tasks there than the store holds
        key = victim.key
        queue = self._active[key]
        if queue and queue[0] is victim:
            queue.popleft()
            self._settled[key] -= 1
        elif 2 * self._settled[key] > len(queue):
            # a settled task only counts as one to subtract: behind a front that stays, the
            # queue keeps its unsettled ones alone, and counts the same
            self._active[key] = deque(t for t in queue if not t.settled)
            self._settled[key] = 0
        return victim
