"""Hostile requests through HTTP (CONTRACT A1, A2, B1, D): the mock answers, and stays whole.

Every hostile body gets the envelope (a 400 or a 413), or the connection closes cleanly where
nothing could be answered; never a 500, never a traceback in the body. Afterwards the server
still answers `GET /__mock/health`, the admin listings still serialize, and a rejected request
has changed no balance, ledger or task.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Any, Final

import pytest

from sora_mock import __version__
from sora_mock.core import errors

from ..conftest import MakeClient
from ..helpers import (
    CHECK,
    CREATE,
    KEY,
    PRICE,
    SORA_VIDEO,
    START,
    TEXT_BODY,
    Client,
    admin,
    auth,
    create_ok,
)

VALID: Final = json.dumps(TEXT_BODY).encode()
CREDITS: Final = "/api/get-user-credits"
NOT_OBJECT: Final = errors.MSG_NOT_JSON_OBJECT.partition("{reason}")[0]
TEXT: Final = "sora-2-text-to-video"
DIGITS_30: Final = "123456789012345678901234567890"
KIB: Final = 1024
MIB: Final = 1024 * KIB
DEFAULT_LIMIT: Final = 16 * MIB


def deep(opening: bytes, closing: bytes, depth: int, core: bytes = b"") -> bytes:
    return opening * depth + core + closing * depth


def with_field(raw_value: bytes, body: bytes = VALID) -> bytes:
    """`body` (a JSON object) with one more field whose value is the raw JSON text given."""
    return body[:-1] + b', "extra": ' + raw_value + b"}"


def text_body(**fields: str) -> bytes:
    """The text model's body with some fields replaced by raw JSON texts."""
    parts = {"model": json.dumps(TEXT), "prompt": '"a fox"', **fields}
    return ("{" + ", ".join(f'"{k}": {v}' for k, v in parts.items()) + "}").encode()


# -- what a user checks afterwards -------------------------------------------------------------


async def get_json(client: Client, path: str) -> Any:
    response = await client.get(path)
    text = await response.text()
    assert 200 == response.status, (path, text[:300])
    return json.loads(text)


async def ledger_state(client: Client) -> dict[str, Any]:
    """Everything a rejected request must leave as it was: balances, ledger rows, tasks."""
    return {
        "accounts": await get_json(client, "/__mock/accounts"),
        "ledger": await get_json(client, f"/__mock/accounts/{KEY}/ledger"),
        "tasks": await get_json(client, "/__mock/tasks"),
    }


async def assert_healthy(client: Client) -> None:
    """The server answers, and every admin listing still serializes."""
    assert {"status": "ok", "service": "sora-mock", "version": __version__} == await get_json(
        client, "/__mock/health"
    )
    for path in (
        "/__mock/accounts",
        "/__mock/tasks",
        "/__mock/requests",
        "/__mock/clock",
        "/__mock/webhooks",
    ):
        await get_json(client, path)


def assert_envelope(status: int, content_type: str, text: str) -> dict[str, Any]:
    """A provider answer: the envelope as JSON with HTTP 200 (error_status "200"), no traceback."""
    assert "Traceback" not in text
    assert (200, "application/json") == (status, content_type), text[:300]
    envelope: dict[str, Any] = json.loads(text)
    assert {"code", "message", "data"} == set(envelope)
    return envelope


async def post_raw(
    client: Client, path: str, body: Any, headers: dict[str, str] | None = None, **kwargs: Any
) -> dict[str, Any]:
    """POST bytes (or a stream) as they are; returns the envelope, checked for its shape."""
    response = await client.post(path, data=body, headers={**auth(), **(headers or {})}, **kwargs)
    text = await response.text()
    return assert_envelope(response.status, response.content_type, text)


@pytest.fixture
async def seeded(client: Client) -> Client:
    """A key that has a balance, one task and a ledger row, so "unchanged" means something."""
    await create_ok(client)
    return client


async def last_task(client: Client) -> dict[str, Any]:
    tasks: list[dict[str, Any]] = (await get_json(client, f"/__mock/tasks?key={KEY}"))["tasks"]
    return tasks[-1]


