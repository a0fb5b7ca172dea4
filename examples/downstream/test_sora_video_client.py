"""The client's sibling-route path: a webhook first, polling when it does not come.

Only the `sora_mock` fixture: its `webhook_receiver()` stands in for the app's endpoint, and
the app's inbox takes in what the receiver holds. A delivery has arrived when the advance that
made it due returns, so nothing here sleeps or loops on a timer.
"""

from __future__ import annotations

from typing import Final

from test_video_client import FakeSleep
from video_client import VideoClient, WebhookInbox

from sora_mock.testing.client import SoraMock
from sora_mock.testing.receiver import WebhookReceiver

PROMPT: Final = "A paper boat drifting down a rain-soaked street at golden hour"
POLL: Final = 2.0


def feed(inbox: WebhookInbox, hook: WebhookReceiver) -> None:
    """What the app's endpoint does with each request: hand it to the inbox."""
    for request in hook.received:
        inbox.accept(request.headers["X-Sora-Mock-Delivery"], request.json)


def client_for(mock: SoraMock, sleep: FakeSleep) -> VideoClient:
    return VideoClient(mock.url, mock.api_key, poll_interval=POLL, sleep=sleep)


async def test_the_result_comes_by_webhook_and_no_poll_is_sent(sora_mock: SoraMock) -> None:
    hook = sora_mock.webhook_receiver()
    inbox = WebhookInbox()
    async with client_for(sora_mock, FakeSleep(sora_mock)) as client:
        task_id = await client.create_video(model="sora-2", prompt=PROMPT, webhook=hook.url)
        result = await client.wait_video(task_id, inbox, refresh=lambda: feed(inbox, hook))
    assert ("succeeded", task_id) == (result["status"], result["taskId"])
    assert result["results"][0]["url"].endswith(f"/files/{task_id}.mp4")
    assert sora_mock.requests(route="check_result") == []
    assert [d["state"] for d in sora_mock.webhooks()] == ["delivered"]


async def test_a_dropped_webhook_falls_back_to_polling(sora_mock: SoraMock) -> None:
    sora_mock.add_fault(route="webhook", action="drop")
    hook = sora_mock.webhook_receiver()
    inbox = WebhookInbox()
    async with client_for(sora_mock, FakeSleep(sora_mock)) as client:
        task_id = await client.create_video(model="sora-2", prompt=PROMPT, webhook=hook.url)
        result = await client.wait_video(
            task_id, inbox, refresh=lambda: feed(inbox, hook), webhook_grace=10
        )
    assert ("succeeded", task_id) == (result["status"], result["taskId"])
    assert hook.received == []
    assert [d["state"] for d in sora_mock.webhooks()] == ["dropped"]
    assert sora_mock.requests(route="check_result")  # it polled instead


async def test_a_duplicated_webhook_is_handled_once(sora_mock: SoraMock) -> None:
    sora_mock.add_fault(route="webhook", action="duplicate")
    hook = sora_mock.webhook_receiver()
    inbox = WebhookInbox()
    async with client_for(sora_mock, FakeSleep(sora_mock)) as client:
        task_id = await client.create_video(model="sora-2-pro", prompt=PROMPT, webhook=hook.url)
        await client.wait_video(task_id, inbox, refresh=lambda: feed(inbox, hook))
    assert len(hook.received) == 2
    assert ([task_id], 1) == (list(inbox.results), inbox.duplicates)


async def test_without_a_webhook_it_polls(sora_mock: SoraMock) -> None:
    inbox = WebhookInbox()
    async with client_for(sora_mock, FakeSleep(sora_mock)) as client:
        task_id = await client.create_video(model="sora-2-stable", prompt=PROMPT)
        result = await client.wait_video(task_id, inbox, webhook_grace=0)
    assert result["status"] == "succeeded"
    assert "webHook" not in sora_mock.task(task_id)["params"]
    assert sora_mock.webhooks() == []
