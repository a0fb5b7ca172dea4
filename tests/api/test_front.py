"""The mock's own front answers as aiohttp's request path does, byte for byte (issue 17).

Each case sends the same bytes, on fresh servers with the same settings, to an app served by
aiohttp alone and to one served through `sora_mock.front` (what the command line, the container
and the `sora_mock` fixture serve through). The answers (their `Date` aside), the journal's rows
and the log lines must be the same. Each case also says which front must have answered it: a
plain request of a JSON route is the front's own; anything else, and everything after it on its
connection, is handed to aiohttp.
"""

from __future__ import annotations

import asyncio
import gzip
import io
import itertools
import json
import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, Final

import pytest
from aiohttp import web
from aiohttp.test_utils import BaseTestServer, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sora_mock import create_app, errors
from sora_mock.front import Front, FrontRunner, runner
from sora_mock.http1 import HEADS_KEPT
from sora_mock.logs import RequestLog
from sora_mock.responses import REQUEST_LOG
from sora_mock.simulator import Simulator

from ..helpers import CHECK, CREATE, KEY, OTHER_KEY, TEXT_BODY, FrontTestServer

SORA_VIDEO: Final = "/api/v1/video/sora-video"
CREDITS: Final = "/api/get-user-credits"
HOST: Final = "mock.test"
VALID: Final = json.dumps(TEXT_BODY).encode()
VIDEO_BODY: Final = json.dumps({"prompt": "a fox", "model": "sora-2"}).encode()
REQUESTS: Final = Path(__file__).parents[2] / "fixtures" / "requests"
DATE: Final = re.compile(rb"\r\nDate: [^\r]*")
STAMP: Final = re.compile(r"^\S+ ", re.MULTILINE)
MS: Final = re.compile(r" \d+\.\dms ")
TASK_ID: Final = re.compile(rb'"taskId":\s*"([0-9a-f]{32})"')

Send = bytes | Callable[[list[bytes]], bytes]  # a conversation: bytes, or made from the answers
Setup = Callable[[BaseTestServer], Awaitable[None]]


def post(
    path: str = CREATE,
    body: bytes = VALID,
    *fields: str,
    key: str | None = KEY,
    version: str = "1.1",
    host: bool = True,
    length: bool = True,
) -> bytes:
    """A POST as clients send it; `fields` are more header lines, as written."""
    lines = [f"POST {path} HTTP/{version}"]
    if host:
        lines.append(f"Host: {HOST}")
    if key is not None:
        lines.append(f"Authorization: Bearer {key}")
    lines.append("Content-Type: application/json")
    lines.extend(fields)
    if length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def check_of(answer: int = 0, key: str = KEY) -> Callable[[list[bytes]], bytes]:
    """A check-result of the task that the `answer`-th answer so far created."""

    def make(answers: list[bytes]) -> bytes:
        found = TASK_ID.search(answers[answer])
        assert found is not None, answers[answer]
        return post(CHECK, b'{"taskId": "%s"}' % found.group(1), key=key)

    return make


@dataclass
class Case:
    name: str
    conversations: list[Send]  # each on a connection of its own, in order
    handed_off: int = 0  # connections the front must give to aiohttp
    settings: dict[str, Any] = field(default_factory=dict)
    setup: Setup | None = None
    advance: float = 0  # mock seconds between the conversations (the admin API's clock)
    abandon: bool = False  # each conversation ends with the client's close, whatever is left
    rows: int | None = None  # wait for this many journal rows before comparing


async def add_fault(server: BaseTestServer) -> None:
    rule = json.dumps({"route": "check_result", "action": "error", "code": 500}).encode()
    raw = (
        f"POST /__mock/faults HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(rule)}\r\nConnection: close\r\n\r\n"
    ).encode() + rule
    answers = await admin(server, raw)
    assert answers, "the fault rule got no answer"
    assert answers[0].startswith(b"HTTP/1.1 201"), answers