# -- bodies that are not a JSON object: 400, on both JSON routes -------------------------------

NOT_OBJECTS: Final = [
    ("empty", b""),
    ("whitespace only", b" \r\n\t "),
    ("truncated", VALID[:-1]),
    ("trailing comma", VALID[:-1] + b",}"),
    ("single quotes", VALID.replace(b'"', b"'")),
    ("unquoted keys", b'{model: "sora-2-text-to-video", prompt: "p"}'),
    ("trailing garbage", VALID + b"}"),
    ("two objects", VALID + VALID),
    ("comment", b"// hi\n" + VALID),
    ("array", b"[]"),
    ("array of the object", b"[" + VALID + b"]"),
    ("string", b'"sora-2-text-to-video"'),
    ("number", b"42"),
    ("null", b"null"),
    ("true", b"true"),
    ("invalid UTF-8", VALID.replace(b"a fox", b"a \xff\xfe fox")),
    ("overlong UTF-8", VALID.replace(b"a fox", b"a \xc0\xaf fox")),
    ("UTF-16", json.dumps(TEXT_BODY).encode("utf-16")),
    ("UTF-8 byte order mark", b"\xef\xbb\xbf" + VALID),
    ("5,000-deep arrays", deep(b"[", b"]", 5000)),
    ("5,000-deep objects", deep(b'{"a": ', b"}", 5000, b"1")),
    ("5,000-deep arrays in a field", with_field(deep(b"[", b"]", 5000))),
    ("5,000-deep objects in a field", with_field(deep(b'{"a": ', b"}", 5000, b"1"))),
    ("NaN", text_body(nFrames="NaN")),
    ("Infinity", text_body(nFrames="Infinity")),
    ("-Infinity", text_body(nFrames="-Infinity")),
    ("1e309", with_field(b"1e309")),
    ("-1e309", with_field(b"-1e309")),
    (
        "1e309 as a shot's duration",
        b'{"model": "sora-2-pro-storyboard", "shots": [{"Scene": "s", "duration": 1e309}]}',
    ),
    ("duplicate keys", text_body(prompt='"a", "prompt": "b"')),
    ("duplicate model", text_body(model=f'"{TEXT}", "model": "{TEXT}"')),
    (
        "duplicate keys in a shot",
        b'{"model": "sora-2-pro-storyboard", "shots": '
        b'[{"Scene": "a", "Scene": "b", "duration": 1}]}',
    ),
    ("raw NUL inside a string", VALID.replace(b"a fox", b"a\x00fox")),
    ("raw NUL between tokens", VALID.replace(b", ", b",\x00 ")),
    ("raw NUL before the object", b"\x00" + VALID),
    ("raw NUL after the object", VALID + b"\x00"),
    ("raw newline inside a string", VALID.replace(b"a fox", b"a\nfox")),
]


@pytest.mark.parametrize("path", [CREATE, SORA_VIDEO, CHECK])
@pytest.mark.parametrize("raw", [pytest.param(raw, id=name) for name, raw in NOT_OBJECTS])
async def test_a_body_that_is_not_a_json_object_is_a_400_and_changes_nothing(
    seeded: Client, path: str, raw: bytes
) -> None:
    before = await ledger_state(seeded)

    envelope = await post_raw(seeded, path, raw)

    assert (400, None) == (envelope["code"], envelope["data"])
    assert envelope["message"].startswith(NOT_OBJECT), envelope["message"]
    await assert_healthy(seeded)
    assert before == await ledger_state(seeded)


@pytest.mark.parametrize("raw", [pytest.param(raw, id=name) for name, raw in NOT_OBJECTS])
async def test_the_balance_route_does_not_read_a_hostile_body(seeded: Client, raw: bytes) -> None:
    before = await ledger_state(seeded)

    envelope = await post_raw(seeded, CREDITS, raw)

    assert {
        "code": 0,
        "message": "ok",
        "data": {"left_credits": START - PRICE, "is_vip": False},
    } == (envelope)
    await assert_healthy(seeded)
    assert before == await ledger_state(seeded)


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
async def test_the_balance_route_answers_a_20_mib_body_without_a_413_or_a_reset(
    seeded: Client, framing: str
) -> None:
    size = 20 * MIB
    body: Any = b"x" * size if framing == "content-length" else stream(size, 64 * KIB, [0])

    envelope = await post_raw(seeded, CREDITS, body)

    assert (0, START - PRICE) == (envelope["code"], envelope["data"]["left_credits"])
    await assert_healthy(seeded)


