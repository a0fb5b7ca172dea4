"""H1 through each HTTP library: an unmodified client that hard-codes the provider's origin runs
its whole flow against the mock inside `intercept`, and `block_others` refuses any other origin
at once with an error that names it."""

from __future__ import annotations

import urllib.error
from typing import Any

import aiohttp
import httpx
import pytest
import requests
import urllib3

from sora_mock import InterceptBlocked
from sora_mock.testing.client import SoraMock

from .conftest import Client, library_state

PROMPT = "a fox in the snow"
# the host each client's functions name, as its library writes it into `Host`
HOSTS = {
    "create": "freesoragenerator.com",
    "check_result": "freesoragenerator.com",
    "credits": "www.freesoragenerator.com",
}


def rows(sora_mock: SoraMock) -> list[tuple[Any, ...]]:
    return [
        (r["route"], r["method"], r["path"], r["headers"]["Host"].lower(), r["headers"]["X-Client"])
        for r in sora_mock.requests()
    ]


def test_the_whole_flow_reaches_the_mock_through_each_library(
    sora_mock: SoraMock, client: Client
) -> None:
    opening = sora_mock.balance()
    with sora_mock.intercept():
        task_id = client.create(sora_mock.api_key, PROMPT)
        sora_mock.succeed(task_id)
        data = client.check(sora_mock.api_key, task_id)
        credits = client.balance(sora_mock.api_key)
        video = client.download(data["result_url"])

    assert "succeeded" == data["status"]
    # the scheme is the mock's, the host the one the client named (see the README)
    assert f"http://freesoragenerator.com/files/{task_id}.mp4" == data["result_url"].lower()
    assert b"ftyp" == video[4:8]
    assert sora_mock.balance() == credits < opening
    charges = [(t["reason"], t["taskId"]) for t in sora_mock.ledger()["transactions"]]
    assert [("charge", task_id)] == charges
    assert [
        ("create", "POST", "/api/v1/video/sora-pro", HOSTS["create"], client.name),
        (
            "check_result",
            "POST",
            "/api/video-generations/check-result",
            HOSTS["create"],
            client.name,
        ),
        ("credits", "POST", "/api/get-user-credits", HOSTS["credits"], client.name),
        ("files", "GET", f"/files/{task_id}.mp4", HOSTS["create"], client.name),
    ] == rows(sora_mock)
    # `Host` is what the library itself would send the provider: urllib.request keeps the
    # letter case of the URL, the others lower it
    (check,) = sora_mock.requests(route="check_result")
    named = "FreeSoraGenerator.com" if client.name == "urllib" else "freesoragenerator.com"
    assert named == check["headers"]["Host"]
    create = sora_mock.requests(route="create")[0]
    assert {"model": "sora-2-text-to-video", "prompt": PROMPT} == create["body"]
    assert "Bearer" in create["headers"]["Authorization"]


def test_other_origins_are_untouched(sora_mock: SoraMock, client: Client) -> None:
    """The mock's own URL is another origin: it is reached as it is, not rewritten."""
    with sora_mock.intercept():
        assert 200 == client.fetch(f"{sora_mock.url}/__mock/health")


@pytest.mark.parametrize(
    "url", ["http://example.com/", "https://api.openai.com/v1/videos", "http://10.1.2.3:8080/x"]
)
def test_block_others_refuses_another_origin_at_once_naming_it(
    sora_mock: SoraMock, client: Client, url: str
) -> None:
    with sora_mock.intercept(block_others=True), pytest.raises(InterceptBlocked) as refused:
        client.fetch(url)
    assert url == refused.value.url
    assert url in str(refused.value)
    assert [] == sora_mock.requests()


def test_block_others_raises_each_librarys_own_connection_error(
    sora_mock: SoraMock, client: Client
) -> None:
    own = {
        "requests": requests.ConnectionError,
        "httpx": httpx.ConnectError,
        "httpx-async": httpx.ConnectError,
        "aiohttp": aiohttp.ClientConnectionError,
        "urllib3": urllib3.exceptions.HTTPError,
        "urllib": urllib.error.URLError,
    }[client.name]
    with sora_mock.intercept(block_others=True), pytest.raises(own) as refused:
        client.fetch("http://example.com/")
    assert isinstance(refused.value, ConnectionError)


def test_block_others_lets_loopback_and_the_provider_through(
    sora_mock: SoraMock, client: Client
) -> None:
    with sora_mock.intercept(block_others=True):
        assert 200 == client.fetch(f"{sora_mock.url}/__mock/health")
        assert 200 == client.fetch(
            f"{sora_mock.url.replace('127.0.0.1', 'localhost')}/__mock/health"
        )
        assert 200 == client.fetch("https://freesoragenerator.com/__mock/health")


def test_each_library_is_restored_when_the_block_is_left(
    sora_mock: SoraMock, client: Client
) -> None:
    before = library_state()
    with sora_mock.intercept():
        inside = library_state()
    assert all(before[point] is not inside[point] for point in before)
    assert before == library_state()
