"""VIP accounts (CONTRACT B1, D, E) and the VIP-only input of the create route (A2), over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from sora_mock.core import errors

from ..conftest import MakeClient
from ..helpers import (
    KEY,
    OTHER_KEY,
    PRICE,
    START,
    TEXT_BODY,
    Client,
    admin,
    balance,
    create,
    create_ok,
)

PRIVATE: dict[str, Any] = {**TEXT_BODY, "isPublic": False}


async def account(client: Client, key: str = KEY) -> dict[str, Any]:
    value: dict[str, Any] = await admin(client, "GET", f"/accounts/{key}")
    return value


async def params_and_warnings(client: Client, body: dict[str, Any]) -> tuple[Any, list[str]]:
    task_id = await create_ok(client, body)
    params = (await admin(client, "GET", f"/tasks/{task_id}"))["params"]
    row = (await admin(client, "GET", "/requests"))["requests"][-1]
    return params["isPublic"], row["warnings"]


# -- the flag -----------------------------------------------------------------------------------


async def test_an_auto_provisioned_account_is_not_vip_by_default(client: Client) -> None:
    await create_ok(client)
    assert {"key": "************0001", "balance": START - PRICE, "vip": False} == await account(
        client
    )


async def test_default_vip_opens_every_unsaid_account_as_vip(make_client: MakeClient) -> None:
    client = await make_client(default_vip=True, accounts={KEY: 500})
    await create_ok(client, key=OTHER_KEY)
    await admin(client, "POST", "/accounts/sk-opened-by-post")
    await admin(client, "PUT", "/accounts/sk-put-balance", {"balance": 5})
    listed = (await admin(client, "GET", "/accounts"))["accounts"]
    assert [True, True, True, True] == [a["vip"] for a in listed]


async def test_a_config_table_sets_balance_and_vip_and_fills_what_it_leaves_out(
    make_client: MakeClient,
) -> None:
    client = await make_client(
        default_balance=700,
        accounts={KEY: {"balance": 50, "vip": True}, OTHER_KEY: {"vip": True}, "sk-bare": 9},
    )
    assert (50, True) == tuple((await account(client)).values())[1:]
    assert (700, True) == tuple((await account(client, OTHER_KEY)).values())[1:]
    assert (9, False) == tuple((await account(client, "sk-bare")).values())[1:]


async def test_put_vip_alone_books_nothing_and_keeps_the_balance(client: Client) -> None:
    await create_ok(client)
    answer = await admin(client, "PUT", f"/accounts/{KEY}", {"vip": True})
    assert {"key": "************0001", "balance": START - PRICE, "vip": True} == answer
    rows = (await admin(client, "GET", f"/accounts/{KEY}/ledger"))["transactions"]
    assert ["charge"] == [r["reason"] for r in rows]
    await admin(client, "PUT", f"/accounts/{KEY}", {"vip": False})
    assert False is (await account(client))["vip"]


async def test_put_vip_alone_on_an_unknown_key_opens_it_at_zero_without_a_row(
    client: Client,
) -> None:
    answer = await admin(client, "PUT", f"/accounts/{KEY}", {"vip": True})
    assert {"key": "************0001", "balance": 0, "vip": True} == answer
    assert [] == (await admin(client, "GET", f"/accounts/{KEY}/ledger"))["transactions"]


async def test_put_balance_and_vip_together(client: Client) -> None:
    answer = await admin(client, "PUT", f"/accounts/{KEY}", {"balance": 40, "vip": True})
    assert {"key": "************0001", "balance": 40, "vip": True} == answer
    rows = (await admin(client, "GET", f"/accounts/{KEY}/ledger"))["transactions"]
    assert [("set", 40)] == [(r["reason"], r["delta"]) for r in rows]


async def test_vip_changes_no_price(client: Client) -> None:
    await admin(client, "POST", f"/accounts/{KEY}")
    await admin(client, "PUT", f"/accounts/{KEY}", {"vip": True})
    await create_ok(client)
    assert START - PRICE == await balance(client)


@pytest.mark.parametrize(
    "body",
    [{}, {"vip": None}, {"vip": "true"}, {"vip": 1}, {"balance": None}, {"vip": True, "x": 1}],
    ids=repr,
)
async def test_put_refuses_a_body_without_a_balance_or_a_boolean_vip(
    client: Client, body: dict[str, Any]
) -> None:
    await admin(client, "POST", f"/accounts/{KEY}")
    response = await client.put(f"/__mock/accounts/{KEY}", json=body)
    assert 400 == response.status
    assert {"error"} == set(await response.json())
    assert {"key": "************0001", "balance": START, "vip": False} == await account(client)
    assert [] == (await admin(client, "GET", f"/accounts/{KEY}/ledger"))["transactions"]


async def test_reset_restores_the_configured_vip_flags(make_client: MakeClient) -> None:
    client = await make_client(accounts={KEY: {"vip": True}})
    await admin(client, "PUT", f"/accounts/{KEY}", {"vip": False})
    await admin(client, "POST", "/reset")
    assert True is (await account(client))["vip"]


# -- isPublic: false (A2) ----------------------------------------------------------------------


async def test_is_public_false_from_a_vip_account_is_kept(client: Client) -> None:
    await admin(client, "POST", f"/accounts/{KEY}")
    await admin(client, "PUT", f"/accounts/{KEY}", {"vip": True})
    assert (False, []) == await params_and_warnings(client, PRIVATE)


async def test_is_public_false_from_a_non_vip_account_is_dropped_with_a_warning(
    client: Client,
) -> None:
    assert (True, [errors.WARN_VIP_PUBLIC]) == await params_and_warnings(client, PRIVATE)
    assert "the video will be public" in errors.WARN_VIP_PUBLIC
    assert START - PRICE == await balance(client)


@pytest.mark.parametrize("value", [True, None])
async def test_is_public_true_or_absent_needs_no_vip(client: Client, value: bool | None) -> None:
    body = dict(TEXT_BODY) if value is None else {**TEXT_BODY, "isPublic": value}
    assert (True, []) == await params_and_warnings(client, body)


async def test_strict_mode_answers_403_naming_is_public_and_changes_nothing(
    make_client: MakeClient,
) -> None:
    client = await make_client(strict=True)
    envelope = await create(client, PRIVATE)
    message = errors.MSG_VIP_ONLY.format(field="isPublic")
    assert {"code": 403, "message": message, "data": None} == envelope
    assert "isPublic" in message
    assert START == await balance(client)
    assert [] == (await admin(client, "GET", "/tasks"))["tasks"]
    row = (await admin(client, "GET", "/requests"))["requests"][-1]
    assert [{"field": "isPublic", "message": message}] == row["violations"]


async def test_strict_mode_keeps_is_public_false_for_a_vip_account(
    make_client: MakeClient,
) -> None:
    client = await make_client(strict=True, accounts={KEY: {"vip": True}})
    assert (False, []) == await params_and_warnings(client, PRIVATE)


async def test_strict_mode_403_has_its_http_status_with_error_status_http(
    make_client: MakeClient,
) -> None:
    client = await make_client(strict=True, error_status="http")
    response = await client.post(
        "/api/v1/video/sora-pro", json=PRIVATE, headers={"Authorization": f"Bearer {KEY}"}
    )
    assert (403, 403) == (response.status, (await response.json())["code"])


async def test_the_403_comes_after_unknown_fields_and_before_the_429_and_the_402(
    make_client: MakeClient,
) -> None:
    client = await make_client(strict=True, max_concurrent_tasks=1, accounts={KEY: PRICE})
    assert 400 == (await create(client, {**PRIVATE, "seed": 7}))["code"]  # unknown field first
    assert 400 == (await create(client, {**TEXT_BODY, "isPublic": "no"}))["code"]  # validated
    await create_ok(client)  # now the key is at its limit and out of credits
    assert 403 == (await create(client, PRIVATE))["code"]
    assert 429 == (await create(client))["code"]
