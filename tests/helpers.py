"""What the test modules share: keys, a tiny real PNG, and the client calls a user makes."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiohttp.test_utils import TestClient

KEY: Final = "sk-test-key-0001"
OTHER_KEY: Final = "sk-test-key-0002"
CREATE: Final = "/api/v1/video/sora-pro"
CHECK: Final = "/api/video-generations/check-result"

# a real 1x1 PNG (67 bytes)
PNG_B64: Final = (
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"
)
PNG_DATA_URL: Final = f"data:image/png;base64,{PNG_B64}"

TEXT_BODY: Final[dict[str, Any]] = {"model": "sora-2-text-to-video", "prompt": "a fox in the snow"}
START: Final = 10_000  # default_balance (B1)
PRICE: Final = 100  # TEXT_BODY's price: sora-2-text-to-video at 10 frames (B1)

Client = TestClient[Any, Any]


def expected_pid(task_id: str, seed: str = "sora-mock") -> str:
    """A3's result_pid, computed as a client would from the contract's rule."""
    mac = hmac.new(seed.encode(), f"pid\n{task_id}".encode(), hashlib.sha256)
    return "s_" + mac.hexdigest()[:24]


def auth(key: str = KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def post_json(
    client: Client, path: str, body: Any, key: str | None = KEY, **headers: str
) -> tuple[int, dict[str, Any]]:
    """POST a JSON body as a client would; returns (HTTP status, decoded envelope)."""
    sent = {**(auth(key) if key is not None else {}), **headers}
    response = await client.post(path, json=body, headers=sent)
    return response.status, await response.json()


async def create(client: Client, body: Any = None, key: str = KEY) -> dict[str, Any]:
    """Create a task and return the envelope (asserting nothing about it)."""
    _, envelope = await post_json(client, CREATE, TEXT_BODY if body is None else body, key)
    return envelope


async def create_ok(client: Client, body: Any = None, key: str = KEY) -> str:
    """Create a task that must succeed; returns its taskId."""
    envelope = await create(client, body, key)
    assert envelope["code"] == 0, envelope
    task_id: str = envelope["data"]["taskId"]
    return task_id


async def check(client: Client, task_id: str, key: str = KEY) -> dict[str, Any]:
    _, envelope = await post_json(client, CHECK, {"taskId": task_id}, key)
    return envelope


async def admin(client: Client, method: str, path: str, body: Any = None) -> Any:
    response = await client.request(method, f"/__mock{path}", json=body)
    return await response.json()


async def balance(client: Client, key: str = KEY) -> int:
    value: int = (await admin(client, "GET", f"/accounts/{key}"))["balance"]
    return value


async def advance(client: Client, seconds: float) -> None:
    await admin(client, "POST", "/clock/advance", {"seconds": seconds})


async def until(ready: Callable[[], Awaitable[bool]]) -> None:
    """Ask over HTTP until `ready()` holds, for at most a second: the server runs meanwhile."""
    started = time.perf_counter()
    while not await ready():
        assert time.perf_counter() - started < 1.0, "gave up waiting"


SORA_VIDEO: Final = "/api/v1/video/sora-video"
VIDEO_BODY: Final[dict[str, Any]] = {"model": "sora-2", "prompt": "a fox in the snow"}


async def create_video(client: Client, body: Any = None, key: str = KEY) -> dict[str, Any]:
    """Create a task on the sibling route and return the envelope (asserting nothing)."""
    _, envelope = await post_json(client, SORA_VIDEO, VIDEO_BODY if body is None else body, key)
    return envelope


async def create_video_ok(client: Client, body: Any = None, key: str = KEY) -> str:
    envelope = await create_video(client, body, key)
    assert envelope["code"] == 0, envelope
    task_id: str = envelope["data"]["taskId"]
    return task_id


async def webhooks(client: Client, **query: str) -> list[dict[str, Any]]:
    response = await client.get("/__mock/webhooks", params=query)
    assert response.status == 200, await response.text()
    rows: list[dict[str, Any]] = (await response.json())["webhooks"]
    return rows
