"""`sora_mock.aio`: the handle from async tests, under pytest-asyncio and pytest-aiohttp."""

from __future__ import annotations

import pytest

from .conftest import run_pytest
from .test_plugin import outcomes

# shared by both runs: a client call through aiohttp on the test's loop, the handle awaited
COMMON = """
import asyncio
import threading

import aiohttp

BODY = {"model": "sora-2-text-to-video", "prompt": "a fox"}


async def post(mock, path, body):
    async with aiohttp.ClientSession(headers=mock.headers) as session:
        async with session.post(mock.url + path, json=body) as response:
            return await response.json()


async def lifecycle(sora_mock):
    aio = sora_mock.aio
    assert (aio.url, aio.api_key) == (sora_mock.url, sora_mock.api_key)
    created = await post(aio, "/api/v1/video/sora-pro", BODY)
    task_id = created["data"]["taskId"]
    assert await aio.balance() == 9900
    assert await aio.advance(5) == 5.0
    [task] = await aio.tasks()
    assert (task["taskId"], task["status"]) == (task_id, "succeeded")
    rule = await aio.add_fault(action="error", code=503, route="create", times=1)
    assert [r["id"] for r in await aio.faults()] == [rule]
    assert (await post(aio, "/api/v1/video/sora-pro", BODY))["code"] == 503
    assert len(await aio.tasks()) == 1  # the injected 503 created nothing
    assert [r["code"] for r in await aio.requests(route="create")] == [0, 503]
    await aio.set_balance(3)
    assert (await post(aio, "/api/v1/video/sora-pro", BODY))["code"] == 402
    await aio.reset()
    assert (await aio.balance(), await aio.tasks()) == (10000, [])
    assert await aio.set_vip() is True
    private = await post(aio, "/api/v1/video/sora-pro", dict(BODY, isPublic=False))
    assert (await aio.task(private["data"]["taskId"]))["params"]["isPublic"] is False
    cancelled = await aio.cancel(private["data"]["taskId"], failure_reason="user")
    assert (cancelled["status"], cancelled["failure_reason"]) == ("cancelled", "user")
    assert await aio.balance() == 10000
    receiver = aio.webhook_receiver()  # not a coroutine: its server has a thread of its own
    hooked = {"model": "sora-2", "prompt": "a fox", "webHook": receiver.url}
    video_id = (await post(aio, "/api/v1/video/sora-video", hooked))["data"]["taskId"]
    await aio.advance(5)
    assert [d["state"] for d in await aio.webhooks()] == ["delivered"]
    assert [r.json["taskId"] for r in receiver.received] == [video_id]


async def loop_keeps_running(sora_mock, monkeypatch):
    \"\"\"The admin call waits for a coroutine on the test's loop: it can only finish if the
    call itself does not hold the loop.\"\"\"
    from sora_mock.testing.handle import HttpExecute

    loop_ran = threading.Event()
    original = HttpExecute.__call__

    async def gated(self, *args):
        assert loop_ran.wait(5), "the event loop was blocked while the handle called out"
        return await original(self, *args)

    monkeypatch.setattr(HttpExecute, "__call__", gated)

    async def on_the_loop():
        loop_ran.set()

    now, _ = await asyncio.gather(sora_mock.aio.advance(2), on_the_loop())
    assert now == 2.0
"""

STRICT = (
    COMMON
    + """
import pytest


@pytest.mark.asyncio
async def test_lifecycle(sora_mock):
    await lifecycle(sora_mock)


@pytest.mark.asyncio
async def test_loop_keeps_running(sora_mock, monkeypatch):
    await loop_keeps_running(sora_mock, monkeypatch)


@pytest.mark.asyncio
async def test_concurrent_calls_share_the_handle(sora_mock):
    balances = await asyncio.gather(*(sora_mock.aio.balance() for _ in range(8)))
    assert balances == [10000] * 8
"""
)

AIOHTTP = (
    COMMON
    + """
from aiohttp import web


async def test_lifecycle(sora_mock):
    await lifecycle(sora_mock)


async def test_loop_keeps_running(sora_mock, monkeypatch):
    await loop_keeps_running(sora_mock, monkeypatch)


async def test_an_app_on_the_loop_reads_the_mock_while_serving(aiohttp_client, sora_mock):
    async def spent(request):
        return web.json_response({"balance": await sora_mock.aio.balance()})

    app = web.Application()
    app.router.add_get("/spent", spent)
    client = await aiohttp_client(app)
    await post(sora_mock, "/api/v1/video/sora-pro", BODY)
    assert (await (await client.get("/spent")).json()) == {"balance": 9900}
"""
)


def test_the_async_handle_under_pytest_asyncio_strict_mode(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_strict=STRICT)
    result = run_pytest(pytester, "-p", "no:aiohttp", "-o", "asyncio_mode=strict")
    assert {"passed": 3} == outcomes(result)


def test_the_async_handle_under_pytest_aiohttp(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_aiohttp=AIOHTTP)
    result = run_pytest(pytester, "-o", "asyncio_mode=auto")
    assert {"passed": 3} == outcomes(result)
