"""A7: webhook deliveries, driven by the mock clock, seen by a receiver of the test's own."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from sora_mock import __version__
from sora_mock.sim.deliveries import MSG_CONNECT, MSG_FAULT_ERROR, MSG_TIMEOUT
from sora_mock.testing.receiver import WebhookReceiver

from ..conftest import MakeClient
from ..helpers import (
    KEY,
    OTHER_KEY,
    SORA_VIDEO,
    VIDEO_BODY,
    Client,
    admin,
    advance,
    check,
    create_video_ok,
    post_json,
    webhooks,
)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as started:
        yield started


def hooked(url: str, **fields: Any) -> dict[str, Any]:
    return {**VIDEO_BODY, "webHook": url, **fields}


@dataclass
class Hostile:
    """A loopback server that misbehaves on purpose; `release` lets a hanging one go."""

    url: str
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)


HostileFactory = Callable[[str], Awaitable[Hostile]]


@pytest.fixture
async def hostile() -> AsyncIterator[HostileFactory]:
    servers: list[asyncio.Server] = []

    async def start(behaviour: str) -> Hostile:
        box: list[Hostile] = []

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            peer = box[0]
            peer.connected.set()
            await reader.readuntil(b"\r\n\r\n")
            if behaviour == "hang":
                await peer.release.wait()
            elif behaviour == "garbage":
                writer.write(b"this is not HTTP at all\r\n\r\n")
                await writer.drain()
            elif behaviour == "reset":
                sock = writer.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            writer.transport.abort()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        box.append(Hostile(f"http://127.0.0.1:{port}/hook"))
        return box[0]

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def task_record(client: Client, task_id: str) -> dict[str, Any]:
    record: dict[str, Any] = await admin(client, "GET", f"/tasks/{task_id}")
    return record


# -- a delivery, as a receiver sees it ---------------------------------------------------------


async def test_a_succeeded_task_is_posted_to_its_webhook_before_the_advance_returns(
    client: Client, receiver: WebhookReceiver
) -> None:
    task_id = await create_video_ok(client, hooked(receiver.url))
    await advance(client, 4.9)
    assert [] == receiver.received
    await advance(client, 0.1)
    [got] = receiver.received  # no waiting: the advance answered after the attempt ended
    base = f"http://{client.host}:{client.port}"
    assert {
        "id": task_id,
        "taskId": task_id,
        "status": "succeeded",
        "progress": 100,
        "results": [{"url": f"{base}/files/{task_id}.mp4"}],
        "failure_reason": "",
        "error_message": None,
    } == got.json
    assert "/webhook" == got.path
    assert "application/json" == got.headers["Content-Type"]
    assert f"sora-mock/{__version__}" == got.headers["User-Agent"]
    assert "wh_00000001" == got.headers["X-Sora-Mock-Delivery"]


async def test_the_delivery_record_shows_its_attempt_at_the_finish_time(
    client: Client, receiver: WebhookReceiver
) -> None:
    task_id = await create_video_ok(client, hooked(receiver.url))
    await advance(client, 7)
    assert [
        {
            "id": "wh_00000001",
            "taskId": task_id,
            "key": "************0001",
            "url": receiver.url,
            "event": "succeeded",
            "attempts": [{"time": 5.0, "http_status": 200, "error": None}],
            "state": "delivered",
            "fault": None,
        }
    ] == await webhooks(client)
    assert "wh_00000001" == (await task_record(client, task_id))["webhook"]


async def test_a_task_without_a_webhook_or_with_minus_one_has_no_delivery(
    client: Client, receiver: WebhookReceiver
) -> None:
    plain = await create_video_ok(client)
    polling = await create_video_ok(client, hooked("-1"))
    blank = await create_video_ok(client, hooked(""))
    await advance(client, 10)
    assert [] == await webhooks(client)
    for task_id in (plain, polling, blank):
        record = await task_record(client, task_id)
        assert record["webhook"] is None
        assert "webHook" not in record["params"]


async def test_a_failed_task_is_not_delivered_by_default(
    client: Client, receiver: WebhookReceiver
) -> None:
    task_id = await create_video_ok(client, hooked(receiver.url))
    await admin(client, "POST", f"/tasks/{task_id}/fail", {})
    await advance(client, 10)
    assert [] == receiver.received
    assert [] == await webhooks(client)


async def test_with_webhook_on_failure_a_failed_task_is_delivered_when_it_fails(
    make_client: MakeClient, receiver: WebhookReceiver
) -> None:
    client = await make_client(webhook_on_failure=True)
    task_id = await create_video_ok(client, hooked(receiver.url))
    await advance(client, 2)
    await admin(client, "POST", f"/tasks/{task_id}/fail", {"failure_reason": "boom"})
    await advance(client, 0)
    [got] = receiver.received
    assert "failed" == got.json["status"]
    assert [] == got.json["results"]
    assert "boom" == got.json["failure_reason"]
    [record] = await webhooks(client)
    assert ("failed", [2.0]) == (record["event"], [a["time"] for a in record["attempts"]])


async def test_an_admin_succeed_makes_the_delivery_due_at_that_moment(
    client: Client, receiver: WebhookReceiver
) -> None:
    task_id = await create_video_ok(client, hooked(receiver.url))
    await advance(client, 1.5)
    await admin(client, "POST", f"/tasks/{task_id}/succeed")
    await advance(client, 0)
    [record] = await webhooks(client)
    assert [1.5] == [a["time"] for a in record["attempts"]]
    assert 1 == len(receiver.received)


async def test_the_result_url_uses_public_base_url_when_set(
    make_client: MakeClient, receiver: WebhookReceiver
) -> None:
    client = await make_client(public_base_url="https://videos.example/")
    task_id = await create_video_ok(client, hooked(receiver.url))
    await advance(client, 5)
    [got] = receiver.received
    assert [{"url": f"https://videos.example/files/{task_id}.mp4"}] == got.json["results"]


async def test_delivery_ids_count_per_simulation_and_start_again_after_a_reset(
    client: Client, receiver: WebhookReceiver
) -> None:
    await create_video_ok(client, hooked(receiver.url))
    await create_video_ok(client, hooked(receiver.url))
    await advance(client, 5)
    # both are due at one moment, so they are attempted concurrently: no order between them
    assert ["wh_00000001", "wh_00000002"] == sorted(
        r.headers["X-Sora-Mock-Delivery"] for r in receiver.received
    )
    await admin(client, "POST", "/reset")
    await create_video_ok(client, hooked(receiver.url))
    await advance(client, 5)
    assert "wh_00000001" == receiver.received[-1].headers["X-Sora-Mock-Delivery"]


# -- retries -------------------------------------------------------------------------------------


async def test_a_failing_receiver_is_retried_after_1_2_and_4_seconds_then_failed(
    client: Client, receiver: WebhookReceiver
) -> None:
    receiver.status = 500
    await create_video_ok(client, hooked(receiver.url))
    await advance(client, 5)
    [record] = await webhooks(client)
    assert ("pending", [5.0]) == (record["state"], [a["time"] for a in record["attempts"]])
    await advance(client, 1)
    assert 2 == len(receiver.received)
    await advance(client, 100)  # one advance over several due times makes them in turn
    [record] = await webhooks(client)
    assert [5.0, 6.0, 8.0, 12.0] == [a["time"] for a in record["attempts"]]
    assert [500] * 4 == [a["http_status"] for a in record["attempts"]]
    assert "failed" == record["state"]
    assert 4 == len(receiver.received)


async def test_a_retry_that_gets_a_2xx_is_delivered(
    client: Client, receiver: WebhookReceiver
) -> None:
    receiver.status = 503
    await create_video_ok(client, hooked(receiver.url))
    await advance(client, 5)
    receiver.status = 204
    await advance(client, 1)
    [record] = await webhooks(client)
    assert ("delivered", [503, 204]) == (
        record["state"],
        [a["http_status"] for a in record["attempts"]],
    )


async def test_webhook_retries_sets_how_many_times_it_is_tried_again(
    make_client: MakeClient, receiver: WebhookReceiver
) -> None:
    client = await make_client(webhook_retries=0)
    receiver.status = 500
    await create_video_ok(client, hooked(receiver.url))
    await advance(client, 100)
    [record] = await webhooks(client)
    assert ("failed", 1) == (record["state"], len(record["attempts"]))


async def test_a_redirect_is_a_failure_and_is_not_followed(
    client: Client, receiver: WebhookReceiver
) -> None:
    receiver.status = 302
    await create_video_ok(client, hooked(receiver.url))
    await advance(client, 5)
    [record] = await webhooks(client)
    assert ("pending", [302]) == (record["state"], [a["http_status"] for a in record["attempts"]])
    assert 1 == len(receiver.received)


async def test_a_receiver_that_is_not_listening_is_an_error_and_retried(client: Client) -> None:
    await create_video_ok(client, hooked(f"http://127.0.0.1:{closed_port()}/hook"))
    await advance(client, 5)
    [record] = await webhooks(client)
    [attempt] = record["attempts"]
    assert attempt["http_status"] is None
    assert attempt["error"].startswith(MSG_CONNECT.split("{")[0])
    assert "pending" == record["state"]


# -- receivers that misbehave ----------------------------------------------------------------


@pytest.mark.parametrize("behaviour", ["garbage", "reset"])
async def test_a_receiver_that_garbles_or_resets_is_an_error_and_retried(
    make_client: MakeClient, hostile: HostileFactory, behaviour: str
) -> None:
    client = await make_client()
    peer = await hostile(behaviour)
    await create_video_ok(client, hooked(peer.url))
    await advance(client, 5)
    [record] = await webhooks(client)
    [attempt] = record["attempts"]
    assert (None, "pending") == (attempt["http_status"], record["state"])
    assert attempt["error"]


async def test_a_receiver_that_hangs_times_out_and_the_advance_still_returns(
    make_client: MakeClient, hostile: HostileFactory
) -> None:
    client = await make_client(webhook_timeout_seconds=0.2, webhook_retries=1)
    peer = await hostile("hang")
    await create_video_ok(client, hooked(peer.url))
    await advance(client, 10)  # two attempts, each bounded by its timeout
    [record] = await webhooks(client)
    assert [MSG_TIMEOUT.format(seconds=0.2)] * 2 == [a["error"] for a in record["attempts"]]
    assert "failed" == record["state"]


async def test_a_hanging_receiver_never_blocks_a_provider_request(
    make_client: MakeClient, hostile: HostileFactory
) -> None:
    client = await make_client(webhook_timeout_seconds=30)
    peer = await hostile("hang")
    task_id = await create_video_ok(client, hooked(peer.url))
    advancing = asyncio.ensure_future(advance(client, 5))
    await asyncio.wait_for(peer.connected.wait(), 5)
    envelope = await check(client, task_id)  # answered while the attempt hangs
    other = await create_video_ok(client)
    assert ("succeeded", False) == (envelope["data"]["status"], advancing.done())
    assert other
    peer.release.set()
    await asyncio.wait_for(advancing, 5)


# -- the allow-list ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/hook",
        "http://127.0.0.1:9@example.com/",
        "http://127.1:9/hook",
        "https://10.0.0.1/hook",
    ],
)
async def test_a_host_outside_the_allow_list_is_accepted_but_refused_and_never_sent(
    client: Client, url: str
) -> None:
    task_id = await create_video_ok(client, hooked(url))
    await advance(client, 100)
    [record] = await webhooks(client)
    assert ("refused", [], task_id) == (record["state"], record["attempts"], record["taskId"])


async def test_the_allow_list_is_case_insensitive_and_replaces_the_default(
    make_client: MakeClient, receiver: WebhookReceiver
) -> None:
    client = await make_client(webhook_allow_hosts=["LocalHost"])
    port = receiver.url.split(":")[2].split("/")[0]
    await create_video_ok(client, hooked(f"http://LOCALHOST:{port}/webhook"))
    await create_video_ok(client, hooked(receiver.url))  # 127.0.0.1 is no longer allowed
    await advance(client, 5)
    states = [r["state"] for r in await webhooks(client)]
    assert ["delivered", "refused"] == states
    assert 1 == len(receiver.received)


# -- when a delivery falls due ---------------------------------------------------------------


async def test_on_the_poll_clock_the_poll_that_ends_the_task_sends_after_its_answer(
    make_client: MakeClient, receiver: WebhookReceiver
) -> None:
    client = await make_client(clock="poll")
    task_id = await create_video_ok(client, hooked(receiver.url))
    first = await check(client, task_id)
    second = await check(client, task_id)  # moves the task past its end
    assert ("pending", "running") == (first["data"]["status"], second["data"]["status"])
    await advance(client, 0)  # waits for the attempt that poll made due
    [got] = receiver.received
    assert "succeeded" == got.json["status"]


async def test_on_the_real_clock_a_timer_sends_at_the_finish_time(
    make_client: MakeClient, receiver: WebhookReceiver
) -> None:
    client = await make_client(clock="real", queue_seconds=0, run_seconds=0.05)
    await create_video_ok(client, hooked(receiver.url))
    assert await asyncio.to_thread(receiver.wait, 1, 5.0)
    assert "succeeded" == receiver.received[0].json["status"]


# -- the admin routes ------------------------------------------------------------------------


async def test_webhooks_filter_by_key_task_and_state(
    client: Client, receiver: WebhookReceiver
) -> None:
    mine = await create_video_ok(client, hooked(receiver.url))
    theirs = await create_video_ok(client, hooked("http://example.com/"), key=OTHER_KEY)
    await advance(client, 5)
    assert [mine] == [r["taskId"] for r in await webhooks(client, key=KEY)]
    assert [theirs] == [r["taskId"] for r in await webhooks(client, taskId=theirs)]
    assert [theirs] == [r["taskId"] for r in await webhooks(client, state="refused")]
    assert [] == await webhooks(client, state="dropped")
    response = await client.get("/__mock/webhooks", params={"state": "lost"})
    assert 400 == response.status
    assert "state must be one of" in (await response.json())["error"]


async def test_delete_removes_finished_deliveries_and_keeps_pending_ones(
    client: Client, receiver: WebhookReceiver
) -> None:
    receiver.status = 500
    pending = await create_video_ok(client, hooked(receiver.url))
    await create_video_ok(client, hooked("http://example.com/"))
    await advance(client, 5)
    response = await client.delete("/__mock/webhooks")
    assert {"webhooks": []} == await response.json()
    assert [pending] == [r["taskId"] for r in await webhooks(client)]
    await advance(client, 1)  # the pending one goes on
    assert 2 == len(receiver.received)


async def test_a_reset_cancels_pending_deliveries(
    client: Client, receiver: WebhookReceiver
) -> None:
    receiver.status = 500
    await create_video_ok(client, hooked(receiver.url))
    await advance(client, 5)
    await admin(client, "POST", "/reset")
    assert [] == await webhooks(client)
    await advance(client, 100)
    assert 1 == len(receiver.received)


# -- delivery faults (C) -------------------------------------------------------------------------


async def add_fault(client: Client, **rule: Any) -> tuple[int, dict[str, Any]]:
    response = await client.post("/__mock/faults", json=rule)
    body: dict[str, Any] = await response.json()
    return response.status, body


async def test_a_drop_rule_never_sends_the_delivery(
    client: Client, receiver: WebhookReceiver
) -> None:
    _, rule = await add_fault(client, route="webhook", action="drop")
    await create_video_ok(client, hooked(receiver.url))
    await advance(client, 100)
    [record] = await webhooks(client)
    assert ("dropped", [rule["id"]], []) == (record["state"], record["fault"], record["attempts"])
    assert [] == receiver.received


async def test_a_duplicate_rule_sends_the_payload_twice_in_one_attempt(
    client: Client, receiver: WebhookReceiver
) -> None:
    await add_fault(client, route="webhook", action="duplicate", times=1)
    await create_video_ok(client, hooked(receiver.url))
    await advance(client, 5)
    first, second = receiver.received
    assert first.json == second.json
    assert first.headers["X-Sora-Mock-Delivery"] == second.headers["X-Sora-Mock-Delivery"]
    [record] = await webhooks(client)
    assert ("delivered", [5.0, 5.0]) == (
        record["state"],
        [a["time"] for a in record["attempts"]],
    )


async def test_an_error_rule_fails_the_attempt_unsent_and_the_retry_follows(
    client: Client, receiver: WebhookReceiver
) -> None:
    _, rule = await add_fault(client, route="webhook", action="error", nth=1)
    await create_video_ok(client, hooked(receiver.url))
    await advance(client, 6)
    [record] = await webhooks(client)
    assert [
        {"time": 5.0, "http_status": None, "error": MSG_FAULT_ERROR.format(rule=rule["id"])},
        {"time": 6.0, "http_status": 200, "error": None},
    ] == record["attempts"]
    assert ("delivered", [rule["id"]]) == (record["state"], record["fault"])
    assert 1 == len(receiver.received)


async def test_a_delay_rule_waits_before_the_attempt_and_the_advance_waits_too(
    client: Client, receiver: WebhookReceiver
) -> None:
    _, rule = await add_fault(client, route="webhook", action="delay", delay_ms=50)
    await create_video_ok(client, hooked(receiver.url))
    await advance(client, 5)
    [record] = await webhooks(client)
    assert ("delivered", [rule["id"]]) == (record["state"], record["fault"])
    assert 1 == len(receiver.received)


async def test_delivery_rules_match_the_tasks_model_and_prompt(
    client: Client, receiver: WebhookReceiver
) -> None:
    await add_fault(client, route="webhook", action="drop", model="sora-2-pro")
    await add_fault(client, route="webhook", action="drop", prompt_contains="owl")
    await create_video_ok(client, hooked(receiver.url))
    await create_video_ok(client, hooked(receiver.url, model="sora-2-pro"))
    await create_video_ok(client, hooked(receiver.url, prompt="an owl"))
    await advance(client, 5)
    assert ["delivered", "dropped", "dropped"] == [r["state"] for r in await webhooks(client)]


async def test_delivery_rules_match_the_prompt_as_the_task_keeps_it(
    client: Client, receiver: WebhookReceiver
) -> None:
    """A long prompt is kept cut (B3): `prompt_contains` sees its first TEXT_KEPT characters."""
    await add_fault(client, route="webhook", action="drop", prompt_contains="owl")
    early = "an owl " + "x" * 5000
    late = "x" * 5000 + " an owl"
    await create_video_ok(client, hooked(receiver.url, prompt=early))
    await create_video_ok(client, hooked(receiver.url, prompt=late))
    await advance(client, 5)
    assert ["dropped", "delivered"] == [r["state"] for r in await webhooks(client)]


async def test_request_rules_do_not_act_on_deliveries(
    client: Client, receiver: WebhookReceiver
) -> None:
    await add_fault(client, action="error")  # route any: every route but webhook
    await add_fault(client, route="check_result", action="error")
    await post_json(client, SORA_VIDEO, hooked(receiver.url))  # the create itself fails
    await admin(client, "DELETE", "/faults")
    await add_fault(client, route="check_result", action="error")
    await create_video_ok(client, hooked(receiver.url))
    await advance(client, 5)
    assert ["delivered"] == [r["state"] for r in await webhooks(client)]


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        ({"route": "webhook", "action": "timeout"}, "cannot act on a webhook"),
        ({"route": "webhook", "action": "fail_task"}, "cannot act on a webhook"),
        ({"route": "webhook", "action": "malformed"}, "cannot act on a webhook"),
        (
            {"route": "webhook", "action": "drop", "header": {"name": "X", "value": "1"}},
            "header cannot match",
        ),
        ({"route": "create", "action": "drop"}, "needs route 'webhook'"),
        ({"action": "duplicate"}, "needs route 'webhook'"),
    ],
)
async def test_actions_a_delivery_cannot_take_are_refused(
    client: Client, rule: dict[str, Any], words: str
) -> None:
    status, body = await add_fault(client, **rule)
    assert 400 == status
    assert words in body["error"]
    assert {"faults": []} == await admin(client, "GET", "/faults")


async def test_an_acknowledged_delivery_shows_the_client_its_task_final(
    client: Client, receiver: WebhookReceiver
) -> None:
    acknowledged = await create_video_ok(client, hooked(receiver.url))
    refused = await create_video_ok(client, hooked("http://example.com/"))
    await advance(client, 5)
    unseen = (await admin(client, "GET", "/tasks?seen_final=false"))["tasks"]
    assert [refused] == [t["taskId"] for t in unseen]
    assert acknowledged != refused


# -- variants (G) --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("form", "keys"),
    [
        ("union", ["id", "taskId", "status", "progress", "estimate_seconds"]),
        ("id", ["id"]),
        ("taskId", ["taskId", "status", "progress", "estimate_seconds"]),
    ],
)
async def test_create_id_serves_each_documented_answer_alone(
    make_client: MakeClient, form: str, keys: list[str]
) -> None:
    client = await make_client(variants={"create_id": form, "message": "Success"})
    _, envelope = await post_json(client, SORA_VIDEO, VIDEO_BODY)
    assert ("Success", keys) == (envelope["message"], list(envelope["data"]))
    [row] = (await admin(client, "GET", "/requests"))["requests"]
    pinned = {} if form == "union" else {"create_id": form}  # the contract's own form: not noted
    assert {**pinned, "message": "Success"} == row["variant"]


async def test_the_payload_is_not_varied(
    make_client: MakeClient, receiver: WebhookReceiver
) -> None:
    client = await make_client(variants="random")
    await create_video_ok_any(client, hooked(receiver.url))
    await advance(client, 5)
    [got] = receiver.received
    assert [
        "id",
        "taskId",
        "status",
        "progress",
        "results",
        "failure_reason",
        "error_message",
    ] == list(got.json)


async def create_video_ok_any(client: Client, body: dict[str, Any]) -> None:
    _, envelope = await post_json(client, SORA_VIDEO, body)
    assert envelope["code"] == 0, envelope


async def test_an_advance_also_waits_for_an_attempt_already_in_flight(
    make_client: MakeClient, hostile: HostileFactory
) -> None:
    client = await make_client(
        clock="real", queue_seconds=0, run_seconds=0.01, webhook_timeout_seconds=0.3
    )
    peer = await hostile("hang")
    await create_video_ok(client, hooked(peer.url))
    await asyncio.wait_for(peer.connected.wait(), 5)  # the real clock's timer sent it
    await advance(client, 0)
    [record] = await webhooks(client)
    assert [MSG_TIMEOUT.format(seconds=0.3)] == [a["error"] for a in record["attempts"]]


async def test_with_webhook_on_failure_a_cancelled_task_is_delivered(
    make_client: MakeClient, receiver: WebhookReceiver
) -> None:
    client = await make_client(webhook_on_failure=True)
    task_id = await create_video_ok(client, hooked(receiver.url))
    await admin(client, "POST", f"/tasks/{task_id}/cancel", {})
    await advance(client, 0)
    [got] = receiver.received
    assert ("cancelled", "cancelled_by_admin") == (got.json["status"], got.json["failure_reason"])
    assert ["cancelled"] == [r["event"] for r in await webhooks(client)]


async def test_a_cancelled_task_is_not_delivered_by_default(
    client: Client, receiver: WebhookReceiver
) -> None:
    task_id = await create_video_ok(client, hooked(receiver.url))
    await admin(client, "POST", f"/tasks/{task_id}/cancel", {})
    await advance(client, 10)
    assert ([], []) == (receiver.received, await webhooks(client))


async def test_attempts_due_at_one_moment_are_made_concurrently(make_client: MakeClient) -> None:
    """A7 revision 3: six receivers that each answer only once all six are waiting; one at a
    time, the first would time out before the second was asked, and none would be delivered."""
    client = await make_client(webhook_timeout_seconds=5, webhook_retries=0)
    everyone = asyncio.Barrier(6)
    servers: list[asyncio.Server] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await everyone.wait()  # bounded: the mock gives up on an attempt after 5 s
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    for _ in range(6):
        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        await create_video_ok(client, hooked(f"http://127.0.0.1:{port}/hook"))
    try:
        await advance(client, 5)
        assert ["delivered"] * 6 == [d["state"] for d in await webhooks(client)]
    finally:
        for server in servers:
            server.close()
            await server.wait_closed()
