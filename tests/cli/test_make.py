"""The Makefile's two commands (issue 13): `make run` installs the server alone; `make test`
adds the test tools. Each install is done once (a stamp per extra)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Final

import pytest

REPO: Final = Path(__file__).parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def dry_run(target: str, venv: Path) -> list[str]:
    """The commands `make TARGET` would run for a fresh venv at `venv` (make -n runs nothing)."""
    result = subprocess.run(
        ["make", "-n", "-C", str(REPO), target, f"VENV={venv}"],  # noqa: S607 (make from PATH)
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return result.stdout.splitlines()


def installs(lines: list[str]) -> list[str]:
    return [
        line.split("install --quiet ", 1)[1] for line in lines if "pip install --quiet -e" in line
    ]


def test_make_run_installs_the_runtime_alone(tmp_path: Path) -> None:
    # the runtime and uvloop, which the server uses when present; no test tools
    assert ["-e '.[fast]'"] == installs(dry_run("run", tmp_path / "venv"))


def test_make_test_installs_the_test_extra(tmp_path: Path) -> None:
    assert ["-e '.[test,fast]'"] == installs(dry_run("test", tmp_path / "venv"))


def test_make_dist_builds_without_the_test_tools(tmp_path: Path) -> None:
    lines = dry_run("dist", tmp_path / "venv")
    assert ["-e '.[dist]'"] == installs(lines)
    assert any("-m build" in line for line in lines)
