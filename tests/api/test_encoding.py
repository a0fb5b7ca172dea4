"""The answers built from pre-encoded pieces (check-result's, every error envelope's) are the
general JSON encoder's bytes, whatever the values: user text with quotes, backslashes, control
characters, non-ASCII and lone surrogates, long strings, every status and refund state.

Each answer is compared byte for byte with `json.JSONEncoder(separators=(",", ":"))` applied to
its own decoded value (which that encoder gives back unchanged, ensure_ascii and all), and its
values with what the request made. Hypothesis generates the values; each example is a fresh app
on the manual clock, driven over HTTP as a client would.
"""

from __future__ import annotations

import asyncio
import json
import string
from collections.abc import Awaitable, Callable
from typing import Any, Final

from aiohttp.test_utils import TestClient, TestServer
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sora_mock import create_app
from sora_mock.core import errors as e
from sora_mock.faults.actions import DEFAULT_CANCEL_REASON, DEFAULT_FAILURE_REASON
from sora_mock.sim.simulator import DEFAULT_ADMIN_CANCEL, DEFAULT_ADMIN_FAILURE
from sora_mock.tasks.task import kept

from ..helpers import (
    CHECK,
    CREATE,
    KEY,
    SORA_VIDEO,
    START,
    TEXT_BODY,
    VIDEO_BODY,
    Client,
    admin,
    advance,
    auth,
    expected_pid,
)

GENERAL: Final = json.JSONEncoder(separators=(",", ":")).encode
QUEUE: Final = 1.0  # the default queue_seconds and run_seconds (B3)
RUN: Final = 4.0
ENDS: Final = (
    "pending",
    "running",
    "succeeded",
    "admin succeeded",
    "failed",  # a fail_task rule: it ends failed when it would have succeeded
    "cancelled",  # a cancel_task rule: it ends cancelled as it leaves the queue
    "admin failed",
    "admin cancelled",
)
by_hypothesis = settings(max_examples=200, derandomize=True, database=None, deadline=None)
# every character, surrogates (a JSON escape brings one in) and controls included
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
texts = st.one_of(
    any_text,
    st.sampled_from(['"', "\\", '\\"', "\x00", "\x1f\x7f", "\ud800", "é\u2028😀", " "]),
    st.text(st.sampled_from('a"\\\n\té😀'), min_size=300, max_size=2000),  # long ones
)
# the Host header a succeeded task's result_url is built from: what aiohttp's parser lets in
hosts = st.text(st.sampled_from(string.ascii_letters + string.digits + "-._~:[]!$&'()*+,;=%"))


def url_safe(text: str) -> str:
    """What an A6 URL may hold: no whitespace, no control characters (quotes, \\ and the rest
    stay)."""
    return "".join(c for c in text if not c.isspace() and ord(c) >= 32)


def reencoded(raw: bytes) -> bytes:
    return GENERAL(json.loads(raw)).encode()


def run(scenario: Callable[[Client], Awaitable[None]], **settings: Any) -> None:
    async def main() -> None:
        async with TestClient(TestServer(create_app(clock="manual", **settings))) as client:
            await scenario(client)

    asyncio.run(main())


async def post_raw(
    client: Client, path: str, body: Any, headers: dict[str, str] | None = None
) -> bytes:
    response = await client.post(path, data=json.dumps(body), headers={**auth(), **(headers or {})})
    assert response.content_type == "application/json"
    return await response.read()


async def ok(client: Client, path: str, body: Any) -> str:
    envelope = json.loads(await post_raw(client, path, body))
    assert envelope["code"] == e.OK, envelope
    task_id: str = envelope["data"]["taskId"]
    return task_id


