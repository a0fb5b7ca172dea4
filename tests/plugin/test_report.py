"""`--sora-mock-report`: what the mock noticed about the client, per test (CONTRACT F)."""

from __future__ import annotations

import json
import re
from typing import Any, Final

import pytest

from sora_mock.core import errors as e
from sora_mock.testing.report import CATEGORIES, TITLE

from .conftest import POST_SOURCE, run_pytest
from .test_plugin import outcomes

TEXT_MODEL: Final = "sora-2-text-to-video"
HEADER = (
    POST_SOURCE
    + """
CREATE = "/api/v1/video/sora-pro"
CHECK = "/api/video-generations/check-result"


def create(mock, **fields):
    return post(mock, CREATE, {"model": "sora-2-text-to-video", "prompt": "a fox", **fields})
"""
)
SLOPPY_TEST = """
def test_sloppy(sora_mock):
    assert create(sora_mock, aspectRatio="square")["code"] == 400
    first = create(sora_mock, size="high")["data"]["taskId"]
    create(sora_mock, size="high")
    create(sora_mock, nFrames=12, seed=3, isPublic=False)
    sora_mock.advance(5)
    assert post(sora_mock, CHECK, {"taskId": first})["data"]["status"] == "succeeded"
"""
CLEAN_TEST = """
def test_clean(sora_mock):
    task_id = create(sora_mock)["data"]["taskId"]
    sora_mock.advance(5)
    assert post(sora_mock, CHECK, {"taskId": task_id})["data"]["status"] == "succeeded"
"""
SLOPPY = HEADER + SLOPPY_TEST + CLEAN_TEST

TASK_LINE: Final = re.compile(
    r"  task [0-9a-f]{32}: created, never seen final \(status succeeded when the test ended\)"
)


def expected_lines() -> list[str]:
    """The sloppy test's block, as the report must print it (task lines checked apart)."""
    aspect = e.MSG_ONE_OF.format(field="aspectRatio", choices="portrait, landscape")
    size = e.WARN_NOT_APPLICABLE.format(field="size", model=TEXT_MODEL)
    return [
        "test_sloppy.py::test_sloppy",
        f"  create: rejected (code 400): {aspect}",
        f"  create: warning: {size} (2 times)",
        f"  create: warning: {e.WARN_UNKNOWN_FIELD.format(field='seed')}",
        f"  create: dropped: {e.WARN_VIP_PUBLIC}",
        f"  create: normalized: {e.NORM_NFRAMES.format(given=12, value=10, model=TEXT_MODEL)}",
    ]


def report_section(stdout: str) -> list[str]:
    """The lines under the report's title, up to the next section or the final summary."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if TITLE in line)
    rest = lines[start + 1 :]
    end = next((i for i, line in enumerate(rest) if line.startswith("=")), len(rest))
    return rest[:end]


@pytest.mark.parametrize("workers", [(), ("-n", "2")], ids=["in-process", "xdist"])
def test_the_report_prints_each_tests_findings_grouped_and_short(
    pytester: pytest.Pytester, workers: tuple[str, ...]
) -> None:
    pytester.makepyfile(test_sloppy=SLOPPY)
    result = run_pytest(pytester, "--sora-mock-report", *workers)
    assert {"passed": 2} == outcomes(result)
    section = report_section(result.stdout.str())
    assert expected_lines() == section[:6]
    assert 2 == sum(1 for line in section if TASK_LINE.fullmatch(line))
    assert ["", "-- 8 findings in 1 test"] == section[8:10]
    assert "test_clean" not in "\n".join(section)


def test_without_the_option_nothing_is_printed_or_collected(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_sloppy=SLOPPY)
    pytester.makeconftest(
        """
from sora_mock.testing import report


def boom(handle):
    raise AssertionError("the report was collected without the option")


report.collect = boom
"""
    )
    # a subprocess: the conftest replaces a module's function, which must not outlive the run
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert {"passed": 2} == outcomes(result)
    assert TITLE not in result.stdout.str()


def test_the_report_is_written_as_json_for_ci(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_sloppy=SLOPPY)
    result = run_pytest(pytester, "--sora-mock-report=report.json")
    assert {"passed": 2} == outcomes(result)
    result.stdout.fnmatch_lines(["-- JSON: report.json"])
    written: dict[str, Any] = json.loads((pytester.path / "report.json").read_text())
    [test] = written["tests"]
    assert "test_sloppy.py::test_sloppy" == test["nodeid"]
    assert set(CATEGORIES) == set(test) - {"nodeid"}
    assert [
        {
            "route": "create",
            "code": 400,
            "http_status": 200,
            "violations": [
                {
                    "field": "aspectRatio",
                    "message": e.MSG_ONE_OF.format(
                        field="aspectRatio", choices="portrait, landscape"
                    ),
                }
            ],
        }
    ] == test["rejected"]
    assert 3 == len(test["warnings"])
    assert [{"route": "create", "message": e.WARN_VIP_PUBLIC}] == test["dropped_vip"]
    assert [] == test["unacknowledged"]
    assert {"succeeded"} == {task["status"] for task in test["never_final"]}
    assert {
        "tests": 1,
        "rejected": 1,
        "warnings": 3,
        "dropped_vip": 1,
        "normalizations": 1,
        "never_final": 2,
    } == {k: v for k, v in written["totals"].items() if v}


def test_a_session_without_findings_prints_no_report(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_clean=HEADER + CLEAN_TEST)
    result = run_pytest(pytester, "--sora-mock-report")
    assert {"passed": 1} == outcomes(result)
    assert TITLE not in result.stdout.str()


DOCUMENTED_FORMS_TEST = """
def test_documented_forms(sora_mock):
    create(sora_mock, nFrames="10")
    create(sora_mock, nFrames=12)
    video = {"model": "sora-2", "prompt": "a fox", "duration": "10"}
    assert post(sora_mock, "/api/v1/video/sora-video", video)["code"] == 0
    # the journal keeps all three normalizations
    assert 3 == sum(len(row["normalizations"]) for row in sora_mock.requests())
"""


def test_a_documented_input_form_is_no_finding(pytester: pytest.Pytester) -> None:
    """nFrames "10" and duration "10", the provider's own examples' form, change no meaning;
    nFrames 12 read as 10 does, and is the one normalization reported (CONTRACT F1)."""
    pytester.makepyfile(test_forms=HEADER + DOCUMENTED_FORMS_TEST)
    result = run_pytest(pytester, "--sora-mock-report=report.json")
    assert {"passed": 1} == outcomes(result)
    normalized = e.NORM_NFRAMES.format(given=12, value=10, model=TEXT_MODEL)
    section = report_section(result.stdout.str())
    assert [f"  create: normalized: {normalized}"] == [
        line for line in section if "normalized" in line
    ]
    [test] = json.loads((pytester.path / "report.json").read_text())["tests"]
    assert [{"route": "create", "message": normalized}] == test["normalizations"]
