"""Fault injection (CONTRACT C), seen by a real HTTP client: what each action does to the
client, which matching requests a rule fires on, the header presets, and the admin faults API.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any, Final

import aiohttp
import pytest

from sora_mock import create_app
from sora_mock.config import ConfigError, read_file
from sora_mock.core import errors

from ..conftest import MakeClient
from ..helpers import (
    CHECK,
    CREATE,
    KEY,
    OTHER_KEY,
    PRICE,
    START,
    TEXT_BODY,
    Client,
    admin,
    advance,
    auth,
    balance,
    check,
    create_ok,
    post_json,
)

INJECTED: Final = 503
"""The envelope code the rules below inject, so that "injected" is told apart from 404/400."""
FAULT_HEADER: Final = "X-Sora-Mock-Fault"
PRESET_OUTCOMES: Final = [
    ("insufficient_credits", "200 code 402"),
    ("unauthorized", "200 code 401"),
    ("rate_limited", "200 code 429"),
    ("server_error", "200 code 500"),
    ("unavailable", "200 code 503"),
    ("timeout", "timed out"),
    ("reset", "dropped"),
    ("malformed", "200 malformed"),
    ("html", "502 html"),
    ("task_failed", "200 code 0"),
]
"""Every preset of CONTRACT C and what a client sees when it sends it on a create."""
PRESET_NAMES: Final = tuple(name for name, _ in PRESET_OUTCOMES)
PRO_BODY: Final[dict[str, Any]] = {"model": "sora-2-pro-text-to-video", "prompt": "a storm"}
FIXTURES: Final = Path(__file__).parents[2] / "fixtures" / "faults"


async def add_fault(client: Client, **rule: Any) -> str:
    """Add a rule through the admin API, as a user would; returns its id."""
    response = await client.post("/__mock/faults", json=rule)
    assert response.status == 201, await response.text()
    rule_id: str = (await response.json())["id"]
    return rule_id


async def fault_list(client: Client) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = (await admin(client, "GET", "/faults"))["faults"]
    return rules


async def fired(client: Client) -> list[int]:
    return [rule["fired"] for rule in await fault_list(client)]


async def outcome(
    client: Client,
    path: str = CREATE,
    body: Any = TEXT_BODY,
    *,
    key: str | None = KEY,
    wait: float = 5.0,
    headers: dict[str, str] | None = None,
) -> str:
    """What a client makes of one POST: "timed out", "dropped", "<status> html",
    "<status> malformed" or "<status> code <envelope code>"."""
    sent = {**(auth(key) if key is not None else {}), **(headers or {})}
    try:
        response = await client.post(
            path, json=body, headers=sent, timeout=aiohttp.ClientTimeout(total=wait)
        )
        raw = await response.read()
    except TimeoutError:  # before ClientConnectionError: ServerTimeoutError is both
        return "timed out"
    except aiohttp.ClientConnectionError:
        return "dropped"
    if response.content_type == "text/html":
        return f"{response.status} html"
    try:
        code = json.loads(raw)["code"]
    except ValueError:
        return f"{response.status} malformed"
    return f"{response.status} code {code}"


async def injected(
    client: Client, path: str = CHECK, body: Any = None, key: str = KEY, **headers: str
) -> bool:
    """One request; True when a rule answered it with the INJECTED code.

    The default is a check-result for an unknown task: a 404 when nothing fires, and no task,
    charge or concurrency slot used, so a pattern can be sampled as often as needed.
    """
    sent = {"taskId": "no-such-task"} if body is None else body
    _, envelope = await post_json(client, path, sent, key, **headers)
    assert envelope["code"] in (INJECTED, errors.NOT_FOUND, errors.OK), envelope
    return bool(envelope["code"] == INJECTED)


def pattern(hits: list[bool]) -> str:
    return "".join("X" if hit else "." for hit in hits)


def first_task_id(seed: str, key: str) -> str:
    return hmac.new(seed.encode(), f"{key}\n1".encode(), hashlib.sha256).hexdigest()[:32]


# -- each action, as a client sees it --------------------------------------------------------


async def test_reset_closes_the_connection_without_an_answer(client: Client) -> None:
    await add_fault(client, action="reset")
    with pytest.raises(aiohttp.ClientConnectionError):
        await client.post(CREATE, json=TEXT_BODY, headers=auth())


async def test_timeout_outlasts_the_clients_own_timeout(client: Client) -> None:
    await add_fault(client, action="timeout", delay_ms=50)
    with pytest.raises(TimeoutError):
        await client.post(
            CREATE, json=TEXT_BODY, headers=auth(), timeout=aiohttp.ClientTimeout(total=0.02)
        )


async def test_timeout_drops_the_connection_after_the_hold(client: Client) -> None:
    await add_fault(client, action="timeout", delay_ms=50)
    started = time.perf_counter()
    with pytest.raises(aiohttp.ClientConnectionError):
        await client.post(
            CREATE, json=TEXT_BODY, headers=auth(), timeout=aiohttp.ClientTimeout(total=5)
        )
    assert time.perf_counter() - started >= 0.05


async def test_malformed_is_a_framed_200_json_answer_that_does_not_parse(client: Client) -> None:
    await add_fault(client, action="malformed")
    response = await client.post(CREATE, json=TEXT_BODY, headers=auth())
    raw = await response.read()
    assert (response.status, response.content_type) == (200, "application/json")
    assert raw.startswith(b"{")
    assert b'"code"' in raw
    with pytest.raises(ValueError, match=r".+"):
        json.loads(raw)


async def test_html_is_a_502_error_page(client: Client) -> None:
    await add_fault(client, action="html")
    response = await client.post(CREATE, json=TEXT_BODY, headers=auth())
    assert (response.status, response.content_type) == (502, "text/html")
    assert "<html" in (await response.text()).lower()


@pytest.mark.parametrize(
    ("rule", "status", "code", "message"),
    [
        ({}, 200, errors.SERVER_ERROR, errors.MSG_INJECTED),
        ({"code": 503, "message": "Down for maintenance."}, 200, 503, "Down for maintenance."),
        ({"code": 503, "message": "Busy.", "http_status": 503}, 503, 503, "Busy."),
        ({"code": 402, "http_status": 418}, 418, 402, errors.MSG_INJECTED),
    ],
)
async def test_error_answers_the_rules_envelope(
    client: Client, rule: dict[str, Any], status: int, code: int, message: str
) -> None:
    await add_fault(client, action="error", **rule)
    assert (status, {"code": code, "message": message, "data": None}) == await post_json(
        client, CREATE, TEXT_BODY
    )


async def test_error_status_http_makes_the_code_the_http_status(make_client: MakeClient) -> None:
    client = await make_client(error_status="http")
    await add_fault(client, action="error", code=503)
    assert await outcome(client) == "503 code 503"


@pytest.mark.parametrize("http_status", [None, 429])
async def test_an_injected_429_carries_retry_after(client: Client, http_status: int | None) -> None:
    rule: dict[str, Any] = {"action": "error", "code": 429}
    if http_status is not None:
        rule["http_status"] = http_status
    await add_fault(client, **rule)
    response = await client.post(CREATE, json=TEXT_BODY, headers=auth())
    assert (await response.json())["code"] == 429
    assert int(response.headers["Retry-After"]) >= 1


@pytest.mark.parametrize(("delay_ms", "at_least"), [(100, 0.1), ([30, 60], 0.03)])
async def test_delay_slows_the_answer_and_it_still_succeeds(
    client: Client, delay_ms: float | list[float], at_least: float
) -> None:
    await add_fault(client, action="delay", delay_ms=delay_ms)
    started = time.perf_counter()
    task_id = await create_ok(client)
    assert time.perf_counter() - started >= at_least
    assert (await check(client, task_id))["data"]["status"] == "pending"


@pytest.mark.parametrize(
    ("rule", "reason", "message"),
    [
        ({}, "injected_failure", None),
        (
            {"failure_reason": "content_policy", "error_message": "The prompt was refused."},
            "content_policy",
            "The prompt was refused.",
        ),
    ],
)
async def test_fail_task_charges_then_fails_at_the_end_and_refunds(
    client: Client, rule: dict[str, Any], reason: str, message: str | None
) -> None:
    await add_fault(client, action="fail_task", **rule)
    task_id = await create_ok(client)
    assert await balance(client) == START - PRICE
    await advance(client, 4.9)
    assert (await check(client, task_id))["data"]["status"] == "running"
    await advance(client, 0.1)
    data = (await check(client, task_id))["data"]
    expected = {
        "status": "failed",
        "progress": 100,
        "failure_reason": reason,
        "error_message": message,
        "credits_refunded": True,
        "result_url": None,
    }
    assert {name: data[name] for name in expected} == expected
    assert data["refund_trans_no"] is not None
    assert await balance(client) == START


@pytest.mark.parametrize(
    ("rule", "seen"),
    [
        ({"action": "error", "code": INJECTED}, f"200 code {INJECTED}"),
        ({"action": "timeout", "delay_ms": 10}, "dropped"),
        ({"action": "reset"}, "dropped"),
        ({"action": "malformed"}, "200 malformed"),
        ({"action": "html"}, "502 html"),
    ],
)
async def test_an_injected_answer_on_create_charges_nothing_and_creates_no_task(
    client: Client, rule: dict[str, Any], seen: str
) -> None:
    await admin(client, "POST", f"/accounts/{KEY}")
    await add_fault(client, times=1, **rule)
    assert seen == await outcome(client)
    assert await balance(client) == START
    assert (await admin(client, "GET", f"/accounts/{KEY}/ledger"))["transactions"] == []
    assert (await admin(client, "GET", "/tasks"))["tasks"] == []
    assert first_task_id("sora-mock", KEY) == await create_ok(client)


# -- which matching requests a rule fires on -------------------------------------------------


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ({}, "XXXXXXXX"),
        ({"every": True}, "XXXXXXXX"),
        ({"every": 3}, "..X..X.."),
        ({"nth": 3}, "..X....."),
        ({"every": 2, "times": 2}, ".X.X...."),
        ({"times": 2}, "XX......"),
        ({"probability": 1}, "XXXXXXXX"),
        ({"probability": 0}, "........"),
    ],
)
async def test_a_rule_fires_on_the_matches_its_selector_picks(
    client: Client, selector: dict[str, Any], expected: str
) -> None:
    await add_fault(client, action="error", code=INJECTED, **selector)
    assert expected == pattern([await injected(client) for _ in range(8)])
    assert [expected.count("X")] == await fired(client)


async def test_the_model_matcher_counts_only_requests_for_that_model(client: Client) -> None:
    await add_fault(client, action="error", code=INJECTED, model=PRO_BODY["model"], nth=2)
    bodies = [TEXT_BODY, PRO_BODY, TEXT_BODY, PRO_BODY, PRO_BODY]
    assert pattern([await injected(client, CREATE, body) for body in bodies]) == "...X."


async def test_body_matchers_skip_a_body_that_is_not_a_json_object(client: Client) -> None:
    await add_fault(client, action="error", code=INJECTED, model=PRO_BODY["model"], nth=1)
    response = await client.post(CREATE, data=b"model=sora-2-pro-text-to-video", headers=auth())
    assert (await response.json())["code"] == errors.BAD_REQUEST
    assert await injected(client, CREATE, PRO_BODY)


async def test_prompt_contains_matches_a_substring_of_the_prompt(client: Client) -> None:
    await add_fault(client, action="error", code=INJECTED, prompt_contains="storm")
    prompts = ["a calm sea", "a storm at sea", "a sunny day", "a stormy night"]
    hits = [await injected(client, CREATE, {**TEXT_BODY, "prompt": p}) for p in prompts]
    assert pattern(hits) == ".X.X"


async def test_the_api_key_matcher_picks_one_keys_requests(client: Client) -> None:
    await add_fault(client, action="error", code=INJECTED, api_key=OTHER_KEY)
    keys = [KEY, OTHER_KEY, KEY, OTHER_KEY]
    assert pattern([await injected(client, key=key) for key in keys]) == ".X.X"


async def test_the_header_matcher_needs_the_header_with_that_value(client: Client) -> None:
    await add_fault(
        client, action="error", code=INJECTED, header={"name": "X-Chaos", "value": "on"}
    )
    sent: list[dict[str, str]] = [{}, {"X-Chaos": "on"}, {"x-chaos": "on"}, {"X-Chaos": "off"}]
    assert pattern([await injected(client, **headers) for headers in sent]) == ".XX."


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        ("create", ["create"]),
        ("check_result", ["check_result"]),
        ("files", ["files"]),
        ("any", ["create", "check_result", "files"]),
    ],
)
async def test_the_route_matcher_picks_one_endpoint(
    client: Client, route: str, expected: list[str]
) -> None:
    await add_fault(client, action="error", code=INJECTED, http_status=INJECTED, route=route)
    statuses = {
        "create": (await client.post(CREATE, json=TEXT_BODY, headers=auth())).status,
        "check_result": (await client.post(CHECK, json={"taskId": "x"}, headers=auth())).status,
        "files": (await client.get("/files/0123456789abcdef0123456789abcdef.mp4")).status,
    }
    assert expected == [name for name, status in statuses.items() if status == INJECTED]


async def test_a_request_counts_even_when_it_is_rejected_after_the_fault_step(
    client: Client,
) -> None:
    await add_fault(client, action="error", code=INJECTED, route="create", nth=2)
    _, unauthenticated = await post_json(client, CREATE, TEXT_BODY, key=None)
    assert unauthenticated["code"] == errors.UNAUTHORIZED
    assert await injected(client, CREATE, TEXT_BODY)


async def test_delay_rules_add_up_and_the_request_goes_on(client: Client) -> None:
    await add_fault(client, action="delay", delay_ms=60)
    await add_fault(client, action="delay", delay_ms=60)
    started = time.perf_counter()
    await create_ok(client)
    assert time.perf_counter() - started >= 0.12
    assert await fired(client) == [1, 1]


async def test_a_delay_before_a_terminal_rule_waits_then_the_rule_answers(client: Client) -> None:
    await add_fault(client, action="delay", delay_ms=50)
    await add_fault(client, action="error", code=INJECTED)
    started = time.perf_counter()
    assert await injected(client)
    assert time.perf_counter() - started >= 0.05
    assert await fired(client) == [1, 1]


async def test_the_first_terminal_rule_decides_and_later_rules_neither_count_nor_fire(
    client: Client,
) -> None:
    await add_fault(client, action="error", code=INJECTED, times=1)
    await add_fault(client, action="error", code=502, nth=1)
    await add_fault(client, action="delay", delay_ms=1)
    codes = [(await post_json(client, CHECK, {"taskId": "x"}))[1]["code"] for _ in range(3)]
    # the nth=1 rule fires on request 2: request 1, answered by the first rule, did not count
    assert codes == [INJECTED, 502, errors.NOT_FOUND]
    assert await fired(client) == [1, 1, 1]


# -- probability: a seeded generator per rule -----------------------------------------------

COIN: Final[dict[str, Any]] = {"action": "error", "code": INJECTED, "probability": 0.5}


async def coin_flips(client: Client) -> str:
    return pattern([await injected(client) for _ in range(40)])


async def test_the_same_seed_and_rules_give_the_same_pattern(make_client: MakeClient) -> None:
    first = await coin_flips(await make_client(seed="alpha", faults=[COIN]))
    second = await coin_flips(await make_client(seed="alpha", faults=[COIN]))
    assert first == second
    assert "X" in first
    assert "." in first


async def test_rules_added_over_the_admin_api_are_seeded_too(make_client: MakeClient) -> None:
    patterns = []
    for _ in range(2):
        client = await make_client(seed="alpha")
        await add_fault(client, **COIN)
        patterns.append(await coin_flips(client))
    assert patterns[0] == patterns[1]


async def test_a_different_seed_gives_a_different_pattern(make_client: MakeClient) -> None:
    alpha = await coin_flips(await make_client(seed="alpha", faults=[COIN]))
    beta = await coin_flips(await make_client(seed="beta", faults=[COIN]))
    assert alpha != beta


async def test_a_reset_replays_the_same_pattern(make_client: MakeClient) -> None:
    client = await make_client(seed="alpha", faults=[COIN])
    before = await coin_flips(client)
    await admin(client, "POST", "/reset")
    assert before == await coin_flips(client)


# -- the X-Sora-Mock-Fault header -------------------------------------------------------------


@pytest.mark.parametrize(("preset", "seen"), PRESET_OUTCOMES)
async def test_each_header_preset_answers_as_named(client: Client, preset: str, seen: str) -> None:
    # the timeout preset holds for 60 s: the client's own timeout is what the test sees
    assert seen == await outcome(client, wait=0.2, headers={FAULT_HEADER: preset})


async def test_the_rate_limited_preset_carries_retry_after(client: Client) -> None:
    response = await client.post(
        CREATE, json=TEXT_BODY, headers={**auth(), FAULT_HEADER: "rate_limited"}
    )
    assert (await response.json())["code"] == 429
    assert int(response.headers["Retry-After"]) >= 1


async def test_an_injected_preset_on_create_charges_nothing(client: Client) -> None:
    await admin(client, "POST", f"/accounts/{KEY}")
    assert await outcome(client, headers={FAULT_HEADER: "insufficient_credits"}) == "200 code 402"
    assert await balance(client) == START
    assert (await admin(client, "GET", "/tasks"))["tasks"] == []


async def test_the_task_failed_preset_fails_the_task_it_creates(client: Client) -> None:
    _, envelope = await post_json(client, CREATE, TEXT_BODY, **{FAULT_HEADER: "task_failed"})
    task_id = envelope["data"]["taskId"]
    await advance(client, 5)
    data = (await check(client, task_id))["data"]
    assert (
        data["status"],
        data["failure_reason"],
        data["credits_refunded"],
    ) == ("failed", "injected_failure", True)
    assert await balance(client) == START


async def test_an_unknown_preset_is_a_400_that_lists_the_valid_ones(client: Client) -> None:
    status, envelope = await post_json(client, CREATE, TEXT_BODY, **{FAULT_HEADER: "explode"})
    assert (status, envelope["code"]) == (200, errors.BAD_REQUEST)
    assert [name for name in PRESET_NAMES if name not in envelope["message"]] == []


async def test_with_the_header_present_no_rule_counts_the_request(client: Client) -> None:
    await add_fault(client, action="error", code=INJECTED, nth=1)
    _, envelope = await post_json(client, CHECK, {"taskId": "x"}, **{FAULT_HEADER: "server_error"})
    assert envelope["code"] == errors.SERVER_ERROR
    assert await fired(client) == [0]
    assert await injected(client)


@pytest.mark.parametrize("preset", ["reset", "server_error", "explode"])
async def test_fault_header_false_ignores_the_header(make_client: MakeClient, preset: str) -> None:
    client = await make_client(fault_header=False)
    assert await outcome(client, headers={FAULT_HEADER: preset}) == "200 code 0"


# -- the admin faults API --------------------------------------------------------------------


async def test_post_answers_201_with_the_stored_rule_and_an_id(client: Client) -> None:
    rule = {"action": "error", "code": INJECTED, "route": "create", "nth": 2, "message": "Down."}
    response = await client.post("/__mock/faults", json=rule)
    stored = await response.json()
    assert response.status == 201
    assert isinstance(stored["id"], str)
    assert stored["id"]
    assert rule == {name: stored[name] for name in rule}
    assert [stored] == await fault_list(client)


@pytest.mark.parametrize(
    ("rule", "named"),
    [
        ({"action": "error", "colour": "red"}, "colour"),
        ({"action": "explode"}, "explode"),
        ({"action": "error", "header": {"name": "X-A", "value": "b", "regex": True}}, "regex"),
    ],
)
async def test_a_rule_with_an_unknown_field_or_action_is_refused(
    client: Client, rule: dict[str, Any], named: str
) -> None:
    response = await client.post("/__mock/faults", json=rule)
    assert response.status == 400
    assert named in (await response.json())["error"]
    assert await fault_list(client) == []


def test_a_config_rule_with_an_unknown_action_stops_start_up() -> None:
    with pytest.raises(ConfigError, match="explode"):
        create_app(faults=[{"action": "explode"}])


async def test_the_listing_says_how_often_each_rule_fired(client: Client) -> None:
    first = await add_fault(client, action="error", code=INJECTED, every=2)
    second = await add_fault(client, action="delay", delay_ms=0)
    for _ in range(5):
        await injected(client)
    assert [(first, 2), (second, 3)] == [(r["id"], r["fired"]) for r in await fault_list(client)]


async def test_delete_removes_one_rule_by_id(client: Client) -> None:
    first = await add_fault(client, action="error", code=INJECTED)
    second = await add_fault(client, action="html")
    response = await client.delete(f"/__mock/faults/{first}")
    assert response.status == 200
    assert [second] == [rule["id"] for rule in await fault_list(client)]
    for unknown in (first, "f999"):
        gone = await client.delete(f"/__mock/faults/{unknown}")
        assert gone.status == 404
        assert "error" in await gone.json()


async def test_delete_all_clears_every_rule(client: Client) -> None:
    await add_fault(client, action="error", code=INJECTED)
    await add_fault(client, action="html")
    response = await client.delete("/__mock/faults")
    assert response.status == 200
    assert await fault_list(client) == []
    assert not await injected(client)


async def test_rules_from_the_settings_come_back_after_a_reset(make_client: MakeClient) -> None:
    client = await make_client(
        faults=[{"action": "error", "code": INJECTED, "route": "check_result"}]
    )
    configured = await fault_list(client)
    assert await injected(client)
    await client.delete("/__mock/faults")
    await add_fault(client, action="html")
    await admin(client, "POST", "/reset")
    assert configured == await fault_list(client)
    assert await fired(client) == [0]
    assert await injected(client)


# -- the example configs under fixtures/faults -----------------------------------------------


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.toml")), ids=lambda p: p.stem)
async def test_each_example_config_loads_and_lists_its_rules(
    make_client: MakeClient, path: Path
) -> None:
    settings = read_file(path)
    client = await make_client(**settings)
    listed = await fault_list(client)
    assert len(settings["faults"]) == len(listed)
    assert [rule["action"] for rule in settings["faults"]] == [rule["action"] for rule in listed]


async def test_the_retry_paths_example_fails_each_create_once_in_turn(
    make_client: MakeClient,
) -> None:
    client = await make_client(**read_file(FIXTURES / "retry_paths.toml"))
    seen = [await outcome(client) for _ in range(5)]
    assert seen == ["200 code 429", "dropped", "200 malformed", "200 code 0", "200 code 0"]
    failing, _ = [task["taskId"] for task in (await admin(client, "GET", "/tasks"))["tasks"]]
    await advance(client, 5)
    assert (await check(client, failing))["data"]["failure_reason"] == "content_policy"


async def test_the_fault_listing_masks_api_keys_and_invents_no_code(
    client: Client,
) -> None:
    await add_fault(client, action="delay", delay_ms=1, api_key=KEY)
    await add_fault(client, action="error", api_key=KEY)
    listed = await fault_list(client)
    assert ["************0001"] * 2 == [rule["api_key"] for rule in listed]
    assert [None, None] == [rule.get("code") for rule in listed]
    assert KEY not in json.dumps(listed)