async def test_twenty_thousand_shots_are_one_400_about_the_count(seeded: Client) -> None:
    shots = [{"Scene": "s", "duration": 1}] * 20_000
    body = json.dumps({"model": "sora-2-pro-storyboard", "shots": shots}).encode()
    before = await ledger_state(seeded)

    envelope = await post_raw(seeded, CREATE, body)

    assert (400, errors.MSG_SHOTS_TOO_MANY.format(limit=25, count=20_000)) == (
        envelope["code"],
        envelope["message"],
    )
    [row] = (await get_json(seeded, "/__mock/requests?route=create&limit=1"))["requests"]
    assert 1 == len(row["violations"])
    await assert_healthy(seeded)
    assert before == await ledger_state(seeded)


async def test_twenty_thousand_characters_are_one_400_about_the_count(seeded: Client) -> None:
    characters = [{"url": "http://a/b", "timestamps": "0,1"}] * 20_000
    body = json.dumps({"model": "sora-2", "prompt": "p", "characters": characters}).encode()
    before = await ledger_state(seeded)

    envelope = await post_raw(seeded, SORA_VIDEO, body)

    assert (400, errors.MSG_CHARACTERS_TOO_MANY.format(limit=5, count=20_000)) == (
        envelope["code"],
        envelope["message"],
    )
    await assert_healthy(seeded)
    assert before == await ledger_state(seeded)


def video_body(**fields: str) -> bytes:
    """The sibling route's body with some fields replaced by raw JSON texts."""
    parts = {"model": '"sora-2"', "prompt": '"a fox"', **fields}
    return ("{" + ", ".join(f'"{k}": {v}' for k, v in parts.items()) + "}").encode()


VIDEO_ACCEPTED: Final = [
    ("30-digit duration", video_body(duration=DIGITS_30), {"duration": 15}),
    ("negative 30-digit duration", video_body(duration="-" + DIGITS_30), {"duration": 10}),
    ("5,000-digit duration string", video_body(duration=f'"{"9" * 5000}"'), {"duration": 15}),
    ("NUL escaped in the prompt", video_body(prompt='"a\\u0000b"'), {"prompt": "a\x00b"}),
    (
        "a webhook to an unlisted host",
        video_body(webHook='"http://169.254.169.254/latest"'),
        {"webHook": "http://169.254.169.254/latest"},
    ),
]


@pytest.mark.parametrize(
    ("raw", "params"),
    [pytest.param(raw, params, id=name) for name, raw, params in VIDEO_ACCEPTED],
)
async def test_a_hostile_but_valid_sibling_body_is_accepted_and_normalized(
    seeded: Client, raw: bytes, params: dict[str, Any]
) -> None:
    envelope = await post_raw(seeded, SORA_VIDEO, raw)

    assert 0 == envelope["code"], envelope
    task = await last_task(seeded)
    assert envelope["data"]["taskId"] == task["taskId"]
    assert params == {name: task["params"][name] for name in params}
    await assert_healthy(seeded)


# -- hostile but valid: accepted, and normalized as A2 says -------------------------------------

