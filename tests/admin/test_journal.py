"""The request journal and key masking (CONTRACT D), read back over the admin API."""

from __future__ import annotations

import asyncio
from typing import Any, Final

import aiohttp
import pytest

from sora_mock.core import errors

from ..conftest import MakeClient
from ..helpers import (
    CHECK,
    CREATE,
    KEY,
    OTHER_KEY,
    PNG_DATA_URL,
    TEXT_BODY,
    Client,
    admin,
    advance,
    auth,
    check,
    create,
    create_ok,
    post_json,
    until,
)

MASKED_KEY: Final = "************0001"
MASKED_OTHER: Final = "************0002"
NO_FILE: Final = "/files/0123456789abcdef0123456789abcdef.mp4"


async def journal(client: Client, query: str = "") -> list[dict[str, Any]]:
    response = await client.get(f"/__mock/requests{query}")
    assert response.status == 200, await response.text()
    rows: list[dict[str, Any]] = (await response.json())["requests"]
    return rows


async def add_fault(client: Client, **rule: Any) -> None:
    response = await client.post("/__mock/faults", json=rule)
    assert response.status == 201, await response.text()


# -- what is journaled -----------------------------------------------------------------------


async def test_provider_and_unknown_routes_are_journaled_and_admin_requests_are_not(
    client: Client,
) -> None:
    task_id = await create_ok(client)
    await check(client, task_id)
    await client.get(f"/files/{task_id}.mp4")
    await client.get("/api/v1/nope", headers=auth())
    await client.get(CREATE, headers=auth())
    await admin(client, "GET", "/tasks")
    await admin(client, "POST", "/clock/advance", {"seconds": 1})
    rows = await journal(client)
    assert [
        ("create", "POST", CREATE),
        ("check_result", "POST", CHECK),
        ("files", "GET", f"/files/{task_id}.mp4"),
        ("unknown", "GET", "/api/v1/nope"),
        ("create", "GET", CREATE),
    ] == [(row["route"], row["method"], row["path"]) for row in rows]
    assert [row["code"] for row in rows] == [0, 0, None, 404, 405]


async def test_a_row_records_the_request_and_its_answer(client: Client) -> None:
    await advance(client, 2.5)
    await create_ok(client)
    (row,) = await journal(client)
    expected = {
        "time": 2.5,
        "route": "create",
        "method": "POST",
        "path": CREATE,
        "key": MASKED_KEY,
        "body": TEXT_BODY,
        "code": 0,
        "http_status": 200,
        "fault": None,
        "warnings": [],
        "normalizations": [],
        "documented_forms": [],
        "violations": [],
    }
    assert {name: row[name] for name in expected} == expected
    assert f"Bearer {MASKED_KEY}" == row["headers"]["Authorization"]


async def test_times_are_the_mock_clocks(client: Client) -> None:
    start = (await admin(client, "GET", "/clock"))["now"]
    await create(client)
    await advance(client, 3)
    await create(client)
    assert [start, start + 3] == [row["time"] for row in await journal(client)]


async def test_warnings_and_normalizations_are_journaled(client: Client) -> None:
    await create_ok(client, {**TEXT_BODY, "nFrames": 12, "colour": "red", "size": "high"})
    (row,) = await journal(client)
    assert len(row["normalizations"]) == 1
    assert "nFrames" in str(row["normalizations"])
    assert len(row["warnings"]) == 2
    assert "colour" in str(row["warnings"])
    assert "size" in str(row["warnings"])


# -- masking ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "masked"),
    [
        (KEY, MASKED_KEY),
        ("sk-a1b2c3", "*****b2c3"),
        ("abcde", "*bcde"),
        ("abcd", "****"),
        ("ab", "**"),
    ],
)
async def test_the_key_and_the_authorization_header_are_masked(
    client: Client, key: str, masked: str
) -> None:
    await create(client, key=key)
    (row,) = await journal(client)
    assert (masked, f"Bearer {masked}") == (row["key"], row["headers"]["Authorization"])


