"""Edges a contract review found: each was wrong once, each is pinned here."""

from __future__ import annotations

import asyncio
import gzip
import json

import pytest

from sora_mock.core import errors

from ..conftest import MakeClient
from ..helpers import (
    CHECK,
    CREATE,
    KEY,
    SORA_VIDEO,
    START,
    TEXT_BODY,
    Client,
    admin,
    advance,
    auth,
    balance,
    check,
    create,
    create_ok,
    post_json,
    until,
)


async def test_a_fault_failed_task_is_refunded_before_anyone_reads_it(client: Client) -> None:
    await admin(client, "POST", "/faults", {"action": "fail_task", "route": "create"})
    task_id = await create_ok(client)
    await advance(client, 100)
    assert START == await balance(client)
    rows = (await admin(client, "GET", f"/accounts/{KEY}/ledger"))["transactions"]
    assert [("charge", 0.0), ("refund", 5.0)] == [(r["reason"], r["time"]) for r in rows]
    assert task_id == rows[1]["taskId"]


async def test_a_due_refund_counts_before_a_balance_is_set(client: Client) -> None:
    await admin(client, "POST", "/faults", {"action": "fail_task", "route": "create"})
    await create_ok(client)
    await advance(client, 5)
    await admin(client, "PUT", f"/accounts/{KEY}", {"balance": 50})
    assert 50 == await balance(client)


async def test_on_the_poll_clock_a_task_polled_to_its_end_frees_its_slot(
    make_client: MakeClient,
) -> None:
    client = await make_client(clock="poll", max_concurrent_tasks=2)
    await create_ok(client)
    newer = await create_ok(client)
    assert ["pending", "running"] == [(await check(client, newer))["data"]["status"] for _ in "12"]
    await create_ok(client)


async def test_a_create_waiting_during_a_reset_changes_nothing(client: Client) -> None:
    await admin(client, "POST", "/faults", {"action": "delay", "delay_ms": 200})
    in_flight = asyncio.create_task(client.post(CREATE, json=TEXT_BODY, headers=auth()))

    async def held() -> bool:
        return bool((await admin(client, "GET", "/faults"))["faults"][0]["fired"])

    await until(held)
    await admin(client, "POST", "/reset")
    envelope = await (await in_flight).json()
    assert {"code": 500, "message": errors.MSG_RESET_IN_FLIGHT, "data": None} == envelope
    assert [] == (await admin(client, "GET", "/tasks"))["tasks"]
    assert [] == (await admin(client, "GET", "/accounts"))["accounts"]


async def test_an_injected_429_says_when_the_earliest_task_ends(make_client: MakeClient) -> None:
    client = await make_client(clock="real", run_seconds=30)
    await create_ok(client)
    await admin(client, "POST", "/faults", {"action": "error", "code": 429})
    response = await client.post(CREATE, json=TEXT_BODY, headers=auth())
    assert 429 == (await response.json())["code"]
    assert 30 <= int(response.headers["Retry-After"]) <= 31


async def test_a_fail_task_rule_counts_requests_it_does_nothing_to(client: Client) -> None:
    await admin(client, "POST", "/faults", {"action": "fail_task", "nth": 2})
    await post_json(client, CHECK, {"taskId": "unknown"})
    task_id = await create_ok(client)
    await advance(client, 5)
    assert "failed" == (await check(client, task_id))["data"]["status"]


@pytest.mark.parametrize("header", ["bytes=-0", "bytes=5000-"])
async def test_a_range_of_no_bytes_is_416(client: Client, header: str) -> None:
    task_id = await create_ok(client)
    await advance(client, 5)
    response = await client.get(f"/files/{task_id}.mp4", headers={"Range": header})
    assert 416 == response.status


async def test_a_client_that_drops_mid_body_gets_a_journal_row(client: Client) -> None:
    _, writer = await asyncio.open_connection(client.host, client.port)
    writer.write(
        b"POST /api/v1/video/sora-pro HTTP/1.1\r\nHost: x\r\n"
        b"Authorization: Bearer " + KEY.encode() + b'\r\nContent-Length: 100\r\n\r\n{"mo'
    )
    await writer.drain()
    writer.close()
    await writer.wait_closed()

    async def journaled() -> bool:
        return bool((await admin(client, "GET", "/requests"))["requests"])

    await until(journaled)
    row = (await admin(client, "GET", "/requests"))["requests"][0]
    assert (None, None) == (row["code"], row["http_status"])
    assert 0 == len((await admin(client, "GET", "/tasks"))["tasks"])
    assert 0 == (await create(client))["code"]


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br", "zstd"])
@pytest.mark.parametrize("path", [CREATE, CHECK, SORA_VIDEO])
async def test_a_body_whose_content_coding_does_not_decode_is_a_journaled_400(
    client: Client, path: str, coding: str
) -> None:
    """A1 (revision 3): not aiohttp's 500 page; nothing is charged, the server serves on."""
    response = await client.post(
        path, data=b"not compressed at all", headers={**auth(), "Content-Encoding": coding}
    )
    answer = await response.json()
    reason = errors.MSG_UNDECODABLE.format(coding=coding)
    assert (200, 400, errors.MSG_NOT_JSON_OBJECT.format(reason=reason)) == (
        response.status,
        answer["code"],
        answer["message"],
    )
    row = (await admin(client, "GET", "/requests"))["requests"][-1]
    assert (path, 400, coding) == (row["path"], row["code"], row["headers"]["Content-Encoding"])
    assert START == await balance(client)
    await create_ok(client)  # a new connection is served as usual


async def test_a_gzip_body_that_decodes_is_read(client: Client) -> None:
    response = await client.post(
        CREATE,
        data=gzip.compress(json.dumps(TEXT_BODY).encode()),
        headers={**auth(), "Content-Encoding": "gzip"},
    )
    assert 0 == (await response.json())["code"]


async def test_an_admin_body_whose_content_coding_does_not_decode_is_a_400(
    client: Client,
) -> None:
    response = await client.post(
        "/__mock/faults", data=b"\x00garbage", headers={"Content-Encoding": "gzip"}
    )
    text = errors.MSG_UNDECODABLE.format(coding="gzip")
    assert (400, {"error": f"The body must be JSON: {text}."}) == (
        response.status,
        await response.json(),
    )
