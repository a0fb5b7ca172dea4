"""The task lifecycle (CONTRACT B3, A3) on the three clocks; no test sleeps."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from sora_mock.core import errors

from ..conftest import MakeClient
from ..helpers import (
    CHECK,
    KEY,
    OTHER_KEY,
    PRICE,
    START,
    Client,
    admin,
    advance,
    balance,
    check,
    create,
    create_ok,
    expected_pid,
    post_json,
)


async def status_at(client: Client, task_id: str) -> tuple[str, int]:
    data = (await check(client, task_id))["data"]
    return data["status"], data["progress"]


@pytest.mark.parametrize(
    ("seconds", "status", "progress"),
    [
        (0, "pending", 0),
        (0.999, "pending", 0),
        (1, "running", 0),
        (1.5, "running", 12),
        (2, "running", 25),
        (3, "running", 50),
        (4.99, "running", 99),
        (5, "succeeded", 100),
        (500, "succeeded", 100),
    ],
)
async def test_state_follows_the_manual_clock(
    client: Client, seconds: float, status: str, progress: int
) -> None:
    task_id = await create_ok(client)
    await advance(client, seconds)
    assert (status, progress) == await status_at(client, task_id)


async def test_queue_and_run_seconds_are_configurable(make_client: MakeClient) -> None:
    client = await make_client(queue_seconds=10, run_seconds=100)
    task_id = await create_ok(client)
    seen = []
    for step in (9, 1, 50, 49, 1):
        await advance(client, step)
        seen.append(await status_at(client, task_id))
    assert [
        ("pending", 0),
        ("running", 0),
        ("running", 50),
        ("running", 99),
        ("succeeded", 100),
    ] == seen


async def test_a_succeeded_task_has_its_result_url_and_nothing_of_failure(client: Client) -> None:
    task_id = await create_ok(client)
    await advance(client, 5)
    data = (await check(client, task_id))["data"]
    url = f"http://{client.host}:{client.port}/files/{task_id}.mp4"
    assert {
        "taskId": task_id,
        "status": "succeeded",
        "progress": 100,
        "result_url": url,
        "result_urls": [url],
        "result_pid": expected_pid(task_id),
        "result_pids": [expected_pid(task_id)],
        "failure_reason": "",
        "error_message": None,
        "credits_refunded": False,
        "refund_trans_no": None,
        "metadata": {},
    } == data


async def test_result_url_uses_public_base_url_without_its_trailing_slash(
    make_client: MakeClient,
) -> None:
    client = await make_client(public_base_url="https://mock.example.test/base/")
    task_id = await create_ok(client)
    await advance(client, 5)
    data = (await check(client, task_id))["data"]
    assert f"https://mock.example.test/base/files/{task_id}.mp4" == data["result_url"]


async def test_result_url_follows_the_host_header_of_the_reading_request(client: Client) -> None:
    task_id = await create_ok(client)
    await advance(client, 5)
    response = await client.post(
        CHECK,
        json={"taskId": task_id},
        headers={"Authorization": f"Bearer {KEY}", "Host": "videos.local:9000"},
    )
    data = (await response.json())["data"]
    assert f"http://videos.local:9000/files/{task_id}.mp4" == data["result_url"]


async def test_the_poll_clock_shows_pending_running_succeeded_on_polls_1_to_3(
    make_client: MakeClient,
) -> None:
    client = await make_client(clock="poll")
    task_id = await create_ok(client)
    seen = [await status_at(client, task_id) for _ in range(4)]
    assert [("pending", 0), ("running", 37), ("succeeded", 100), ("succeeded", 100)] == seen


async def test_the_poll_clock_moves_each_task_on_its_own(make_client: MakeClient) -> None:
    client = await make_client(clock="poll")
    first, second = await create_ok(client), await create_ok(client)
    await status_at(client, first)
    await status_at(client, first)
    assert ("pending", 0) == await status_at(client, second)
    assert ("succeeded", 100) == await status_at(client, first)


async def test_advancing_the_poll_clock_moves_every_task(make_client: MakeClient) -> None:
    client = await make_client(clock="poll")
    task_id = await create_ok(client)
    clock = await admin(client, "POST", "/clock/advance", {"seconds": 5})
    assert {"now": 5.0, "mode": "poll", "speed": 1.0} == clock
    assert ("succeeded", 100) == await status_at(client, task_id)


async def test_the_real_clock_at_speed_50_finishes_a_task_within_a_fraction_of_a_second(
    make_client: MakeClient,
) -> None:
    """At speed 1 a task takes 5 s; at speed 50 it is done long before 2 s have passed."""
    client = await make_client(clock="real", speed=50)
    task_id = await create_ok(client)
    deadline = time.monotonic() + 2
    status = "pending"
    while status != "succeeded" and time.monotonic() < deadline:
        status, _ = await status_at(client, task_id)
    assert "succeeded" == status


async def test_the_clock_reports_mode_speed_and_mock_seconds(make_client: MakeClient) -> None:
    client = await make_client()
    assert {"now": 0.0, "mode": "manual", "speed": 1.0} == await admin(client, "GET", "/clock")
    assert {"now": 2.5, "mode": "manual", "speed": 1.0} == await admin(
        client, "POST", "/clock/advance", {"seconds": 2.5}
    )


@pytest.mark.parametrize("bad", [-1, "1", None, float("nan")])
async def test_advance_refuses_what_is_not_a_number_of_seconds(client: Client, bad: Any) -> None:
    response = await client.post("/__mock/clock/advance", data=f'{{"seconds": {bad!r}}}')
    assert 400 == response.status
    assert 0 == (await admin(client, "GET", "/clock"))["now"]


async def test_history_records_each_transition_with_its_clock_time(client: Client) -> None:
    task_id = await create_ok(client)
    await advance(client, 2)
    await check(client, task_id)
    await advance(client, 10)
    task = await admin(client, "GET", f"/tasks/{task_id}")
    assert [
        {"status": "pending", "time": 0.0},
        {"status": "running", "time": 1.0},
        {"status": "succeeded", "time": 5.0},
    ] == task["history"]


async def test_a_task_record_has_the_contract_fields(client: Client) -> None:
    task_id = await create_ok(client)
    task = await admin(client, "GET", f"/tasks/{task_id}")
    assert {
        "taskId": task_id,
        "route": "sora-pro",
        "key": "************0001",
        "model": "sora-2-text-to-video",
        "status": "pending",
        "progress": 0,
        "params": {
            "prompt": "a fox in the snow",
            "aspectRatio": "landscape",
            "nFrames": 10,
            "removeWatermark": True,
            "isPublic": True,
        },
        "price": PRICE,
        "charge_trans_no": task["charge_trans_no"],
        "refund_trans_no": None,
        "failure_reason": "",
        "error_message": None,
        "result_pid": None,
        "webhook": None,
        "created_at": 0.0,
        "history": [{"status": "pending", "time": 0.0}],
    } == task
    ledger = (await admin(client, "GET", f"/accounts/{KEY}/ledger"))["transactions"]
    assert ledger[0]["trans_no"] == task["charge_trans_no"]


async def test_tasks_can_be_listed_for_one_full_key(client: Client) -> None:
    mine = await create_ok(client)
    await create_ok(client, key=OTHER_KEY)
    listed = (await admin(client, "GET", f"/tasks?key={KEY}"))["tasks"]
    assert [mine] == [t["taskId"] for t in listed]
    assert 2 == len((await admin(client, "GET", "/tasks"))["tasks"])


async def test_admin_fail_freezes_progress_and_refunds_once(client: Client) -> None:
    task_id = await create_ok(client)
    await advance(client, 3)
    failed = await admin(
        client, "POST", f"/tasks/{task_id}/fail", {"failure_reason": "nsfw", "error_message": "no"}
    )
    await advance(client, 10)
    data = (await check(client, task_id))["data"]
    assert ("failed", 50, "nsfw", "no", True) == (
        data["status"],
        data["progress"],
        data["failure_reason"],
        data["error_message"],
        data["credits_refunded"],
    )
    assert data["refund_trans_no"] == failed["refund_trans_no"]
    assert START == await balance(client)
    rows = (await admin(client, "GET", f"/accounts/{KEY}/ledger"))["transactions"]
    assert [("charge", -PRICE), ("refund", PRICE)] == [(r["reason"], r["delta"]) for r in rows]
    assert rows[1]["trans_no"] == data["refund_trans_no"]
    assert ["pending", "running", "failed"] == [h["status"] for h in failed["history"]]


async def test_admin_fail_without_a_reason_says_failed_by_admin(client: Client) -> None:
    task_id = await create_ok(client)
    await admin(client, "POST", f"/tasks/{task_id}/fail")
    data = (await check(client, task_id))["data"]
    assert ("failed", 0, "failed_by_admin") == (
        data["status"],
        data["progress"],
        data["failure_reason"],
    )


async def test_admin_succeed_finishes_a_task_now(client: Client) -> None:
    task_id = await create_ok(client)
    await admin(client, "POST", f"/tasks/{task_id}/succeed")
    assert ("succeeded", 100) == await status_at(client, task_id)
    assert START - PRICE == await balance(client)


@pytest.mark.parametrize("first", ["succeed", "fail"])
@pytest.mark.parametrize("second", ["succeed", "fail"])
async def test_finishing_a_final_task_is_409_and_changes_nothing(
    client: Client, first: str, second: str
) -> None:
    task_id = await create_ok(client)
    await admin(client, "POST", f"/tasks/{task_id}/{first}")
    before = await admin(client, "GET", f"/tasks/{task_id}")
    response = await client.post(f"/__mock/tasks/{task_id}/{second}")
    assert 409 == response.status
    assert "error" in await response.json()
    assert before == await admin(client, "GET", f"/tasks/{task_id}")


async def test_finishing_a_naturally_succeeded_task_is_409(client: Client) -> None:
    task_id = await create_ok(client)
    await advance(client, 5)
    assert 409 == (await client.post(f"/__mock/tasks/{task_id}/fail")).status
    assert START - PRICE == await balance(client)


async def test_finishing_an_unknown_task_is_404(client: Client) -> None:
    assert 404 == (await client.post("/__mock/tasks/0123/fail")).status
    assert 404 == (await client.get("/__mock/tasks/0123")).status


async def test_a_refund_happens_once_when_fail_races_with_reads(client: Client) -> None:
    task_id = await create_ok(client)
    fails = [client.post(f"/__mock/tasks/{task_id}/fail") for _ in range(6)]
    reads = [check(client, task_id) for _ in range(50)]
    responses, _ = await asyncio.gather(asyncio.gather(*fails), asyncio.gather(*reads))
    assert [200] + [409] * 5 == sorted(r.status for r in responses)
    rows = (await admin(client, "GET", f"/accounts/{KEY}/ledger"))["transactions"]
    assert ["charge", "refund"] == [r["reason"] for r in rows]
    assert START == await balance(client)


async def test_another_keys_task_is_indistinguishable_from_an_unknown_one(
    client: Client,
) -> None:
    task_id = await create_ok(client)
    theirs = await check(client, task_id, key=OTHER_KEY)
    unknown = await check(client, "f" * 32, key=OTHER_KEY)
    assert {
        "code": 404,
        "message": errors.MSG_TASK_NOT_FOUND.format(task_id=task_id),
        "data": None,
    } == theirs
    assert (theirs["code"], theirs["data"]) == (unknown["code"], unknown["data"])
    assert await admin(client, "GET", f"/tasks?key={OTHER_KEY}") == {"tasks": []}


@pytest.mark.parametrize(
    "body", [{}, {"taskId": ""}, {"taskId": "  "}, {"taskId": 5}, {"taskId": None}]
)
async def test_check_result_needs_a_non_blank_string_task_id(
    client: Client, body: dict[str, Any]
) -> None:
    _, envelope = await post_json(client, CHECK, body)
    assert {"code": 400, "message": errors.MSG_TASK_ID, "data": None} == envelope


async def test_check_result_needs_auth_and_a_json_object(client: Client) -> None:
    _, envelope = await post_json(client, CHECK, {"taskId": "x"}, key=None)
    assert 401 == envelope["code"]
    _, envelope = await post_json(client, CHECK, ["x"])
    assert 400 == envelope["code"]


async def test_the_concurrency_limit_answers_429_with_retry_after_and_charges_nothing(
    make_client: MakeClient,
) -> None:
    client = await make_client(max_concurrent_tasks=2)
    await create_ok(client)
    await create_ok(client)
    response = await client.post(
        "/api/v1/video/sora-pro",
        json={"model": "sora-2-text-to-video", "prompt": "x"},
        headers={"Authorization": f"Bearer {KEY}"},
    )
    message = errors.MSG_TOO_MANY_TASKS.format(limit=2)
    assert {"code": 429, "message": message, "data": None} == await response.json()
    assert "1" == response.headers["Retry-After"]
    assert START - 2 * PRICE == await balance(client)
    await create_ok(client, key=OTHER_KEY)
    await advance(client, 5)
    await create_ok(client)


async def test_retry_after_counts_real_seconds_to_the_earliest_finish(
    make_client: MakeClient,
) -> None:
    client = await make_client(clock="real", speed=1, max_concurrent_tasks=1, run_seconds=30)
    await create_ok(client)
    response = await client.post(
        "/api/v1/video/sora-pro",
        json={"model": "sora-2-text-to-video", "prompt": "x"},
        headers={"Authorization": f"Bearer {KEY}"},
    )
    assert "31" == response.headers["Retry-After"]


async def test_a_failed_task_frees_its_concurrency_slot(make_client: MakeClient) -> None:
    client = await make_client(max_concurrent_tasks=1)
    task_id = await create_ok(client)
    assert 429 == (await create(client))["code"]
    await admin(client, "POST", f"/tasks/{task_id}/fail")
    await create_ok(client)


async def test_the_oldest_final_task_is_forgotten_when_max_tasks_is_reached(
    make_client: MakeClient,
) -> None:
    client = await make_client(max_tasks=2)
    first = await create_ok(client)
    second = await create_ok(client)
    await admin(client, "POST", f"/tasks/{second}/succeed")
    third = await create_ok(client)
    listed = [t["taskId"] for t in (await admin(client, "GET", "/tasks"))["tasks"]]
    assert [first, third] == listed
    assert 404 == (await check(client, second))["code"]
    rows = (await admin(client, "GET", f"/accounts/{KEY}/ledger"))["transactions"]
    assert [first, second, third] == [r["taskId"] for r in rows]


async def test_a_final_task_past_the_oldest_thousand_is_forgotten_before_active_ones(
    make_client: MakeClient,
) -> None:
    client = await make_client(max_tasks=1002, max_concurrent_tasks=5000, default_balance=10**6)
    ids = [await create_ok(client) for _ in range(1002)]
    await admin(client, "POST", f"/tasks/{ids[1001]}/fail")
    await create_ok(client)
    listed = {t["taskId"] for t in (await admin(client, "GET", "/tasks"))["tasks"]}
    assert ids[1001] not in listed
    assert set(ids[:1001]) <= listed


async def test_a_task_that_finished_on_its_own_goes_before_a_newer_failed_one(
    make_client: MakeClient,
) -> None:
    client = await make_client(max_tasks=3)
    first = await create_ok(client)
    await advance(client, 2)
    second, third = await create_ok(client), await create_ok(client)
    await admin(client, "POST", f"/tasks/{third}/fail")
    await advance(client, 3)  # first is 5 s old: succeeded; second is 3 s old: running
    fourth = await create_ok(client)
    listed = [t["taskId"] for t in (await admin(client, "GET", "/tasks"))["tasks"]]
    assert [second, third, fourth] == listed
    assert 404 == (await check(client, first))["code"]


async def test_a_task_polled_to_its_end_past_the_oldest_thousand_is_forgotten_first(
    make_client: MakeClient,
) -> None:
    client = await make_client(
        clock="poll", max_tasks=1002, max_concurrent_tasks=5000, default_balance=10**6
    )
    ids = [await create_ok(client) for _ in range(1002)]
    for _ in range(3):  # pending, running, succeeded: the poll clock moves only this task
        await check(client, ids[1001])
    assert "succeeded" == (await check(client, ids[1001]))["data"]["status"]
    await create_ok(client)
    listed = {t["taskId"] for t in (await admin(client, "GET", "/tasks"))["tasks"]}
    assert ids[1001] not in listed
    assert set(ids[:1001]) <= listed


async def test_with_no_final_task_the_oldest_task_is_forgotten(make_client: MakeClient) -> None:
    client = await make_client(max_tasks=2)
    first, second = await create_ok(client), await create_ok(client)
    third = await create_ok(client)
    listed = [t["taskId"] for t in (await admin(client, "GET", "/tasks"))["tasks"]]
    assert [second, third] == listed
    assert first != third


async def test_after_a_task_is_forgotten_out_of_order_the_oldest_go_next_in_order(
    make_client: MakeClient,
) -> None:
    client = await make_client(max_tasks=3)
    a, b, c = [await create_ok(client) for _ in range(3)]
    await admin(client, "POST", f"/tasks/{b}/succeed")
    d = await create_ok(client)  # b is the only final task: it goes, from the middle
    e = await create_ok(client)  # none is final: the oldest, a
    f = await create_ok(client)  # then c, not b's empty place
    listed = [t["taskId"] for t in (await admin(client, "GET", "/tasks"))["tasks"]]
    assert [d, e, f] == listed
    assert [404, 404, 404] == [(await check(client, t))["code"] for t in (a, b, c)]


async def test_a_newer_task_that_fails_first_frees_its_slot(make_client: MakeClient) -> None:
    client = await make_client(max_concurrent_tasks=2)
    await create_ok(client)
    newer = await create_ok(client)
    assert 429 == (await create(client))["code"]
    await admin(client, "POST", f"/tasks/{newer}/fail")
    await create_ok(client)
    assert 429 == (await create(client))["code"]
    await advance(client, 5)
    await create_ok(client)
    await create_ok(client)


async def test_the_task_list_can_be_limited_to_the_newest(client: Client) -> None:
    ids = [await create_ok(client) for _ in range(3)]
    assert ids[1:] == [t["taskId"] for t in (await admin(client, "GET", "/tasks?limit=2"))["tasks"]]
    assert [] == (await admin(client, "GET", "/tasks?limit=0"))["tasks"]
    assert 400 == (await client.get("/__mock/tasks?limit=-1")).status
