"""A6: `POST /api/v1/video/sora-video`, each rule broken and kept, through HTTP."""

from __future__ import annotations

import base64
import contextlib
import json
from typing import Any

import aiohttp
import pytest

from sora_mock.core import errors as e
from sora_mock.core.ids import ResultPids, task_id
from sora_mock.routes.sora_video import ASPECT_RATIOS, MODELS

from ..conftest import MakeClient
from ..helpers import (
    CHECK,
    KEY,
    OTHER_KEY,
    PNG_B64,
    PNG_DATA_URL,
    SORA_VIDEO,
    TEXT_BODY,
    VIDEO_BODY,
    Client,
    admin,
    advance,
    auth,
    balance,
    check,
    create_ok,
    create_video,
    create_video_ok,
    post_json,
)

CHOICES = ", ".join(MODELS)
OK_URL = "https://example.com/ref.png"


def body(**fields: Any) -> dict[str, Any]:
    return {**VIDEO_BODY, **fields}


def character(**fields: Any) -> dict[str, Any]:
    return {"url": "https://example.com/cat.png", "timestamps": "0,3", **fields}


BROKEN: list[tuple[dict[str, Any], str, str]] = [
    ({"prompt": "x"}, "model", e.MSG_REQUIRED.format(field="model")),
    (body(model="Sora-2"), "model", e.MSG_MODEL_UNKNOWN.format(choices=CHOICES)),
    (body(model="sora-2-text-to-video"), "model", e.MSG_MODEL_UNKNOWN.format(choices=CHOICES)),
    (body(model=None), "model", e.MSG_MODEL_UNKNOWN.format(choices=CHOICES)),
    ({"model": "sora-2"}, "prompt", e.MSG_REQUIRED.format(field="prompt")),
    (body(prompt="  "), "prompt", e.MSG_NOT_BLANK_STRING.format(field="prompt")),
    (body(prompt=None), "prompt", e.MSG_NOT_BLANK_STRING.format(field="prompt")),
    (body(imageData="data:image/bmp;base64,AAAA"), "imageData", e.MSG_IMAGE_DATA_URL),
    (body(imageData="data:image/png;base64,AA A"), "imageData", e.MSG_IMAGE_BASE64),
    (body(imageData=None), "imageData", e.MSG_IMAGE_DATA_URL),
    (body(url="ftp://example.com/a.png"), "url", e.MSG_HTTP_URL.format(field="url")),
    (body(url="/relative.png"), "url", e.MSG_HTTP_URL.format(field="url")),
    (body(url=None), "url", e.MSG_HTTP_URL.format(field="url")),
    (
        body(aspectRatio="landscape"),
        "aspectRatio",
        e.MSG_ONE_OF.format(field="aspectRatio", choices=", ".join(ASPECT_RATIOS)),
    ),
    *(
        (body(duration=value), "duration", e.MSG_DURATION.format(choices="10, 15"))
        for value in ("ten", "", 10.5, 1e1, True, None, [10], "-5")
    ),
    (body(isPublic="false"), "isPublic", e.MSG_BOOLEAN.format(field="isPublic")),
    (body(isPublic=None), "isPublic", e.MSG_BOOLEAN.format(field="isPublic")),
    (
        body(remixTargetId=" "),
        "remixTargetId",
        e.MSG_NOT_BLANK_STRING.format(field="remixTargetId"),
    ),
    (
        body(remixTargetId=7),
        "remixTargetId",
        e.MSG_NOT_BLANK_STRING.format(field="remixTargetId"),
    ),
    (body(remixTargetId="s_" + "0" * 24), "remixTargetId", e.MSG_REMIX_TARGET),
    (body(characters="cat"), "characters", e.MSG_CHARACTERS_ARRAY),
    (body(characters=None), "characters", e.MSG_CHARACTERS_ARRAY),
    (
        body(characters=[character()] * 6),
        "characters",
        e.MSG_CHARACTERS_TOO_MANY.format(limit=5, count=6),
    ),
    (body(characters=[1]), "characters[0]", e.MSG_CHARACTER_OBJECT.format(index=0)),
    (
        body(characters=[{"timestamps": "0,1"}]),
        "characters[0].url",
        e.MSG_REQUIRED.format(field="characters[0].url"),
    ),
    (
        body(characters=[character(url="ftp://a/b")]),
        "characters[0].url",
        e.MSG_HTTP_URL.format(field="characters[0].url"),
    ),
    (
        body(characters=[character(), {"url": OK_URL}]),
        "characters[1].timestamps",
        e.MSG_REQUIRED.format(field="characters[1].timestamps"),
    ),
    *(
        (
            body(characters=[character(timestamps=stamps)]),
            "characters[0].timestamps",
            e.MSG_CHARACTER_TIMESTAMPS.format(index=0, limit=10),
        )
        for stamps in ("3,1", "1,1", "0,11", "-1,2", "1e0,2", "0,1,2", "a,b", "1.,2", 3, None)
    ),
    (
        body(duration="x", characters=[character(timestamps="0,16")]),
        "duration",  # the characters were checked against 15 as well: both are listed
        e.MSG_DURATION.format(choices="10, 15"),
    ),
    (body(webHook="ftp://example.com/"), "webHook", e.MSG_WEBHOOK),
    (body(webHook="not a url"), "webHook", e.MSG_WEBHOOK),
    (body(webHook=None), "webHook", e.MSG_WEBHOOK),
    (body(webHook=-1), "webHook", e.MSG_WEBHOOK),
    (body(shutProgress="yes"), "shutProgress", e.MSG_BOOLEAN.format(field="shutProgress")),
    (body(shutProgress=None), "shutProgress", e.MSG_BOOLEAN.format(field="shutProgress")),
]


