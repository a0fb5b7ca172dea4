"""How a block behaves as a block: every way out restores each library, blocks nest, a thread
started inside is intercepted, a decorator intercepts each call, and a target is any running
mock."""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.request
from typing import Any

import httpx
import pytest
import requests

from sora_mock import InterceptBlocked, intercept
from sora_mock.testing.client import SoraMock
from sora_mock.testing.intercept import Intercept
from sora_mock.testing.server import MockServer

from .conftest import library_state

CREDITS = "https://freesoragenerator.com/api/get-user-credits"
KEY = "sk-intercept-other-0001"


def credits(key: str) -> int:
    """A balance asked of the provider's origin, with the standard library."""
    request = urllib.request.Request(
        CREDITS, data=b"{}", method="POST", headers={"Authorization": f"Bearer {key}"}
    )
    with urllib.request.urlopen(request) as answer:
        return int(json.loads(answer.read())["data"]["left_credits"])


def journaled(server: MockServer) -> int:
    return len(SoraMock(server.url, KEY).requests())


def test_an_exception_inside_restores_every_library(sora_mock: SoraMock) -> None:
    before = library_state()
    seen: list[Any] = []

    def fail() -> None:
        seen.append(library_state())
        raise RuntimeError("the client failed")

    with pytest.raises(RuntimeError, match="the client failed"), sora_mock.intercept():
        fail()
    assert before != seen[0]
    assert before == library_state()


def test_an_inner_block_leaves_the_outers_target_in_place(
    sora_mock: SoraMock, other_mock: MockServer
) -> None:
    before = library_state()
    with sora_mock.intercept():
        outer = library_state()
        credits(sora_mock.api_key)
        with intercept(other_mock):
            credits(KEY)
            assert 1 == journaled(other_mock)
        assert outer == library_state()
        credits(sora_mock.api_key)
        assert 1 == journaled(other_mock)
    assert 2 == len(sora_mock.requests(route="credits"))
    assert before == library_state()


def test_blocks_left_out_of_order_unpatch_only_with_the_last(
    sora_mock: SoraMock, other_mock: MockServer
) -> None:
    """Two threads' blocks may overlap without nesting: the one entered last decides while it
    is active, and the libraries are restored when the last one is left."""
    before = library_state()
    first, second = sora_mock.intercept(), intercept(other_mock.url)
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)
    credits(KEY)
    assert 1 == journaled(other_mock)
    assert before != library_state()
    second.__exit__(None, None, None)
    assert before == library_state()
    assert [] == sora_mock.requests()


def test_block_others_of_an_inner_block_ends_with_it(sora_mock: SoraMock) -> None:
    with sora_mock.intercept():
        with sora_mock.intercept(block_others=True), pytest.raises(InterceptBlocked):
            httpx.get("http://example.com/")
        # the outer block does not refuse: the request goes where it would (a closed port)
        with pytest.raises(httpx.ConnectError) as failed:
            httpx.get("http://127.0.0.1:1/")
        assert not isinstance(failed.value, InterceptBlocked)


def test_a_thread_started_inside_is_intercepted(sora_mock: SoraMock) -> None:
    seen: list[Any] = []

    def work() -> None:
        answer = requests.post(
            CREDITS,
            json={},
            headers={"Authorization": f"Bearer {sora_mock.api_key}"},
            timeout=10,
        )
        seen.append(answer.json()["data"]["left_credits"])

    before = library_state()
    with sora_mock.intercept():
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
    assert [sora_mock.balance()] == seen
    assert before == library_state()


def test_blocks_in_threads_at_once_restore_when_the_last_ends(sora_mock: SoraMock) -> None:
    before = library_state()
    entered, release = threading.Barrier(4), threading.Event()
    balances: list[int] = []

    def work() -> None:
        with sora_mock.intercept():
            entered.wait()
            release.wait()
            balances.append(credits(sora_mock.api_key))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for thread in threads:
        thread.start()
    entered.wait()
    release.set()
    for thread in threads:
        thread.join()
    assert 3 * [sora_mock.balance()] == balances
    assert before == library_state()


def test_as_a_decorator_each_call_is_intercepted(sora_mock: SoraMock) -> None:
    before = library_state()

    @intercept(sora_mock)
    def balance() -> int:
        assert before != library_state()
        return credits(sora_mock.api_key)

    assert sora_mock.balance() == balance() == balance()
    assert before == library_state()
    assert 2 == len(sora_mock.requests(route="credits"))


def test_as_a_decorator_of_a_coroutine_function(sora_mock: SoraMock) -> None:
    before = library_state()

    @intercept(sora_mock.url)
    async def balance() -> int:
        async with httpx.AsyncClient() as client:
            headers = {"Authorization": f"Bearer {sora_mock.api_key}"}
            answer = await client.post(CREDITS, json={}, headers=headers)
        return int(answer.json()["data"]["left_credits"])

    coroutine = balance()
    assert before == library_state()  # the block starts with the coroutine's first step
    assert sora_mock.balance() == asyncio.run(coroutine)
    assert before == library_state()


async def test_the_async_handle_intercepts_an_async_test(sora_mock: SoraMock) -> None:
    async with httpx.AsyncClient() as client:
        with sora_mock.aio.intercept():
            headers = {"Authorization": f"Bearer {sora_mock.api_key}"}
            answer = await client.post(CREDITS, json={}, headers=headers)
    assert await sora_mock.aio.balance() == answer.json()["data"]["left_credits"]


@pytest.mark.parametrize("form", ["url", "handle", "aio", "server"])
def test_a_target_is_a_url_a_handle_or_a_server(other_mock: MockServer, form: str) -> None:
    handle = SoraMock(other_mock.url, KEY)
    target = {
        "url": other_mock.url + "/",
        "handle": handle,
        "aio": handle.aio,
        "server": other_mock,
    }[form]
    with intercept(target):
        credits(KEY)
    assert 1 == journaled(other_mock)
    handle.close()


@pytest.mark.parametrize(
    ("target", "why"),
    [
        ("127.0.0.1:8000", "it must be http://HOST:PORT"),
        ("ftp://127.0.0.1:8000", "it must be http://HOST:PORT"),
        ("http://127.0.0.1:8000/api", "no path, query or fragment"),
        ("http://127.0.0.1:8000?x=1", "no path, query or fragment"),
        ("https://FreeSoraGenerator.com", "the provider's own host name"),
        ("http://127.0.0.1:http", "Port could not be cast"),
    ],
)
def test_a_target_that_is_not_a_mocks_url_is_refused_when_made(target: str, why: str) -> None:
    with pytest.raises(ValueError, match="is not a running mock's URL") as refused:
        intercept(target)
    assert why in str(refused.value)
    assert target in str(refused.value)


def test_a_server_not_started_is_refused_when_entered() -> None:
    block = intercept(MockServer(clock="manual", port=0))
    with pytest.raises(ValueError, match="a MockServer gets one when it is started"), block:
        pass


def test_the_same_block_can_be_entered_again(sora_mock: SoraMock) -> None:
    block: Intercept = sora_mock.intercept()
    for _ in range(2):
        with block:
            credits(sora_mock.api_key)
    with block, block:
        credits(sora_mock.api_key)
    assert 3 == len(sora_mock.requests(route="credits"))
