"""State is derived from the clock when read (B3): idle tasks schedule nothing."""

from __future__ import annotations

import asyncio
import gc

from sora_mock import Settings, Simulator
from sora_mock.tasks import Task


async def test_100000_idle_pending_tasks_schedule_no_timers_or_tasks() -> None:
    sim = Simulator(Settings(clock="manual", max_concurrent_tasks=100_000, default_balance=10**9))
    loop = asyncio.get_running_loop()
    before = (len(asyncio.all_tasks()), len(getattr(loop, "_scheduled", [])))
    key = sim.authenticate("Bearer sk-many-tasks")
    body = {"model": "sora-2-text-to-video", "prompt": "p"}
    for _ in range(100_000):
        sim.create_task(key, body)[0]
    after = (len(asyncio.all_tasks()), len(getattr(loop, "_scheduled", [])))
    assert before == after
    assert 100_000 == len(sim.tasks)
    sim.clock.advance(5)
    task = next(iter(sim.tasks.values()))
    assert ("succeeded", 100) == sim.observe(task, sim.now())


def _live_tasks() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if type(o) is Task)


def test_a_full_store_lets_go_of_the_tasks_it_forgets() -> None:
    """Beyond `max_tasks` a forgotten task is gone from memory too, whether or not it had
    finished, with a concurrency limit that never asks for a count."""
    before = _live_tasks()
    sim = Simulator(
        Settings(clock="manual", max_tasks=1000, max_concurrent_tasks=10**9, default_balance=10**9)
    )
    key = sim.authenticate("Bearer sk-many-tasks")
    body = {"model": "sora-2-text-to-video", "prompt": "p"}
    for n in range(5000):
        sim.create_task(key, body)[0]
        if n == 2500:
            sim.clock.advance(5)  # the first 2,501 finish: forgotten as final ones
    assert 1000 == len(sim.tasks)
    assert _live_tasks() - before <= 1000


def test_tasks_forgotten_from_behind_an_active_oldest_one_are_let_go_too() -> None:
    """Under a manual clock the oldest task stays pending while each newer one is finished by
    the admin API and forgotten first: what is forgotten is still freed."""
    before = _live_tasks()
    sim = Simulator(
        Settings(clock="manual", max_tasks=1000, max_concurrent_tasks=10**9, default_balance=10**9)
    )
    key = sim.authenticate("Bearer sk-many-tasks")
    body = {"model": "sora-2-text-to-video", "prompt": "p"}
    oldest = sim.create_task(key, body)[0]
    for _ in range(5000):
        task = sim.create_task(key, body)[0]
        sim.finish(task.task_id, "succeeded")
    assert 1000 == len(sim.tasks)
    assert oldest.task_id in sim.tasks
    assert _live_tasks() - before <= 2 * 1000