@pytest.mark.parametrize(("sent", "field", "message"), BROKEN)
async def test_a_broken_rule_is_a_400_that_names_the_field_and_changes_nothing(
    client: Client, sent: dict[str, Any], field: str, message: str
) -> None:
    before = await balance(client) if await _has_account(client) else None
    status, envelope = await post_json(client, SORA_VIDEO, sent)
    assert (200, {"code": 400, "message": message, "data": None}) == (status, envelope)
    [row] = (await admin(client, "GET", "/requests"))["requests"]
    assert field == row["violations"][0]["field"]
    assert "sora_video" == row["route"]
    assert [] == (await admin(client, "GET", "/tasks"))["tasks"]
    assert before in (None, await balance(client))
    # no taskId number was used up
    assert task_id("sora-mock", KEY, 1) == await create_video_ok(client)


async def _has_account(client: Client) -> bool:
    response = await client.get(f"/__mock/accounts/{KEY}")
    return response.status == 200


async def test_the_first_broken_rule_answers_and_the_journal_lists_them_all(
    client: Client,
) -> None:
    sent = {"model": "nope", "prompt": "", "aspectRatio": "1:1", "webHook": 3}
    _, envelope = await post_json(client, SORA_VIDEO, sent)
    assert e.MSG_MODEL_UNKNOWN.format(choices=CHOICES) == envelope["message"]
    [row] = (await admin(client, "GET", "/requests"))["requests"]
    assert ["model", "prompt", "aspectRatio", "webHook"] == [v["field"] for v in row["violations"]]


async def test_strict_mode_refuses_unknown_fields_including_the_sora_pro_names(
    make_client: MakeClient,
) -> None:
    client = await make_client(strict=True)
    _, envelope = await post_json(client, SORA_VIDEO, body(nFrames=10, size="high"))
    assert e.MSG_UNKNOWN_FIELDS.format(fields="nFrames, size") == envelope["message"]


