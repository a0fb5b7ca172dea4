"""The client report and the sibling route (F): a final stream event or an acknowledged
webhook shows the client its task final; a delivery never acknowledged is listed."""

from __future__ import annotations

import re

import pytest

from .conftest import run_pytest
from .test_plugin import outcomes
from .test_report import report_section

TESTS = """
import json
import urllib.request


def create(mock, **fields):
    body = {"model": "sora-2", "prompt": "a fox", **fields}
    request = urllib.request.Request(
        mock.url + "/api/v1/video/sora-video", data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", **mock.headers},
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())["data"]["taskId"]


def test_acknowledged(sora_mock):
    create(sora_mock, webHook=sora_mock.webhook_receiver().url)
    sora_mock.advance(5)


def test_unacknowledged(sora_mock):
    sora_mock.webhook_receiver(status=500)
    task_id = create(sora_mock, webHook=sora_mock.webhook_receiver().url)
    sora_mock.advance(5)
    print("TASK", task_id)
"""


def test_an_unacknowledged_delivery_is_listed_and_an_acknowledged_one_is_not(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_hooks=TESTS)
    result = run_pytest(pytester, "-s", "--sora-mock-report")
    assert {"passed": 2} == outcomes(result)
    stdout = result.stdout.str()
    found = re.search(r"TASK ([0-9a-f]{32})", stdout)
    assert found is not None, stdout
    task_id = found.group(1)
    section = report_section(stdout)
    assert "test_acknowledged" not in "\n".join(section)
    assert "test_hooks.py::test_unacknowledged" in section
    assert f"  delivery wh_00000001 of task {task_id}: not acknowledged (pending)" in section
