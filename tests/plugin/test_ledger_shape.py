"""`.ledger(key=None)` is the admin route's `{opening_balance, folded, transactions}` from every
form of the handle (CONTRACT D1, issue 23): over HTTP, as `.aio`, and `sora_mock_app`'s."""

from __future__ import annotations

import json
import urllib.request
from typing import Any, Final

from pytest_aiohttp import AiohttpClient

from sora_mock.testing.apphandle import AppFactory
from sora_mock.testing.client import SoraMock

CREATE: Final = "/api/v1/video/sora-pro"
BODY: Final = {"model": "sora-2-text-to-video", "prompt": "a fox"}


def route_ledger(mock: SoraMock) -> dict[str, Any]:
    url = f"{mock.url}/__mock/accounts/{mock.api_key}/ledger"
    with urllib.request.urlopen(url, timeout=5) as response:
        ledger: dict[str, Any] = json.loads(response.read())
    return ledger


def create(mock: SoraMock) -> None:
    request = urllib.request.Request(
        mock.url + CREATE,
        data=json.dumps(BODY).encode(),
        headers={"Content-Type": "application/json", **mock.headers},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert 0 == json.loads(response.read())["code"]


async def test_the_http_handle_and_its_aio_form_answer_the_routes_ledger(
    sora_mock: SoraMock,
) -> None:
    await sora_mock.aio.set_balance(500)
    create(sora_mock)
    ledger = route_ledger(sora_mock)
    assert ["opening_balance", "folded", "transactions"] == list(ledger)
    assert ["set", "charge"] == [row["reason"] for row in ledger["transactions"]]
    assert ledger == sora_mock.ledger()
    assert ledger == await sora_mock.aio.ledger()


async def test_the_in_process_handle_answers_the_routes_ledger(
    sora_mock_app: AppFactory, aiohttp_client: AiohttpClient
) -> None:
    app = sora_mock_app(ledger_size=1)
    client = await aiohttp_client(app)
    handle = sora_mock_app.handle(app)
    await handle.set_balance(500)
    response = await client.post(CREATE, json=BODY, headers=handle.headers)
    assert 0 == (await response.json())["code"]
    ledger = await (await client.get(f"/__mock/accounts/{handle.api_key}/ledger")).json()
    assert (500, 1, ["charge"]) == (
        ledger["opening_balance"],
        ledger["folded"],
        [row["reason"] for row in ledger["transactions"]],
    )
    assert ledger == await handle.ledger()