async def test_unknown_fields_are_ignored_with_a_warning(client: Client) -> None:
    tid = await create_video_ok(client, body(nFrames=15, removeWatermark=True))
    [row] = (await admin(client, "GET", "/requests"))["requests"]
    assert [
        e.WARN_UNKNOWN_FIELD.format(field="nFrames"),
        e.WARN_UNKNOWN_FIELD.format(field="removeWatermark"),
    ] == row["warnings"]
    assert 10 == (await admin(client, "GET", f"/tasks/{tid}"))["params"]["duration"]


# -- kept: what the task holds -------------------------------------------------------------


async def test_the_defaults_fill_the_tasks_params(client: Client) -> None:
    tid = await create_video_ok(client)
    record = await admin(client, "GET", f"/tasks/{tid}")
    assert {
        "prompt": "a fox in the snow",
        "aspectRatio": "9:16",
        "duration": 10,
        "isPublic": True,
    } == record["params"]
    assert ("sora-video", "sora-2", 100) == (record["route"], record["model"], record["price"])


async def test_every_field_given_and_kept_is_in_the_params(client: Client) -> None:
    sent = body(
        aspectRatio="16:9",
        duration="15",
        url=OK_URL,
        webHook="http://127.0.0.1:9/hook",
        shutProgress=True,
    )
    tid = await create_video_ok(client, sent)
    params = (await admin(client, "GET", f"/tasks/{tid}"))["params"]
    assert {
        "prompt": "a fox in the snow",
        "url": OK_URL,
        "aspectRatio": "16:9",
        "duration": 15,
        "isPublic": True,
        "webHook": "http://127.0.0.1:9/hook",
    } == params


async def test_image_data_wins_over_url_which_is_ignored_with_a_warning(client: Client) -> None:
    tid = await create_video_ok(client, body(imageData=PNG_DATA_URL, url="not even a url"))
    params = (await admin(client, "GET", f"/tasks/{tid}"))["params"]
    assert "url" not in params
    size = len(base64.b64decode(PNG_B64))
    assert ("image/png", size) == (params["imageData"]["mediaType"], params["imageData"]["bytes"])
    [row] = (await admin(client, "GET", "/requests"))["requests"]
    assert [e.WARN_URL_IGNORED] == row["warnings"]


@pytest.mark.parametrize(
    ("given", "kept"), [(12, 10), (13, 15), ("15", 15), ("0012", 10), (0, 10), (-3, 10), (99, 15)]
)
async def test_duration_is_normalized_to_the_nearest_allowed_value(
    client: Client, given: Any, kept: int
) -> None:
    tid = await create_video_ok(client, body(duration=given))
    assert kept == (await admin(client, "GET", f"/tasks/{tid}"))["params"]["duration"]
    [row] = (await admin(client, "GET", "/requests"))["requests"]
    expected = [] if given == kept else [e.NORM_DURATION.format(given=repr_json(given), value=kept)]
    assert expected == row["normalizations"]
    # only an allowed value's own digits ("15") is a documented form, as nFrames's "10" (A2)
    assert (expected if given == str(kept) else []) == row["documented_forms"]


def repr_json(value: Any) -> str:
    return json.dumps(value)


@pytest.mark.parametrize(
    ("model", "duration", "price"),
    [
        ("sora-2", 10, 100),
        ("sora-2", 15, 150),
        ("sora-2-stable", 10, 100),
        ("sora-2-stable", 15, 150),
        ("sora-2-pro", 10, 375),
        ("sora-2-pro", 15, 675),
    ],
)
async def test_prices_follow_model_and_duration_and_an_image_costs_the_same(
    client: Client, model: str, duration: int, price: int
) -> None:
    start = await balance_after_open(client)
    await create_video_ok(client, body(model=model, duration=duration))
    await create_video_ok(client, body(model=model, duration=duration, imageData=PNG_DATA_URL))
    assert start - 2 * price == await balance(client)


