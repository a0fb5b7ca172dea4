"""The wheel as a user installs it: a fresh venv outside the source tree, no dev extras."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import serving

REPO = Path(__file__).resolve().parents[2]

DOWNSTREAM = """
import json
import urllib.request


def test_create_through_the_installed_fixture(sora_mock):
    request = urllib.request.Request(
        sora_mock.url + "/api/v1/video/sora-pro",
        data=json.dumps({"model": "sora-2-text-to-video", "prompt": "x"}).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **sora_mock.headers},
    )
    with urllib.request.urlopen(request) as response:
        assert json.loads(response.read())["code"] == 0
    assert sora_mock.balance() == 9900


def test_isolated_from_the_previous_test(sora_mock):
    assert sora_mock.balance() == 10000
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(REPO)],
        check=True,
        capture_output=True,
    )
    return next(dist.glob("sora_mock-*.whl"))


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with the wheel and pytest installed normally; returns its bin/ folder."""
    root = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True)
    pip = [str(root / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, str(wheel), "pytest"], check=True, capture_output=True)
    return root / "bin"


def test_the_wheel_ships_the_video_the_types_and_the_entry_points(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        entry_points = next(n for n in names if n.endswith("entry_points.txt"))
        text = archive.read(entry_points).decode()
    assert {"sora_mock/assets/result.mp4", "sora_mock/py.typed"} <= names
    assert "sora-mock = sora_mock.cli:main" in text
    assert "sora_mock = sora_mock.testing.plugin" in text


@pytest.fixture
def served(venv: Path, tmp_path: Path) -> Iterator[str]:
    with serving([str(venv / "sora-mock")], cwd=tmp_path) as url:
        yield url


def call(url: str, body: object | None = None, method: str = "POST") -> bytes:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        method=method,
        headers={"Authorization": "Bearer sk-installed", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        body_bytes: bytes = response.read()
        return body_bytes


def test_the_installed_command_serves_a_task_and_its_video(served: str) -> None:
    created = json.loads(
        call(f"{served}/api/v1/video/sora-pro", {"model": "sora-2-text-to-video", "prompt": "x"})
    )
    task_id = created["data"]["taskId"]
    call(f"{served}/__mock/clock/advance", {"seconds": 5})
    result = json.loads(call(f"{served}/api/video-generations/check-result", {"taskId": task_id}))
    video = call(result["data"]["result_url"], method="GET")
    assert b"ftyp" == video[4:8]


def test_the_fixture_is_found_by_its_entry_point(venv: Path, tmp_path: Path) -> None:
    (tmp_path / "test_downstream.py").write_text(DOWNSTREAM)
    result = subprocess.run(
        [str(venv / "python"), "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert 0 == result.returncode, result.stdout + result.stderr
    assert "2 passed" in result.stdout
