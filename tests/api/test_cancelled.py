"""The `cancelled` status (CONTRACT A3, B3, C, D): admin cancel, `cancel_task`, the refund."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ..conftest import MakeClient
from ..helpers import (
    KEY,
    PRICE,
    START,
    TEXT_BODY,
    Client,
    admin,
    advance,
    balance,
    check,
    create_ok,
    post_json,
)

FAULT_HEADER = "X-Sora-Mock-Fault"


async def ledger_reasons(client: Client) -> list[tuple[str, int]]:
    rows = (await admin(client, "GET", f"/accounts/{KEY}/ledger"))["transactions"]
    return [(r["reason"], r["delta"]) for r in rows]


# -- admin cancel --------------------------------------------------------------------------------


async def test_admin_cancel_ends_the_task_where_it_stands_and_refunds_once(client: Client) -> None:
    task_id = await create_ok(client)
    await advance(client, 3)
    cancelled = await admin(
        client, "POST", f"/tasks/{task_id}/cancel", {"failure_reason": "user", "error_message": "x"}
    )
    await advance(client, 10)
    data = (await check(client, task_id))["data"]
    assert {
        "taskId": task_id,
        "status": "cancelled",
        "progress": 50,
        "result_url": None,
        "result_urls": [],
        "result_pid": None,
        "result_pids": [],
        "failure_reason": "user",
        "error_message": "x",
        "credits_refunded": True,
        "refund_trans_no": cancelled["refund_trans_no"],
        "metadata": {},
    } == data
    assert START == await balance(client)
    assert [("charge", -PRICE), ("refund", PRICE)] == await ledger_reasons(client)
    assert ["pending", "running", "cancelled"] == [h["status"] for h in cancelled["history"]]


async def test_admin_cancel_without_a_reason_says_cancelled_by_admin(client: Client) -> None:
    task_id = await create_ok(client)
    await admin(client, "POST", f"/tasks/{task_id}/cancel")
    data = (await check(client, task_id))["data"]
    assert ("cancelled", 0, "cancelled_by_admin", None) == (
        data["status"],
        data["progress"],
        data["failure_reason"],
        data["error_message"],
    )


@pytest.mark.parametrize("first", ["succeed", "fail", "cancel"])
async def test_cancelling_a_final_task_is_409_and_changes_nothing(
    client: Client, first: str
) -> None:
    task_id = await create_ok(client)
    await admin(client, "POST", f"/tasks/{task_id}/{first}")
    before = await admin(client, "GET", f"/tasks/{task_id}")
    response = await client.post(f"/__mock/tasks/{task_id}/cancel")
    assert 409 == response.status
    assert {"error"} == set(await response.json())
    assert before == await admin(client, "GET", f"/tasks/{task_id}")
    assert 409 == (await client.post(f"/__mock/tasks/{task_id}/succeed")).status


async def test_cancelling_a_naturally_succeeded_task_is_409(client: Client) -> None:
    task_id = await create_ok(client)
    await advance(client, 5)
    assert 409 == (await client.post(f"/__mock/tasks/{task_id}/cancel")).status
    assert START - PRICE == await balance(client)


async def test_cancelling_an_unknown_task_is_404(client: Client) -> None:
    response = await client.post("/__mock/tasks/0123/cancel")
    assert (404, {"error"}) == (response.status, set(await response.json()))


@pytest.mark.parametrize(
    "body", [b"[]", b"{", b'{"failure_reason": 5}', b'{"reason": "x"}'], ids=repr
)
async def test_a_bad_cancel_body_is_400_and_the_task_runs_on(client: Client, body: bytes) -> None:
    task_id = await create_ok(client)
    response = await client.post(f"/__mock/tasks/{task_id}/cancel", data=body)
    assert (400, {"error"}) == (response.status, set(await response.json()))
    assert "pending" == (await check(client, task_id))["data"]["status"]
    assert START - PRICE == await balance(client)


async def test_a_refund_happens_once_when_cancels_race_with_reads(client: Client) -> None:
    task_id = await create_ok(client)
    cancels = [client.post(f"/__mock/tasks/{task_id}/cancel") for _ in range(6)]
    reads = [check(client, task_id) for _ in range(50)]
    responses, _ = await asyncio.gather(asyncio.gather(*cancels), asyncio.gather(*reads))
    assert [200] + [409] * 5 == sorted(r.status for r in responses)
    assert [("charge", -PRICE), ("refund", PRICE)] == await ledger_reasons(client)


async def test_a_cancelled_task_has_no_video(client: Client) -> None:
    task_id = await create_ok(client)
    await admin(client, "POST", f"/tasks/{task_id}/cancel")
    await advance(client, 10)
    assert 404 == (await client.get(f"/files/{task_id}.mp4")).status


async def test_a_cancelled_task_no_longer_counts_against_the_limit(
    make_client: MakeClient,
) -> None:
    client = await make_client(max_concurrent_tasks=1)
    task_id = await create_ok(client)
    await admin(client, "POST", f"/tasks/{task_id}/cancel")
    await create_ok(client)


# -- cancel_task and task_cancelled (C, B3) ------------------------------------------------------


async def test_cancel_task_charges_then_cancels_at_queue_seconds_with_progress_0(
    client: Client,
) -> None:
    await admin(client, "POST", "/faults", {"action": "cancel_task", "route": "create"})
    task_id = await create_ok(client)
    assert START - PRICE == await balance(client)
    await advance(client, 0.99)
    assert ("pending", 0) == tuple((await check(client, task_id))["data"].values())[1:3]
    await advance(client, 0.01)
    data = (await check(client, task_id))["data"]
    assert ("cancelled", 0, "injected_cancel", True) == (
        data["status"],
        data["progress"],
        data["failure_reason"],
        data["credits_refunded"],
    )
    task = await admin(client, "GET", f"/tasks/{task_id}")
    assert [("pending", 0.0), ("cancelled", 1.0)] == [
        (h["status"], h["time"]) for h in task["history"]
    ]
    assert START == await balance(client)


async def test_cancel_task_takes_the_rules_reason_and_message(client: Client) -> None:
    rule = {"action": "cancel_task", "failure_reason": "quota", "error_message": "Too busy."}
    await admin(client, "POST", "/faults", rule)
    task_id = await create_ok(client)
    await advance(client, 100)
    data = (await check(client, task_id))["data"]
    assert ("cancelled", "quota", "Too busy.") == (
        data["status"],
        data["failure_reason"],
        data["error_message"],
    )


async def test_a_fault_cancelled_task_is_refunded_before_anyone_reads_it(client: Client) -> None:
    _, envelope = await post_json(
        client, "/api/v1/video/sora-pro", TEXT_BODY, **{FAULT_HEADER: "task_cancelled"}
    )
    task_id = envelope["data"]["taskId"]
    await advance(client, 100)
    assert START == await balance(client)
    rows = (await admin(client, "GET", f"/accounts/{KEY}/ledger"))["transactions"]
    assert [("charge", 0.0), ("refund", 1.0)] == [(r["reason"], r["time"]) for r in rows]
    assert task_id == rows[1]["taskId"]


async def test_cancel_task_acts_only_on_creates(client: Client) -> None:
    task_id = await create_ok(client)
    await admin(client, "POST", "/faults", {"action": "cancel_task"})
    assert 0 == (await check(client, task_id))["code"]
    await advance(client, 5)
    assert "succeeded" == (await check(client, task_id))["data"]["status"]
    rules = (await admin(client, "GET", "/faults"))["faults"]
    assert [0] == [r["fired"] for r in rules]


async def test_admin_fail_of_a_task_a_rule_would_cancel_wins(client: Client) -> None:
    await admin(client, "POST", "/faults", {"action": "cancel_task"})
    task_id = await create_ok(client)
    await admin(client, "POST", f"/tasks/{task_id}/fail")
    await advance(client, 10)
    data = (await check(client, task_id))["data"]
    assert ("failed", "failed_by_admin") == (data["status"], data["failure_reason"])
    assert [("charge", -PRICE), ("refund", PRICE)] == await ledger_reasons(client)


async def test_a_fault_cancelled_task_behind_a_running_one_frees_its_slot(
    make_client: MakeClient,
) -> None:
    """It ends at queue_seconds, before the older task that is still running."""
    client = await make_client(max_concurrent_tasks=2)
    await admin(client, "POST", "/faults", {"action": "cancel_task", "nth": 2})
    running = await create_ok(client)
    await create_ok(client)
    await advance(client, 1.5)
    await create_ok(client)  # the cancelled one no longer counts: 2 active, not 3
    assert "running" == (await check(client, running))["data"]["status"]
    response = await client.post(
        "/api/v1/video/sora-pro", json=TEXT_BODY, headers={"Authorization": f"Bearer {KEY}"}
    )
    assert 429 == (await response.json())["code"]


async def test_a_full_store_forgets_a_fault_cancelled_task_before_older_running_ones(
    make_client: MakeClient,
) -> None:
    client = await make_client(max_tasks=2, max_concurrent_tasks=10)
    await admin(client, "POST", "/faults", {"action": "cancel_task", "nth": 2})
    running = await create_ok(client)
    cancelled = await create_ok(client)
    await advance(client, 1.5)
    await create_ok(client)
    kept = [t["taskId"] for t in (await admin(client, "GET", "/tasks"))["tasks"]]
    assert running in kept
    assert cancelled not in kept


@pytest.mark.parametrize("clock", ["manual", "poll"])
async def test_on_the_poll_clock_the_second_poll_sees_it_cancelled(
    make_client: MakeClient, clock: str
) -> None:
    client = await make_client(clock=clock)
    await admin(client, "POST", "/faults", {"action": "cancel_task"})
    task_id = await create_ok(client)
    statuses: list[Any] = []
    for _ in range(3):
        statuses.append((await check(client, task_id))["data"]["status"])
    expected = ["pending", "cancelled", "cancelled"] if clock == "poll" else ["pending"] * 3
    assert expected == statuses