def fixture_cases() -> list[Case]:
    cases = []
    for path in sorted(REQUESTS.glob("*.json")):
        sample = json.loads(path.read_text())
        body = json.dumps(sample["request"]).encode()
        strict = {"strict": True} if "strict" in path.stem else {}
        cases.append(Case(f"fixture {path.stem}", [post(CREATE, body)], settings=strict))
    return cases


PLAIN: Final = [
    Case("a create", [post()]),
    Case("a create, then its check-result", [post(), check_of(0)]),
    Case("a check-result of a succeeded task", [post(), check_of(0)], advance=60),
    Case("check-result of another key's task", [post(), check_of(0, OTHER_KEY)]),
    Case("check-result of an unknown task", [post(CHECK, b'{"taskId": "nope"}')]),
    Case("check-result without a taskId", [post(CHECK, b"{}")]),
    Case("the balance", [post(CREDITS, b"{}")]),
    Case("the balance, whatever its body", [post(CREDITS, b"[not json")]),
    Case("the balance without a key", [post(CREDITS, b"{}", key=None)]),
    Case("a sora-video create", [post(SORA_VIDEO, VIDEO_BODY)]),
    Case("a sora-video create asking for JSON", [post(SORA_VIDEO, VIDEO_BODY, "Accept: */*")]),
    Case("no key", [post(key=None)]),
    Case("a Basic key", [post(CREATE, VALID, "Authorization: Basic abc", key=None)]),
    Case("an unknown key", [post()], settings={"auto_provision": False}),
    Case("an empty body", [post(CREATE, b"")]),
    Case("a body that is not JSON", [post(CREATE, b"{nope")]),
    Case("an array", [post(CREATE, b"[1, 2]")]),
    Case("a repeated key", [post(CREATE, b'{"model": "sora-2-text-to-video", "model": "x"}')]),
    Case("NaN", [post(CREATE, b'{"model": NaN}')]),
    Case("a deep body", [post(CREATE, b'{"a": ' + b"[" * 5000 + b"]" * 5000 + b"}")]),
    Case("too many tasks", [post() + post()], settings={"max_concurrent_tasks": 1}),
    Case("no credits", [post()], settings={"default_balance": 0}),
    Case(
        "errors as HTTP statuses",
        [post(CREATE, b"[]"), post(key=None)],
        settings={"error_status": "http"},
    ),
    Case(
        "every answer in a drawn form",
        [
            post(),
            check_of(0),
            post(CREDITS, b"{}"),
            post(CREATE, b"[]"),
            post(SORA_VIDEO, VIDEO_BODY),
        ],
        settings={"variants": "random"},
    ),
    Case(
        "a public base URL",
        [post(), check_of(0)],
        advance=60,
        settings={"public_base_url": "https://cdn.example"},
    ),
    Case("three creates in one write", [post() + post() + post()]),
    Case("a create and a check-result in one write", [post() + post(CHECK, b'{"taskId": "x"}')]),
    Case(
        "field names in lower case",
        [
            post(CREATE, VALID, key=None)
            .replace(b"Content-Type", b"content-type")
            .replace(b"Content-Length", b"content-length")
            .replace(b"Host", b"host")
        ],
    ),
    Case(
        "no blank after the colon, tabs and blanks before a value",
        [post(CREATE, VALID, "X-One:1", "X-Two:\t\t2", "X-Three:   three  words")],
    ),
    Case("Connection: keep-alive", [post(CREATE, VALID, "Connection: keep-alive") + post()]),
    Case("Connection: close", [post(CREATE, VALID, "Connection: Close")]),
    Case(
        "a fault header switched off",
        [post(CREATE, VALID, "X-Sora-Mock-Fault: timeout")],
        settings={"fault_header": False},
    ),
    Case(
        "a body never finished",
        [post()[:-10]],
        abandon=True,
        rows=1,
    ),
    Case(
        "a body never finished, on every route but the balance",
        [post(CHECK, b'{"taskId": "x"}')[:-2], post(SORA_VIDEO, VIDEO_BODY)[:-1]],
        abandon=True,
        rows=2,
    ),
    *fixture_cases(),
]

