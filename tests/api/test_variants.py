"""Provider variants (CONTRACT G): every point and form, the seeded draw, and the journal."""

from __future__ import annotations

import json
import re
from typing import Any, Final

import pytest

from sora_mock.core import errors
from sora_mock.core.variants import POINTS

from ..conftest import MakeClient
from ..helpers import (
    CHECK,
    CREATE,
    KEY,
    OTHER_KEY,
    SORA_VIDEO,
    TEXT_BODY,
    VIDEO_BODY,
    Client,
    admin,
    auth,
    create_ok,
    post_json,
)

BAD_ASPECT: Final = {**TEXT_BODY, "aspectRatio": "square"}
UNKNOWN_TASK: Final = "0123456789abcdef0123456789abcdef"
CREATED: Final = re.compile(rb'\{"code":0,"message":"ok","data":\{"taskId":"[0-9a-f]{32}"\}\}')


async def journal(client: Client) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = (await admin(client, "GET", "/requests"))["requests"]
    return rows


async def last_variant(client: Client) -> dict[str, str]:
    variant: dict[str, str] = (await journal(client))[-1]["variant"]
    return variant


async def raw_post(client: Client, path: str, body: Any, **headers: str) -> tuple[int, bytes]:
    response = await client.post(path, json=body, headers={**auth(), **headers})
    return response.status, await response.read()


# -- "contract": the default answers as parts A-F, byte for byte ------------------------------


async def test_the_default_answers_as_the_contract_and_journals_no_variant(
    client: Client,
) -> None:
    status, body = await raw_post(client, CREATE, TEXT_BODY)
    assert (200, True) == (status, CREATED.fullmatch(body) is not None)
    task_id = (await journal(client))[-1]["taskId"]
    _, result = await post_json(client, CHECK, {"taskId": task_id})
    assert ("ok", "") == (result["message"], result["data"]["failure_reason"])
    status, rejected = await post_json(client, CREATE, BAD_ASPECT)
    assert (200, 400) == (status, rejected["code"])
    assert [{}, {}, {}] == [row["variant"] for row in await journal(client)]


async def test_a_table_that_pins_the_contracts_forms_is_the_contract(
    make_client: MakeClient,
) -> None:
    contract_forms = {point: forms[0] for point, forms in POINTS.items()}
    client = await make_client(variants=contract_forms)
    status, body = await raw_post(client, CREATE, TEXT_BODY)
    assert (200, True) == (status, CREATED.fullmatch(body) is not None)
    assert {} == await last_variant(client)


# -- message ------------------------------------------------------------------------------------


async def test_message_success_is_on_every_success_and_on_no_error(
    make_client: MakeClient,
) -> None:
    client = await make_client(variants={"message": "Success"})
    _, created = await post_json(client, CREATE, TEXT_BODY)
    assert ("Success", 0) == (created["message"], created["code"])
    assert {"message": "Success"} == await last_variant(client)
    _, result = await post_json(client, CHECK, {"taskId": created["data"]["taskId"]})
    assert ("Success", "pending") == (result["message"], result["data"]["status"])
    _, rejected = await post_json(client, CREATE, BAD_ASPECT)
    assert (
        errors.MSG_ONE_OF.format(field="aspectRatio", choices="portrait, landscape")
        == (rejected["message"])
    )
    assert {} == await last_variant(client)


# -- validation_code ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error_status", "http_status"), [("200", 200), ("http", 400)], ids=["errors-200", "http"]
)
async def test_validation_code_minus_one_for_a_field_rule(
    make_client: MakeClient, error_status: str, http_status: int
) -> None:
    client = await make_client(variants={"validation_code": "-1"}, error_status=error_status)
    status, rejected = await post_json(client, CREATE, BAD_ASPECT)
    assert (http_status, -1, None) == (status, rejected["code"], rejected["data"])
    assert "aspectRatio" in rejected["message"]
    [row] = await journal(client)
    assert (-1, http_status, {"validation_code": "-1"}) == (
        row["code"],
        row["http_status"],
        row["variant"],
    )
    assert ["aspectRatio"] == [v["field"] for v in row["violations"]]
    status, missing = await post_json(client, CHECK, {"taskId": ""})
    assert (http_status, -1) == (status, missing["code"])


