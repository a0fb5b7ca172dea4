"""What the `sora_mock` fixture costs per test, against a plain session-scoped server.

Both generated files hold the same N tests, each making one create request over urllib. In one
they ask for `sora_mock` (a per-test API key, a reset over HTTP, the server-error check); in
the other for `plain_server`, a sora_mock `MockServer` started once in the generated conftest
and never reset. The server code answering the request is the same, so the wall-time
difference divided by N is the fixture's own cost per test.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from procs import PYTHON, package_dir, pinned

CONFTEST: Final = """\
import json
import urllib.request

import pytest

from {server} import MockServer

BODY = {body}


def create(url, headers):
    request = urllib.request.Request(
        url + "/api/v1/video/sora-pro",
        data=BODY,
        headers={{**headers, "Content-Type": "application/json"}},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert json.loads(response.read())["code"] == 0


@pytest.fixture(scope="session")
def plain_server():
    # port 0, as the fixture's own servers: 8000 (the default) may be taken on a shared machine
    settings = {{
        "clock": "manual", "port": 0, "default_balance": 10**12, "max_concurrent_tasks": 10**9
    }}
    with MockServer(**settings) as server:
        yield server.url
"""

FIXTURE_TEST: Final = """
def test_{n:04d}(sora_mock):
    create(sora_mock.url, sora_mock.headers)
"""

PLAIN_TEST: Final = """
def test_{n:04d}(plain_server):
    create(plain_server, HEADERS)
"""

FILES: Final = {
    "test_fixture.py": ("from conftest import create\n", FIXTURE_TEST),
    "test_plain.py": (
        'from conftest import create\n\nHEADERS = {"Authorization": "Bearer sk-plain"}\n',
        PLAIN_TEST,
    ),
}


@dataclass(frozen=True)
class FixtureCost:
    tests: int
    fixture_seconds: list[float]
    plain_seconds: list[float]

    @property
    def ms_per_test(self) -> float:
        """Best run against best run: noise only ever adds time."""
        return (min(self.fixture_seconds) - min(self.plain_seconds)) / self.tests * 1e3


def write_tests(directory: Path, tests: int, body: bytes) -> None:
    (directory / "conftest.py").write_text(CONFTEST.format(body=repr(body), server=_modules()[0]))
    for name, (head, template) in FILES.items():
        text = head + "".join(template.format(n=n) for n in range(tests))
        (directory / name).write_text(text)


def _modules() -> tuple[str, str]:
    """The modules of MockServer and of the pytest plugin in the package measured (before the
    layout of STYLE.md revision 3 they were `sora_mock.server` and `sora_mock.plugin`)."""
    if (package_dir() / "testing").is_dir():
        return "sora_mock.testing.server", "sora_mock.testing.plugin"
    return "sora_mock.server", "sora_mock.plugin"


def run_pytest(directory: Path, name: str, tests: int, cpu: int | None) -> float:
    # Only sora_mock's plugin: whatever else is installed (hypothesis alone takes ~1.4 s to
    # import) would cost both files the same and only make the difference noisier.
    argv = [
        PYTHON,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-p",
        _modules()[1],
        "-q",
    ]
    argv.append(name)
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    started = time.perf_counter()
    done = subprocess.run(  # noqa: S603 (pytest on the generated files)
        pinned(cpu, argv), cwd=directory, env=env, capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0 or f"{tests} passed" not in done.stdout:
        raise RuntimeError(f"pytest {name} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return seconds


def measure(tests: int, rounds: int, cpu: int | None, body: bytes) -> FixtureCost:
    """`rounds` runs of each file, interleaved so that drift hits both alike."""
    fixture: list[float] = []
    plain: list[float] = []
    with tempfile.TemporaryDirectory(prefix="sora-bench-tests-") as tmp:
        directory = Path(tmp)
        write_tests(directory, tests, body)
        for _ in range(rounds):
            fixture.append(run_pytest(directory, "test_fixture.py", tests, cpu))
            plain.append(run_pytest(directory, "test_plain.py", tests, cpu))
    return FixtureCost(tests, fixture, plain)
