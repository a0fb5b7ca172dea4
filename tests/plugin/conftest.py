from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Final

import pytest

# the provider request of the test files these tests give pytester (each file begins with it)
POST_SOURCE: Final = """
import json
import urllib.request


def post(mock, path, body):
    request = urllib.request.Request(
        mock.url + path, data=json.dumps(body).encode(), method="POST",
        headers={"Content-Type": "application/json", **mock.headers},
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())
"""


def run_pytest(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """A pytest run of pytester's files in this process, the plugin loaded from its entry point
    as in any run: a usage error, a report or a stopped session reads the same as in a
    subprocess, at a tenth of its cost. A run with xdist's workers (`-n`) is a subprocess: in
    process, what the workers write to stderr would miss the result. A run that must not share
    this process (its stdout handles, its exit) keeps `runpytest_subprocess`."""
    # pytest-asyncio warns on every run that leaves its loop scope unset
    scope = ("-o", "asyncio_default_fixture_loop_scope=function")
    run = pytester.runpytest_subprocess if "-n" in args else pytester.runpytest_inprocess
    return run("-p", "no:cacheprovider", *scope, *args)


@contextmanager
def serving(command: Sequence[str], cwd: Path | None = None) -> Iterator[str]:
    """A `sora-mock ... --port 0` process; yields the URL of its listening line, then stops it
    with SIGTERM and checks that it exits 0."""
    proc = subprocess.Popen(
        [*command, "--port", "0", "--clock", "manual"],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "http://127.0.0.1:" in line, line
        yield line.split()[-1]
    finally:
        proc.terminate()
    assert 0 == proc.wait(timeout=10)
