"""The pytest plugin as a user meets it: a test file that only asks for `sora_mock`."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from .conftest import POST_SOURCE, run_pytest, serving

DOWNSTREAM = """
import json
import urllib.request

import pytest

BODY = {"model": "sora-2-text-to-video", "prompt": "a fox"}


def post(mock, path, body, **headers):
    request = urllib.request.Request(
        mock.url + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **mock.headers, **headers},
    )
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def create(mock):
    return post(mock, "/api/v1/video/sora-pro", BODY)


def check(mock, task_id):
    return post(mock, "/api/video-generations/check-result", {"taskId": task_id})["data"]


def test_create_charges_my_key(sora_mock):
    assert create(sora_mock)["code"] == 0
    assert sora_mock.balance() == 9900


def test_balance_set_here(sora_mock):
    sora_mock.set_balance(5)
    assert create(sora_mock)["code"] == 402


def test_balance_is_fresh_here(sora_mock):
    assert sora_mock.balance() == 10000
    assert sora_mock.tasks() == []
    assert sora_mock.requests() == []


def test_fault_scoped_to_my_key(sora_mock):
    sora_mock.add_fault(action="error", code=503, route="create", times=1)
    assert create(sora_mock)["code"] == 503
    assert create(sora_mock)["code"] == 0


def test_fault_is_gone_here(sora_mock):
    assert sora_mock.faults() == []
    assert create(sora_mock)["code"] == 0


def test_task_lifecycle_and_refund(sora_mock):
    task_id = create(sora_mock)["data"]["taskId"]
    sora_mock.fail(task_id, failure_reason="nsfw")
    data = check(sora_mock, task_id)
    assert (data["status"], data["failure_reason"], data["credits_refunded"]) == (
        "failed", "nsfw", True
    )
    assert sora_mock.balance() == 10000


def test_reset_restores_my_key(sora_mock):
    sora_mock.set_balance(3)
    sora_mock.add_fault(action="error", code=500)
    sora_mock.reset()
    assert sora_mock.balance() == 10000
    assert create(sora_mock)["code"] == 0


def test_journal_is_mine(sora_mock):
    create(sora_mock)
    rows = sora_mock.requests(route="create")
    assert [row["code"] for row in rows] == [0]
    assert sora_mock.api_key not in json.dumps(rows)


def test_cancel_ends_a_task_refunded(sora_mock):
    task_id = create(sora_mock)["data"]["taskId"]
    task = sora_mock.cancel(task_id, failure_reason="user")
    assert (task["status"], task["failure_reason"]) == ("cancelled", "user")
    assert check(sora_mock, task_id)["credits_refunded"] is True
    assert sora_mock.balance() == 10000


def test_set_vip_keeps_a_private_video_until_reset(sora_mock):
    assert sora_mock.set_vip() is True
    reply = post(sora_mock, "/api/v1/video/sora-pro", dict(BODY, isPublic=False))
    assert sora_mock.task(reply["data"]["taskId"])["params"]["isPublic"] is False
    assert sora_mock.set_vip(False) is False
    assert sora_mock.set_vip(True) is True
    sora_mock.reset()
    assert post(sora_mock, "/api/get-user-credits", {})["data"] == {
        "left_credits": 10000, "is_vip": False
    }
"""
# the server's clock is one for every test that shares it: a test that moves it can finish
# another run's tasks, so two runs at once on one server share DOWNSTREAM_SHARED only
DOWNSTREAM_SHARED = DOWNSTREAM
DOWNSTREAM += """

def test_advance_finishes_a_task(sora_mock):
    task_id = create(sora_mock)["data"]["taskId"]
    sora_mock.advance(5)
    assert check(sora_mock, task_id)["status"] == "succeeded"
"""


MARKED = (
    POST_SOURCE
    + """
import pytest


@pytest.mark.sora_mock(clock="poll")
def test_poll_clock(sora_mock):
    task_id = post(sora_mock, "/api/v1/video/sora-pro",
                   {"model": "sora-2-text-to-video", "prompt": "x"})["data"]["taskId"]
    seen = [post(sora_mock, "/api/video-generations/check-result", {"taskId": task_id})
            ["data"]["status"] for _ in range(3)]
    assert seen == ["pending", "running", "succeeded"]


