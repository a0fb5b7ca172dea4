"""The ledger invariant under a storm of concurrent requests (CONTRACT B1, B2, B3, D).

A thousand requests across ten keys run at once: creates (some planned to fail), check-results,
admin fails, admin balance sets and clock advances. Afterwards every key's ledger must still add
up: balance == start + sum of deltas, never below 0 at any row, every task charged exactly once
and refunded at most once, and every failed task's refund booked exactly once.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Final

from ..conftest import MakeClient
from ..helpers import CHECK, CREATE, Client, auth

KEYS: Final = tuple(f"sk-storm-key-{i:02d}" for i in range(10))
START: Final = {key: 1000 + 500 * i for i, key in enumerate(KEYS)}
SEED: Final = "sora-mock"
REQUESTS: Final = 1000
MODELS: Final = (
    {"model": "sora-2-text-to-video", "prompt": "storm"},
    {"model": "sora-2-pro-text-to-video", "prompt": "storm", "size": "high", "nFrames": 15},
    {"model": "sora-2-pro-storyboard", "shots": [{"Scene": "s", "duration": 5}], "nFrames": 25},
)


def task_id(key: str, n: int) -> str:
    """B2: the n-th taskId of a key, computed the way a user can reproduce it."""
    return hmac.new(SEED.encode(), f"{key}\n{n}".encode(), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True)
class Outcome:
    kind: str
    key: str
    status: int
    body: Any
    target: str | None = None


Op = Callable[[Client], Awaitable[Outcome]]


def operation(i: int) -> Op:
    """The i-th request of the storm: a fixed mix, so a failure repeats exactly."""
    key = KEYS[i % len(KEYS)]
    slot = (i // len(KEYS)) % 20
    guess = task_id(key, 1 + (i // 7) % 40)  # a task that may exist yet, or already be final

    async def send(client: Client) -> Outcome:
        if slot < 9:
            headers = auth(key)
            if slot == 4:  # the task will end failed, and be refunded when first seen so
                headers["X-Sora-Mock-Fault"] = "task_failed"
            if slot == 5:  # the task will be cancelled as it leaves the queue, and refunded
                headers["X-Sora-Mock-Fault"] = "task_cancelled"
            response = await client.post(CREATE, json=MODELS[i % 3], headers=headers)
            return Outcome("create", key, response.status, await response.json())
        if slot == 9:
            response = await client.post(CREATE, json={"model": "nope"}, headers=auth(key))
            return Outcome("invalid", key, response.status, await response.json())
        if slot < 13:
            response = await client.post(CHECK, json={"taskId": guess}, headers=auth(key))
            return Outcome("check", key, response.status, await response.json(), guess)
        if slot < 16:
            body = {"failure_reason": "storm", "error_message": f"request {i}"}
            response = await client.post(f"/__mock/tasks/{guess}/fail", json=body)
            return Outcome("fail", key, response.status, await response.json(), guess)
        if slot < 18:
            response = await client.put(
                f"/__mock/accounts/{key}", json={"balance": (i * 37) % 1500}
            )
            return Outcome("set", key, response.status, await response.json())
        if slot == 18:
            response = await client.post("/__mock/clock/advance", json={"seconds": 0.7})
            return Outcome("advance", key, response.status, await response.json())
        response = await client.get(f"/__mock/accounts/{key}/ledger")
        return Outcome("ledger", key, response.status, await response.json())

    return send


def assert_ledger_adds_up(start: int, rows: list[dict[str, Any]]) -> int:
    """Walk the rows from the start: each balance_after follows from the one before and is
    never below 0. Returns the balance the rows end at."""
    if rows:
        assert start == rows[0]["balance_after"] - rows[0]["delta"]
    balance = start
    for row in rows:
        balance += row["delta"]
        assert (balance, True) == (row["balance_after"], row["balance_after"] >= 0), row
        assert (row["reason"] == "set") == (row["taskId"] is None), row
    return balance


async def test_a_storm_of_concurrent_requests_keeps_every_ledger_whole(
    make_client: MakeClient,
) -> None:
    client = await make_client(accounts=START, max_concurrent_tasks=REQUESTS, seed=SEED)

    outcomes = await asyncio.gather(*(operation(i)(client) for i in range(REQUESTS)))

    # every answer is one the contract allows; nothing is a 500
    allowed: dict[str, set[Any]] = {
        "create": {(200, 0), (200, 402)},
        "invalid": {(200, 400)},
        "check": {(200, 0), (200, 404)},
        "fail": {200, 404, 409},
        "set": {200},
        "advance": {200},
        "ledger": {200},
    }
    for o in outcomes:
        seen: Any = (
            (o.status, o.body["code"]) if o.kind in ("create", "invalid", "check") else o.status
        )
        assert seen in allowed[o.kind], o
    mid_storm = [o for o in outcomes if o.kind == "ledger"]
    for o in mid_storm:  # a ledger read in the middle of the storm adds up too
        assert_ledger_adds_up(START[o.key], o.body["transactions"])

    # let every task reach its end; reading them books the refunds of those that failed
    await client.post("/__mock/clock/advance", json={"seconds": 3600})
    tasks = (await (await client.get("/__mock/tasks")).json())["tasks"]
    ledgers = {
        key: (await (await client.get(f"/__mock/accounts/{key}/ledger")).json())["transactions"]
        for key in KEYS
    }
    all_rows = [row for rows in ledgers.values() for row in rows]
    trans_nos = Counter(row["trans_no"] for row in all_rows)
    assert [] == [no for no, count in trans_nos.items() if count != 1]

    created = Counter(o.key for o in outcomes if o.kind == "create" and o.body["code"] == 0)
    failed_by_admin = {o.target for o in outcomes if o.kind == "fail" and o.status == 200}
    for key in KEYS:
        rows = ledgers[key]
        balance = (await (await client.get(f"/__mock/accounts/{key}")).json())["balance"]
        assert balance == assert_ledger_adds_up(START[key], rows)
        assert balance == START[key] + sum(row["delta"] for row in rows)

        mine = [t for t in tasks if t["taskId"] in {task_id(key, n) for n in range(1, 200)}]
        ids = [t["taskId"] for t in mine]
        assert sorted(task_id(key, n) for n in range(1, created[key] + 1)) == sorted(ids)
        charges = Counter(r["taskId"] for r in rows if r["reason"] == "charge")
        refunds = Counter(r["taskId"] for r in rows if r["reason"] == "refund")
        assert dict.fromkeys(ids, 1) == dict(charges)  # each task charged exactly once
        assert set(refunds) <= set(ids)
        assert all(n == 1 for n in refunds.values())  # and refunded at most once
        by_no = {r["trans_no"]: r for r in rows}
        for task in mine:
            charge = by_no[task["charge_trans_no"]]
            assert ("charge", -task["price"], task["taskId"]) == (
                charge["reason"],
                charge["delta"],
                charge["taskId"],
            )
            if task["status"] in ("failed", "cancelled"):
                refund = by_no[task["refund_trans_no"]]
                assert 1 == trans_nos[task["refund_trans_no"]]
                assert ("refund", task["price"], task["taskId"]) == (
                    refund["reason"],
                    refund["delta"],
                    refund["taskId"],
                )
            else:
                assert ("succeeded", None, 0) == (
                    task["status"],
                    task["refund_trans_no"],
                    refunds[task["taskId"]],
                )
            if task["taskId"] in failed_by_admin:
                assert ("failed", "storm") == (task["status"], task["failure_reason"])

    # the mix really was a storm: every kind of request happened, and some of each outcome
    kinds = Counter(
        (o.kind, o.status, o.body.get("code") if isinstance(o.body, dict) else None)
        for o in outcomes
    )
    assert REQUESTS == sum(kinds.values())
    assert all(
        kinds[wanted] > 0
        for wanted in [
            ("create", 200, 0),
            ("create", 200, 402),
            ("fail", 200, None),
            ("check", 200, 0),
        ]
    ), kinds
    reasons = Counter(t["failure_reason"] for t in tasks if t["status"] == "failed")
    assert len(failed_by_admin) == reasons["storm"]
    assert reasons["injected_failure"] > 0
    cancelled = Counter(t["failure_reason"] for t in tasks if t["status"] == "cancelled")
    assert cancelled["injected_cancel"] > 0
