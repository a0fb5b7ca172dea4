"""The docs' recipe "A mock in a container sends webhooks to the tests"
(docs/webhooks-and-streams.md), as written: the mock runs in a container
(`.ci/container-webhook.sh` starts it with podman), these tests run on the machine that runs it,
with SORA_MOCK_URL and SORA_MOCK_RECEIVER_ADVERTISE set as the docs say.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from sora_mock import SoraMock


def create_video(url: str, api_key: str, webhook: str) -> str:
    """A client's create on the sibling route with a webHook (A6)."""
    body = {"model": "sora-2", "prompt": "a fox in the snow", "webHook": webhook}
    request = urllib.request.Request(  # noqa: S310 (the mock's own http URL)
        f"{url}/api/v1/video/sora-video",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {api_key}"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        answer: dict[str, Any] = json.loads(response.read())
    task_id: str = answer["data"]["taskId"]
    return task_id


def test_my_client_gets_the_result_by_webhook_from_the_container(sora_mock: SoraMock) -> None:
    hook = sora_mock.webhook_receiver(host="0.0.0.0")  # noqa: S104 (the container must reach it)
    assert hook.url.startswith("http://host.containers.internal:")
    task_id = create_video(sora_mock.url, sora_mock.api_key, webhook=hook.url)
    sora_mock.advance(5)
    [delivery] = hook.received  # no waiting: it arrived before advance returned
    assert delivery.json["taskId"] == task_id
    assert [d["state"] for d in sora_mock.webhooks()] == ["delivered"]