async def test_the_full_key_never_appears_in_the_journal(client: Client) -> None:
    task_id = await create_ok(client)
    await create(client, {**TEXT_BODY, "aspectRatio": "square"})
    await check(client, task_id)
    await check(client, "no-such-task")
    await post_json(client, CREATE, TEXT_BODY, **{"X-Sora-Mock-Fault": "unauthorized"})
    await post_json(client, CREATE, TEXT_BODY, **{"X-Sora-Mock-Fault": "explode"})
    await client.get(f"/files/{task_id}.mp4", headers=auth())
    await client.get("/nope", headers=auth())
    await client.post(CREATE, data=b"not json", headers={"authorization": f"bearer {KEY}"})
    text = await (await client.get("/__mock/requests")).text()
    assert len(await journal(client)) == 9
    assert KEY not in text
    assert MASKED_KEY in text


@pytest.mark.parametrize(
    "path",
    ["/__mock/tasks", "/__mock/tasks/{task_id}", "/__mock/accounts", f"/__mock/accounts/{KEY}"],
)
async def test_task_records_and_account_listings_mask_the_key(client: Client, path: str) -> None:
    task_id = await create_ok(client)
    text = await (await client.get(path.format(task_id=task_id))).text()
    assert KEY not in text
    assert MASKED_KEY in text


@pytest.mark.parametrize(
    "rule",
    [
        {"action": "error", "api_key": KEY, "nth": 1, "every": 2},
        {"action": "delay", "api_key": KEY, "delay_ms": [50, 10]},
        {"action": "error", "api_key": KEY, "probability": 2},
    ],
    ids=["two selectors", "delay range upside down", "probability above 1"],
)
async def test_a_refused_fault_rule_does_not_echo_its_api_key(
    client: Client, rule: dict[str, Any]
) -> None:
    response = await client.post("/__mock/faults", json=rule)
    assert response.status == 400
    assert KEY not in await response.text()


async def test_an_unknown_key_is_masked_in_the_error_message(make_client: MakeClient) -> None:
    client = await make_client(auto_provision=False)
    status, envelope = await post_json(client, CREATE, TEXT_BODY)
    assert (status, envelope["code"]) == (200, errors.UNAUTHORIZED)
    assert KEY not in envelope["message"]
    assert MASKED_KEY in envelope["message"]


# -- bodies ----------------------------------------------------------------------------------


async def test_image_data_is_cut_to_its_first_64_characters(client: Client) -> None:
    body = {"model": "sora-2-image-to-video", "prompt": "p", "imageData": PNG_DATA_URL}
    await create_ok(client, body)
    (row,) = await journal(client)
    assert {
        **body,
        "imageData": f"{PNG_DATA_URL[:64]}…({len(PNG_DATA_URL)} chars)",
    } == row["body"]


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        (b"not json at all", "not json at all"),
        (b'["a", "list"]', '["a", "list"]'),
        (b"x" * 3000, "x" * 1024),
    ],
)
async def test_a_body_that_is_not_a_json_object_is_kept_as_text(
    client: Client, sent: bytes, kept: str
) -> None:
    await client.post(CREATE, data=sent, headers=auth())
    (row,) = await journal(client)
    assert (kept, errors.BAD_REQUEST) == (row["body"], row["code"])


# -- outcomes --------------------------------------------------------------------------------


@pytest.mark.parametrize(("error_status", "http_status"), [("200", 200), ("http", 401)])
async def test_code_and_http_status_are_what_the_client_got(
    make_client: MakeClient, error_status: str, http_status: int
) -> None:
    client = await make_client(error_status=error_status)
    await post_json(client, CREATE, TEXT_BODY, key=None)
    (row,) = await journal(client)
    assert (errors.UNAUTHORIZED, http_status) == (row["code"], row["http_status"])


async def test_a_files_row_has_an_http_status_and_no_code(client: Client) -> None:
    task_id = await create_ok(client)
    await advance(client, 5)
    await client.get(f"/files/{task_id}.mp4")
    await client.get(NO_FILE)
    rows = await journal(client, "?route=files")
    assert [(row["code"], row["http_status"]) for row in rows] == [(None, 200), (None, 404)]


async def test_violations_list_every_rule_a_rejected_request_broke(client: Client) -> None:
    envelope = await create(client, {**TEXT_BODY, "aspectRatio": "square", "isPublic": "yes"})
    assert envelope["code"] == errors.BAD_REQUEST
    (row,) = await journal(client)
    violations = row["violations"]
    assert len(violations) == 2
    assert "aspectRatio" in str(violations[0])
    assert "isPublic" in str(violations[1])