ACCEPTED: Final = [
    ("NUL escaped in the prompt", text_body(prompt='"a\\u0000b"'), {"prompt": "a\x00b"}),
    ("30-digit nFrames", text_body(nFrames=DIGITS_30), {"nFrames": 15}),
    ("negative 30-digit nFrames", text_body(nFrames="-" + DIGITS_30), {"nFrames": 10}),
    ("30-digit nFrames string", text_body(nFrames=f'"{DIGITS_30}"'), {"nFrames": 15}),
    ("5,000-digit nFrames", text_body(nFrames="9" * 5000), {"nFrames": 15}),
    ("5,000-digit nFrames string", text_body(nFrames=f'"{"0" * 4999}9"'), {"nFrames": 10}),
    ("30-digit unknown field", with_field(DIGITS_30.encode()), {"prompt": TEXT_BODY["prompt"]}),
    ("100-deep unknown field", with_field(deep(b"[", b"]", 100)), {"prompt": TEXT_BODY["prompt"]}),
    (
        "1e308 duration",
        b'{"model": "sora-2-pro-storyboard", "shots": [{"Scene": "s", "duration": 1e308}]}',
        {"shots": [{"Scene": "s", "duration": 1e308}]},
    ),
    (
        "escaped unicode",
        text_body(prompt='"\\u00e9\\ud83e\\udd8a"'),
        {"prompt": "\u00e9\U0001f98a"},
    ),
]


@pytest.mark.parametrize(
    ("raw", "params"), [pytest.param(raw, params, id=name) for name, raw, params in ACCEPTED]
)
async def test_a_hostile_but_valid_body_is_accepted_and_normalized(
    seeded: Client, raw: bytes, params: dict[str, Any]
) -> None:
    envelope = await post_raw(seeded, CREATE, raw)

    assert 0 == envelope["code"], envelope
    task = await last_task(seeded)
    assert envelope["data"]["taskId"] == task["taskId"]
    assert params == {name: task["params"][name] for name in params}
    await assert_healthy(seeded)


async def test_a_30_digit_balance_for_a_key_nobody_has_used_is_kept_exactly(
    client: Client,
) -> None:
    key = "sk-never-seen-before"
    response = await client.put(
        f"/__mock/accounts/{key}", data=b'{"balance": ' + DIGITS_30.encode() + b"}"
    )
    assert 200 == response.status

    await create_ok(client, key=key)

    assert int(DIGITS_30) - PRICE == (await get_json(client, f"/__mock/accounts/{key}"))["balance"]
    rows = (await get_json(client, f"/__mock/accounts/{key}/ledger"))["transactions"]
    assert [("set", int(DIGITS_30)), ("charge", -PRICE)] == [
        (r["reason"], r["delta"]) for r in rows
    ]


# -- Content-Type is not looked at: the body is read as UTF-8 JSON whatever the header says -----

CONTENT_TYPES: Final = [
    ("text/plain", {"Content-Type": "text/plain"}, {}),
    ("form", {"Content-Type": "application/x-www-form-urlencoded"}, {}),
    ("multipart", {"Content-Type": "multipart/form-data; boundary=x"}, {}),
    ("latin-1 charset", {"Content-Type": "application/json; charset=iso-8859-1"}, {}),
    ("nonsense", {"Content-Type": "nonsense;;;=="}, {}),
    ("none", {}, {"skip_auto_headers": ["Content-Type"]}),
]


@pytest.mark.parametrize(
    ("headers", "options"),
    [pytest.param(headers, options, id=name) for name, headers, options in CONTENT_TYPES],
)
async def test_a_json_body_is_parsed_whatever_its_content_type(
    seeded: Client, headers: dict[str, str], options: dict[str, Any]
) -> None:
    """The mock ignores Content-Type (and its charset): the body is UTF-8 JSON or a 400."""
    body = json.dumps({**TEXT_BODY, "prompt": "caf\u00e9"}, ensure_ascii=False).encode()

    envelope = await post_raw(seeded, CREATE, body, headers, **options)

    assert 0 == envelope["code"], envelope
    assert "caf\u00e9" == (await last_task(seeded))["params"]["prompt"]


# -- size limits (A1): 413 only after the whole body was read; the client reads the answer ------


def stream(total: int, chunk: int, sent: list[int]) -> AsyncIterator[bytes]:
    """A request body of `total` bytes that records how much the server has pulled."""

    async def chunks() -> AsyncIterator[bytes]:
        left = total
        while left:
            piece = min(chunk, left)
            left -= piece
            sent[0] += piece
            yield b" " * piece

    return chunks()


