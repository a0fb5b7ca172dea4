"""The fixture's webhook receiver (F): a delivery has arrived when `.advance()` returns."""

from __future__ import annotations

import asyncio
import json
import re
import urllib.error
import urllib.request
from typing import Any

import pytest

from sora_mock.testing.apphandle import AppFactory
from sora_mock.testing.client import SoraMock
from sora_mock.testing.receiver import MSG_OTHER_PLACE

SORA_VIDEO = "/api/v1/video/sora-video"


def create(mock: SoraMock, **fields: Any) -> str:
    body = {"model": "sora-2", "prompt": "a fox", **fields}
    request = urllib.request.Request(
        mock.url + SORA_VIDEO,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **mock.headers},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        envelope = json.loads(response.read())
    assert 0 == envelope["code"], envelope
    task_id: str = envelope["data"]["taskId"]
    return task_id


def test_the_receiver_holds_the_delivery_when_advance_returns(sora_mock: SoraMock) -> None:
    hook = sora_mock.webhook_receiver()
    task_id = create(sora_mock, webHook=hook.url)
    sora_mock.advance(5)
    [got] = hook.received
    assert (task_id, "succeeded", "/webhook") == (got.json["taskId"], got.json["status"], got.path)
    assert got.headers["X-Sora-Mock-Delivery"].startswith("wh_")
    assert ["delivered"] == [d["state"] for d in sora_mock.webhooks()]
    assert [] == sora_mock.webhooks(state="failed")


def test_status_500_shows_the_retries_and_a_later_call_changes_it(sora_mock: SoraMock) -> None:
    hook = sora_mock.webhook_receiver(status=500)
    create(sora_mock, webHook=hook.url)
    sora_mock.advance(5)
    sora_mock.advance(1)
    assert (2, 500) == (len(hook.received), hook.status)
    assert ["pending"] == [d["state"] for d in sora_mock.webhooks()]
    assert hook is sora_mock.webhook_receiver()  # no status given: unchanged
    assert 500 == hook.status
    assert hook is sora_mock.webhook_receiver(status=200)
    sora_mock.advance(2)
    [delivery] = sora_mock.webhooks(state="delivered")
    assert [500, 500, 200] == [a["http_status"] for a in delivery["attempts"]]


def test_webhooks_shows_only_this_tests_key(sora_mock: SoraMock) -> None:
    assert [] == sora_mock.webhooks()


@pytest.fixture
def stopped_receiver_url(sora_mock: SoraMock) -> str:
    url = sora_mock.webhook_receiver().url
    sora_mock.close()  # what the fixture does after each test
    return url


def test_a_closed_handles_receiver_is_stopped(stopped_receiver_url: str) -> None:
    request = urllib.request.Request(stopped_receiver_url, data=b"{}")
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(request, timeout=5)


async def test_the_async_handle_waits_for_the_delivery_without_blocking_the_loop(
    sora_mock: SoraMock,
) -> None:
    hook = sora_mock.aio.webhook_receiver()
    task_id = await asyncio.to_thread(create, sora_mock, webHook=hook.url)
    await sora_mock.aio.advance(5)
    assert [task_id] == [r.json["taskId"] for r in hook.received]
    assert ["delivered"] == [d["state"] for d in await sora_mock.aio.webhooks()]


# -- a receiver for a mock in a container (F1) -----------------------------------------------


def post_to(url: str, payload: dict[str, Any]) -> int:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        status: int = response.status
    return status


def test_a_receiver_on_every_address_advertises_the_name_and_receives_on_loopback(
    sora_mock: SoraMock,
) -> None:
    hook = sora_mock.webhook_receiver(host="0.0.0.0", advertise="example.internal")  # noqa: S104
    assert f"http://example.internal:{hook.port}/webhook" == hook.url
    # the receiver records a request before it answers: it is there when the POST returns
    assert 200 == post_to(f"http://127.0.0.1:{hook.port}/webhook", {"taskId": "t1"})
    assert [{"taskId": "t1"}] == [r.json for r in hook.received]


def test_the_advertised_name_can_be_set_once_in_the_environment(
    sora_mock: SoraMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SORA_MOCK_RECEIVER_ADVERTISE", "host.docker.internal")
    hook = sora_mock.webhook_receiver()
    assert f"http://host.docker.internal:{hook.port}/webhook" == hook.url
    assert 200 == post_to(f"http://127.0.0.1:{hook.port}/webhook", {})


@pytest.mark.parametrize(
    ("host", "advertise", "shown"),
    [
        ("::1", None, "[::1]"),
        ("[::1]", None, "[::1]"),
        ("::1", "fd00::1", "[fd00::1]"),
        ("0.0.0.0", None, "127.0.0.1"),  # noqa: S104 (a wildcard is named as loopback)
    ],
)
def test_an_ipv6_literal_is_bracketed_in_the_url(
    sora_mock: SoraMock, host: str, advertise: str | None, shown: str
) -> None:
    hook = sora_mock.webhook_receiver(host=host, advertise=advertise)
    assert f"http://{shown}:{hook.port}/webhook" == hook.url
    loopback = "[::1]" if ":" in host else "127.0.0.1"
    assert 200 == post_to(f"http://{loopback}:{hook.port}/webhook", {})
    assert 1 == len(hook.received)


def test_a_later_call_cannot_move_the_receiver(sora_mock: SoraMock) -> None:
    hook = sora_mock.webhook_receiver(advertise="example.internal")
    assert hook is sora_mock.webhook_receiver(advertise="example.internal", status=500)
    assert hook is sora_mock.aio.webhook_receiver(host="127.0.0.1")
    assert 500 == hook.status
    refused = re.escape(MSG_OTHER_PLACE.format(host="127.0.0.1", url=hook.url))
    with pytest.raises(ValueError, match=refused):
        sora_mock.webhook_receiver(host="0.0.0.0")  # noqa: S104
    with pytest.raises(ValueError, match=refused):
        sora_mock.webhook_receiver(advertise="host.containers.internal")


def test_the_in_process_handle_has_the_same_receiver(sora_mock_app: AppFactory) -> None:
    handle = sora_mock_app.handle(sora_mock_app())
    hook = handle.webhook_receiver(host="0.0.0.0", advertise="example.internal")  # noqa: S104
    assert f"http://example.internal:{hook.port}/webhook" == hook.url
    assert hook is handle.webhook_receiver(status=202)
    assert 202 == post_to(f"http://127.0.0.1:{hook.port}/webhook", {})
