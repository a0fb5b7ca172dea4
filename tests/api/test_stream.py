"""A8: the sibling route's SSE stream, driven by the mock clock."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import pytest

from sora_mock.core import errors as e

from ..conftest import MakeClient
from ..helpers import SORA_VIDEO, VIDEO_BODY, Client, admin, advance, auth, check


async def open_stream(
    client: Client, body: dict[str, Any] | None = None, accept: str = "text/event-stream"
) -> aiohttp.ClientResponse:
    headers = {**auth(), "Accept": accept}
    return await client.post(SORA_VIDEO, json=body or VIDEO_BODY, headers=headers)


async def next_event(response: aiohttp.ClientResponse) -> dict[str, Any]:
    raw = await asyncio.wait_for(response.content.readuntil(b"\n\n"), 5)
    assert raw.startswith(b"data: "), raw
    event: dict[str, Any] = json.loads(raw[len(b"data: ") :])
    return event


async def the_end(response: aiohttp.ClientResponse) -> bytes:
    return await asyncio.wait_for(response.content.read(), 5)


def final(task_id: str, base: str, status: str = "succeeded", **fields: Any) -> dict[str, Any]:
    done = status == "succeeded"
    return {
        "id": task_id,
        "status": status,
        "progress": 100 if done else fields.pop("progress", 0),
        "results": [{"url": f"{base}/files/{task_id}.mp4"}] if done else [],
        "failure_reason": "",
        "error_message": None,
        **fields,
    }


async def test_the_stream_sends_each_change_on_an_advance_then_the_final_event(
    client: Client,
) -> None:
    response = await open_stream(client)
    assert (200, "text/event-stream") == (response.status, response.content_type)
    first = await next_event(response)
    task_id = first["id"]
    assert {"id": task_id, "status": "pending", "progress": 0} == first
    await advance(client, 2)
    assert {"id": task_id, "status": "running", "progress": 25} == await next_event(response)
    await advance(client, 1)
    assert {"id": task_id, "status": "running", "progress": 50} == await next_event(response)
    await advance(client, 5)
    base = f"http://{client.host}:{client.port}"
    assert final(task_id, base) == await next_event(response)
    assert b"" == await the_end(response)


async def test_the_journal_row_is_written_when_the_stream_starts(client: Client) -> None:
    response = await open_stream(client)
    task_id = (await next_event(response))["id"]
    [row] = (await admin(client, "GET", "/requests"))["requests"]
    assert ("sora_video", 0, 200, task_id) == (
        row["route"],
        row["code"],
        row["http_status"],
        row["taskId"],
    )
    response.close()


async def test_shut_progress_sends_only_the_final_event(client: Client) -> None:
    response = await open_stream(client, {**VIDEO_BODY, "shutProgress": True})
    assert 200 == response.status  # the headers go at once
    await advance(client, 3)
    await advance(client, 2)
    rest = await the_end(response)
    [event] = [json.loads(chunk[6:]) for chunk in rest.split(b"\n\n") if chunk]
    assert "succeeded" == event["status"]


async def test_an_admin_fail_ends_the_stream_with_the_failure(client: Client) -> None:
    response = await open_stream(client)
    task_id = (await next_event(response))["id"]
    await advance(client, 2)
    await next_event(response)
    await admin(client, "POST", f"/tasks/{task_id}/fail", {"failure_reason": "boom"})
    event = await next_event(response)
    assert final(task_id, "", "failed", progress=25, failure_reason="boom") == event
    assert b"" == await the_end(response)


async def test_on_the_poll_clock_a_check_result_of_the_task_moves_the_stream(
    make_client: MakeClient,
) -> None:
    client = await make_client(clock="poll")
    response = await open_stream(client)
    task_id = (await next_event(response))["id"]
    polled = await check(client, task_id)
    assert "pending" == polled["data"]["status"]  # the poll answers, then moves the task on
    assert {"id": task_id, "status": "running", "progress": 37} == await next_event(response)


async def test_a_task_already_final_when_created_gets_the_final_event_alone(
    make_client: MakeClient,
) -> None:
    client = await make_client(queue_seconds=0, run_seconds=0)
    response = await open_stream(client)
    rest = await the_end(response)
    [event] = [json.loads(chunk[6:]) for chunk in rest.split(b"\n\n") if chunk]
    assert ("succeeded", 100) == (event["status"], event["progress"])


async def test_a_rejection_is_still_the_json_envelope(client: Client) -> None:
    response = await open_stream(client, {"model": "sora-3", "prompt": "x"})
    assert "application/json" == response.content_type
    assert e.BAD_REQUEST == (await response.json())["code"]


@pytest.mark.parametrize(
    "accept", ["application/json;q=0.5, text/event-stream;q=0.1", "TEXT/EVENT-STREAM"]
)
async def test_accept_is_matched_as_a_substring_whatever_its_q_values(
    client: Client, accept: str
) -> None:
    response = await open_stream(client, accept=accept)
    assert "text/event-stream" == response.content_type
    response.close()


async def test_without_the_accept_header_the_answer_is_json(client: Client) -> None:
    response = await open_stream(client, accept="application/json")
    assert 0 == (await response.json())["code"]


async def test_a_client_that_goes_away_ends_only_its_stream(client: Client) -> None:
    leaving = await open_stream(client)
    gone_id = (await next_event(leaving))["id"]
    staying = await open_stream(client)
    await next_event(staying)
    leaving.close()
    await advance(client, 5)
    assert "succeeded" == (await next_event(staying))["status"]
    assert "succeeded" == (await check(client, gone_id))["data"]["status"]


async def test_a_reset_ends_open_streams_without_a_final_event(client: Client) -> None:
    response = await open_stream(client)
    await next_event(response)
    await admin(client, "POST", "/reset")
    assert b"" == await the_end(response)


async def test_on_the_real_clock_the_stream_looks_every_interval(
    make_client: MakeClient,
) -> None:
    client = await make_client(
        clock="real", queue_seconds=0.02, run_seconds=0.06, sse_interval_seconds=0.01
    )
    response = await open_stream(client)
    events = [await next_event(response)]
    while "results" not in events[-1]:
        events.append(await next_event(response))
    assert "succeeded" == events[-1]["status"]
    progress = [ev["progress"] for ev in events]
    assert progress == sorted(progress)


async def test_the_final_event_shows_the_client_its_task_final(client: Client) -> None:
    response = await open_stream(client)
    await next_event(response)
    await advance(client, 5)
    await next_event(response)
    assert [] == (await admin(client, "GET", "/tasks?seen_final=false"))["tasks"]


async def test_a_stream_that_ended_before_the_final_event_leaves_it_unseen(client: Client) -> None:
    response = await open_stream(client, {**VIDEO_BODY, "shutProgress": True})
    response.close()
    await advance(client, 5)
    [task] = (await admin(client, "GET", "/tasks?seen_final=false"))["tasks"]
    assert "succeeded" == task["status"]