async def balance_after_open(client: Client, credits: int = 10_000) -> int:
    account = await admin(client, "PUT", f"/accounts/{KEY}", {"balance": credits})
    value: int = account["balance"]
    return value


async def test_a_pricing_table_for_the_sibling_models_is_used(make_client: MakeClient) -> None:
    client = await make_client(pricing={"sora-2": {"10": 7}})
    start = await balance_after_open(client)
    await create_video_ok(client)
    assert start - 7 == await balance(client)


async def test_the_answer_is_the_union_of_the_documented_forms(make_client: MakeClient) -> None:
    client = await make_client(queue_seconds=1, run_seconds=4.2)
    envelope = await create_video(client)
    tid = envelope["data"]["taskId"]
    assert {
        "code": 0,
        "message": "ok",
        "data": {
            "id": tid,
            "taskId": tid,
            "status": "pending",
            "progress": 0,
            "estimate_seconds": 6,
        },
    } == envelope


async def test_estimate_seconds_is_at_least_one(make_client: MakeClient) -> None:
    client = await make_client(queue_seconds=0, run_seconds=0)
    envelope = await create_video(client)
    assert 1 == envelope["data"]["estimate_seconds"]


async def test_task_ids_come_from_one_counter_per_key_across_both_routes(client: Client) -> None:
    first = await create_ok(client)
    second = await create_video_ok(client)
    third = await create_ok(client)
    assert [task_id("sora-mock", KEY, n) for n in (1, 2, 3)] == [first, second, third]


async def test_one_concurrency_limit_covers_both_routes(make_client: MakeClient) -> None:
    client = await make_client(max_concurrent_tasks=2)
    await create_ok(client)
    await create_video_ok(client)
    for path, sent in ((SORA_VIDEO, VIDEO_BODY), ("/api/v1/video/sora-pro", TEXT_BODY)):
        _, envelope = await post_json(client, path, sent)
        assert e.MSG_TOO_MANY_TASKS.format(limit=2) == envelope["message"]
    await advance(client, 5)
    await create_video_ok(client)


async def test_too_few_credits_is_a_402_that_changes_nothing(client: Client) -> None:
    await admin(client, "PUT", f"/accounts/{KEY}", {"balance": 99})
    _, envelope = await post_json(client, SORA_VIDEO, VIDEO_BODY)
    message = e.MSG_INSUFFICIENT_CREDITS.format(price=100, balance=99)
    assert {"code": 402, "message": message, "data": None} == envelope
    assert 99 == await balance(client)
    assert [] == (await admin(client, "GET", "/tasks"))["tasks"]


async def test_check_result_answers_a_sibling_task_through_its_lifecycle(client: Client) -> None:
    tid = await create_video_ok(client)
    assert "pending" == (await check(client, tid))["data"]["status"]
    await advance(client, 3)
    data = (await check(client, tid))["data"]
    assert ("running", 50) == (data["status"], data["progress"])
    await advance(client, 2)
    data = (await check(client, tid))["data"]
    assert ("succeeded", {}) == (data["status"], data["metadata"])
    assert [f"http://{client.host}:{client.port}/files/{tid}.mp4"] == data["result_urls"]
    assert 404 == (await check(client, tid, key=OTHER_KEY))["code"]


# -- remixTargetId: the key's own succeeded result -------------------------------------------


async def succeeded_pid(client: Client, key: str = KEY) -> str:
    tid = await create_video_ok(client, key=key)
    await admin(client, "POST", f"/tasks/{tid}/succeed")
    return ResultPids("sora-mock")(tid)


async def test_remix_target_id_must_name_a_succeeded_task_of_the_same_key(
    make_client: MakeClient,
) -> None:
    client = await make_client(default_vip=True)
    theirs = await succeeded_pid(client, OTHER_KEY)
    unfinished = await create_video_ok(client)
    for target in (theirs, ResultPids("sora-mock")(unfinished)):
        _, envelope = await post_json(client, SORA_VIDEO, body(remixTargetId=target))
        assert e.MSG_REMIX_TARGET == envelope["message"]
    mine = await succeeded_pid(client)
    tid = await create_video_ok(client, body(remixTargetId=mine))
    assert {"remixTargetId": mine} == (await check(client, tid))["data"]["metadata"]


