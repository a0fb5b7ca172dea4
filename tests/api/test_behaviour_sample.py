"""What the mock answers stays as recorded, step by step, through the redesign of its inside.

`fixtures/journal/behaviour.json` was recorded from the code before the redesign (one request
pipeline, one control surface, tasks, deliveries, streams); `behaviour_sample.py` says what each
scenario does and what is normalised. Every step's answer, event, delivery and admin read must
come back the same, field by field and as the same JSON text (key order and 1 against 1.0 count).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from .behaviour_sample import SAMPLE, SCENARIOS, record

Json = dict[str, Any]


@pytest.fixture(scope="module")
def recorded() -> Json:
    sample: Json = json.loads(SAMPLE.read_text())
    return sample


@pytest.fixture(scope="module")
def replayed() -> Json:
    """Every scenario, run once for the module (about four seconds)."""
    return asyncio.run(record())


def _parsed(text: Any) -> Any:
    if not isinstance(text, str) or not text.startswith(("{", "[")):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def difference(want: Any, got: Any, where: str = "") -> str | None:
    """The first place where `got` differs from `want`, said so that a reader can find it."""
    where = where or "."
    if type(want) is not type(got):
        return f"{where}: recorded {want!r}, replayed {got!r}"
    if isinstance(want, dict):
        if list(want) != list(got):
            return f"{where}: keys recorded {list(want)}, replayed {list(got)}"
        for name, value in want.items():
            found = difference(value, got[name], f"{where.rstrip('.')}.{name}")
            if found is not None:
                return found
        return None
    if isinstance(want, list):
        for index, (a, b) in enumerate(zip(want, got, strict=False)):
            found = difference(a, b, f"{where}[{index}]")
            if found is not None:
                return found
        if len(want) != len(got):
            return f"{where}: {len(want)} items recorded, {len(got)} replayed"
        return None
    if want == got:
        return None
    inner_want, inner_got = _parsed(want), _parsed(got)
    if inner_want is not None and inner_got is not None:  # a JSON body: name the field
        found = difference(inner_want, inner_got, f"{where} (JSON)")
        if found is not None:
            return found
    return f"{where}: recorded {want!r}, replayed {got!r}"


def test_the_same_scenarios_under_the_same_settings(recorded: Json) -> None:
    assert list(SCENARIOS) == list(recorded)
    for name, (settings, _) in SCENARIOS.items():
        assert json.dumps(settings) == json.dumps(recorded[name]["settings"]), name


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_step_is_as_recorded(name: str, recorded: Json, replayed: Json) -> None:
    want, got = recorded[name]["steps"], replayed[name]["steps"]
    labels = [step["step"] for step in want]
    assert labels[: len(got)] == [step["step"] for step in got][: len(want)], f"{name}: the steps"
    for index, (a, b) in enumerate(zip(want, got, strict=False)):
        found = difference(a, b)
        assert found is None, f"{name}, step {index} ({a['step']}): {found}"
        # the same JSON text too: what `difference` lets pass (nothing, today) must not slip
        assert json.dumps(a) == json.dumps(b), f"{name}, step {index} ({a['step']})"
    assert len(want) == len(got), f"{name}: {len(want)} steps recorded, {len(got)} replayed"


def _steps(recorded: Json) -> list[Json]:
    return [step for scenario in recorded.values() for step in scenario["steps"]]


def _rows(recorded: Json) -> list[Json]:
    return [
        row
        for step in _steps(recorded)
        if step["step"].endswith(": requests")
        for row in step["json"]["requests"]
    ]


def test_the_sample_covers_what_the_redesign_moves(recorded: Json) -> None:
    """A sample that lost its variety would compare nothing: the brief's list, checked."""
    steps = _steps(recorded)
    rules = [
        s["json"]
        for s in steps
        if s.get("request", {}).get("path") == "/__mock/faults" and s.get("status") == 201
    ]
    actions = {rule["action"] for rule in rules}
    assert {
        "error",
        "delay",
        "timeout",
        "reset",
        "malformed",
        "html",
        "fail_task",
        "cancel_task",
        "drop",
        "duplicate",
    } == actions
    for selector in ("every", "nth", "probability", "times"):
        assert any(selector in rule for rule in rules), selector
    for matcher in ("model", "api_key", "prompt_contains", "header"):
        assert any(matcher in rule for rule in rules), matcher
    routes = {rule["route"] for rule in rules}
    assert {"create", "sora_video", "check_result", "credits", "files", "webhook", "any"} == routes
    answers = [s["answer"] for s in steps if "answer" in s]
    assert None in answers  # reset and timeout drop the connection
    statuses = {a["status"] for a in answers if a is not None}
    assert {200, 206, 400, 401, 404, 405, 413, 416, 418, 429, 500, 502, 503} <= statuses
    assert any("Retry-After" in a["headers"] for a in answers if a is not None)
    deliveries = [
        d
        for s in steps
        if s.get("request", {}).get("path", "").startswith("/__mock/webhooks")
        and isinstance(s.get("json"), dict)
        for d in s["json"].get("webhooks", [])
    ]
    states = {d["state"] for d in deliveries}
    assert {"pending", "delivered", "failed", "refused", "dropped"} == states
    assert {"succeeded", "failed", "cancelled"} <= {d["event"] for d in deliveries}
    assert any(len(s["received"]) > 1 for s in steps if "received" in s)
    assert sum(1 for s in steps if "event" in s) >= 10  # the stream, read as the clock moves
    rows = _rows(recorded)
    variants = {(point, form) for row in rows for point, form in row["variant"].items()}
    assert {
        ("message", "Success"),
        ("create_id", "id"),
        ("create_id", "taskId"),
        ("create_id", "union"),
        ("validation_code", "-1"),
        ("check_status", "http"),
        ("failure_reason", "null"),
        ("error_data", "absent"),
        ("task_scope", "any"),
    } <= variants
    assert any(row["warnings"] for row in rows)
    assert any(row["normalizations"] for row in rows)
    assert any(len(row["violations"]) > 1 for row in rows)
    admin = {s["status"] for s in steps if "status" in s}
    assert {200, 201, 400, 401, 404, 405, 409} <= admin
