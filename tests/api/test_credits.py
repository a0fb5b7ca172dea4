"""`POST /api/get-user-credits` (CONTRACT A5) and check-result's `result_pid` (A3), over HTTP."""

from __future__ import annotations

import logging
from typing import Any, Final

import pytest

from sora_mock.core import errors

from ..conftest import MakeClient
from ..helpers import (
    KEY,
    OTHER_KEY,
    PRICE,
    START,
    Client,
    admin,
    advance,
    auth,
    check,
    create_ok,
    expected_pid,
)

CREDITS: Final = "/api/get-user-credits"


async def credits(client: Client, key: str | None = KEY, **kwargs: Any) -> tuple[int, Any]:
    headers = {**(auth(key) if key is not None else {}), **kwargs.pop("headers", {})}
    response = await client.post(CREDITS, headers=headers, **kwargs)
    return response.status, await response.json()


async def journal(client: Client) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (await admin(client, "GET", "/requests?route=credits"))["requests"]
    return rows


async def test_it_answers_the_balance_and_the_vip_flag(client: Client) -> None:
    await create_ok(client)
    assert (
        200,
        {"code": 0, "message": "ok", "data": {"left_credits": START - PRICE, "is_vip": False}},
    ) == await credits(client, json={})
    await admin(client, "PUT", f"/accounts/{KEY}", {"vip": True, "balance": 42})
    assert {"left_credits": 42, "is_vip": True} == (await credits(client, json={}))[1]["data"]


async def test_the_message_variant_applies_to_its_success(make_client: MakeClient) -> None:
    client = await make_client(variants={"message": "Success"})
    envelope = (await credits(client))[1]
    assert ("Success", {"left_credits": START, "is_vip": False}) == (
        envelope["message"],
        envelope["data"],
    )
    [row] = await journal(client)
    assert {"message": "Success"} == row["variant"]


async def test_it_opens_an_auto_provisioned_account(client: Client) -> None:
    assert {"left_credits": START, "is_vip": False} == (await credits(client))[1]["data"]
    assert START == (await admin(client, "GET", f"/accounts/{KEY}"))["balance"]


async def test_without_auto_provision_an_unknown_key_is_401(make_client: MakeClient) -> None:
    client = await make_client(auto_provision=False, accounts={OTHER_KEY: 5})
    status, envelope = await credits(client)
    assert (200, 401, None) == (status, envelope["code"], envelope["data"])
    assert 404 == (await client.get(f"/__mock/accounts/{KEY}")).status
    assert {"left_credits": 5, "is_vip": False} == (await credits(client, OTHER_KEY))[1]["data"]


@pytest.mark.parametrize(
    ("headers", "message"),
    [({}, errors.MSG_NO_AUTH), ({"Authorization": "Bearer  "}, errors.MSG_BLANK_TOKEN)],
)
async def test_it_needs_a_bearer_token(
    client: Client, headers: dict[str, str], message: str
) -> None:
    status, envelope = await credits(client, None, headers=headers)
    assert (200, {"code": 401, "message": message, "data": None}) == (status, envelope)
    assert [] == (await admin(client, "GET", "/accounts"))["accounts"]


async def test_the_balance_includes_a_refund_that_is_due_now(client: Client) -> None:
    await admin(client, "POST", "/faults", {"action": "fail_task"})
    await create_ok(client)
    assert START - PRICE == (await credits(client))[1]["data"]["left_credits"]
    await advance(client, 5)
    assert START == (await credits(client))[1]["data"]["left_credits"]
    rows = (await admin(client, "GET", f"/accounts/{KEY}/ledger"))["transactions"]
    assert ["charge", "refund"] == [r["reason"] for r in rows]


@pytest.mark.parametrize(
    "body",
    [b"", b"{}", b"not json", b"[1, 2]", b'{"a": 1, "a": 2}', b'{"taskId": null}'],
    ids=repr,
)
async def test_the_body_is_not_read_whatever_it_is(client: Client, body: bytes) -> None:
    status, envelope = await credits(client, data=body)
    assert (200, 0) == (status, envelope["code"])
    [row] = await journal(client)
    assert (None, 0, 200) == (row["body"], row["code"], row["http_status"])


