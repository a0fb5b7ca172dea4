"""A stored task's memory is bounded by size as well as count (B3 [mock decision]): long
strings are cut as the journal cuts `imageData`, and a plain task stays small.

The size tests measure with tracemalloc in process (what the simulation retains after the
creates, over what it held before); they assert sizes, never times.
"""

from __future__ import annotations

import gc
import json
import tracemalloc
from collections.abc import Callable
from typing import Final

from sora_mock import Settings, Simulator
from sora_mock.core.journal import TEXT_KEPT as JOURNAL_TEXT_KEPT
from sora_mock.tasks.task import TEXT_KEPT

from ..helpers import TEXT_BODY, Client, admin, auth, create_ok

BIG: Final = 2 * 1024 * 1024


def cut(text: str) -> str:
    return f"{text[:TEXT_KEPT]}…({len(text)} chars)"


async def test_a_create_with_a_2_mib_prompt_is_kept_cut_and_journaled_cut(client: Client) -> None:
    prompt = "a fox " + "x" * (BIG - 6)
    task_id = await create_ok(client, {**TEXT_BODY, "prompt": prompt})
    record = await admin(client, "GET", f"/tasks/{task_id}")
    assert cut(prompt) == record["params"]["prompt"]
    [row] = (await admin(client, "GET", "/requests?route=create"))["requests"]
    raw = json.dumps({**TEXT_BODY, "prompt": prompt})
    assert raw[:JOURNAL_TEXT_KEPT] == row["body"]  # as before: a large body is kept as text


async def test_a_prompt_of_the_kept_length_is_kept_whole(client: Client) -> None:
    prompt = "y" * TEXT_KEPT
    task_id = await create_ok(client, {**TEXT_BODY, "prompt": prompt})
    assert prompt == (await admin(client, "GET", f"/tasks/{task_id}"))["params"]["prompt"]


async def test_long_scenes_and_admin_reasons_are_cut_too(client: Client) -> None:
    scene = "s" * 100_000
    body = {"model": "sora-2-pro-storyboard", "shots": [{"Scene": scene, "duration": 5}]}
    task_id = await create_ok(client, body)
    reason, message = "r" * 50_000, "m" * 50_000
    failed = await admin(
        client,
        "POST",
        f"/tasks/{task_id}/fail",
        {"failure_reason": reason, "error_message": message},
    )
    assert [{"Scene": cut(scene), "duration": 5}] == failed["params"]["shots"]
    assert (cut(reason), cut(message)) == (failed["failure_reason"], failed["error_message"])
    answer = await client.post(
        "/api/video-generations/check-result", json={"taskId": task_id}, headers=auth()
    )
    data = (await answer.json())["data"]
    assert (cut(reason), cut(message)) == (data["failure_reason"], data["error_message"])


def retained_per_task(creates: int, make_body: Callable[[int], bytes], **settings: object) -> float:
    """Bytes the simulation retains per stored task after `creates` creates, each body parsed
    from its own bytes as the HTTP layer does (so no two tasks share a parsed string)."""
    sim = Simulator(
        Settings(
            clock="manual",
            max_concurrent_tasks=10**9,
            default_balance=10**12,
            **settings,
        )
    )
    keys = [f"sk-memory-key-{i:03d}" for i in range(100)]
    for key in keys:
        sim.authenticate(f"Bearer {key}")
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(creates):
            key = sim.authenticate("Bearer " + keys[n % len(keys)])
            sim.create_task(key, json.loads(make_body(n)))
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert creates == len(sim.tasks)
    return (after - before) / creates


def test_large_prompts_keep_the_store_bounded_by_size() -> None:
    """40 creates with a 1 MiB prompt each retain a few KiB per task, not a MiB."""
    big = "z" * (1024 * 1024)

    def body(n: int) -> bytes:
        return json.dumps({**TEXT_BODY, "prompt": f"{n} {big}"}).encode()

    assert retained_per_task(40, body) <= 4 * TEXT_KEPT


def test_20000_stored_plain_tasks_retain_at_most_350_bytes_each() -> None:
    """A plain task, its ledger row and its place in the store: measured 325 bytes here (344
    in a full default store of 100,000), from 660 before the rare fields moved to `Extra`."""
    raw = json.dumps(TEXT_BODY).encode()
    assert retained_per_task(20_000, lambda n: raw) <= 350


def test_20000_tasks_with_distinct_prompts_retain_at_most_520_bytes_each() -> None:
    """Distinct prompts are kept each (measured 482 bytes a task): their values cannot be
    shared with the task before."""

    def body(n: int) -> bytes:
        return json.dumps({**TEXT_BODY, "prompt": f"a fox in the snow, take {n}"}).encode()

    assert retained_per_task(20_000, body) <= 520