@pytest.mark.parametrize("path", [CREATE, SORA_VIDEO, CHECK])
@pytest.mark.parametrize("framing", ["content-length", "chunked"])
async def test_a_body_over_max_body_bytes_is_a_413(
    make_client: MakeClient, path: str, framing: str
) -> None:
    client = await make_client(max_body_bytes=1024)
    await create_ok(client)
    before = await ledger_state(client)
    body = VALID + b" " * (20 * KIB)
    data: Any = body if framing == "content-length" else stream(len(body), 4 * KIB, [0])

    envelope = await post_raw(client, path, data)

    message = errors.MSG_BODY_TOO_LARGE.format(limit=1024)
    assert (413, message, None) == (envelope["code"], envelope["message"], envelope["data"])
    await assert_healthy(client)
    assert before == await ledger_state(client)


@pytest.mark.parametrize("extra", [0, 1])
async def test_the_body_limit_is_inclusive(make_client: MakeClient, extra: int) -> None:
    client = await make_client(max_body_bytes=1024)
    body = VALID + b" " * (1024 - len(VALID) + extra)

    envelope = await post_raw(client, CREATE, body)

    assert (413 if extra else 0) == envelope["code"]


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
async def test_a_20_mib_body_is_read_to_its_end_before_the_413(
    client: Client, framing: str
) -> None:
    total = 20 * MIB
    sent = [0]
    headers = {"Content-Length": str(total)} if framing == "content-length" else {}

    envelope = await post_raw(client, CREATE, stream(total, 256 * KIB, sent), headers)

    assert total == sent[0]
    message = errors.MSG_BODY_TOO_LARGE.format(limit=DEFAULT_LIMIT)
    assert (413, message) == (envelope["code"], envelope["message"])
    await assert_healthy(client)
    assert [] == (await get_json(client, "/__mock/tasks"))["tasks"]


# -- the transport misbehaves ------------------------------------------------------------------


async def test_a_64_kib_header_is_refused_by_the_http_layer_and_the_server_stays_up(
    seeded: Client,
) -> None:
    before = await ledger_state(seeded)

    response = await seeded.post(CREATE, data=VALID, headers={**auth(), "X-Big": "a" * 64 * KIB})
    text = await response.text()

    assert response.status in (400, 431), text[:300]
    assert "Traceback" not in text
    await assert_healthy(seeded)
    assert before == await ledger_state(seeded)


async def test_a_body_that_trickles_in_is_read_whole(seeded: Client) -> None:
    body = json.dumps({**TEXT_BODY, "prompt": "slow fox", "nFrames": "15"}).encode()

    async def slow_client() -> AsyncIterator[bytes]:
        step = len(body) // 4 + 1
        for start in range(0, len(body), step):
            await asyncio.sleep(0.02)  # a slow client, not a slow test: 4 pauses, < 0.1 s
            yield body[start : start + step]

    envelope = await post_raw(seeded, CREATE, slow_client())

    assert 0 == envelope["code"], envelope
    params = (await last_task(seeded))["params"]
    assert ("slow fox", 15) == (params["prompt"], params["nFrames"])


async def raw_exchange(client: Client, request: bytes, then: str = "read") -> bytes:
    """Send bytes on a fresh connection, then `read` the answer until the server closes, or
    `half-close` (send EOF) and read, or `close` at once."""
    reader, writer = await asyncio.open_connection(client.host, client.port)
    try:
        writer.write(request)
        await writer.drain()
        if then == "close":
            return b""
        if then == "half-close":
            writer.write_eof()
        return await asyncio.wait_for(reader.read(), timeout=5)
    finally:
        writer.close()
        await writer.wait_closed()