async def test_validation_code_covers_unknown_fields_in_strict_mode(
    make_client: MakeClient,
) -> None:
    client = await make_client(variants={"validation_code": "-1"}, strict=True)
    _, rejected = await post_json(client, CREATE, {**TEXT_BODY, "colour": "red"})
    assert -1 == rejected["code"]
    assert "colour" in rejected["message"]


async def test_validation_code_leaves_other_400s_and_other_codes_alone(
    make_client: MakeClient,
) -> None:
    client = await make_client(variants={"validation_code": "-1"})
    response = await client.post(CREATE, data=b"[1, 2]", headers=auth())
    assert 400 == (await response.json())["code"]  # not a JSON object: not a field rule
    _, preset = await post_json(client, CREATE, TEXT_BODY, **{"X-Sora-Mock-Fault": "nope"})
    assert 400 == preset["code"]  # an unknown preset
    await admin(client, "POST", "/faults", {"action": "error", "code": 400, "times": 1})
    _, injected = await post_json(client, CREATE, TEXT_BODY)
    assert 400 == injected["code"]  # injected, not a field rule
    await admin(client, "PUT", f"/accounts/{KEY}", {"balance": 0})
    _, poor = await post_json(client, CREATE, TEXT_BODY)
    assert 402 == poor["code"]
    assert [{}, {}, {}, {}] == [row["variant"] for row in await journal(client)]


# -- check_status ---------------------------------------------------------------------------


async def test_check_status_http_gives_every_check_result_error_its_status(
    make_client: MakeClient,
) -> None:
    client = await make_client(variants={"check_status": "http"})
    assert (404, 404) == await code_and_status(client, {"taskId": UNKNOWN_TASK})
    assert (400, 400) == await code_and_status(client, {"taskId": 7})
    response = await client.post(CHECK, json={"taskId": UNKNOWN_TASK})
    assert (401, 401) == (response.status, (await response.json())["code"])
    response = await client.get(CHECK, headers=auth())
    assert (405, 405) == (response.status, (await response.json())["code"])
    rows = await journal(client)
    assert [{"check_status": "http"}] * 4 == [row["variant"] for row in rows]
    # create's errors are not check-result's: HTTP 200, as error_status says
    status, rejected = await post_json(client, CREATE, BAD_ASPECT)
    assert (200, 400) == (status, rejected["code"])
    assert {} == await last_variant(client)


async def code_and_status(client: Client, body: Any) -> tuple[int, int]:
    status, envelope = await post_json(client, CHECK, body)
    return envelope["code"], status


async def test_check_status_http_yields_to_a_fault_rules_own_status(
    make_client: MakeClient,
) -> None:
    client = await make_client(variants={"check_status": "http"})
    rule = {"action": "error", "code": 503, "route": "check_result", "times": 1}
    await admin(client, "POST", "/faults", {**rule, "http_status": 200})
    assert (503, 200) == await code_and_status(client, {"taskId": UNKNOWN_TASK})
    assert {"check_status": "http"} == await last_variant(client)
    await admin(client, "POST", "/faults", rule)
    assert (503, 503) == await code_and_status(client, {"taskId": UNKNOWN_TASK})


async def test_check_status_200_follows_error_status(make_client: MakeClient) -> None:
    client = await make_client(variants={"check_status": "random"}, seed="s-200")
    outcomes = set()
    for _ in range(12):
        code, status = await code_and_status(client, {"taskId": UNKNOWN_TASK})
        form = (await last_variant(client))["check_status"]
        outcomes.add((form, code, status))
    assert {("200", 404, 200), ("http", 404, 404)} == outcomes


