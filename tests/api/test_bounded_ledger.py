"""The bounded ledger (CONTRACT B1, D): `ledger_size` rows per account, the rest folded."""

from __future__ import annotations

from typing import Any

import pytest

from sora_mock.config import ConfigError, build

from ..conftest import MakeClient
from ..helpers import KEY, OTHER_KEY, PRICE, START, Client, admin, balance, check, create_ok


async def ledger(client: Client, key: str = KEY) -> dict[str, Any]:
    value: dict[str, Any] = await admin(client, "GET", f"/accounts/{key}/ledger")
    return value


async def assert_invariant(client: Client, key: str = KEY) -> None:
    """B1: a balance equals its opening balance plus the sum of its kept rows."""
    shown = await ledger(client, key)
    rows = shown["transactions"]
    assert await balance(client, key) == shown["opening_balance"] + sum(r["delta"] for r in rows)
    before = shown["opening_balance"]
    for row in rows:
        assert before + row["delta"] == row["balance_after"] >= 0
        before = row["balance_after"]


async def test_the_ledger_route_shows_opening_balance_folded_and_transactions(
    client: Client,
) -> None:
    task_id = await create_ok(client)
    shown = await ledger(client)
    assert (START, 0) == (shown["opening_balance"], shown["folded"])
    assert [("charge", -PRICE, task_id)] == [
        (r["reason"], r["delta"], r["taskId"]) for r in shown["transactions"]
    ]


async def test_only_the_newest_rows_are_kept_and_the_rest_fold_into_the_opening_balance(
    make_client: MakeClient,
) -> None:
    client = await make_client(ledger_size=3, max_concurrent_tasks=100)
    ids = [await create_ok(client) for _ in range(5)]
    shown = await ledger(client)
    assert (START - 2 * PRICE, 2) == (shown["opening_balance"], shown["folded"])
    assert ids[2:] == [r["taskId"] for r in shown["transactions"]]
    assert ["txn_00000003", "txn_00000004", "txn_00000005"] == [
        r["trans_no"] for r in shown["transactions"]
    ]
    assert [START - 3 * PRICE, START - 4 * PRICE, START - 5 * PRICE] == [
        r["balance_after"] for r in shown["transactions"]
    ]
    await assert_invariant(client)


async def test_a_long_run_keeps_the_newest_rows_in_order(make_client: MakeClient) -> None:
    client = await make_client(ledger_size=7)
    for n in range(1, 101):
        await admin(client, "PUT", f"/accounts/{KEY}", {"balance": n})
    shown = await ledger(client)
    assert (93, 93) == (shown["opening_balance"], shown["folded"])
    assert [(f"txn_{n:08d}", n, 1) for n in range(94, 101)] == [
        (r["trans_no"], r["balance_after"], r["delta"]) for r in shown["transactions"]
    ]
    await assert_invariant(client)


async def test_ledger_size_0_keeps_no_rows_and_the_balance_is_the_opening_balance(
    make_client: MakeClient,
) -> None:
    client = await make_client(ledger_size=0)
    task_id = await create_ok(client)
    await admin(client, "POST", f"/tasks/{task_id}/fail")
    await admin(client, "PUT", f"/accounts/{KEY}", {"balance": 77})
    assert {"opening_balance": 77, "folded": 3, "transactions": []} == await ledger(client)
    assert True is (await check(client, task_id))["data"]["credits_refunded"]


async def test_a_refund_of_a_task_whose_charge_was_folded_books_exactly_once(
    make_client: MakeClient,
) -> None:
    client = await make_client(ledger_size=1)
    task_id = await create_ok(client)
    await create_ok(client, key=KEY)  # folds the first task's charge
    assert task_id not in [r["taskId"] for r in (await ledger(client))["transactions"]]
    failed = await admin(client, "POST", f"/tasks/{task_id}/fail")
    for _ in range(3):
        assert (
            failed["refund_trans_no"] == (await check(client, task_id))["data"]["refund_trans_no"]
        )
    assert 409 == (await client.post(f"/__mock/tasks/{task_id}/fail")).status
    shown = await ledger(client)
    assert [("refund", PRICE, task_id)] == [
        (r["reason"], r["delta"], r["taskId"]) for r in shown["transactions"]
    ]
    assert (2, START - 2 * PRICE) == (shown["folded"], shown["opening_balance"])
    assert START - PRICE == await balance(client)
    await assert_invariant(client)


async def test_a_fault_failed_task_whose_charge_was_folded_is_refunded_once(
    make_client: MakeClient,
) -> None:
    client = await make_client(ledger_size=2)
    await admin(client, "POST", "/faults", {"action": "fail_task", "nth": 1})
    doomed = await create_ok(client)
    for _ in range(3):
        await create_ok(client)
    await admin(client, "POST", "/clock/advance", {"seconds": 10})
    for _ in range(3):
        await check(client, doomed)
    refunds = [r for r in (await ledger(client))["transactions"] if r["reason"] == "refund"]
    assert [doomed] == [r["taskId"] for r in refunds]
    assert START - 3 * PRICE == await balance(client)
    await assert_invariant(client)


async def test_each_account_folds_on_its_own(make_client: MakeClient) -> None:
    client = await make_client(ledger_size=2)
    for _ in range(4):
        await create_ok(client)
    await create_ok(client, key=OTHER_KEY)
    assert (2, 0) == ((await ledger(client))["folded"], (await ledger(client, OTHER_KEY))["folded"])
    await assert_invariant(client, OTHER_KEY)


async def test_a_put_created_account_opens_at_zero_and_folds_its_sets(
    make_client: MakeClient,
) -> None:
    client = await make_client(ledger_size=1)
    await admin(client, "PUT", f"/accounts/{KEY}", {"balance": 2**70})
    assert {"opening_balance": 0, "folded": 0} == {
        k: v for k, v in (await ledger(client)).items() if k != "transactions"
    }
    await admin(client, "PUT", f"/accounts/{KEY}", {"balance": 3})
    shown = await ledger(client)
    assert (2**70, 1) == (shown["opening_balance"], shown["folded"])
    assert [("set", 3 - 2**70, 3)] == [
        (r["reason"], r["delta"], r["balance_after"]) for r in shown["transactions"]
    ]


async def test_reset_empties_the_folded_rows_too(make_client: MakeClient) -> None:
    client = await make_client(ledger_size=1, accounts={KEY: 500})
    await create_ok(client)
    await create_ok(client)
    await admin(client, "POST", "/reset")
    assert {"opening_balance": 500, "folded": 0, "transactions": []} == await ledger(client)


async def test_an_unknown_key_has_no_ledger(client: Client) -> None:
    response = await client.get(f"/__mock/accounts/{KEY}/ledger")
    assert (404, {"error"}) == (response.status, set(await response.json()))


@pytest.mark.parametrize("bad", [-1, 1.5, "many", None])
def test_ledger_size_must_be_a_whole_number_of_at_least_0(bad: Any) -> None:
    with pytest.raises(ConfigError, match="ledger_size"):
        build({"ledger_size": bad})