@pytest.mark.parametrize(
    "rule", [{"action": "reset"}, {"action": "timeout", "delay_ms": 10}], ids=["reset", "timeout"]
)
async def test_a_dropped_connection_has_no_code_and_no_http_status(
    client: Client, rule: dict[str, Any]
) -> None:
    await add_fault(client, **rule)
    with pytest.raises(aiohttp.ClientConnectionError):
        await client.post(CREATE, json=TEXT_BODY, headers=auth())
    (row,) = await journal(client)
    assert (row["code"], row["http_status"]) == (None, None)
    assert row["fault"] is not None


async def test_an_injected_answer_names_its_fault(client: Client) -> None:
    await add_fault(client, action="error", code=503, nth=2)
    await check(client, "x")
    await check(client, "x")
    first, second = await journal(client)
    assert (first["fault"], first["code"]) == (None, errors.NOT_FOUND)
    assert second["fault"] is not None
    assert second["code"] == 503


# -- reading, filtering, clearing ------------------------------------------------------------


async def fill(client: Client) -> None:
    """Four rows: a create by each key, a 404 check-result and an unknown route."""
    await create_ok(client)
    await create_ok(client, key=OTHER_KEY)
    await check(client, "no-such-task")
    await client.post("/api/v2/nope", json={}, headers=auth(OTHER_KEY))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (
            "",
            [
                ("create", MASKED_KEY),
                ("create", MASKED_OTHER),
                ("check_result", MASKED_KEY),
                ("unknown", MASKED_OTHER),
            ],
        ),
        ("?route=create", [("create", MASKED_KEY), ("create", MASKED_OTHER)]),
        ("?route=files", []),
        (f"?key={KEY}", [("create", MASKED_KEY), ("check_result", MASKED_KEY)]),
        (f"?key={MASKED_KEY}", []),
        ("?code=404", [("check_result", MASKED_KEY), ("unknown", MASKED_OTHER)]),
        ("?code=0", [("create", MASKED_KEY), ("create", MASKED_OTHER)]),
        ("?limit=2", [("check_result", MASKED_KEY), ("unknown", MASKED_OTHER)]),
        ("?limit=0", []),
        (f"?route=create&key={OTHER_KEY}", [("create", MASKED_OTHER)]),
        ("?code=404&limit=1", [("unknown", MASKED_OTHER)]),
    ],
)
async def test_filters_pick_rows(
    client: Client, query: str, expected: list[tuple[str, str]]
) -> None:
    await fill(client)
    assert expected == [(row["route"], row["key"]) for row in await journal(client, query)]


async def test_delete_clears_the_journal(client: Client) -> None:
    await fill(client)
    response = await client.delete("/__mock/requests")
    assert response.status == 200
    assert await journal(client) == []
    await check(client, "no-such-task")
    assert [row["route"] for row in await journal(client)] == ["check_result"]


async def test_a_reset_clears_the_journal(client: Client) -> None:
    await fill(client)
    await admin(client, "POST", "/reset")
    assert await journal(client) == []


async def test_the_journal_keeps_only_the_newest_journal_size_rows(
    make_client: MakeClient,
) -> None:
    client = await make_client(journal_size=5)
    for n in range(50):
        await check(client, f"task-{n}")
    rows = await journal(client)
    assert [f"task-{n}" for n in range(45, 50)] == [row["body"]["taskId"] for row in rows]


@pytest.mark.parametrize("action", ["delay", "timeout"])
async def test_a_request_in_flight_during_a_reset_is_not_journaled(
    client: Client, action: str
) -> None:
    await add_fault(client, action=action, delay_ms=100)
    in_flight = asyncio.create_task(client.post(CHECK, json={"taskId": "x"}, headers=auth()))

    async def held() -> bool:
        return bool((await admin(client, "GET", "/faults"))["faults"][0]["fired"])

    await until(held)
    await admin(client, "POST", "/reset")
    if action == "delay":
        assert (await in_flight).status == 200
    else:
        with pytest.raises(aiohttp.ClientConnectionError):
            await in_flight
    assert await journal(client) == []


async def test_a_request_the_client_gave_up_on_is_still_journaled(client: Client) -> None:
    await add_fault(client, action="timeout", delay_ms=50)
    with pytest.raises(TimeoutError):
        await client.post(
            CREATE, json=TEXT_BODY, headers=auth(), timeout=aiohttp.ClientTimeout(total=0.02)
        )

    async def journaled() -> bool:
        return bool(await journal(client))

    await until(journaled)
    (row,) = await journal(client)
    assert (row["route"], row["code"], row["http_status"]) == ("create", None, None)