async def test_a_body_over_the_limit_is_no_413(make_client: MakeClient) -> None:
    client = await make_client(max_body_bytes=16)
    status, envelope = await credits(client, data=b"{" + b" " * 1000 + b"}")
    assert (200, 0) == (status, envelope["code"])


async def test_it_is_journaled_as_credits_with_the_masked_key(client: Client) -> None:
    await credits(client, json={})
    [row] = await journal(client)
    assert ("credits", "POST", CREDITS, "************0001") == (
        row["route"],
        row["method"],
        row["path"],
        row["key"],
    )
    assert "Bearer ************0001" == row["headers"]["Authorization"]


async def test_a_wrong_method_is_405_and_journaled_as_credits(client: Client) -> None:
    response = await client.get(CREDITS, headers=auth())
    assert 405 == (await response.json())["code"]
    assert ["credits"] == [r["route"] for r in await journal(client)]


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        ({"route": "credits", "action": "error", "code": 503}, 503),
        ({"route": "any", "action": "error", "code": 500}, 500),
        ({"route": "credits", "action": "error", "code": 401, "api_key": KEY}, 401),
    ],
)
async def test_a_fault_rule_on_the_credits_route_answers_first(
    client: Client, rule: dict[str, Any], code: int
) -> None:
    await admin(client, "POST", "/faults", rule)
    assert code == (await credits(client))[1]["code"]
    assert [] == (await admin(client, "GET", "/accounts"))["accounts"]  # before auth: opens none


async def test_a_fault_rule_for_another_route_leaves_it_alone(client: Client) -> None:
    await admin(client, "POST", "/faults", {"route": "create", "action": "error"})
    assert 0 == (await credits(client))[1]["code"]


async def test_body_matchers_never_match_it(client: Client) -> None:
    rule = {"route": "credits", "action": "error", "model": "sora-2-text-to-video"}
    await admin(client, "POST", "/faults", rule)
    assert 0 == (await credits(client, json={"model": "sora-2-text-to-video"}))[1]["code"]
    assert [0] == [r["fired"] for r in (await admin(client, "GET", "/faults"))["faults"]]


async def test_the_fault_header_works_there_too(client: Client) -> None:
    status, envelope = await credits(client, headers={"X-Sora-Mock-Fault": "unavailable"})
    assert (200, 503) == (status, envelope["code"])


async def test_it_writes_one_log_line(client: Client, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="sora_mock.requests"):
        await credits(client)
    [record] = [r for r in caplog.records if r.name == "sora_mock.requests"]
    fields = record.fields  # type: ignore[attr-defined]  # set by the request log
    assert ("POST", CREDITS, 200, 0, "************0001") == (
        fields["method"],
        fields["path"],
        fields["status"],
        fields["code"],
        fields["key"],
    )


# -- result_pid (A3) -----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", ["pid-seed", "p" * 100], ids=["short", "over-a-block"])
async def test_result_pid_is_set_only_when_succeeded_by_its_hmac_rule(
    make_client: MakeClient, seed: str
) -> None:
    client = await make_client(seed=seed)
    task_id = await create_ok(client)
    running = (await check(client, task_id))["data"]
    assert (None, []) == (running["result_pid"], running["result_pids"])
    await advance(client, 5)
    done = (await check(client, task_id))["data"]
    pid = expected_pid(task_id, seed)
    assert (pid, [pid], {}) == (done["result_pid"], done["result_pids"], done["metadata"])
    assert pid == (await admin(client, "GET", f"/tasks/{task_id}"))["result_pid"]
    assert pid != expected_pid(task_id)  # the seed is part of it


async def test_a_failed_task_has_no_result_pid(client: Client) -> None:
    task_id = await create_ok(client)
    await admin(client, "POST", f"/tasks/{task_id}/fail")
    data = (await check(client, task_id))["data"]
    assert (None, [], {}) == (data["result_pid"], data["result_pids"], data["metadata"])
    assert None is (await admin(client, "GET", f"/tasks/{task_id}"))["result_pid"]
