"""Where `--sora-mock-report` writes (CONTRACT F1, issue 23): only after `=`, and never over a
file it did not write. A word after the bare option stays a test path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

import pytest

from sora_mock.testing.plugin import MSG_REPORT_IS_DIR, MSG_REPORT_NO_FOLDER, MSG_REPORT_NOT_OURS
from sora_mock.testing.report import GENERATOR, TITLE, written_here

from .conftest import run_pytest
from .test_plugin import outcomes
from .test_report import SLOPPY

# collected only if the word after the option is not taken as the one test path
NOT_SELECTED: Final = """
def test_not_selected():
    raise AssertionError("only the file named on the command line was to run")
"""
USER_FILE: Final = b'{"results": [1, 2, 3]}\n'


@pytest.mark.parametrize("where", ["command line", "addopts"])
def test_a_bare_option_leaves_the_next_word_a_test_path(
    pytester: pytest.Pytester, where: str
) -> None:
    test_file = pytester.makepyfile(test_sloppy=SLOPPY)
    pytester.makepyfile(test_other=NOT_SELECTED)
    before = test_file.read_bytes()
    if where == "addopts":
        pytester.makeini("[pytest]\naddopts = --sora-mock-report\n")
        result = run_pytest(pytester, "test_sloppy.py")
    else:
        result = run_pytest(pytester, "--sora-mock-report", "test_sloppy.py")
    assert before == test_file.read_bytes()
    assert {"passed": 2} == outcomes(result)
    assert TITLE in result.stdout.str()
    assert "-- JSON:" not in result.stdout.str()


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("somedir", MSG_REPORT_IS_DIR),
        ("user.json", MSG_REPORT_NOT_OURS),
        ("test_sloppy.py", MSG_REPORT_NOT_OURS),
        ("missing/report.json", MSG_REPORT_NO_FOLDER),
    ],
)
def test_a_path_the_report_must_not_write_is_a_usage_error_naming_it(
    pytester: pytest.Pytester, path: str, message: str
) -> None:
    test_file = pytester.makepyfile(test_sloppy=SLOPPY)
    (pytester.path / "somedir").mkdir()
    user_file = pytester.path / "user.json"
    user_file.write_bytes(USER_FILE)
    before = test_file.read_bytes()
    result = run_pytest(pytester, f"--sora-mock-report={path}")
    assert pytest.ExitCode.USAGE_ERROR == result.ret
    expected = message.format(option="--sora-mock-report", path=path, folder="missing")
    assert [f"ERROR: {expected}"] == [line for line in result.stderr.lines if line.strip()]
    assert "passed" not in result.stdout.str()  # no test ran
    assert (USER_FILE, before) == (user_file.read_bytes(), test_file.read_bytes())


def test_a_report_the_plugin_wrote_before_is_written_over(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_sloppy=SLOPPY)
    report = pytester.path / "report.json"
    first = run_pytest(pytester, "--sora-mock-report=report.json")
    assert {"passed": 2} == outcomes(first)
    assert GENERATOR == json.loads(report.read_text())["generator"]
    pytester.makepyfile(test_again=SLOPPY)
    again = run_pytest(pytester, "--sora-mock-report=report.json")
    assert {"passed": 4} == outcomes(again)
    written = json.loads(report.read_text())
    assert GENERATOR == written["generator"]
    assert ["test_again.py::test_sloppy", "test_sloppy.py::test_sloppy"] == sorted(
        test["nodeid"] for test in written["tests"]
    )


def test_the_generator_mark_alone_tells_a_report_apart(tmp_path: Path) -> None:
    """A file that merely looks like a report (same keys, no mark) is still the user's."""
    lookalike = tmp_path / "lookalike.json"
    lookalike.write_text(json.dumps({"tests": [], "totals": {"tests": 0}}))
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00")
    ours = tmp_path / "ours.json"
    ours.write_text(json.dumps({"generator": GENERATOR, "tests": []}))
    assert (False, False, True) == tuple(map(written_here, (lookalike, binary, ours)))
