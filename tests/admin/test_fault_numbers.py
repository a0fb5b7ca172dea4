"""A fault rule's numbers as JSON Schema (and /openapi.json) reads them (issue 13): an integer
may be written `35.0`; a boolean or a string is no number, anywhere in a rule."""

from __future__ import annotations

from typing import Any

import pytest

from sora_mock import ConfigError, create_app
from sora_mock.faults import MSG_DELAY_MS, MSG_EVERY

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


async def test_a_rule_with_a_float_count_fires_as_its_integer(client: Client) -> None:
    status, _ = await post_rule(client, {"action": "error", "code": 503, "nth": 2.0, "times": 1.0})
    assert 201 == status
    codes = [(await create(client))["code"] for _ in range(3)]
    assert [0, 503, 0] == codes


@pytest.mark.parametrize(
    ("rule", "named"),
    [
        ({"action": "delay", "delay_ms": [False, 0.0]}, MSG_DELAY_MS),
        ({"action": "delay", "delay_ms": [0, True]}, MSG_DELAY_MS),
        ({"action": "delay", "delay_ms": True}, MSG_DELAY_MS),
        ({"action": "delay", "delay_ms": "100"}, MSG_DELAY_MS),
        ({"action": "delay", "delay_ms": [1, 2, 3]}, MSG_DELAY_MS),
        ({"action": "error", "nth": True}, "nth"),
        ({"action": "error", "times": True}, "times"),
        ({"action": "error", "nth": "3"}, "nth"),
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
async def test_a_boolean_or_a_string_is_not_a_number(
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