async def test_validation_code_and_check_status_together_send_400(
    make_client: MakeClient,
) -> None:
    client = await make_client(variants={"check_status": "http", "validation_code": "-1"})
    assert (-1, 400) == await code_and_status(client, {"taskId": " "})
    assert {"check_status": "http", "validation_code": "-1"} == await last_variant(client)


# -- failure_reason -------------------------------------------------------------------------


async def test_failure_reason_null_for_a_task_neither_failed_nor_cancelled(
    make_client: MakeClient,
) -> None:
    client = await make_client(variants={"failure_reason": "null"})
    task_id = await create_ok(client)
    _, pending = await post_json(client, CHECK, {"taskId": task_id})
    assert (None, "pending") == (pending["data"]["failure_reason"], pending["data"]["status"])
    assert {"failure_reason": "null"} == await last_variant(client)
    await admin(client, "POST", f"/tasks/{task_id}/fail", {"failure_reason": "nsfw"})
    _, failed = await post_json(client, CHECK, {"taskId": task_id})
    assert ("nsfw", "failed") == (failed["data"]["failure_reason"], failed["data"]["status"])
    assert {} == await last_variant(client)  # the point does not apply to a failed task


# -- random, lists and tables: the draw -----------------------------------------------------


async def session(client: Client) -> list[tuple[int, dict[str, Any], dict[str, str]]]:
    """A fixed run of requests; each answer with the variant its journal row names."""
    seen = []
    for n in range(10):
        status, created = await post_json(client, CREATE, TEXT_BODY if n % 3 else BAD_ASPECT)
        seen.append((status, created, await last_variant(client)))
        task_id = (created.get("data") or {}).get("taskId", UNKNOWN_TASK)
        status, result = await post_json(client, CHECK, {"taskId": task_id})
        seen.append((status, result, await last_variant(client)))
    return seen


async def test_random_repeats_exactly_for_the_same_seed_and_requests(
    make_client: MakeClient,
) -> None:
    first = await session(await make_client(variants="random", seed="repeat"))
    second = await session(await make_client(variants="random", seed="repeat"))
    assert first == second
    other = await session(await make_client(variants="random", seed="another seed"))
    assert [v for *_, v in first] != [v for *_, v in other]


async def test_a_reset_restarts_the_sequence(make_client: MakeClient) -> None:
    client = await make_client(variants="random", seed="reset")
    before = await session(client)
    await admin(client, "POST", "/reset")
    assert before == await session(client)


async def test_random_lists_each_point_it_consults_with_every_form_drawn(
    make_client: MakeClient,
) -> None:
    client = await make_client(variants="random", seed="every form")
    drawn: dict[str, set[str]] = {}
    for *_, variant in await session(client) + await session(client):
        for point, form in variant.items():
            drawn.setdefault(point, set()).add(form)
    assert {
        "message": {"ok", "Success"},
        "validation_code": {"400", "-1"},
        "check_status": {"200", "http"},
        "failure_reason": {"empty", "null"},
        "error_data": {"null", "absent"},
    } == drawn


async def test_every_journaled_request_takes_a_number_in_arrival_order(
    make_client: MakeClient,
) -> None:
    """A create after an unknown route meets the form the second create of a run meets."""
    creates = await make_client(variants="random", seed="order")
    for _ in range(2):
        await post_json(creates, CREATE, TEXT_BODY)
    after_unknown = await make_client(variants="random", seed="order")
    await after_unknown.get("/api/v1/nope", headers=auth())
    await post_json(after_unknown, CREATE, TEXT_BODY)
    assert (await journal(creates))[1]["variant"] == (await journal(after_unknown))[1]["variant"]


