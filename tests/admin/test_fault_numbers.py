"""A fault rule's numbers as JSON Schema (and /openapi.json) reads them (issue 13): an integer
may be written `35.0`; a boolean is no number, anywhere in a rule. A whole number may also be a
string of ASCII digits, as a setting may (issue 23: `code = "503"` as `port = "8001"`); any other
string is refused, naming the field."""

from __future__ import annotations

from typing import Any

import pytest

from sora_mock import ConfigError, create_app
from sora_mock.faults.actions import MSG_DELAY_MS, MSG_EVERY

from ..helpers import Client, create


async def post_rule(client: Client, rule: dict[str, Any]) -> tuple[int, Any]:
    response = await client.post("/__mock/faults", json=rule)
    return response.status, await response.json()


async def rules(client: Client) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = (await (await client.get("/__mock/faults")).json())["faults"]
    return listed


@pytest.mark.parametrize(
    ("rule", "stored"),
    [
        ({"action": "error", "nth": 1499.0, "times": 35.0}, {"nth": 1499, "times": 35}),
        ({"action": "error", "every": 2.0}, {"every": 2}),
        ({"action": "error", "every": 1.0}, {"every": 1}),
        (
            {"action": "error", "code": 503.0, "http_status": 502.0},
            {"code": 503, "http_status": 502},
        ),
        ({"action": "delay", "delay_ms": [1, 2.5]}, {"delay_ms": [1.0, 2.5]}),
        ({"action": "error", "probability": 1}, {"probability": 1.0}),
    ],
    ids=["nth-times", "every-2.0", "every-1.0", "code-status", "delay-range", "probability-1"],
)
async def test_whole_number_floats_are_integers(
    client: Client, rule: dict[str, Any], stored: dict[str, Any]
) -> None:
    status, body = await post_rule(client, rule)
    assert 201 == status, body
    assert stored == {name: body[name] for name in stored}
    assert all(type(body[name]) is type(value) for name, value in stored.items())


@pytest.mark.parametrize(
    ("rule", "stored"),
    [
        (
            {"action": "error", "code": "503", "http_status": "502"},
            {"code": 503, "http_status": 502},
        ),
        ({"action": "error", "nth": "0002", "times": "35"}, {"nth": 2, "times": 35}),
        ({"action": "error", "every": "3"}, {"every": 3}),
        ({"action": "delay", "delay_ms": "250"}, {"delay_ms": 250.0}),
        ({"action": "delay", "delay_ms": ["100", 200.5]}, {"delay_ms": [100.0, 200.5]}),
    ],
    ids=["code-status", "nth-times", "every", "delay", "delay-range"],
)
async def test_a_string_of_digits_is_a_whole_number(
    client: Client, rule: dict[str, Any], stored: dict[str, Any]
) -> None:
    status, body = await post_rule(client, rule)
    assert 201 == status, body
    assert stored == {name: body[name] for name in stored}
    assert all(type(body[name]) is type(value) for name, value in stored.items())


@pytest.mark.parametrize(
    "numbers",
    [{"code": 503, "nth": 2.0, "times": 1.0}, {"code": "503", "nth": "2", "times": "1"}],
    ids=["floats", "digit-strings"],
)
async def test_a_rule_with_written_numbers_fires_as_their_integers(
    client: Client, numbers: dict[str, Any]
) -> None:
    status, _ = await post_rule(client, {"action": "error", **numbers})
    assert 201 == status
    codes = [(await create(client))["code"] for _ in range(3)]
    assert [0, 503, 0] == codes


@pytest.mark.parametrize(
    ("rule", "named"),
    [
        ({"action": "delay", "delay_ms": [False, 0.0]}, MSG_DELAY_MS),
        ({"action": "delay", "delay_ms": [0, True]}, MSG_DELAY_MS),
        ({"action": "delay", "delay_ms": True}, MSG_DELAY_MS),
        ({"action": "delay", "delay_ms": "2.5"}, MSG_DELAY_MS),
        ({"action": "delay", "delay_ms": ["1", "2 "]}, MSG_DELAY_MS),
        ({"action": "delay", "delay_ms": [1, 2, 3]}, MSG_DELAY_MS),
        ({"action": "error", "nth": True}, "nth"),
        ({"action": "error", "times": True}, "times"),
        ({"action": "error", "nth": " 3"}, "nth"),
        ({"action": "error", "nth": "3rd"}, "nth"),
        ({"action": "error", "times": "1_000"}, "times"),
        ({"action": "error", "code": "+503"}, "code"),
        ({"action": "error", "code": "503.0"}, "code"),
        ({"action": "error", "code": ""}, "code"),
        ({"action": "error", "http_status": "\u0665\u0660\u0663"}, "http_status"),
        ({"action": "error", "every": "2nd"}, MSG_EVERY),
        ({"action": "error", "nth": 2.5}, "nth"),
        ({"action": "error", "code": True}, "code"),
        ({"action": "error", "http_status": False}, "http_status"),
        ({"action": "error", "probability": True}, "probability"),
        ({"action": "error", "probability": "0.5"}, "probability"),
        ({"action": "error", "every": False}, MSG_EVERY),
        ({"action": "error", "every": "true"}, MSG_EVERY),
        ({"action": "error", "every": 1.5}, MSG_EVERY),
    ],
    ids=str,
)
async def test_a_boolean_or_a_string_other_than_digits_is_not_a_number(
    client: Client, rule: dict[str, Any], named: str
) -> None:
    status, body = await post_rule(client, rule)
    assert 400 == status
    assert named in body["error"]
    assert [] == await rules(client)


def test_a_config_rule_with_a_boolean_delay_stops_start_up() -> None:
    with pytest.raises(ConfigError, match="delay_ms"):
        create_app(faults=[{"action": "delay", "delay_ms": [False, 0.0]}])


async def test_the_document_says_every_is_true_or_an_integer(client: Client) -> None:
    document = await (await client.get("/openapi.json")).json()
    every = document["components"]["schemas"]["FaultRule"]["properties"]["every"]
    assert {"const": True} in every["anyOf"]
    assert {"type": "boolean"} not in every["anyOf"]
