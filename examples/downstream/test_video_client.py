"""The client's tests, against sora-mock through its `sora_mock` fixture and nothing else.

No test sleeps: the client gets a `FakeSleep` that records each delay it asks for and, where a
test wants waiting to pass time, moves the mock's manual clock on by that delay instead.
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

import pytest
from video_client import (
    ApiError,
    BadRequest,
    InsufficientCredits,
    RateLimited,
    RetriesExhausted,
    ServerError,
    TaskFailed,
    Unauthorized,
    VideoClient,
    WaitTimeout,
)

from sora_mock.testing.client import SoraMock

MODEL: Final = "sora-2-text-to-video"
PROMPT: Final = "A paper boat drifting down a rain-soaked street at golden hour"
PRICE: Final = 100  # CONTRACT B1: sora-2 text-to-video, 10 frames (the model's default)
START: Final = 10_000  # the fixture opens each test's key at default_balance
POLL: Final = 2.0  # the client's poll interval in these tests
BACKOFF: Final = 0.25  # its first retry delay; then 0.5, 1.0, ...
TASK_SECONDS: Final = 5.0  # queue_seconds 1 + run_seconds 4 (B3 defaults)


class FakeSleep:
    """Stands in for `asyncio.sleep`: records each delay; with a mock, moves its clock on."""

    def __init__(self, mock: SoraMock | None = None) -> None:
        self.delays: list[float] = []
        self._mock = mock

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        if self._mock is not None:
            # the handle speaks blocking HTTP: keep it off the event loop
            await asyncio.to_thread(self._mock.advance, seconds)


def client_for(mock: SoraMock, sleep: FakeSleep, *, max_retries: int = 3) -> VideoClient:
    return VideoClient(
        mock.url,
        mock.api_key,
        poll_interval=POLL,
        max_retries=max_retries,
        backoff=BACKOFF,
        sleep=sleep,
    )


async def test_generate_downloads_the_video_and_charges_once(sora_mock: SoraMock) -> None:
    sleep = FakeSleep(sora_mock)
    async with client_for(sora_mock, sleep) as client:
        video = await client.generate(model=MODEL, prompt=PROMPT)

    assert video[4:8] == b"ftyp"  # an MP4 starts with its ftyp box
    assert sora_mock.balance() == START - PRICE
    [create] = sora_mock.requests(route="create")
    assert (create["http_status"], create["code"]) == (200, 0)
    [task] = sora_mock.tasks()
    assert (task["status"], task["params"]["prompt"]) == ("succeeded", PROMPT)
    # polled at t = 0, 2, 4 (in progress) and 6 (done): only poll intervals were slept
    assert sleep.delays == [POLL, POLL, POLL]
    assert len(sora_mock.requests(route="check_result")) == 4
    assert len(sora_mock.requests(route="files")) == 1


@pytest.mark.parametrize(
    "http_status",
    [
        pytest.param(200, id="errors-as-http-200"),
        pytest.param(
            402, id="errors-as-http-status", marks=pytest.mark.sora_mock(error_status="http")
        ),
    ],
)
async def test_insufficient_credits_is_raised_and_not_retried(
    sora_mock: SoraMock, http_status: int
) -> None:
    sora_mock.set_balance(0)
    sleep = FakeSleep(sora_mock)
    async with client_for(sora_mock, sleep) as client:
        with pytest.raises(InsufficientCredits) as caught:
            await client.generate(model=MODEL, prompt=PROMPT)

    assert (caught.value.code, caught.value.http_status) == (402, http_status)
    assert f"costs {PRICE} credits" in caught.value.message
    assert sora_mock.balance() == 0
    assert sora_mock.tasks() == []
    assert len(sora_mock.requests(route="create")) == 1
    assert sleep.delays == []


@pytest.mark.parametrize("http_status", [None, 429], ids=["in-envelope", "as-http-429"])
async def test_rate_limited_create_waits_for_retry_after(
    sora_mock: SoraMock, http_status: int | None
) -> None:
    rule: dict[str, Any] = {"action": "error", "code": 429, "route": "create", "times": 2}
    if http_status is not None:
        rule["http_status"] = http_status
    sora_mock.add_fault(**rule)
    sleep = FakeSleep()
    async with client_for(sora_mock, sleep) as client:
        task_id = await client.create(model=MODEL, prompt=PROMPT)

    # an injected 429 says `Retry-After: 1`; the backoff alone would have been 0.25, then 0.5
    assert sleep.delays == [1.0, 1.0]
    assert [r["code"] for r in sora_mock.requests(route="create")] == [429, 429, 0]
    assert [t["taskId"] for t in sora_mock.tasks()] == [task_id]
    assert sora_mock.balance() == START - PRICE


@pytest.mark.sora_mock(max_concurrent_tasks=1)
async def test_concurrency_limit_is_waited_out(sora_mock: SoraMock) -> None:
    sleep = FakeSleep(sora_mock)
    async with client_for(sora_mock, sleep, max_retries=10) as client:
        first = await client.create(model=MODEL, prompt=PROMPT)
        second = await client.create(model=MODEL, prompt=PROMPT + ", again")

    # the real 429 of a full account; on the manual clock its Retry-After is 1 s, and the
    # first task leaves the limit when it finishes at t = 5
    codes = [r["code"] for r in sora_mock.requests(route="create")]
    assert codes == [0, 429, 429, 429, 429, 429, 0]
    assert sleep.delays == [1.0] * 5
    assert [t["taskId"] for t in sora_mock.tasks()] == [first, second]
    assert sora_mock.balance() == START - 2 * PRICE


TRANSIENT_FAULTS: Final[dict[str, dict[str, Any]]] = {
    "reset": {"action": "reset"},
    "503": {"action": "error", "code": 503},
    "html-502": {"action": "html"},
    "malformed": {"action": "malformed"},
}


@pytest.mark.parametrize("fault", TRANSIENT_FAULTS)
@pytest.mark.parametrize("route", ["create", "check_result", "files"])
async def test_one_transient_fault_is_retried(sora_mock: SoraMock, route: str, fault: str) -> None:
    sora_mock.add_fault(route=route, times=1, **TRANSIENT_FAULTS[fault])
    sleep = FakeSleep(sora_mock)
    async with client_for(sora_mock, sleep) as client:
        video = await client.generate(model=MODEL, prompt=PROMPT)

    assert video[4:8] == b"ftyp"
    assert sora_mock.balance() == START - PRICE  # charged once: the failed try charged nothing
    assert len(sora_mock.tasks()) == 1
    rows = sora_mock.requests(route=route)
    faulted = [r for r in rows if r["fault"]]
    assert len(faulted) == 1
    retried = rows[rows.index(faulted[0]) + 1]  # the retry went through
    assert (retried["fault"], retried["http_status"]) == (None, 200)
    # a file link has no envelope to hide a 503 in; check-result may send its code's status
    by_status = route == "files" or faulted[0]["variant"].get("check_status") == "http"
    expected_status = {
        "reset": None,  # no answer at all
        "503": 503 if by_status else 200,
        "html-502": 502,
        "malformed": 200,
    }[fault]
    assert faulted[0]["http_status"] == expected_status
    # one retry of our own, after the first backoff -- except for a dropped GET: aiohttp
    # itself resends an idempotent request once when a reused keep-alive connection drops
    retried_by_aiohttp = route == "files" and fault == "reset"
    assert sleep.delays.count(BACKOFF) == (0 if retried_by_aiohttp else 1)


async def test_failed_task_raises_with_its_reason_and_is_refunded(sora_mock: SoraMock) -> None:
    sora_mock.add_fault(action="fail_task", failure_reason="content_policy")
    sleep = FakeSleep(sora_mock)
    async with client_for(sora_mock, sleep) as client:
        with pytest.raises(TaskFailed) as caught:
            await client.generate(model=MODEL, prompt=PROMPT)

    failed = caught.value
    assert failed.failure_reason == "content_policy"
    assert failed.credits_refunded is True
    assert failed.refund_trans_no is not None
    assert "content_policy" in str(failed)
    assert "credits refunded" in str(failed)
    assert sora_mock.balance() == START
    assert sora_mock.task(failed.task_id)["status"] == "failed"
    assert sora_mock.requests(route="files") == []  # nothing to download


async def test_a_cancelled_task_ends_the_wait_and_is_refunded(sora_mock: SoraMock) -> None:
    """`cancelled` is final too: a poll loop that waited only for succeeded/failed would hang."""
    sora_mock.add_fault(action="cancel_task")
    sleep = FakeSleep(sora_mock)
    async with client_for(sora_mock, sleep) as client:
        with pytest.raises(TaskFailed) as caught:
            await client.generate(model=MODEL, prompt=PROMPT)

    cancelled = caught.value
    assert (
        cancelled.status,
        cancelled.failure_reason,
        cancelled.credits_refunded,
    ) == ("cancelled", "injected_cancel", True)
    assert f"task {cancelled.task_id} cancelled" in str(cancelled)
    assert sora_mock.balance() == START


@pytest.mark.sora_mock(clock="poll")
async def test_wait_on_the_poll_clock_sees_each_state_once(sora_mock: SoraMock) -> None:
    sleep = FakeSleep()  # does not advance: on the poll clock, each poll moves the task on
    seen: list[str] = []
    async with client_for(sora_mock, sleep) as client:
        task_id = await client.create(model=MODEL, prompt=PROMPT)
        result = await client.wait(task_id, on_update=lambda r: seen.append(r["status"]))

    assert seen == ["pending", "running", "succeeded"]
    assert result["progress"] == 100
    assert result["result_url"] == f"{sora_mock.url}/files/{task_id}.mp4"
    assert sleep.delays == [POLL, POLL]
    assert len(sora_mock.requests(route="check_result")) == 3


async def test_permanent_server_error_gives_up_after_max_retries(sora_mock: SoraMock) -> None:
    sora_mock.add_fault(action="error", code=500, route="create")
    sleep = FakeSleep()
    async with client_for(sora_mock, sleep, max_retries=3) as client:
        with pytest.raises(RetriesExhausted) as caught:
            await client.create(model=MODEL, prompt=PROMPT)

    gave_up = caught.value
    assert (gave_up.attempts, gave_up.code) == (4, 500)
    assert isinstance(gave_up.last_error, ServerError)
    assert gave_up.__cause__ is gave_up.last_error
    assert "gave up on create after 4 attempts" in str(gave_up)
    assert sleep.delays == [BACKOFF, 2 * BACKOFF, 4 * BACKOFF]  # exponential backoff
    assert [r["code"] for r in sora_mock.requests(route="create")] == [500] * 4
    assert sora_mock.balance() == START
    assert sora_mock.tasks() == []


async def test_rate_limit_that_never_lifts_gives_up_too(sora_mock: SoraMock) -> None:
    sora_mock.add_fault(action="error", code=429, route="create")
    sleep = FakeSleep()
    async with client_for(sora_mock, sleep, max_retries=2) as client:
        with pytest.raises(RetriesExhausted) as caught:
            await client.create(model=MODEL, prompt=PROMPT)

    assert isinstance(caught.value.last_error, RateLimited)
    assert sleep.delays == [1.0, 1.0]


async def test_unauthorized_is_raised_and_not_retried(sora_mock: SoraMock) -> None:
    sora_mock.add_fault(action="error", code=401, message="Invalid API key.")
    sleep = FakeSleep()
    async with client_for(sora_mock, sleep) as client:
        with pytest.raises(Unauthorized, match="Invalid API key"):
            await client.create(model=MODEL, prompt=PROMPT)

    assert sleep.delays == []
    assert len(sora_mock.requests(route="create")) == 1


async def test_invalid_field_is_a_bad_request_naming_it(sora_mock: SoraMock) -> None:
    sleep = FakeSleep()
    async with client_for(sora_mock, sleep) as client:
        with pytest.raises(BadRequest) as caught:
            await client.create(model=MODEL, prompt=PROMPT, aspectRatio="square")

    assert isinstance(caught.value, ApiError)
    assert caught.value.code in (400, -1)  # -1 in one of the provider's documents
    assert "aspectRatio" in caught.value.message
    assert sleep.delays == []
    assert sora_mock.balance() == START


async def test_wait_gives_up_when_the_task_never_finishes(sora_mock: SoraMock) -> None:
    sleep = FakeSleep()  # the manual clock never moves, so the task stays pending
    async with client_for(sora_mock, sleep) as client:
        task_id = await client.create(model=MODEL, prompt=PROMPT)
        with pytest.raises(WaitTimeout) as caught:
            await client.wait(task_id, max_wait=3 * POLL)

    assert caught.value.last["status"] == "pending"
    assert sleep.delays == [POLL] * 3
    assert len(sora_mock.requests(route="check_result")) == 4
