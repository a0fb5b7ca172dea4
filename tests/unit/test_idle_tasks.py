"""State is derived from the clock when read (B3): idle tasks schedule nothing."""

from __future__ import annotations

import asyncio

from sora_mock import Settings, Simulator
from sora_mock.journal import Exchange


async def test_100000_idle_pending_tasks_schedule_no_timers_or_tasks() -> None:
    sim = Simulator(Settings(clock="manual", max_concurrent_tasks=100_000, default_balance=10**9))
    loop = asyncio.get_running_loop()
    before = (len(asyncio.all_tasks()), len(getattr(loop, "_scheduled", [])))
    key = sim.authenticate("Bearer sk-many-tasks")
    body = {"model": "sora-2-text-to-video", "prompt": "p"}
    for _ in range(100_000):
        sim.create_task(key, body, Exchange("create", "POST", "/", {}, 0.0, sim.generation))
    after = (len(asyncio.all_tasks()), len(getattr(loop, "_scheduled", [])))
    assert before == after
    assert 100_000 == len(sim.tasks)
    sim.clock.advance(5)
    task = next(iter(sim.tasks.values()))
    assert ("succeeded", 100) == sim.observe(task, sim.now())