async def test_a_list_draws_only_the_points_named(make_client: MakeClient) -> None:
    client = await make_client(variants=["message"], seed="list")
    seen = await session(client)
    assert all(set(variant) <= {"message"} for *_, variant in seen)
    assert {400} == {answer["code"] for _, answer, _ in seen if answer["code"] not in (0, 404)}
    assert {"ok", "Success"} == {v["message"] for *_, v in seen if v}


async def test_a_table_pins_some_points_and_draws_others(make_client: MakeClient) -> None:
    client = await make_client(
        variants={"message": "random", "validation_code": "-1", "failure_reason": "empty"},
        seed="table",
    )
    seen = await session(client)
    assert {"ok", "Success"} == {v["message"] for *_, v in seen if "message" in v}
    assert {-1} == {answer["code"] for _, answer, _ in seen if answer["code"] not in (0, 404)}
    assert all("failure_reason" not in v and "check_status" not in v for *_, v in seen)


# -- error_data ---------------------------------------------------------------------------------


async def test_error_data_absent_leaves_the_data_key_out_of_every_error_answer(
    make_client: MakeClient,
) -> None:
    """Rejections of each JSON route, an unknown route, a wrong method and an injected error;
    successes keep their `data`."""
    client = await make_client(variants={"error_data": "absent"})
    task_id = await create_ok(client)
    errors_seen = [
        await raw_post(client, CREATE, BAD_ASPECT),
        await raw_post(client, CHECK, {"taskId": UNKNOWN_TASK}),
        await raw_post(client, SORA_VIDEO, {**VIDEO_BODY, "aspectRatio": "square"}),
        await raw_post(client, CREATE, TEXT_BODY, **{"X-Sora-Mock-Fault": "server_error"}),
        await raw_post(client, "/api/v1/nope", {}),
    ]
    wrong_method = await client.get(CREATE, headers=auth())
    errors_seen.append((wrong_method.status, await wrong_method.read()))
    answers = [json.loads(body) for _, body in errors_seen]
    assert [["code", "message"]] * 6 == [list(answer) for answer in answers]
    assert [400, 404, 400, 500, 404, 405] == [answer["code"] for answer in answers]
    _, result = await post_json(client, CHECK, {"taskId": task_id})
    assert ("pending", {}) == (result["data"]["status"], await last_variant(client))
    assert all(
        row["variant"] == {"error_data": "absent"}
        for row in await journal(client)
        if row["code"] not in (0, None)
    )


async def test_error_data_null_is_the_contracts_form(make_client: MakeClient) -> None:
    client = await make_client(variants={"error_data": "null", "message": "Success"})
    _, body = await raw_post(client, CREATE, BAD_ASPECT)
    assert ["code", "message", "data"] == list(json.loads(body))
    assert {} == await last_variant(client)  # an error has no success message to consult


# -- task_scope ---------------------------------------------------------------------------------


async def test_task_scope_key_answers_another_keys_task_as_unknown_and_names_the_cause(
    client: Client,
) -> None:
    task_id = await create_ok(client)
    status, answer = await post_json(client, CHECK, {"taskId": task_id}, key=OTHER_KEY)
    assert (200, 404) == (status, answer["code"])
    row = (await journal(client))[-1]
    assert [errors.MSG_OTHER_KEYS_TASK.format(task_id=task_id)] == row["warnings"]
    assert {} == row["variant"]
    # the owner's journal view lists the poll too (the client report reads that view)
    owners = (await admin(client, "GET", f"/requests?key={KEY}"))["requests"]
    assert [("create", None), ("check_result", task_id)] == [
        (r["route"], r["taskId"] if r["route"] == "check_result" else None) for r in owners
    ]


async def test_task_scope_drawn_is_listed_on_each_cross_key_poll(make_client: MakeClient) -> None:
    client = await make_client(variants=["task_scope"], seed="scope")
    task_id = await create_ok(client)
    forms = []
    for _ in range(8):
        _, answer = await post_json(client, CHECK, {"taskId": task_id}, key=OTHER_KEY)
        form = (await last_variant(client))["task_scope"]
        forms.append(form)
        assert (0 if form == "any" else 404) == answer["code"]
    assert {"key", "any"} == set(forms)


