"""The journal and the log lines of a recorded run stay the same, field by field (issue 17).

The sample was recorded before the request path was redesigned for speed; every optimization
since must leave what a user reads back (GET /__mock/requests, the inspector built on it, the
log lines in both formats and both paths) exactly as it was.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from .journal_sample import SAMPLE, record


@pytest.fixture(scope="module")
def recorded() -> dict[str, Any]:
    sample: dict[str, Any] = json.loads(SAMPLE.read_text())
    return sample


@pytest.fixture
async def replayed() -> dict[str, Any]:
    """The sample replayed through the one request path."""
    return await record()


@pytest.mark.parametrize("name", ["journal", "journal_logging"])
async def test_journal_rows_are_as_recorded(
    name: str, recorded: dict[str, Any], replayed: dict[str, Any]
) -> None:
    assert len(recorded[name]) == len(replayed[name])
    for index, (want, got) in enumerate(zip(recorded[name], replayed[name], strict=True)):
        assert list(want) == list(got), f"row {index}: its fields"
        for field, value in want.items():
            assert value == got[field], f"row {index} ({want['method']} {want['path']}): {field}"
            # the same JSON text, so key order and types (1 against 1.0) count too
            assert json.dumps(value) == json.dumps(got[field]), f"row {index}: {field}"


@pytest.mark.parametrize("name", ["log_text", "logging_text"])
async def test_text_log_lines_are_as_recorded(
    name: str, recorded: dict[str, Any], replayed: dict[str, Any]
) -> None:
    assert recorded[name] == replayed[name]


@pytest.mark.parametrize("name", ["log_json", "logging_json"])
async def test_json_log_lines_are_as_recorded(
    name: str, recorded: dict[str, Any], replayed: dict[str, Any]
) -> None:
    assert len(recorded[name]) == len(replayed[name])
    for index, (want, got) in enumerate(zip(recorded[name], replayed[name], strict=True)):
        assert json.dumps(want) == json.dumps(got), f"line {index}"


def test_the_sample_covers_every_kind_of_request(recorded: dict[str, Any]) -> None:
    """A sample that lost its variety would compare nothing: every route, outcome and fault."""
    rows = recorded["journal"]
    assert {"create", "sora_video", "check_result", "credits", "files", "unknown"} == {
        row["route"] for row in rows
    }
    codes = {row["code"] for row in rows}
    assert {0, 400, 401, 402, 404, 405, 413, 429, 500, 503} <= codes
    assert {200, 206, 404, 405, 416, 502, None} <= {row["http_status"] for row in rows}
    assert any(row["fault"] == "preset:reset" for row in rows)
    assert any(row["warnings"] for row in rows)
    assert any(row["normalizations"] for row in rows)
    assert any("…(" in json.dumps(row["body"], ensure_ascii=False) for row in rows)


async def test_answers_are_as_recorded(recorded: dict[str, Any], replayed: dict[str, Any]) -> None:
    """Each request's status, meaningful headers (Allow, Retry-After, ...) and body bytes."""
    assert len(recorded["answers"]) == len(replayed["answers"])
    for index, (want, got) in enumerate(zip(recorded["answers"], replayed["answers"], strict=True)):
        assert want == got, f"answer {index}"