HANDED: Final = [
    Case("HTTP/1.0", [post(version="1.0")], handed_off=1),
    Case(
        "a chunked body",
        [
            post(CREATE, b"", "Transfer-Encoding: chunked", length=False)
            + b"%x\r\n%s\r\n0\r\n\r\n" % (len(VALID), VALID)
        ],
        handed_off=1,
    ),
    Case("Expect: 100-continue", [post(CREATE, VALID, "Expect: 100-continue")], handed_off=1),
    Case("no Host", [post(host=False)], handed_off=1),
    Case("two Hosts", [post(CREATE, VALID, "Host: other.test")], handed_off=1),
    Case("two lengths", [post(CREATE, VALID, f"Content-Length: {len(VALID)}")], handed_off=1),
    Case("no length", [post(CREATE, b"", length=False)], handed_off=1),
    Case(
        "a length with a leading zero",
        [
            post(CREATE, VALID, length=False).replace(
                b"\r\n\r\n", b"\r\nContent-Length: 0%d\r\n\r\n" % len(VALID)
            )
        ],
        handed_off=1,
    ),
    Case(
        "a key with no token",
        [post(CREATE, VALID, "Authorization: Bearer ", key=None)],
        handed_off=1,
    ),
    Case(
        "bytes after Connection: close",
        [post(CREATE, VALID, "Connection: close") + post()],
        handed_off=1,
    ),
    Case("a repeated field", [post(CREATE, VALID, "X-Tag: a", "X-Tag: b")], handed_off=1),
    Case(
        "a repeated Content-Type",
        [post(CREATE, VALID, "Content-Type: application/json")],
        handed_off=1,
    ),
    Case(
        "a gzipped body",
        [post(CREATE, gzip.compress(VALID), "Content-Encoding: gzip")],
        handed_off=1,
    ),
    Case(
        "Proxy-Connection: close",
        [post(CREATE, VALID, "Proxy-Connection: close") + post()],
        handed_off=1,
    ),
    Case(
        "an old WebSocket handshake", [post(CREATE, VALID, "Sec-WebSocket-Key1: 1")], handed_off=1
    ),
    Case(
        "a malformed request after a plain one, in the same read",
        [post() + b"GARBAGE\r\n\r\n"],
        handed_off=1,
    ),
    Case(
        "a body shorter than its length, then the next request",
        [post(CREATE, b"[]", length=False).replace(b"\r\n\r\n", b"\r\nContent-Length: 1\r\n\r\n")],
        handed_off=1,
    ),
    Case(
        "a half-sent head with a length that is not a number",
        [post()[:-30].replace(b"Content-Type: application/json", b"Content-Length: -1")],
        handed_off=1,
    ),
    Case(
        "a half-sent length that is not a number",
        [post(CREATE, b"", length=False)[:-4] + b"\r\nContent-Length: 0x"],
        handed_off=1,
    ),
    Case(
        "a plain request, then a half-sent length that is not a number, in one read",
        [post(CREDITS, b"{}") + post()[:50] + b"\r\nContent-Length: 1x"],
        handed_off=1,
    ),
    Case(
        "a half-sent head with a chunked body",
        [post()[:-30].replace(b"Content-Type: application/json", b"Transfer-Encoding: chunked")],
        handed_off=1,
    ),
    Case("a half-sent head with a control character", [post()[:40] + b"\x01"], handed_off=1),
    Case(
        "a half-sent head with a blank before a colon",
        [post()[:60].replace(b"Host:", b"Host :")],
        handed_off=1,
    ),
    Case(
        "a half-sent head that repeats a field",
        [post()[:-40].replace(b"Host: mock.test", b"Host: mock.test\r\nHost: b")],
        handed_off=1,
    ),
    Case("a blank at the end of a value", [post(CREATE, VALID, "X-Tag: a ")], handed_off=1),
    Case("an empty value", [post(CREATE, VALID, "X-Tag:")], handed_off=1),
    Case(
        "a value beyond ASCII",
        [post(CREATE, VALID).replace(b"Content-Type", b"X-Name: caf\xc3\xa9\r\nContent-Type")],
        handed_off=1,
    ),
    Case("a folded field", [post(CREATE, VALID, "X-Tag: a", " folded")], handed_off=1),
    Case("a space before the colon", [post(CREATE, VALID, "X-Tag : a")], handed_off=1),
    Case("a head beyond 8,190 bytes", [post(CREATE, VALID, "X-Big: " + "b" * 9000)], handed_off=1),
    Case(
        "more than 100 fields",
        [post(CREATE, VALID, *[f"X-{n}: {n}" for n in range(120)])],
        handed_off=1,
    ),
    Case("a query string", [post(CREATE + "?x=1")], handed_off=1),
    Case(
        "a GET on the create route",
        [b"GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (CREATE.encode(), HOST.encode())],
        handed_off=1,
    ),
    Case("an unknown route", [post("/api/v2/nope")], handed_off=1),
    Case("not HTTP", [b"HELLO THERE\r\n\r\n"], handed_off=1),
    Case(
        "a TLS hello, which never ends a head",
        [bytes.fromhex("160301020001") + b"\x00" * 40],
        handed_off=1,
    ),
    Case("bare line feeds", [post().replace(b"\r\n", b"\n")], handed_off=1),
    Case("Connection: upgrade", [post(CREATE, VALID, "Connection: upgrade")], handed_off=1),
    Case("a fault preset", [post(CREATE, VALID, "X-Sora-Mock-Fault: error_500")], handed_off=1),
    Case("a fault rule", [post(), check_of(0)], handed_off=2, setup=add_fault),
    Case("the balance answered before its body came", [post(CREDITS, b"{}")[:-1]], handed_off=1),
    Case(
        "a body over the limit (413)",
        [post(CREATE, b'{"prompt": "%s"}' % (b"p" * 200))],
        handed_off=1,
        settings={"max_body_bytes": 64},
    ),
    Case(
        "after a hand-off, aiohttp answers the rest",
        [post() + post("/api/v2/nope") + post() + post(CHECK, b'{"taskId": "x"}')],
        handed_off=1,
    ),
    Case(
        "a file link",
        [
            post(),
            lambda answers: (
                b"GET /files/%s.mp4 HTTP/1.1\r\nHost: %s\r\n"
                b"Range: bytes=0-9\r\n\r\n" % (TASK_ID.findall(answers[0])[0], HOST.encode())
            ),
        ],
        handed_off=1,
        advance=60,
    ),
]


async def converse(
    server: BaseTestServer, raw: bytes, answers: int = 64, *, abandon: bool = False
) -> list[bytes]:
    """Send `raw` on a new connection; read up to `answers` answers, or until it closes. With
    `abandon`, the client sends its end of the stream and waits for the server's."""
    assert server.port is not None
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(raw)
    await writer.drain()
    read: list[bytes] = []
    if abandon:
        writer.write_eof()
        assert await asyncio.wait_for(reader.read(), 10) == b""
        writer.close()
        return read
    try:
        for _ in range(min(answers, max(1, raw.count(b"HTTP/1.")))):
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            except asyncio.IncompleteReadError:
                break
            found = re.search(rb"\r\ncontent-length: (\d+)", head, re.IGNORECASE)
            body = await reader.readexactly(int(found.group(1))) if found else b""
            read.append(DATE.sub(b"\r\nDate: DATE", head) + body)
    finally:
        writer.close()
    return read


async def admin(server: BaseTestServer, raw: bytes) -> list[bytes]:
    """An admin call, which the front hands to aiohttp: not counted among the case's own."""
    front = server.runner.server if server.runner else None
    handed = front.handed_off if isinstance(front, Front) else 0
    answers = await converse(server, raw)
    if isinstance(front, Front):
        front.handed_off = handed
    return answers


async def journal(server: BaseTestServer) -> list[dict[str, Any]]:
    raw = f"GET /__mock/requests HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n"
    answers = await admin(server, raw.encode())
    rows: list[dict[str, Any]] = json.loads(answers[0].partition(b"\r\n\r\n")[2])["requests"]
    return rows


@dataclass
class Served:
    answers: list[bytes]
    rows: list[dict[str, Any]]
    lines: list[str]
    front: Front | None


async def serve(case: Case, through_front: bool) -> Served:
    app = create_app(clock="manual", **case.settings)
    stream = io.StringIO()
    log = app[REQUEST_LOG] = RequestLog(stream, "text")
    server: BaseTestServer = FrontTestServer(app) if through_front else TestServer(app)
    await server.start_server()
    try:
        if case.setup is not None:
            await case.setup(server)
        answers: list[bytes] = []
        for send in case.conversations:
            raw = send if isinstance(send, bytes) else send(answers)
            answers.extend(await converse(server, raw, abandon=case.abandon))
            if case.advance:  # the admin API's clock, over HTTP
                body = json.dumps({"seconds": case.advance}).encode()
                await admin(
                    server,
                    (
                        f"POST /__mock/clock/advance HTTP/1.1\r\nHost: {HOST}\r\n"
                        f"Content-Length: {len(body)}\r\n\r\n"
                    ).encode()
                    + body,
                )
        front = server.runner.server if through_front and server.runner else None
        assert front is None or isinstance(front, Front)
        rows = await journal(server)
        started = time.perf_counter()
        while case.rows is not None and len(rows) < case.rows:  # a handler still finishing
            assert time.perf_counter() - started < 1.0, "gave up waiting for the journal"
            rows = await journal(server)
        log.flush()
        lines = MS.sub(" MS ", STAMP.sub("", stream.getvalue())).splitlines()
        return Served(answers, rows, lines, front)
    finally:
        await server.close()


def assert_same(case: Case, by_aiohttp: Served, by_front: Served) -> None:
    assert by_front.answers == by_aiohttp.answers
    assert by_front.rows == by_aiohttp.rows
    assert by_front.lines == by_aiohttp.lines
    assert by_front.front is not None


@pytest.mark.parametrize("case", PLAIN, ids=lambda case: case.name)
async def test_a_plain_request_is_answered_by_the_front_as_aiohttp_answers_it(case: Case) -> None:
    by_aiohttp, by_front = await serve(case, False), await serve(case, True)
    assert by_aiohttp.answers or by_aiohttp.rows, "the case got no answer and no row"
    assert_same(case, by_aiohttp, by_front)
    assert by_front.front is not None
    assert by_front.front.handed_off == 0, "the front gave a plain request to aiohttp"


@pytest.mark.parametrize("case", HANDED, ids=lambda case: case.name)
async def test_anything_else_is_handed_to_aiohttp_with_every_byte(case: Case) -> None:
    by_aiohttp, by_front = await serve(case, False), await serve(case, True)
    assert by_aiohttp.answers, "the case got no answer"
    assert_same(case, by_aiohttp, by_front)
    assert by_front.front is not None
    assert by_front.front.handed_off == case.handed_off


def test_every_case_has_a_name_of_its_own() -> None:
    names = [case.name for case in (*PLAIN, *HANDED)]
    assert len(names) == len(set(names))


# -- delivery: however the bytes are cut, the answers are the same ---------------------------

PIPELINE: Final = post() + post(CREATE, b"[]") + post(CREDITS, b"{}") + post(SORA_VIDEO, VIDEO_BODY)


@pytest.fixture
async def front_server() -> Any:
    server = FrontTestServer(create_app(clock="manual"))
    await server.start_server()
    yield server
    await server.close()


async def send_in_pieces(server: BaseTestServer, pieces: Sequence[bytes]) -> list[bytes]:
    assert server.port is not None
    reader, writer = await asyncio.open_connection(server.host, server.port)
    for piece in pieces:
        writer.write(piece)
        await writer.drain()
    read = []
    for _ in range(PIPELINE.count(b"HTTP/1.1")):
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        found = re.search(rb"\r\nContent-Length: (\d+)", head)
        assert found is not None
        read.append(DATE.sub(b"", head) + await reader.readexactly(int(found.group(1))))
    writer.close()
    return read


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(cuts=st.lists(st.integers(min_value=1, max_value=len(PIPELINE) - 1), max_size=12))
async def test_a_request_cut_anywhere_is_answered_as_a_whole_one(cuts: list[int]) -> None:
    """Four pipelined requests, cut into pieces at any bytes, each piece sent and drained on its
    own: the answers are those of the whole, on a fresh server each time."""
    points = [0, *sorted(set(cuts)), len(PIPELINE)]
    pieces = [PIPELINE[a:b] for a, b in itertools.pairwise(points)]
    answers = []
    for sent in ([PIPELINE], pieces):
        server = FrontTestServer(create_app(clock="manual"))
        await server.start_server()
        try:
            answers.append(await send_in_pieces(server, sent))
            assert isinstance(server.runner.server if server.runner else None, Front)
        finally:
            await server.close()
    assert answers[0] == answers[1]
    assert len(answers[0]) == 4


# -- what only the front has to get right ----------------------------------------------------


class Wire(asyncio.Transport):
    """A connection's server side, fed by hand: what the front writes, and whether it closed."""

    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return ("127.0.0.1", 40000) if name == "peername" else default

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...


def front_of(server: BaseTestServer) -> Front:
    front = server.runner.server if server.runner else None
    assert isinstance(front, Front)
    return front


async def test_a_body_still_arriving_when_the_mock_is_reset_changes_nothing(
    front_server: BaseTestServer,
) -> None:
    """As on aiohttp's path (tests/admin/test_journal.py): the row starts with the head, so a
    reset before the body is all there answers A1's 500 and journals nothing."""
    front = front_of(front_server)
    wire = Wire()
    connection = front()
    connection.connection_made(wire)
    raw = post()
    connection.data_received(raw[:-10])
    assert wire.written == b""
    front.sim.reset()
    connection.data_received(raw[-10:])
    answer = bytes(wire.written)
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert json.loads(answer.partition(b"\r\n\r\n")[2]) == {
        "code": 500,
        "message": errors.MSG_RESET_IN_FLIGHT,
        "data": None,
    }
    assert len(front.sim.journal) == 0
    assert front.handed_off == 0


async def test_a_large_body_in_many_pieces_is_answered_once(
    front_server: BaseTestServer,
) -> None:
    front = front_of(front_server)
    wire = Wire()
    connection = front()
    connection.connection_made(wire)
    image = "A" * (4 * 1024 * 1024)  # not an image: a 400 after the whole body is read
    body = {"model": "sora-2-image-to-video", "prompt": "a fox", "imageData": image}
    raw = post(CREATE, json.dumps(body).encode())
    for at in range(0, len(raw), 65536):
        connection.data_received(raw[at : at + 65536])
    assert wire.written.count(b"HTTP/1.1 200 OK") == 1
    rows = front.sim.journal.query()
    assert len(rows) == 1
    assert rows[0]["code"] == 400
    assert rows[0]["body"]["imageData"].endswith(f"…({len(image)} chars)")


@pytest.mark.parametrize("accept", ["text/plain", "text/html"])
async def test_a_bug_gets_aiohttps_500_and_is_reported(
    monkeypatch: pytest.MonkeyPatch, accept: str
) -> None:
    """An exception that escapes an answer: the client gets the 500 aiohttp's own handler would
    send, and the connection closes, leaving what was sent behind it unanswered; `on_error`
    (the fixture's record) is told of it."""

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(Simulator, "create_task", broken)
    seen: list[BaseException] = []
    answers = []
    for server in (
        TestServer(create_app(clock="manual")),
        FrontTestServer(create_app(clock="manual"), on_error=seen.append),
    ):
        await server.start_server()
        try:
            sent = post(CREATE, VALID, f"Accept: {accept}") + post(CREDITS, b"{}")
            answers.append(await converse(server, sent))
        finally:
            await server.close()
    assert answers[0] == answers[1]
    assert len(answers[0]) == 1
    assert answers[0][0].startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    assert [str(exc) for exc in seen] == ["a bug"]


async def test_an_idle_connection_is_closed_after_the_keep_alive_timeout() -> None:
    """aiohttp closes a keep-alive connection idle for `keepalive_timeout`; so does the front."""
    server = FrontTestServer(create_app(clock="manual"), keepalive_timeout=0.05)
    await server.start_server()
    try:
        assert server.port is not None
        reader, writer = await asyncio.open_connection(server.host, server.port)
        writer.write(post())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        assert head.startswith(b"HTTP/1.1 200 OK")
        await asyncio.wait_for(reader.read(), 10)  # the answer's body, then the server's close
        assert reader.at_eof()
        assert front_of(server).connections == set()
        writer.close()
    finally:
        await server.close()


async def test_stopping_the_server_closes_the_fronts_connections() -> None:
    server = FrontTestServer(create_app(clock="manual"))
    await server.start_server()
    assert server.port is not None
    reader, writer = await asyncio.open_connection(server.host, server.port)
    writer.write(post() + post()[:20])  # one answered, one half sent
    await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    await asyncio.wait_for(server.close(), 10)
    await asyncio.wait_for(reader.read(), 10)
    assert reader.at_eof()
    writer.close()


@pytest.mark.parametrize(("setting", "kind"), [("mock", FrontRunner), ("aiohttp", web.AppRunner)])
def test_the_front_setting_chooses_what_serves(setting: str, kind: type) -> None:
    """`front = "aiohttp"` (SORA_MOCK_FRONT, --front) serves every request through aiohttp."""
    made = runner(create_app(clock="manual", front=setting))
    assert type(made) is kind


async def test_a_connection_idle_for_less_than_the_timeout_stays_open() -> None:
    """The sweep closes only what has been idle for the whole timeout: a connection made just
    before it, silent or halfway through a head, is kept; one with a body arriving is kept."""
    server = FrontTestServer(create_app(clock="manual"), keepalive_timeout=3600)
    await server.start_server()
    try:
        front = front_of(server)
        wires = [Wire(), Wire(), Wire()]
        for wire, sent in zip(wires, [b"", post()[:30], post()[:-5]], strict=True):
            connection = front()
            connection.connection_made(wire)
            if sent:
                connection.data_received(sent)
        front._close_idle(3600)  # the sweep, run now rather than in 15 minutes
        assert [wire.closed for wire in wires] == [False, False, False]
        for connection in list(front.connections):
            connection.close_if_idle(since=front._loop.time() + 1)  # as if an hour had passed
        assert [wire.closed for wire in wires] == [True, True, False]
    finally:
        await server.close()


async def test_the_date_is_written_as_aiohttp_writes_it() -> None:
    """The parity cases set `Date` aside; here it is compared: the same format (IMF-fixdate),
    and the same second or the next (the two answers are made a moment apart)."""
    dates = []
    for server in (TestServer(create_app(clock="manual")), FrontTestServer(create_app())):
        await server.start_server()
        try:
            assert server.port is not None
            reader, writer = await asyncio.open_connection(server.host, server.port)
            writer.write(post())
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            writer.close()
        finally:
            await server.close()
        found = re.search(rb"\r\nDate: ([^\r]*)", head)
        assert found is not None
        dates.append(found.group(1).decode())
    shape = re.compile(
        r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug"
        r"|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT"
    )
    assert all(shape.fullmatch(date) for date in dates), dates
    by_aiohttp, by_front = (parsedate_to_datetime(date) for date in dates)
    assert 0 <= (by_front - by_aiohttp).total_seconds() <= 1


class Recorder(asyncio.Protocol):
    """Stands in for aiohttp's protocol after a hand-off: what it was given, and how."""

    def __init__(self) -> None:
        self.reads: list[bytes] = []
        self.paused = False

    def data_received(self, data: bytes) -> None:
        self.reads.append(data)

    def pause_writing(self) -> None:
        self.paused = True


class HandingWire(Wire):
    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.protocol = protocol


@pytest.mark.parametrize("paused", [False, True])
async def test_a_hand_off_gives_aiohttp_the_reads_as_they_came(
    front_server: BaseTestServer, monkeypatch: pytest.MonkeyPatch, paused: bool
) -> None:
    """aiohttp's parser sees a read as a whole (a malformed part refuses all of it, and its 400
    quotes the read): the front hands the reads since its first unanswered request over one by
    one, and a transport whose writing is paused stays paused for aiohttp."""
    front = front_of(front_server)
    recorder = Recorder()
    monkeypatch.setattr(front, "inner", lambda: recorder)
    wire = HandingWire()
    connection = front()
    connection.connection_made(wire)
    if paused:
        connection.pause_writing()
    first, second = post() + post()[:-10], post()[-10:] + b"GARBAGE\r\n\r\n"
    connection.data_received(first)
    assert wire.written.count(b"HTTP/1.1 200 OK") == 1  # the first request, whole and plain
    connection.data_received(second)
    assert wire.protocol is recorder
    assert recorder.reads == [post()[:-10], second]
    assert wire.written.count(b"HTTP/1.1 200 OK") == 1
    assert recorder.paused is paused


async def test_with_no_keep_alive_aiohttp_serves_alone() -> None:
    """keepalive_timeout=0 has aiohttp close after every answer; the front then stands aside."""
    server = FrontTestServer(create_app(clock="manual"), keepalive_timeout=0)
    await server.start_server()
    try:
        assert server.runner is not None
        assert not isinstance(server.runner.server, Front)
    finally:
        await server.close()


async def test_a_fault_rule_added_while_a_body_arrives_is_applied(
    front_server: BaseTestServer,
) -> None:
    """aiohttp's handlers take the fault step once the body is read: a rule added while a body
    is still arriving applies to it, through aiohttp, on the front's server too."""
    front = front_of(front_server)
    reader, writer = await asyncio.open_connection(front_server.host, front_server.port)
    raw = post()
    writer.write(raw[:-10])
    await writer.drain()
    rule = json.dumps({"route": "create", "action": "error", "code": 503})
    added = (
        f"POST /__mock/faults HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(rule)}\r\nConnection: close\r\n\r\n{rule}"
    )
    await admin(front_server, added.encode())
    writer.write(raw[-10:])
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    found = re.search(rb"\r\nContent-Length: (\d+)", head)
    assert found is not None
    body = json.loads(await reader.readexactly(int(found.group(1))))
    writer.close()
    assert body["code"] == 503
    assert front.handed_off == 1


async def test_a_head_seen_before_is_read_again_with_its_own_body(
    front_server: BaseTestServer,
) -> None:
    """Polls of two tasks send the same head (ids of one length): each gets its own task."""
    created = await converse(front_server, post() + post())
    first, second = (TASK_ID.search(answer).group(1) for answer in created)  # type: ignore[union-attr]
    polls = [post(CHECK, b'{"taskId": "%s"}' % task_id) for task_id in (first, second, first)]
    assert polls[0].partition(b"\r\n\r\n")[0] == polls[1].partition(b"\r\n\r\n")[0]
    answers = await converse(front_server, b"".join(polls))
    assert [first, second, first] == [TASK_ID.search(a).group(1) for a in answers]  # type: ignore[union-attr]
    assert 5 == front_of(front_server).answered


async def test_more_distinct_heads_than_are_remembered_are_each_read_as_sent(
    front_server: BaseTestServer,
) -> None:
    """Past the heads a server remembers (`HEADS_KEPT`), each request's own fields are still
    the ones its journal row shows, and the front still answers them."""
    count = HEADS_KEPT + 44
    sent = b"".join(post(CREDITS, b"", f"X-Trace: r{n}") for n in range(count))
    answers = await converse(front_server, sent, answers=count)
    assert count == len(answers) == front_of(front_server).answered
    rows = await journal(front_server)
    shown = [row["headers"]["X-Trace"] for row in rows]
    assert [f"r{n}" for n in range(count)] == shown
