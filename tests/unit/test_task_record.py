"""How a stored task keeps itself compact (B3): its taskId as an int, its times derived from
its schedule until something else happened to it."""

from __future__ import annotations

import pytest

from sora_mock import Settings, Simulator
from sora_mock.core.ids import id_number, id_text

TASK_ID = "fa3e0d0506eae852e37142faf573be8f"
BODY = {"model": "sora-2-text-to-video", "prompt": "p"}


def test_a_task_id_is_kept_as_its_128_bits_and_written_back_the_same() -> None:
    number = id_number(TASK_ID)
    assert number is not None
    assert TASK_ID == id_text(number)
    assert "0" * 32 == id_text(0)


@pytest.mark.parametrize(
    "other",
    [TASK_ID.upper(), TASK_ID[:-1], TASK_ID + "0", "fa 3e" + TASK_ID[5:], "+" + TASK_ID[1:], ""],
)
def test_only_the_mock_s_own_form_of_a_task_id_names_a_task(other: str) -> None:
    assert id_number(other) is None


def _sim() -> Simulator:
    return Simulator(Settings(clock="manual", queue_seconds=1, run_seconds=4))


def test_a_plain_task_keeps_no_times_and_reads_its_schedule_s() -> None:
    sim = _sim()
    key = sim.authenticate("Bearer sk-times")
    task, _ = sim.create_task(key, BODY)
    sim.clock.advance(10)
    assert ("succeeded", 100) == sim.observe(task, sim.now())
    assert task.extra is None
    assert (1.0, 5.0) == (task.running_at, task.final_at)
    assert sim.tasks.get(task.task_id) is task


def test_a_task_finished_while_running_keeps_when_it_started_and_ended() -> None:
    sim = _sim()
    key = sim.authenticate("Bearer sk-times")
    task, _ = sim.create_task(key, BODY)
    sim.clock.advance(2)
    sim.finish(task.task_id, "failed")
    assert task.extra is not None
    assert (1.0, 2.0) == (task.running_at, task.final_at)
    assert [("pending", 0.0), ("running", 1.0), ("failed", 2.0)] == task.history


def test_a_task_finished_while_pending_never_ran() -> None:
    sim = _sim()
    key = sim.authenticate("Bearer sk-times")
    task, _ = sim.create_task(key, BODY)
    sim.finish(task.task_id, "cancelled")
    sim.clock.advance(10)
    assert (None, 0.0) == (task.running_at, task.final_at)
    assert ("cancelled", True, False) == (task.observed, task.settled, task.seen_final)