@pytest.mark.sora_mock(strict=True)
def test_strict(sora_mock):
    reply = post(sora_mock, "/api/v1/video/sora-pro",
                 {"model": "sora-2-text-to-video", "prompt": "x", "extra": 1})
    assert reply["code"] == 400


def test_default_is_not_strict(sora_mock):
    reply = post(sora_mock, "/api/v1/video/sora-pro",
                 {"model": "sora-2-text-to-video", "prompt": "x", "extra": 1})
    assert reply["code"] == 0
"""
)


def outcomes(result: pytest.RunResult) -> dict[str, int]:
    return {
        k: v
        for k, v in result.parseoutcomes().items()
        if k in ("passed", "failed", "errors", "skipped")
    }


def test_a_downstream_file_passes_with_only_the_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_downstream=DOWNSTREAM)
    result = run_pytest(pytester)
    assert {"passed": 11} == outcomes(result)


def test_a_downstream_file_passes_under_xdist(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_downstream=DOWNSTREAM)
    result = run_pytest(pytester, "-n", "2")
    assert {"passed": 11} == outcomes(result)


def test_the_marker_gives_a_server_with_those_settings(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_marked=MARKED)
    result = run_pytest(pytester, "--strict-markers")
    assert {"passed": 3} == outcomes(result)


def test_the_marker_is_registered_with_help(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.sora_mock(**settings)*"])


def test_an_exception_in_the_server_fails_the_test_that_caused_it(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        test_boom="""
import json
import urllib.error
import urllib.request

from sora_mock.sim.simulator import Simulator


def test_boom(sora_mock, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("the simulator broke")

    monkeypatch.setattr(Simulator, "check_result", boom)
    request = urllib.request.Request(
        sora_mock.url + "/api/video-generations/check-result",
        data=json.dumps({"taskId": "x"}).encode(), method="POST", headers=sora_mock.headers,
    )
    try:
        urllib.request.urlopen(request)
    except urllib.error.HTTPError as exc:
        assert exc.code == 500


def test_after_boom_is_fine(sora_mock):
    assert sora_mock.balance() == 10000
"""
    )
    result = run_pytest(pytester)
    assert {"passed": 2, "errors": 1} == outcomes(result)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_boom*", "*the simulator broke*"])


def test_sora_mock_app_serves_aiohttp_client(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_app="""
async def test_app(aiohttp_client, sora_mock_app):
    client = await aiohttp_client(sora_mock_app(default_balance=7))
    response = await client.post(
        "/api/v1/video/sora-pro",
        json={"model": "sora-2-text-to-video", "prompt": "x"},
        headers={"Authorization": "Bearer sk-abc"},
    )
    assert (await response.json())["code"] == 402
"""
    )
    result = run_pytest(pytester, "-o", "asyncio_mode=auto")
    assert {"passed": 1} == outcomes(result)


@pytest.fixture
def running_mock() -> Iterator[str]:
    """A separately started `sora-mock --port 0`, as a container or a dev server would be."""
    with serving([sys.executable, "-m", "sora_mock"]) as url:
        yield url


def test_two_parallel_runs_share_one_running_server(
    pytester: pytest.Pytester, running_mock: str
) -> None:
    pytester.makepyfile(test_downstream=DOWNSTREAM_SHARED, test_marked=MARKED)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q"]
    command += ["--sora-mock-url", running_mock, "-rs"]
    runs = [
        subprocess.Popen(
            command, cwd=pytester.path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for _ in range(2)
    ]
    for run in runs:
        output, _ = run.communicate(timeout=120)
        assert 0 == run.returncode, output
        # the marked tests need a server of their own: skipped with a reason
        assert "11 passed, 2 skipped" in output, output
        assert "needs a server of its own" in output


def test_sora_mock_url_comes_from_the_environment_too(
    pytester: pytest.Pytester, running_mock: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_downstream=DOWNSTREAM)
    monkeypatch.setenv("SORA_MOCK_URL", running_mock)
    result = run_pytest(pytester)
    assert {"passed": 11} == outcomes(result)
