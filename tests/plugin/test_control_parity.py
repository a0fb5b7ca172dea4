"""One control surface (CONTRACT D1): every operation of the handle, run through each form of it
(the blocking `sora_mock` handle over HTTP, its `.aio`, and `sora_mock_app`'s in-process handle)
against a fresh mock with the same settings, gives the same answers and the same refusals."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Final

import aiohttp
from aiohttp.test_utils import TestServer

from sora_mock import create_app
from sora_mock.testing.apphandle import AppHandle
from sora_mock.testing.async_handle import AsyncSoraMock
from sora_mock.testing.client import SoraMock, SoraMockError
from sora_mock.testing.handle import Handle
from sora_mock.testing.server import MockServer

KEY: Final = "sk-parity-0001"
SETTINGS: Final[dict[str, Any]] = {"clock": "manual", "webhook_on_failure": True}
TEXT: Final = {"model": "sora-2-text-to-video", "prompt": "a fox"}
VIDEO: Final = {"model": "sora-2", "prompt": "a fox"}
PORT: Final = re.compile(r"(127\.0\.0\.1|localhost):\d+")

Call = Callable[..., Awaitable[Any]]


class Form:
    """One form of the handle, and a way to send provider requests to its mock."""

    def __init__(self, name: str, call: Call, handle: Any, url: str) -> None:
        self.name, self.call, self.handle, self.url = name, call, handle, url


async def blocking_call(handle: SoraMock, name: str, *args: Any, **kwargs: Any) -> Any:
    return getattr(handle, name)(*args, **kwargs)  # its server runs on a thread of its own


async def awaited_call(handle: AsyncSoraMock | AppHandle, name: str, *a: Any, **k: Any) -> Any:
    return await getattr(handle, name)(*a, **k)


@contextlib.asynccontextmanager
async def opened(name: str) -> AsyncIterator[Form]:
    """A fresh mock with SETTINGS and the handle of form `name` on it, key KEY."""
    if name == "in_process":
        app = create_app(**SETTINGS)
        server = TestServer(app)
        await server.start_server()
        handle = AppHandle(app, KEY)
        url = str(server.make_url("")).rstrip("/")
        try:
            yield Form(name, lambda n, *a, **k: awaited_call(handle, n, *a, **k), handle, url)
        finally:
            handle.close()
            await server.close()
        return
    mock = MockServer(**SETTINGS, port=0).start()
    sync = SoraMock(mock.url, KEY).open()
    try:
        if name == "blocking":
            yield Form(name, lambda n, *a, **k: blocking_call(sync, n, *a, **k), sync, mock.url)
        else:
            aio = sync.aio
            yield Form(name, lambda n, *a, **k: awaited_call(aio, n, *a, **k), aio, mock.url)
    finally:
        sync.close()
        mock.stop()


async def post(url: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {KEY}"}
    async with (
        aiohttp.ClientSession() as session,
        session.post(url + path, json=body, headers=headers) as response,
    ):
        answer: dict[str, Any] = await response.json()
        return answer


async def run_every_operation(form: Form) -> list[Any]:
    """Each operation once or more, its answer or its refusal, in order."""
    seen: list[Any] = []

    async def op(name: str, *args: Any, **kwargs: Any) -> Any:
        try:
            answer = await form.call(name, *args, **kwargs)
        except SoraMockError as refused:
            answer = {"refused": refused.status, "message": str(refused)}
        seen.append([name, json.loads(PORT.sub("HOST", json.dumps(answer)))])
        return answer

    receiver = form.handle.webhook_receiver()
    await op("health")
    await op("balance")
    await op("set_balance", 5000)
    await op("set_vip", True)
    await op("set_vip", vip=False)
    ids = [(await post(form.url, "/api/v1/video/sora-pro", TEXT))["data"]["taskId"] for _ in "abc"]
    hooked = {**VIDEO, "webHook": receiver.url}
    ids.append((await post(form.url, "/api/v1/video/sora-video", hooked))["data"]["taskId"])
    await op("tasks")
    await op("task", ids[0])
    await op("task", "0" * 32)
    await op("advance", 2)
    await op("clock")
    await op("succeed", ids[1])
    await op("fail", ids[2], "nsfw", error_message="flagged")
    await op("cancel", ids[0], failure_reason="user")
    await op("cancel", ids[0])
    await op("succeed", ids[3])
    await op("advance", 0)  # the webhook of the task just finished is due now
    received = [[r.path, r.json] for r in receiver.received]
    seen.append(["received", json.loads(PORT.sub("HOST", json.dumps(received)))])
    await op("webhooks")
    await op("webhooks", state="delivered")
    await op("webhooks", state="nope")
    await op("ledger")
    await op("ledger", "sk-nobody")
    rule = await op("add_fault", action="error", code=503, route="create", times=1)
    await op("faults")
    refused = await post(form.url, "/api/v1/video/sora-pro", TEXT)
    seen.append(["create under the rule", refused["code"]])
    await op("remove_fault", rule)
    await op("remove_fault", "f999")
    await op("add_fault", action="drop", route="any")
    await op("add_fault", action="delay", delay_ms=1, route="credits")
    await op("clear_faults")
    await op("faults")
    await op("requests")
    await op("requests", route="create")
    await op("requests", route="nope")
    await op("drift")  # I2: a mock's own rows carry none
    await op("tasks", seen_final=False)
    await op("findings")
    await op("reset")
    await op("balance")
    await op("tasks")
    await op("requests")
    await op("findings")
    return seen


async def test_every_operation_answers_the_same_through_every_form() -> None:
    runs = {}
    for name in ("blocking", "aio", "in_process"):
        async with opened(name) as form:
            runs[name] = await run_every_operation(form)
    assert runs["blocking"] == runs["aio"]
    assert runs["blocking"] == runs["in_process"]
    refusals = [answer for _, answer in runs["blocking"] if isinstance(answer, dict)]
    assert 7 == sum("refused" in answer for answer in refusals)  # the script's refusals


def test_every_form_has_every_operation_with_the_same_arguments() -> None:
    """The blocking handle and `.aio` have each operation of `Handle`, with its signature;
    the in-process handle is a `Handle`."""
    operations = {
        name: inspect.signature(method)
        for name, method in inspect.getmembers(Handle, inspect.iscoroutinefunction)
        if not name.startswith("_") and name != "open"
    }
    for form in (SoraMock, AsyncSoraMock):
        for name, signature in operations.items():
            assert hasattr(form, name), (form.__name__, name)
            mine = inspect.signature(getattr(form, name))
            assert list(signature.parameters)[1:] == list(mine.parameters)[1:], (form, name)
    assert issubclass(AppHandle, Handle)


async def test_the_in_process_advance_delivers_a_due_webhook_and_wakes_a_stream() -> None:
    """`sora_mock_app`'s handle moves the clock as the admin route does (D1): the delivery it
    made due has arrived and an open stream has sent its events when `advance` returns."""
    app = create_app(**SETTINGS)
    server = TestServer(app)
    await server.start_server()
    handle = AppHandle(app, KEY)
    receiver = handle.webhook_receiver()
    url = str(server.make_url("/api/v1/video/sora-video"))
    headers = {**handle.headers, "Accept": "text/event-stream"}
    try:
        async with aiohttp.ClientSession() as session:
            hooked = {**VIDEO, "webHook": receiver.url}
            async with session.post(url, json=VIDEO, headers=headers) as stream:
                first = await asyncio.wait_for(stream.content.readline(), 5)
                assert b'"status":"pending"' in first
                await post(str(server.make_url("")).rstrip("/"), "/api/v1/video/sora-video", hooked)
                await handle.advance(5)
                assert ["succeeded"] == [r.json["status"] for r in receiver.received]
                rest = await asyncio.wait_for(stream.content.read(), 5)
            assert b'"status":"succeeded"' in rest
            assert ["delivered"] == [d["state"] for d in await handle.webhooks()]
    finally:
        handle.close()
        await server.close()