@by_hypothesis
@given(
    end=st.sampled_from(ENDS),
    reason=st.none() | texts,
    message=st.none() | texts,
    host=hosts,
    base=st.none() | texts,
    url=st.none() | texts.map(url_safe),
)
@example(end="failed", reason='"\\\x00é\ud800', message="\u2028", host="h", base=None, url=None)
@example(end="admin succeeded", reason=None, message=None, host="a'b", base='x"y', url="é")
def test_a_check_result_answer_is_the_general_encoders(  # noqa: PLR0917 (the draws)
    end: str,
    reason: str | None,
    message: str | None,
    host: str,
    base: str | None,
    url: str | None,
) -> None:
    setting = None if base is None else f"https://mock.example{base}"
    public = None if setting is None else setting.rstrip("/")  # as the setting keeps it

    async def scenario(client: Client) -> None:
        rule = {"failure_reason": reason, "error_message": message}
        if end in ("failed", "cancelled"):
            action = "fail_task" if end == "failed" else "cancel_task"
            added = await client.post("/__mock/faults", json={"action": action, **rule})
            assert added.status == 201, await added.text()
        if url is None:
            task_id = await ok(client, CREATE, TEXT_BODY)
            metadata: dict[str, Any] = {}
        else:  # the sibling route keeps `characters` (VIP only) as the task's metadata (A3)
            await admin(client, "PUT", f"/accounts/{KEY}", {"vip": True, "balance": START})
            character = {"url": f"https://example.com/{url}", "timestamps": "0,3"}
            task_id = await ok(client, SORA_VIDEO, {**VIDEO_BODY, "characters": [character]})
            metadata = kept({"characters": [character]})  # a long URL is cut (B3)
        if end.startswith("admin "):
            verb = {"succeeded": "succeed", "failed": "fail", "cancelled": "cancel"}
            await admin(client, "POST", f"/tasks/{task_id}/{verb[end[6:]]}", rule)
        elif end == "running":
            await advance(client, QUEUE + RUN / 2)
        elif end != "pending":
            await advance(client, QUEUE + RUN)
        raw = await post_raw(client, CHECK, {"taskId": task_id}, {"Host": host})
        assert raw == reencoded(raw)
        data = json.loads(raw)["data"]
        status = end.removeprefix("admin ")
        assert data["status"] == status
        assert data["metadata"] == metadata
        assert data["credits_refunded"] is (status in ("failed", "cancelled"))
        assert (data["refund_trans_no"] is not None) is data["credits_refunded"]
        if status == "succeeded":
            assert data["result_url"] == f"{public or 'http://' + host}/files/{task_id}.mp4"
            assert data["result_urls"] == [data["result_url"]]
            assert data["result_pids"] == [data["result_pid"]] == [expected_pid(task_id)]
        else:
            assert data["result_url"] is None
            assert data["result_urls"] == data["result_pids"] == []
        if status in ("failed", "cancelled"):
            default = {
                "failed": DEFAULT_FAILURE_REASON,
                "cancelled": DEFAULT_CANCEL_REASON,
                "admin failed": DEFAULT_ADMIN_FAILURE,
                "admin cancelled": DEFAULT_ADMIN_CANCEL,
            }
            assert data["failure_reason"] == kept(reason or default[end])  # cut when long
            assert data["error_message"] == kept(message)
        else:
            assert (data["failure_reason"], data["error_message"]) == ("", None)

    run(scenario, public_base_url=setting)


@by_hypothesis
@given(task_id=texts.filter(str.strip), message=texts, code=st.integers(100, 599))
@example(task_id="\ud800" * 70, message='"\\\x00', code=400)
def test_an_error_envelope_is_the_general_encoders(task_id: str, message: str, code: int) -> None:
    async def scenario(client: Client) -> None:
        raw = await post_raw(client, CHECK, {"taskId": task_id})
        assert raw == reencoded(raw)
        assert json.loads(raw) == {
            "code": e.NOT_FOUND,
            "message": e.MSG_TASK_NOT_FOUND.format(task_id=task_id[:64]),
            "data": None,
        }
        rule = {"action": "error", "route": "create", "code": code, "message": message}
        added = await client.post("/__mock/faults", json=rule)
        assert added.status == 201, await added.text()
        raw = await post_raw(client, CREATE, TEXT_BODY)
        assert raw == reencoded(raw)
        assert json.loads(raw) == {"code": code, "message": message or e.MSG_INJECTED, "data": None}

    run(scenario)
