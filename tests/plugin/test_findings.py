"""`findings()` (an extension of F): a test reads what the client report would list for it, at
that moment, through each form of the handle — the blocking `sora_mock`, its `.aio`, and
`sora_mock_app`'s in-process handle."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, Final, NamedTuple

import aiohttp
import pytest
from pytest_aiohttp import AiohttpClient

from sora_mock.core import errors as e
from sora_mock.testing.apphandle import AppFactory
from sora_mock.testing.client import SoraMock
from sora_mock.testing.report import CATEGORIES

from .conftest import POST_SOURCE, run_pytest
from .test_plugin import outcomes

CREATE: Final = "/api/v1/video/sora-pro"
CHECK: Final = "/api/video-generations/check-result"
VIDEO: Final = "/api/v1/video/sora-video"
TEXT: Final = {"model": "sora-2-text-to-video", "prompt": "a fox"}

Body = dict[str, Any]


class Form(NamedTuple):
    """A form of the handle on a fresh mock: a provider request, and the handle's calls
    awaited whichever form they are."""

    send: Callable[[str, Body], Awaitable[Body]]
    findings: Callable[[], Awaitable[dict[str, list[Body]] | None]]
    advance: Callable[[float], Awaitable[float]]


async def post(url: str, headers: dict[str, str], body: Body) -> Body:
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.post(url, json=body) as response,
    ):
        answer: Body = await response.json()
        return answer


def over_http(mock: SoraMock, aio: bool) -> Form:
    async def send(path: str, body: Body) -> Body:
        return await post(mock.url + path, mock.headers, body)

    if aio:
        return Form(send, mock.aio.findings, mock.aio.advance)

    async def findings() -> dict[str, list[Body]] | None:
        return mock.findings()  # its server runs on a thread of its own

    async def advance(seconds: float) -> float:
        return mock.advance(seconds)

    return Form(send, findings, advance)


@pytest.fixture(params=["blocking", "aio", "in_process"])
async def form(request: pytest.FixtureRequest, aiohttp_client: AiohttpClient) -> Form:
    if request.param != "in_process":
        return over_http(request.getfixturevalue("sora_mock"), request.param == "aio")
    factory: AppFactory = request.getfixturevalue("sora_mock_app")
    app = factory()
    handle = factory.handle(app)
    client = await aiohttp_client(app)

    async def send(path: str, body: Body) -> Body:
        async with client.post(path, json=body, headers=handle.headers) as response:
            answer: Body = await response.json()
            return answer

    return Form(send, handle.findings, handle.advance)


def nothing_but(**found: list[Body]) -> dict[str, list[Body]]:
    return {name: found.get(name, []) for name in CATEGORIES}


async def test_a_client_mistake_is_in_the_findings_of_every_form(form: Form) -> None:
    assert 400 == (await form.send(CREATE, {**TEXT, "aspectRatio": "square"}))["code"]
    aspect = e.MSG_ONE_OF.format(field="aspectRatio", choices="portrait, landscape")
    rejected = {
        "route": "create",
        "code": 400,
        "http_status": 200,
        "violations": [{"field": "aspectRatio", "message": aspect}],
    }
    assert nothing_but(rejected=[rejected]) == await form.findings()


async def test_a_correct_clients_exchange_leaves_no_findings(form: Form) -> None:
    """A task is a finding until an answer shows the client it final, not after."""
    assert await form.findings() is None
    task_id = (await form.send(CREATE, TEXT))["data"]["taskId"]
    await form.advance(5)
    never_final = [{"taskId": task_id, "status": "succeeded"}]
    assert nothing_but(never_final=never_final) == await form.findings()
    assert "succeeded" == (await form.send(CHECK, {"taskId": task_id}))["data"]["status"]
    assert await form.findings() is None


SLOPPY_TEST: Final = (
    POST_SOURCE
    + """
import pathlib


def test_sloppy(sora_mock):
    create = "/api/v1/video/sora-pro"
    post(sora_mock, create, {"model": "sora-2-text-to-video", "prompt": "a", "aspectRatio": "x"})
    post(sora_mock, create, {"model": "sora-2-text-to-video", "prompt": "a", "seed": 3})
    sora_mock.set_vip(False)
    video = {"model": "sora-2", "prompt": "a", "isPublic": False}
    hooked = dict(video, webHook=sora_mock.webhook_receiver(status=500).url)
    post(sora_mock, "/api/v1/video/sora-video", hooked)
    sora_mock.advance(5)
    pathlib.Path("seen.json").write_text(json.dumps(sora_mock.findings()))
"""
)


def test_the_report_lists_what_findings_answered_at_the_tests_end(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_sloppy=SLOPPY_TEST)
    result = run_pytest(pytester, "--sora-mock-report=report.json")
    assert {"passed": 1} == outcomes(result)
    seen = json.loads((pytester.path / "seen.json").read_text())
    [test] = json.loads((pytester.path / "report.json").read_text())["tests"]
    assert {"nodeid": "test_sloppy.py::test_sloppy", **seen} == test
    assert {"rejected", "warnings", "dropped_vip", "never_final", "unacknowledged"} == {
        name for name, items in seen.items() if items
    }


@pytest.mark.parametrize(
    ("rule", "status", "listed"),
    [
        ({"action": "drop"}, 200, None),
        ({"action": "error"}, 200, None),  # every attempt an injected error: never sent
        ({"action": "error", "times": 1}, 500, "failed"),  # the retries reached the receiver
        (None, 500, "failed"),
        ({"action": "duplicate"}, 500, "failed"),  # sent twice, acknowledged by neither
    ],
    ids=["dropped", "error-every-attempt", "error-once", "receiver-500", "duplicated"],
)
async def test_a_delivery_the_tests_own_fault_kept_from_the_receiver_is_no_finding(
    sora_mock: SoraMock, rule: Body | None, status: int, listed: str | None
) -> None:
    """Like an injected fault on a request, a delivery that the test's fault rule kept from the
    client's receiver is not the client's doing (F); one the receiver got and did not
    acknowledge is."""
    mock = sora_mock.aio
    receiver = sora_mock.webhook_receiver(status=status)
    if rule is not None:
        await mock.add_fault(route="webhook", **rule)
    body = {"model": "sora-2", "prompt": "a fox", "webHook": receiver.url}
    task_id = (await post(mock.url + VIDEO, mock.headers, body))["data"]["taskId"]
    await mock.advance(60)  # the task's end and every retry (1, 2, 4 s apart)
    checked = await post(mock.url + CHECK, mock.headers, {"taskId": task_id})
    assert "succeeded" == checked["data"]["status"]  # the client has seen it final
    [delivery] = await mock.webhooks()
    expected = None
    if listed is not None:
        unacknowledged = [{"id": delivery["id"], "taskId": task_id, "state": listed}]
        expected = nothing_but(unacknowledged=unacknowledged)
    assert expected == await mock.findings()