# -- the fault step and the journal ----------------------------------------------------------


async def test_a_fault_rule_on_route_sora_video_hits_only_the_sibling_route(
    client: Client,
) -> None:
    await admin(client, "POST", "/faults", {"route": "sora_video", "action": "error", "code": 503})
    _, envelope = await post_json(client, SORA_VIDEO, VIDEO_BODY)
    assert 503 == envelope["code"]
    await create_ok(client)
    assert [] == [
        t for t in (await admin(client, "GET", "/tasks"))["tasks"] if t["route"] == "sora-video"
    ]


async def test_the_fault_step_comes_before_auth(client: Client) -> None:
    await admin(client, "POST", "/faults", {"route": "sora_video", "action": "error", "code": 502})
    _, envelope = await post_json(client, SORA_VIDEO, VIDEO_BODY, key=None)
    assert 502 == envelope["code"]


async def test_fail_task_on_sora_video_fails_the_task_and_refunds_it(client: Client) -> None:
    await admin(
        client,
        "POST",
        "/faults",
        {"route": "sora_video", "action": "fail_task", "failure_reason": "x"},
    )
    start = await balance_after_open(client)
    tid = await create_video_ok(client)
    await advance(client, 5)
    data = (await check(client, tid))["data"]
    assert ("failed", "x", True) == (
        data["status"],
        data["failure_reason"],
        data["credits_refunded"],
    )
    assert start == await balance(client)


async def test_the_journal_row_says_route_sora_video(client: Client) -> None:
    tid = await create_video_ok(client)
    rows = await admin(client, "GET", "/requests?route=sora_video")
    assert [(SORA_VIDEO, 0, tid)] == [(r["path"], r["code"], r["taskId"]) for r in rows["requests"]]


async def test_a_wrong_method_is_a_405_in_the_envelope(client: Client) -> None:
    response = await client.get(SORA_VIDEO)
    assert 405 == (await response.json())["code"]
    [row] = (await admin(client, "GET", "/requests"))["requests"]
    assert "sora_video" == row["route"]


async def test_no_auth_is_a_401(client: Client) -> None:
    _, envelope = await post_json(client, SORA_VIDEO, VIDEO_BODY, key=None)
    assert e.UNAUTHORIZED == envelope["code"]


async def test_check_result_is_the_one_poll_for_both_routes(client: Client) -> None:
    pro = await create_ok(client)
    video = await create_video_ok(client)
    for tid in (pro, video):
        _, envelope = await post_json(client, CHECK, {"taskId": tid})
        assert tid == envelope["data"]["taskId"]


# -- the VIP-only inputs -----------------------------------------------------------------------


async def vip_body(client: Client) -> dict[str, Any]:
    """A body with every VIP-only input, the remix target a succeeded result of this key."""
    await admin(client, "POST", f"/accounts/{KEY}")
    await admin(client, "PUT", f"/accounts/{KEY}", {"vip": True})
    pid = await succeeded_pid(client)
    await admin(client, "PUT", f"/accounts/{KEY}", {"vip": False})
    return body(isPublic=False, remixTargetId=pid, characters=[character()])


async def test_a_vip_account_keeps_every_vip_input(client: Client) -> None:
    sent = await vip_body(client)
    await admin(client, "PUT", f"/accounts/{KEY}", {"vip": True})
    tid = await create_video_ok(client, sent)
    record = await admin(client, "GET", f"/tasks/{tid}")
    assert (False, sent["remixTargetId"], [character()]) == (
        record["params"]["isPublic"],
        record["params"]["remixTargetId"],
        record["params"]["characters"],
    )
    metadata = (await check(client, tid))["data"]["metadata"]
    assert {"remixTargetId": sent["remixTargetId"], "characters": [character()]} == metadata