def http_request(path: str, body: bytes, *headers: bytes, length: int | None = None) -> bytes:
    lines = [
        f"POST {path} HTTP/1.1".encode(),
        b"Host: 127.0.0.1",
        b"Content-Type: application/json",
        f"Content-Length: {len(body) if length is None else length}".encode(),
        b"Connection: close",
        *headers,
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


async def create_rows(client: Client, wanted: int = 0) -> list[dict[str, Any]]:
    """The journal's create rows, once there are `wanted`: a dropped request is journaled when
    the server notices the close, so this polls the admin API a bounded number of times."""
    rows: list[dict[str, Any]] = []
    for _ in range(200):
        rows = (await get_json(client, "/__mock/requests?route=create"))["requests"]
        if len(rows) >= wanted:
            break
    return rows


@pytest.mark.parametrize("then", ["half-close", "close"])
async def test_a_body_shorter_than_its_content_length_then_a_close(
    seeded: Client, then: str
) -> None:
    before = await ledger_state(seeded)
    journaled = len(await create_rows(seeded))
    request = http_request(CREATE, VALID[:20], f"Authorization: Bearer {KEY}".encode(), length=1000)

    answer = await raw_exchange(seeded, request, then)

    # nothing can be answered to a body that never ends: a clean close, or at most a 400
    assert b" 500 " not in answer.partition(b"\r\n")[0]
    if answer:
        head, _, text = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 "), head
        assert 400 == json.loads(text)["code"]
    row = (await create_rows(seeded, journaled + 1))[-1]
    assert (None, None) == (row["code"], row["http_status"])
    await assert_healthy(seeded)
    assert before == await ledger_state(seeded)


# -- text that UTF-8 cannot carry must not poison the answers or the admin listings -------------


@pytest.fixture
def quiet_server_errors(caplog: pytest.LogCaptureFixture) -> None:
    """Keep aiohttp's server tracebacks out of the report: should a 500 come back here, its
    traceback holds lone surrogates, which pytest-xdist cannot send from a worker (that would
    crash the whole run instead of failing this test)."""
    caplog.set_level(logging.CRITICAL, logger="aiohttp.server")


SURROGATES: Final = [
    ("prompt", CREATE, text_body(prompt='"a\\ud800b"'), (0, 400)),
    ("unknown field", CREATE, with_field(b'"\\udfff"'), (0, 400)),
    (
        "shot Scene",
        CREATE,
        b'{"model": "sora-2-pro-storyboard", "shots": [{"Scene": "\\ud800", "duration": 1}]}',
        (0, 400),
    ),
    ("taskId", CHECK, b'{"taskId": "\\udfff"}', (400, 404)),
]


@pytest.mark.parametrize(
    ("path", "raw", "codes"),
    [pytest.param(path, raw, codes, id=name) for name, path, raw, codes in SURROGATES],
)
@pytest.mark.usefixtures("quiet_server_errors")
async def test_a_lone_surrogate_escape_is_answered_and_leaves_the_admin_api_readable(
    seeded: Client, path: str, raw: bytes, codes: tuple[int, ...]
) -> None:
    """`"\\ud800"` is JSON that decodes to text UTF-8 cannot encode; accept it or refuse it, but
    every answer and listing that shows it must still be sendable."""
    response = await seeded.post(path, data=raw, headers=auth())
    text = await response.text()

    envelope = assert_envelope(response.status, response.content_type, text)
    assert envelope["code"] in codes, envelope
    await assert_healthy(seeded)


HEADER_BYTES: Final = [
    ("Authorization", b"Authorization: Bearer sk-test-key-\xff\xfe", (0, 401)),
    ("other header", b"Authorization: Bearer " + KEY.encode() + b"\r\nX-Junk: \xff\xfe\xfd", (0,)),
    (
        "fault header",
        b"Authorization: Bearer " + KEY.encode() + b"\r\nX-Sora-Mock-Fault: \xff",
        (400,),
    ),
]


@pytest.mark.parametrize(
    ("header", "codes"),
    [pytest.param(header, codes, id=name) for name, header, codes in HEADER_BYTES],
)
@pytest.mark.usefixtures("quiet_server_errors")
async def test_non_utf8_header_bytes_are_answered_and_leave_the_admin_api_readable(
    client: Client, header: bytes, codes: tuple[int, ...]
) -> None:
    answer = await raw_exchange(client, http_request(CREATE, VALID, header))

    head, _, text = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 "), answer[:300]
    assert json.loads(text)["code"] in codes, text
    await assert_healthy(client)


async def test_whatever_nesting_is_accepted_the_journal_can_show(seeded: Client) -> None:
    """Whatever depth the parser accepts, the journal that keeps the body must serialize it
    (the window that once broke it sat just under the interpreter's recursion limit)."""
    for depth in [*range(1, 300, 7), *range(900, 1001)]:
        body = b'{"taskId": "t", "extra": ' + deep(b"[", b"]", depth) + b"}"
        envelope = await post_raw(seeded, CHECK, body)
        assert envelope["code"] in (400, 404), (depth, envelope)

    await assert_healthy(seeded)


# -- the admin API under the same abuse (D): plain JSON errors, never a 500 ---------------------

ADMIN_BODIES: Final = [
    ("5,000-digit balance", b'{"balance": ' + b"9" * 5000 + b"}"),
    ("no field", b"{}"),
    ("vip a string", b'{"vip": "true"}'),
    ("vip a number", b'{"vip": 1}'),
    ("vip null", b'{"vip": null}'),
    ("balance null", b'{"balance": null, "vip": true}'),
    ("vip an array", b'{"balance": 5, "vip": []}'),
    ("1e309", b'{"balance": 1e309}'),
    ("NaN", b'{"balance": NaN}'),
    ("negative", b'{"balance": -1}'),
    ("string", b'{"balance": " 5"}'),
    ("5,000-deep", deep(b"[", b"]", 5000)),
    ("invalid UTF-8", b'{"balance": 1, "x": "\xff"}'),
    ("not JSON", b"balance=5"),
]


CANCEL_BODIES: Final = [
    ("not JSON", b"reason=user"),
    ("an array", b"[]"),
    ("a number reason", b'{"failure_reason": 5}'),
    ("an unknown field", b'{"reason": "user"}'),
    ("5,000-deep", deep(b"[", b"]", 5000)),
    ("invalid UTF-8", b'{"failure_reason": "\xff"}'),
]


@pytest.mark.parametrize(
    ("method", "route", "raw"),
    [pytest.param("PUT", "account", raw, id=f"PUT account: {n}") for n, raw in ADMIN_BODIES]
    + [pytest.param("POST", "cancel", raw, id=f"POST cancel: {n}") for n, raw in CANCEL_BODIES]
    + [pytest.param("POST", "fail", raw, id=f"POST fail: {n}") for n, raw in CANCEL_BODIES],
)
async def test_a_hostile_admin_body_is_a_400_with_an_error(
    seeded: Client, method: str, route: str, raw: bytes
) -> None:
    before = await ledger_state(seeded)
    task_id = (await last_task(seeded))["taskId"]
    path = f"/__mock/accounts/{KEY}" if route == "account" else f"/__mock/tasks/{task_id}/{route}"

    response = await seeded.request(method, path, data=raw)

    assert (400, "application/json") == (response.status, response.content_type)
    assert {"error"} == set(await response.json())
    await assert_healthy(seeded)
    assert before == await ledger_state(seeded)


async def test_an_admin_body_over_max_body_bytes_is_a_413_with_an_error(
    make_client: MakeClient,
) -> None:
    client = await make_client(max_body_bytes=1024)

    response = await client.put(
        f"/__mock/accounts/{KEY}", data=b'{"balance": 5}' + b" " * (20 * KIB)
    )

    assert (413, "application/json") == (response.status, response.content_type)
    assert {"error"} == set(await response.json())
    await assert_healthy(client)
    assert 404 == (await client.get(f"/__mock/accounts/{KEY}")).status


async def test_the_envelope_status_follows_the_code_with_error_status_http(
    make_client: MakeClient,
) -> None:
    client = await make_client(error_status="http", max_body_bytes=1024)
    answers = []
    for body in (b"[]", b"{", VALID + b" " * 2048):
        response = await client.post(CREATE, data=body, headers=auth())
        answers.append((response.status, (await response.json())["code"]))

    assert [(400, 400), (400, 400), (413, 413)] == answers
    await assert_healthy(client)
    assert [] == (await admin(client, "GET", "/tasks"))["tasks"]
