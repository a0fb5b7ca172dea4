"""Accounts, prices and the credit ledger (CONTRACT B1), seen through HTTP."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from typing import Any

import pytest

from sora_mock.core import errors

from ..conftest import MakeClient
from ..helpers import (
    KEY,
    OTHER_KEY,
    PNG_DATA_URL,
    PRICE,
    START,
    TEXT_BODY,
    Client,
    admin,
    auth,
    balance,
    create,
    create_ok,
)


def expected_id(seed: str, key: str, n: int) -> str:
    return hmac.new(seed.encode(), f"{key}\n{n}".encode(), hashlib.sha256).hexdigest()[:32]


def body_for(model: str, n_frames: int, size: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "nFrames": n_frames, "prompt": "p"}
    if "image" in model:
        body["imageData"] = PNG_DATA_URL
    if "storyboard" in model:
        body["shots"] = [{"Scene": "a", "duration": 5}]
    if size is not None:
        body["size"] = size
    return body


# the provider's newest published list (B1)
PRICES = [
    ("sora-2-text-to-video", 10, None, 100),
    ("sora-2-text-to-video", 15, None, 150),
    ("sora-2-image-to-video", 10, None, 100),
    ("sora-2-image-to-video", 15, None, 150),
    ("sora-2-text-to-video-stable", 10, None, 100),
    ("sora-2-text-to-video-stable", 15, None, 150),
    ("sora-2-image-to-video-stable", 10, None, 100),
    ("sora-2-image-to-video-stable", 15, None, 150),
    ("sora-2-pro-text-to-video", 10, "standard", 375),
    ("sora-2-pro-text-to-video", 15, "standard", 675),
    ("sora-2-pro-text-to-video", 10, "high", 375),
    ("sora-2-pro-text-to-video", 15, "high", 675),
    ("sora-2-pro-image-to-video", 10, "high", 375),
    ("sora-2-pro-image-to-video", 15, "high", 675),
    ("sora-2-pro-image-to-video", 10, "standard", 375),
    ("sora-2-pro-text-to-video", 10, None, 375),
    ("sora-2-pro-storyboard", 10, None, 375),
    ("sora-2-pro-storyboard", 15, None, 675),
    ("sora-2-pro-storyboard", 25, None, 875),
]


@pytest.mark.parametrize(("model", "n_frames", "size", "price"), PRICES)
async def test_a_task_is_charged_its_default_price(
    client: Client, model: str, n_frames: int, size: str | None, price: int
) -> None:
    task_id = await create_ok(client, body_for(model, n_frames, size))
    rows = (await admin(client, "GET", f"/accounts/{KEY}/ledger"))["transactions"]
    assert [("charge", -price, START - price, task_id)] == [
        (r["reason"], r["delta"], r["balance_after"], r["taskId"]) for r in rows
    ]
    assert START - price == await balance(client)


async def test_the_default_balance_pays_for_26_pro_tasks_of_10_seconds(client: Client) -> None:
    """B1: 10,000 credits = 26 Pro tasks at 375 (and 250 left); the 27th is a 402."""
    body = body_for("sora-2-pro-text-to-video", 10)
    codes = []
    for _ in range(27):
        codes.append((await create(client, body))["code"])
        await admin(client, "POST", "/clock/advance", {"seconds": 5})
    assert [0] * 26 + [402] == codes
    assert START - 26 * 375 == await balance(client)


async def test_configured_prices_replace_the_defaults(make_client: MakeClient) -> None:
    client = await make_client(
        pricing={
            "sora-2-text-to-video": {"10": 7},
            "sora-2-pro-text-to-video": {"high": {"15": 99}},
        }
    )
    await create_ok(client)
    await create_ok(client, body_for("sora-2-pro-text-to-video", 15, "high"))
    await create_ok(client, body_for("sora-2-pro-text-to-video", 15, "standard"))
    assert START - 7 - 99 - 675 == await balance(client)


async def test_a_balance_below_the_price_is_refused_with_402_naming_price_and_balance(
    client: Client,
) -> None:
    await admin(client, "PUT", f"/accounts/{KEY}", {"balance": PRICE - 1})
    envelope = await create(client)
    message = errors.MSG_INSUFFICIENT_CREDITS.format(price=PRICE, balance=PRICE - 1)
    assert {"code": 402, "message": message, "data": None} == envelope
    assert PRICE - 1 == await balance(client)
    assert [] == (await admin(client, "GET", "/tasks"))["tasks"]


async def test_a_balance_equal_to_the_price_is_enough(client: Client) -> None:
    await admin(client, "PUT", f"/accounts/{KEY}", {"balance": PRICE})
    await create_ok(client)
    assert 0 == await balance(client)


async def test_auto_provision_opens_a_new_key_at_the_default_balance(
    make_client: MakeClient,
) -> None:
    client = await make_client(default_balance=155)
    await create_ok(client)
    assert 55 == await balance(client)


async def test_without_auto_provision_an_unknown_key_is_401_and_a_configured_one_works(
    make_client: MakeClient,
) -> None:
    client = await make_client(auto_provision=False, accounts={KEY: 500})
    assert errors.UNAUTHORIZED == (await create(client, key=OTHER_KEY))["code"]
    assert 404 == (await client.get(f"/__mock/accounts/{OTHER_KEY}")).status
    await create_ok(client)
    assert 400 == await balance(client)


async def test_without_auto_provision_a_key_opened_by_the_admin_api_works(
    make_client: MakeClient,
) -> None:
    client = await make_client(auto_provision=False)
    assert errors.UNAUTHORIZED == (await create(client))["code"]
    await admin(client, "POST", f"/accounts/{KEY}")
    await create_ok(client)


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, errors.MSG_NO_AUTH),
        ({"Authorization": "Bearer"}, errors.MSG_BLANK_TOKEN),
        ({"Authorization": "Bearer    "}, errors.MSG_BLANK_TOKEN),
        ({"Authorization": f"Basic {KEY}"}, errors.MSG_NO_AUTH),
        ({"Authorization": KEY}, errors.MSG_NO_AUTH),
    ],
)
async def test_a_request_without_a_bearer_token_is_401_and_opens_nothing(
    client: Client, headers: dict[str, str], message: str
) -> None:
    response = await client.post("/api/v1/video/sora-pro", json=TEXT_BODY, headers=headers)
    assert {"code": 401, "message": message, "data": None} == await response.json()
    assert [] == (await admin(client, "GET", "/accounts"))["accounts"]


async def test_the_bearer_scheme_is_case_insensitive(client: Client) -> None:
    response = await client.post(
        "/api/v1/video/sora-pro", json=TEXT_BODY, headers={"Authorization": f"bearer {KEY}"}
    )
    assert 0 == (await response.json())["code"]


async def test_put_on_an_unknown_key_creates_it_at_zero_then_sets(client: Client) -> None:
    account = await admin(client, "PUT", f"/accounts/{KEY}", {"balance": 300})
    assert {"key": "************0001", "balance": 300, "vip": False} == account
    rows = (await admin(client, "GET", f"/accounts/{KEY}/ledger"))["transactions"]
    assert [("set", 300, 300, None)] == [
        (r["reason"], r["delta"], r["balance_after"], r["taskId"]) for r in rows
    ]


async def test_put_on_a_known_key_books_the_difference(client: Client) -> None:
    await create_ok(client)
    await admin(client, "PUT", f"/accounts/{KEY}", {"balance": 500})
    rows = (await admin(client, "GET", f"/accounts/{KEY}/ledger"))["transactions"]
    assert [("charge", -PRICE, START - PRICE), ("set", 500 - START + PRICE, 500)] == [
        (r["reason"], r["delta"], r["balance_after"]) for r in rows
    ]


async def test_balances_past_64_bits_keep_every_row_exact(client: Client) -> None:
    """The admin API takes any whole number, so the ledger must not wrap at 2**63."""
    first = await create_ok(client)
    await admin(client, "PUT", f"/accounts/{KEY}", {"balance": 2**70})
    second = await create_ok(client)
    await admin(client, "POST", f"/tasks/{second}/fail")
    await admin(client, "PUT", f"/accounts/{KEY}", {"balance": 7})
    rows = (await admin(client, "GET", f"/accounts/{KEY}/ledger"))["transactions"]
    assert [
        ("charge", -PRICE, START - PRICE, first),
        ("set", 2**70 - START + PRICE, 2**70, None),
        ("charge", -PRICE, 2**70 - PRICE, second),
        ("refund", PRICE, 2**70, second),
        ("set", 7 - 2**70, 7, None),
    ] == [(r["reason"], r["delta"], r["balance_after"], r["taskId"]) for r in rows]
    assert 7 == await balance(client)


@pytest.mark.parametrize("bad", [-1, 1.5, " 10", "10.0", None, True])
async def test_put_refuses_a_balance_that_is_not_a_whole_number_of_at_least_zero(
    client: Client, bad: Any
) -> None:
    response = await client.put(f"/__mock/accounts/{KEY}", json={"balance": bad})
    assert 400 == response.status
    assert "balance" in (await response.json())["error"]
    assert 404 == (await client.get(f"/__mock/accounts/{KEY}")).status


async def test_post_opens_a_key_at_the_default_balance_without_a_ledger_row(
    client: Client,
) -> None:
    assert {"key": "************0001", "balance": START, "vip": False} == await admin(
        client, "POST", f"/accounts/{KEY}"
    )
    await admin(client, "PUT", f"/accounts/{KEY}", {"balance": 5})
    assert {"key": "************0001", "balance": 5, "vip": False} == await admin(
        client, "POST", f"/accounts/{KEY}"
    )
    rows = (await admin(client, "GET", f"/accounts/{KEY}/ledger"))["transactions"]
    assert ["set"] == [r["reason"] for r in rows]


async def test_accounts_list_masks_keys(make_client: MakeClient) -> None:
    client = await make_client(accounts={"sk-abcdefgh": 5, "abc": 7})
    assert {
        "accounts": [
            {"key": "*******efgh", "balance": 5, "vip": False},
            {"key": "***", "balance": 7, "vip": False},
        ]
    } == await admin(client, "GET", "/accounts")


async def test_task_ids_are_the_hmac_of_seed_key_and_counter(make_client: MakeClient) -> None:
    client = await make_client(seed="team-seed")
    ids = [await create_ok(client) for _ in range(3)]
    other = await create_ok(client, key=OTHER_KEY)
    assert [expected_id("team-seed", KEY, n) for n in (1, 2, 3)] == ids
    assert expected_id("team-seed", OTHER_KEY, 1) == other


@pytest.mark.parametrize(
    "seed",
    ["", "x", "s" * 63, "s" * 64, "s" * 65, "long-" * 40, "zaad-ü-種"],
    ids=["empty", "one", "63", "64", "65", "200", "non-ascii"],
)
async def test_task_ids_are_the_hmac_for_seeds_of_any_length(
    make_client: MakeClient, seed: str
) -> None:
    """HMAC pads a key up to SHA-256's 64-byte block and hashes a longer one first: the ids
    follow B2 on both sides of that edge, and for a seed that is not ASCII."""
    client = await make_client(seed=seed)
    assert [expected_id(seed, KEY, n) for n in (1, 2)] == [await create_ok(client) for _ in "ab"]


async def test_the_default_seed_is_sora_mock(client: Client) -> None:
    assert expected_id("sora-mock", KEY, 1) == await create_ok(client)


async def test_two_apps_with_the_same_seed_give_the_same_ids(make_client: MakeClient) -> None:
    first, second = await make_client(seed="s"), await make_client(seed="s")
    assert [await create_ok(first) for _ in range(3)] == [await create_ok(second) for _ in range(3)]


async def test_a_rejected_request_consumes_no_task_number(client: Client) -> None:
    await create(client, {"model": "nope"})
    await admin(client, "PUT", f"/accounts/{KEY}", {"balance": 0})
    await create(client)
    await admin(client, "PUT", f"/accounts/{KEY}", {"balance": PRICE})
    assert expected_id("sora-mock", KEY, 1) == await create_ok(client)


async def test_300_concurrent_creates_against_a_balance_for_100_charge_exactly_100(
    make_client: MakeClient,
) -> None:
    client = await make_client(max_concurrent_tasks=1000, accounts={KEY: 100 * PRICE})
    envelopes = await asyncio.gather(*(create(client) for _ in range(300)))
    codes = sorted(envelope["code"] for envelope in envelopes)
    assert [0] * 100 + [402] * 200 == codes
    rows = (await admin(client, "GET", f"/accounts/{KEY}/ledger"))["transactions"]
    assert 100 == len(rows)
    assert 0 == await balance(client)
    assert 100 * PRICE + sum(r["delta"] for r in rows) == await balance(client)
    assert 100 == len({r["taskId"] for r in rows})


async def test_reset_returns_to_the_configured_start(make_client: MakeClient) -> None:
    client = await make_client(accounts={KEY: 500})
    first = await create_ok(client)
    await create_ok(client, key=OTHER_KEY)
    await admin(client, "POST", "/clock/advance", {"seconds": 3})
    await admin(client, "POST", "/reset")
    assert {"accounts": [{"key": "************0001", "balance": 500, "vip": False}]} == await admin(
        client, "GET", "/accounts"
    )
    assert [] == (await admin(client, "GET", "/tasks"))["tasks"]
    assert 0 == (await admin(client, "GET", "/clock"))["now"]
    assert [] == (await admin(client, "GET", "/requests"))["requests"]
    assert first == await create_ok(client)


async def test_a_key_never_sees_another_keys_balance_change(client: Client) -> None:
    await create_ok(client, key=OTHER_KEY)
    response = await client.post("/api/v1/video/sora-pro", json=TEXT_BODY, headers=auth())
    assert 0 == (await response.json())["code"]
    assert START - PRICE == await balance(client)
    assert START - PRICE == await balance(client, OTHER_KEY)