async def test_from_a_non_vip_account_the_vip_inputs_are_dropped_with_warnings(
    client: Client,
) -> None:
    sent = await vip_body(client)
    tid = await create_video_ok(client, sent)
    record = await admin(client, "GET", f"/tasks/{tid}")
    assert record["params"]["isPublic"] is True
    assert "remixTargetId" not in record["params"]
    assert "characters" not in record["params"]
    assert {} == (await check(client, tid))["data"]["metadata"]
    row = (await admin(client, "GET", "/requests?route=sora_video"))["requests"][-1]
    assert [
        e.WARN_VIP_PUBLIC,
        e.WARN_VIP_DROPPED.format(field="remixTargetId"),
        e.WARN_VIP_DROPPED.format(field="characters"),
    ] == row["warnings"]


async def test_an_empty_characters_list_counts_as_given(client: Client) -> None:
    tid = await create_video_ok(client, body(characters=[]))
    assert "characters" not in (await admin(client, "GET", f"/tasks/{tid}"))["params"]
    row = (await admin(client, "GET", "/requests"))["requests"][-1]
    assert [e.WARN_VIP_DROPPED.format(field="characters")] == row["warnings"]


@pytest.mark.parametrize("name", ["isPublic", "remixTargetId", "characters"])
async def test_in_strict_mode_a_vip_input_from_a_non_vip_account_is_a_403(
    make_client: MakeClient, name: str
) -> None:
    client = await make_client(strict=True)
    sent = await vip_body(client)
    one = {k: v for k, v in sent.items() if k in ("model", "prompt", name)}
    _, envelope = await post_json(client, SORA_VIDEO, one)
    message = e.MSG_VIP_ONLY.format(field=name)
    assert {"code": 403, "message": message, "data": None} == envelope


async def test_a_broken_vip_input_is_a_400_even_from_a_non_vip_account(
    make_client: MakeClient,
) -> None:
    client = await make_client(strict=True)
    _, envelope = await post_json(client, SORA_VIDEO, body(isPublic=False, characters="x"))
    assert (400, e.MSG_CHARACTERS_ARRAY) == (envelope["code"], envelope["message"])


async def test_cancel_task_on_sora_video_cancels_it_as_it_leaves_the_queue(
    client: Client,
) -> None:
    await admin(client, "POST", "/faults", {"route": "sora_video", "action": "cancel_task"})
    tid = await create_video_ok(client)
    await advance(client, 1)
    data = (await check(client, tid))["data"]
    assert ("cancelled", 0, True) == (data["status"], data["progress"], data["credits_refunded"])


@pytest.mark.parametrize(
    ("preset", "status"), [("task_failed", "failed"), ("task_cancelled", "cancelled")]
)
async def test_the_fault_header_presets_shape_a_sibling_task(
    client: Client, preset: str, status: str
) -> None:
    _, envelope = await post_json(client, SORA_VIDEO, VIDEO_BODY, **{"X-Sora-Mock-Fault": preset})
    tid = envelope["data"]["taskId"]
    await advance(client, 5)
    assert status == (await check(client, tid))["data"]["status"]


@pytest.mark.parametrize("action", ["reset", "malformed", "html"])
async def test_an_injected_broken_answer_on_sora_video_charges_nothing(
    client: Client, action: str
) -> None:
    start = await balance_after_open(client)
    await admin(client, "POST", "/faults", {"route": "sora_video", "action": action})
    with contextlib.suppress(aiohttp.ClientError):  # the reset: no answer at all
        await client.post(SORA_VIDEO, json=VIDEO_BODY, headers=auth())
    assert start == await balance(client)
    assert [] == (await admin(client, "GET", "/tasks"))["tasks"]