async def test_task_scope_any_serves_another_keys_task_to_any_key(
    make_client: MakeClient,
) -> None:
    client = await make_client(variants={"task_scope": "any"})
    task_id = await create_ok(client)
    await admin(client, "POST", f"/tasks/{task_id}/succeed")
    _, answer = await post_json(client, CHECK, {"taskId": task_id}, key=OTHER_KEY)
    assert (0, task_id, "succeeded") == (
        answer["code"],
        answer["data"]["taskId"],
        answer["data"]["status"],
    )
    row = (await journal(client))[-1]
    assert [errors.MSG_OTHER_KEYS_TASK.format(task_id=task_id)] == row["warnings"]
    assert {"task_scope": "any"} == row["variant"]
    _, own = await post_json(client, CHECK, {"taskId": task_id})
    assert ([], {}) == ((await journal(client))[-1]["warnings"], await last_variant(client))
    assert own["data"] == answer["data"]


# -- the OpenAPI document describes each form -----------------------------------------------


async def test_the_document_names_every_point_and_form(client: Client) -> None:
    document = await (await client.get("/openapi.json")).json()
    assert {p: list(f) for p, f in POINTS.items()} == document["info"]["x-sora-mock-variants"]
    check_op = document["paths"][CHECK]["post"]
    assert {"400", "401", "404"} <= set(check_op["responses"])
    schemas = document["components"]["schemas"]
    reason = schemas["TaskResult"]["properties"]["failure_reason"]
    assert {"type": "null"} in reason["anyOf"]
    assert "Success" in schemas["CreateEnvelope"]["properties"]["message"]["description"]
    assert "-1" in schemas["ErrorEnvelope"]["properties"]["code"]["description"]


# -- the sibling route, its stream, a cancelled task -----------------------------------------


@pytest.mark.parametrize("accept", ["application/json", "text/event-stream"])
async def test_validation_code_covers_the_sibling_routes_field_rules(
    make_client: MakeClient, accept: str
) -> None:
    client = await make_client(variants={"validation_code": "-1"})
    bad = {**VIDEO_BODY, "aspectRatio": "4:3"}
    status, rejected = await post_json(client, SORA_VIDEO, bad, Accept=accept)
    assert (200, -1) == (status, rejected["code"])
    assert "aspectRatio" in rejected["message"]
    assert {"validation_code": "-1"} == await last_variant(client)


async def test_a_stream_consults_no_point(make_client: MakeClient) -> None:
    client = await make_client(variants="random", seed="stream")
    headers = {**auth(), "Accept": "text/event-stream"}
    async with client.post(SORA_VIDEO, json=VIDEO_BODY, headers=headers) as response:
        first = await response.content.readline()
        assert first.startswith(b"data: ")
        [row] = await journal(client)
        assert (0, {}) == (row["code"], row["variant"])


async def test_a_cancelled_task_keeps_its_failure_reason(make_client: MakeClient) -> None:
    client = await make_client(variants={"failure_reason": "null"})
    task_id = await create_ok(client)
    await admin(client, "POST", f"/tasks/{task_id}/cancel", {"failure_reason": "user_cancelled"})
    _, cancelled = await post_json(client, CHECK, {"taskId": task_id})
    assert ("cancelled", "user_cancelled") == (
        cancelled["data"]["status"],
        cancelled["data"]["failure_reason"],
    )
    assert {} == await last_variant(client)


async def test_the_balance_route_takes_the_message_variant(make_client: MakeClient) -> None:
    client = await make_client(variants={"message": "Success"})
    _, credits = await post_json(client, "/api/get-user-credits", {})
    assert ("Success", 0) == (credits["message"], credits["code"])
    assert {"message": "Success"} == await last_variant(client)
