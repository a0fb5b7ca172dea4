"""`sora-mock proxy` in front of stub upstreams that misbehave: long and stalled streams, headers,
encodings, failures, a key echoed back, settings the shadow must not depend on, recordings."""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import socket
import struct
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, Final

import aiohttp
import pytest
from aiohttp import web

from sora_mock.config import build
from sora_mock.core.errors import MSG_BODY_TOO_LARGE
from sora_mock.drift.proxy import Timeouts, create_proxy_app

from .conftest import KEY, run_cli

Serve = Callable[..., Awaitable[str]]
AUTH: Final = {"Authorization": f"Bearer {KEY}"}
SHORT: Final = 0.2  # an injected timeout, in seconds
EVENTS: Final = 6
CREDITS: Final = "/api/get-user-credits"
ENVELOPE: Final = {"code": 0, "message": "ok", "data": {"left_credits": 5}}


@pytest.fixture
async def release() -> AsyncIterator[asyncio.Event]:
    """What a stalling stub waits on: set when the test ends, so no stub outlives it."""
    event = asyncio.Event()
    yield event
    event.set()


def stub_at(
    path: str, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.Application:
    app = web.Application()
    app.router.add_route("*", path, handler)
    return app


async def proxy_of(serve: Serve, upstream: str, **kwargs: Any) -> str:
    settings = kwargs.pop("settings", build({}))
    return await serve(create_proxy_app(settings, upstream, allow_http=True, **kwargs))


async def rows(session: aiohttp.ClientSession, proxy: str) -> list[dict[str, Any]]:
    async with session.get(proxy + "/__mock/requests") as response:
        found: list[dict[str, Any]] = (await response.json())["requests"]
        return found


# -- 1: streams ---------------------------------------------------------------------------------


async def test_a_stream_lasting_longer_than_every_timeout_passes_whole(
    serve: Serve, tmp_path: Path
) -> None:
    """Events come every SHORT/2 s for EVENTS of them: longer in all than any timeout."""

    async def sse(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        loop = asyncio.get_running_loop()
        for i in range(EVENTS):
            tick = asyncio.Event()
            loop.call_later(SHORT / 2, tick.set)
            await tick.wait()
            await response.write(f'data: {{"n": {i}}}\n\n'.encode())
        await response.write_eof()
        return response

    short = Timeouts(connect=SHORT, first_byte=SHORT, read=SHORT, stream_idle=SHORT)
    upstream = await serve(stub_at("/api/v1/video/sora-video", sse))
    proxy = await proxy_of(serve, upstream, timeouts=short, record=tmp_path / "rec")
    body = {"model": "sora-2", "prompt": "a cat"}
    async with aiohttp.ClientSession() as session:
        async with session.post(proxy + "/api/v1/video/sora-video", json=body, headers=AUTH) as r:
            text = await asyncio.wait_for(r.text(), 10)
        assert EVENTS == text.count("data: ")
        (row,) = await rows(session, proxy)
    assert row["fault"] is None
    recorded = json.loads(next((tmp_path / "rec").iterdir()).read_text())
    assert EVENTS == recorded["response"]["body"].count("data: ")


async def test_a_stream_that_stalls_after_its_headers_ends_cleanly_journaled_and_recorded(
    serve: Serve, tmp_path: Path, release: asyncio.Event, caplog: pytest.LogCaptureFixture
) -> None:
    async def sse(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(b'data: {"n": 0}\n\n')
        await release.wait()
        return response

    short = Timeouts(stream_idle=SHORT)
    upstream = await serve(stub_at("/api/v1/video/sora-video", sse))
    proxy = await proxy_of(serve, upstream, timeouts=short, record=tmp_path / "rec")
    body = {"model": "sora-2", "prompt": "a cat"}
    async with aiohttp.ClientSession() as session:
        async with session.post(proxy + "/api/v1/video/sora-video", json=body, headers=AUTH) as r:
            text = await asyncio.wait_for(r.text(), 10)  # a clean end: no payload error
        assert 'data: {"n": 0}\n\n' == text
        (row,) = await rows(session, proxy)
    assert "silent" in row["fault"]
    recorded = json.loads(next((tmp_path / "rec").iterdir()).read_text())
    assert "silent" in recorded["failure"]
    assert [] == [r for r in caplog.records if r.exc_info]


# -- 2: headers and encodings -------------------------------------------------------------------


async def echo_headers(request: web.Request) -> web.StreamResponse:
    raw = await request.read()
    body = json.dumps({"headers": list(request.headers.items()), "raw": raw.hex()}).encode()
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        return web.Response(
            body=gzip.compress(body),
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )
    return web.Response(body=body, content_type="application/json")


async def raw_request(url: str, head: str, body: bytes = b"") -> tuple[str, bytes]:
    """A request written byte for byte (no client library adds a header); its answer's head
    and body (the connection is closed by the request's `Connection: close`)."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    top, _, rest = answer.partition(b"\r\n\r\n")
    return top.decode(), rest


async def test_the_upstream_receives_exactly_the_clients_own_headers(serve: Serve) -> None:
    upstream = await serve(stub_at(CREDITS, echo_headers), auto_decompress=False)
    proxy = await proxy_of(serve, upstream)
    head = (
        f"POST {CREDITS} HTTP/1.1\n"
        "Host: proxy.example\n"
        f"Authorization: Bearer {KEY}\n"
        "X-Client: mine\n"
        "Connection: close, X-Hop\n"
        "X-Hop: dropped\n"
        "Keep-Alive: timeout=5\n"
        "TE: trailers\n"
        "Proxy-Authorization: Basic eA==\n"
        "Content-Length: 2\n"
    )
    top, body = await raw_request(proxy, head, b"{}")
    assert "Content-Encoding" not in top  # the client asked for no encoding: none came
    seen = json.loads(body)["headers"]
    assert sorted(
        [
            ("Host", upstream.removeprefix("http://")),
            ("Authorization", f"Bearer {KEY}"),
            ("X-Client", "mine"),
            ("Content-Length", "2"),
        ]
    ) == sorted(tuple(h) for h in seen)


async def test_a_compressed_request_body_is_forwarded_as_it_came(serve: Serve) -> None:
    upstream = await serve(stub_at(CREDITS, echo_headers), auto_decompress=False)
    proxy = await proxy_of(serve, upstream)
    packed = gzip.compress(b"{}")
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            proxy + CREDITS,
            data=packed,
            headers={**AUTH, "Content-Encoding": "gzip", "Content-Type": "application/json"},
            auto_decompress=True,
        ) as response,
    ):
        seen = await response.json()
    assert packed.hex() == seen["raw"]
    assert ("Content-Encoding", "gzip") in [tuple(h) for h in seen["headers"]]


async def test_head_of_a_file_keeps_the_upstreams_length_and_server(serve: Serve) -> None:
    async def file(request: web.Request) -> web.StreamResponse:
        return web.Response(
            body=b"\0" * 1234, content_type="video/mp4", headers={"Server": "upstream-stub/1"}
        )

    proxy = await proxy_of(serve, await serve(stub_at("/files/x.mp4", file)))
    async with aiohttp.ClientSession() as session, session.head(proxy + "/files/x.mp4") as r:
        assert "1234" == r.headers["Content-Length"]
        assert "upstream-stub/1" == r.headers["Server"]


async def test_a_compressed_answer_is_passed_on_as_it_came_and_compared_decoded(
    serve: Serve, tmp_path: Path
) -> None:
    async def credits(request: web.Request) -> web.StreamResponse:
        body = gzip.compress(json.dumps(ENVELOPE).encode())
        headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
        return web.Response(body=body, headers=headers)

    folder = tmp_path / "rec"
    proxy = await proxy_of(serve, await serve(stub_at(CREDITS, credits)), record=folder)
    async with aiohttp.ClientSession() as session:
        async with session.post(proxy + CREDITS, json={}, headers=AUTH) as response:
            assert "gzip" == response.headers["Content-Encoding"]
            assert ENVELOPE == await response.json()
        (row,) = await rows(session, proxy)
    assert 0 == row["code"]
    assert "json" not in {d["aspect"] for d in row["drift"]}
    assert ENVELOPE == (await asyncio.to_thread(first_record, folder))["response"]["body"]


# -- 4: the key echoed back ---------------------------------------------------------------------


async def test_a_key_echoed_by_the_upstream_is_masked_in_records_and_journal(
    serve: Serve, tmp_path: Path
) -> None:
    async def echo_key(request: web.Request) -> web.StreamResponse:
        key = request.headers["Authorization"].removeprefix("Bearer ")
        return web.json_response({"code": 401, "message": f"Invalid key {key}", "data": None})

    folder = tmp_path / "rec"
    proxy = await proxy_of(serve, await serve(stub_at(CREDITS, echo_key)), record=folder)
    async with aiohttp.ClientSession() as session:
        async with session.post(proxy + CREDITS, json={}, headers=AUTH) as response:
            assert KEY in await response.text()  # the client gets the upstream's answer whole
        async with session.get(proxy + "/__mock/requests") as response:
            journal = await response.text()
    recorded = "".join(p.read_text() for p in folder.iterdir())
    assert KEY[-4:] in recorded
    assert KEY not in recorded
    assert KEY not in journal


# -- 5: upstream failures -----------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def failure(
    serve: Serve, upstream: str, folder: Path, **timeouts: float
) -> tuple[int, dict[str, Any], dict[str, Any], dict[str, Any]]:
    proxy = await proxy_of(serve, upstream, timeouts=Timeouts(**timeouts), record=folder)
    async with aiohttp.ClientSession() as session:
        async with session.post(proxy + CREDITS, json={}, headers=AUTH) as response:
            status, answer = response.status, await response.json()
        (row,) = await rows(session, proxy)
    return status, answer, row, await asyncio.to_thread(first_record, folder)


def first_record(folder: Path) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(next(folder.iterdir()).read_text())
    return found


async def test_an_upstream_that_refuses_gives_a_502_naming_it(serve: Serve, tmp_path: Path) -> None:
    status, answer, row, recorded = await failure(
        serve, f"http://127.0.0.1:{closed_port()}", tmp_path / "rec"
    )
    assert 502 == status == answer["code"] == row["http_status"]
    assert "refused" in answer["message"]
    assert "refused" in row["fault"]
    assert "refused" in recorded["failure"]


async def test_an_upstream_that_drops_mid_body_gives_a_502_naming_it(
    serve: Serve, tmp_path: Path
) -> None:
    async def drop(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "application/json", "Content-Length": "100"}
        )
        await response.prepare(request)
        await response.write(b'{"code":0')
        assert request.transport is not None
        request.transport.close()
        return response

    upstream = await serve(stub_at(CREDITS, drop))
    status, answer, row, recorded = await failure(serve, upstream, tmp_path / "rec")
    assert 502 == status == row["http_status"]
    assert "closed the connection mid-answer" in answer["message"]
    assert "mid-answer" in row["fault"]
    assert 502 == recorded["response"]["status"]


async def test_an_upstream_that_stalls_mid_body_gives_a_504_naming_it(
    serve: Serve, tmp_path: Path, release: asyncio.Event
) -> None:
    async def stall(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "application/json", "Content-Length": "100"}
        )
        await response.prepare(request)
        await response.write(b'{"code":0')
        await release.wait()
        return response

    upstream = await serve(stub_at(CREDITS, stall))
    status, answer, row, recorded = await failure(serve, upstream, tmp_path / "rec", read=SHORT)
    assert 504 == status == row["http_status"]
    assert "stalled" in answer["message"]
    assert "stalled" in recorded["failure"]


async def test_an_upstream_that_never_answers_gives_a_504(
    serve: Serve, tmp_path: Path, release: asyncio.Event
) -> None:
    async def silent(request: web.Request) -> web.StreamResponse:
        await release.wait()
        return web.Response()

    upstream = await serve(stub_at(CREDITS, silent))
    status, answer, row, _ = await failure(serve, upstream, tmp_path / "rec", first_byte=SHORT)
    assert 504 == status == row["http_status"]
    assert "did not answer within" in answer["message"]


# -- 6: the shadow does not depend on the user's accounts ---------------------------------------


@pytest.mark.parametrize(
    "settings",
    [{"default_balance": 0}, {"auto_provision": False, "accounts": {"sk-other-1234": {}}}],
)
async def test_the_proxy_starts_whatever_the_users_balance_or_accounts(
    serve: Serve, settings: dict[str, Any]
) -> None:
    async def credits(request: web.Request) -> web.StreamResponse:
        return web.json_response(ENVELOPE)

    upstream = await serve(stub_at(CREDITS, credits))
    proxy = await proxy_of(serve, upstream, settings=build(settings))
    async with (
        aiohttp.ClientSession() as session,
        session.post(proxy + CREDITS, json={}, headers=AUTH) as response,
    ):
        assert ENVELOPE == await response.json()


# -- 7: recordings that cannot be written -------------------------------------------------------


async def test_a_record_folder_that_cannot_be_made_is_refused_at_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    argv = ["proxy", "--upstream", "http://127.0.0.1:9", "--allow-http"]
    assert 2 == await run_cli(*argv, "--record", str(blocker / "rec"))
    err = capsys.readouterr().err
    assert 1 == len(err.splitlines())
    assert "--record" in err


async def test_a_record_write_that_fails_later_costs_the_client_nothing(
    serve: Serve, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def credits(request: web.Request) -> web.StreamResponse:
        return web.json_response(ENVELOPE)

    folder = tmp_path / "rec"
    proxy = await proxy_of(serve, await serve(stub_at(CREDITS, credits)), record=folder)
    folder.rmdir()
    folder.write_text("in the way")
    with caplog.at_level(logging.ERROR, logger="sora_mock.proxy"):
        async with (
            aiohttp.ClientSession() as session,
            session.post(proxy + CREDITS, json={}, headers=AUTH) as response,
        ):
            assert 200 == response.status
            assert ENVELOPE == await response.json()
    (line,) = [r for r in caplog.records if r.name == "sora_mock.proxy"]
    assert "--record" in line.getMessage()


# -- 13: the proxy's own paths; statuses that depend on the upstream's state --------------------


async def test_openapi_and_the_bare_admin_path_are_the_proxys_own(serve: Serve) -> None:
    seen: list[str] = []

    async def anything(request: web.Request) -> web.StreamResponse:
        seen.append(request.path)
        return web.json_response(ENVELOPE)

    proxy = await proxy_of(serve, await serve(stub_at("/{tail:.*}", anything)))
    async with aiohttp.ClientSession() as session:
        async with session.get(proxy + "/openapi.json") as response:
            assert 200 == response.status
            assert "openapi" in await response.json()
        async with session.get(proxy + "/__mock") as response:
            assert 404 == response.status
    assert [] == seen


@pytest.mark.parametrize(("code", "message"), [(402, "Insufficient credits"), (429, "Too many")])
async def test_an_upstream_refusal_of_state_the_shadow_cannot_know_is_no_drift(
    serve: Serve, code: int, message: str
) -> None:
    async def refuse(request: web.Request) -> web.StreamResponse:
        return web.json_response({"code": code, "message": message, "data": None})

    proxy = await proxy_of(serve, await serve(stub_at("/api/v1/video/sora-pro", refuse)))
    body = {"model": "sora-2-text-to-video", "prompt": "a fox"}
    async with aiohttp.ClientSession() as session:
        async with session.post(proxy + "/api/v1/video/sora-pro", json=body, headers=AUTH) as r:
            assert code == (await r.json())["code"]
        (row,) = await rows(session, proxy)
    assert [] == row["drift"]


# -- 14: bodies over the mock's max_body_bytes --------------------------------------------------

LIMIT: Final = 256
CREATED: Final = {"code": 0, "message": "ok", "data": {"taskId": "task-upstream-1"}}
# creates over LIMIT, under the stub's own 1 MiB: the first one in many reads, the second one
# under LIMIT gzipped (a few bytes that decode past it), the first one gzipped still over it
LARGE: Final = json.dumps({"model": "sora-2-text-to-video", "prompt": "a fox " * 50_000}).encode()
PACKED: Final = gzip.compress(
    json.dumps({"model": "sora-2-text-to-video", "prompt": "a" * 100_000}).encode()
)


async def in_pieces(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), 64 * 1024):
        yield body[start : start + 64 * 1024]


@pytest.mark.parametrize(
    ("framing", "sent", "encoding"),
    [
        ("Content-Length", LARGE, None),
        ("chunked", LARGE, None),
        ("Content-Length", PACKED, "gzip"),
        ("Content-Length", gzip.compress(LARGE), "gzip"),
    ],
    ids=["length", "chunked", "gzip-under-limit", "gzip-over-limit"],
)
async def test_a_body_over_the_mocks_limit_is_forwarded_and_its_413_is_drift(
    serve: Serve, framing: str, sent: bytes, encoding: str | None
) -> None:
    """The upstream takes what the mock would refuse: the client gets the upstream's answer,
    the row names the mock's 413."""
    seen: list[tuple[bytes, dict[str, str]]] = []

    async def accept(request: web.Request) -> web.StreamResponse:
        seen.append((await request.read(), dict(request.headers)))
        return web.json_response(CREATED, headers={"X-Upstream": "stub"})

    path = "/api/v1/video/sora-pro"
    upstream = await serve(stub_at(path, accept), auto_decompress=False)
    proxy = await proxy_of(serve, upstream, settings=build({"max_body_bytes": LIMIT}))
    headers = {**AUTH, "Content-Type": "application/json"}
    if encoding is not None:
        headers["Content-Encoding"] = encoding
    assert (len(sent) <= LIMIT) == (sent is PACKED)
    data = in_pieces(sent) if framing == "chunked" else sent
    async with aiohttp.ClientSession() as session:
        async with session.post(proxy + path, data=data, headers=headers) as response:
            assert (200, "stub") == (response.status, response.headers["X-Upstream"])
            assert json.dumps(CREATED).encode() == await response.read()
        (row,) = await rows(session, proxy)
    ((got, got_headers),) = seen
    assert sent == got
    if framing == "chunked":
        assert "chunked" == got_headers["Transfer-Encoding"]
    else:
        assert str(len(sent)) == got_headers["Content-Length"]
    drift = {d["aspect"]: (d["mock"], d["upstream"]) for d in row["drift"]}
    assert (413, 0) == drift["code"]
    assert (MSG_BODY_TOO_LARGE.format(limit=LIMIT), "ok") == drift["message"]
    assert (200, 0) == (row["http_status"], row["code"])
    assert row["body"].startswith('{"model": "sora-2-text-to-video"')  # its first bytes only


async def gone_mid_body(
    proxy: str, path: str, length: int, sent: bytes, first: asyncio.Event | None = None
) -> dict[str, Any]:
    """A raw client announces a body of `length` bytes, sends `sent` of it and goes away (once
    `first` is set, when given): the proxy's one journal row."""
    host, port = proxy.removeprefix("http://").rsplit(":", 1)
    _, writer = await asyncio.open_connection(host, int(port))
    head = f"POST {path} HTTP/1.1\r\nHost: proxy\r\nContent-Length: {length}\r\n\r\n"
    writer.write(head.encode() + sent)
    await writer.drain()
    if first is not None:
        await asyncio.wait_for(first.wait(), 10)
    writer.close()
    return await the_one_row(proxy)


async def the_one_row(proxy: str) -> dict[str, Any]:
    """The proxy's one journal row, once it is there: an exchange whose client went away is
    journaled when the proxy notices, after the client's last byte. Each look is a request (no
    sleep), at most 200 of them within 10 s."""
    async with aiohttp.ClientSession() as session, asyncio.timeout(10):
        for _ in range(200):
            if found := await rows(session, proxy):
                break
        (row,) = found
    return row


async def test_a_client_that_goes_away_mid_body_over_the_limit_is_journaled_as_such(
    serve: Serve,
) -> None:
    reached = asyncio.Event()

    async def reads(request: web.Request) -> web.StreamResponse:
        reached.set()
        await request.read()
        return web.json_response(CREATED)

    path = "/api/v1/video/sora-pro"
    upstream = await serve(stub_at(path, reads))
    proxy = await proxy_of(serve, upstream, settings=build({"max_body_bytes": LIMIT}))
    # the body is being passed on when the client goes
    row = await gone_mid_body(proxy, path, len(LARGE), LARGE[: LIMIT * 4], reached)
    assert 502 == row["http_status"]
    assert "the client went away mid-body" in row["fault"]


async def test_a_client_that_goes_away_mid_body_within_the_limit_is_journaled_not_forwarded(
    serve: Serve,
) -> None:
    reached = asyncio.Event()

    async def reads(request: web.Request) -> web.StreamResponse:
        reached.set()
        return web.json_response(CREATED)

    path = "/api/v1/video/sora-pro"
    upstream = await serve(stub_at(path, reads))
    proxy = await proxy_of(serve, upstream, settings=build({"max_body_bytes": LIMIT}))
    row = await gone_mid_body(proxy, path, LIMIT, b'{"model": ')
    assert (None, None) == (row["http_status"], row["code"])  # nobody was answered
    assert "the client went away mid-body; nothing was forwarded" == row["fault"]
    assert not reached.is_set()


# -- 15: result files (A4) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "status", "content_type", "expected"),
    [
        ("POST", 404, "text/plain", [("file status", 405, 404)]),
        ("POST", 405, "text/plain", []),
        (
            "GET",
            200,
            "application/octet-stream",
            [("file type", "video/mp4", "application/octet-stream")],
        ),
        (
            "HEAD",
            200,
            "application/octet-stream",
            [("file type", "video/mp4", "application/octet-stream")],
        ),
        ("GET", 206, "video/mp4", []),
        ("GET", 404, "application/json", []),  # the proxy cannot know the upstream's tasks
        ("GET", 302, "text/html", []),  # a status the mock has no form of: nothing to compare
    ],
)
async def test_a_file_link_drifts_on_its_method_and_the_type_of_a_served_file(
    serve: Serve, method: str, status: int, content_type: str, expected: list[tuple[str, Any, Any]]
) -> None:
    async def file(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, body=b"\0" * 16, content_type=content_type)

    proxy = await proxy_of(serve, await serve(stub_at("/files/{name}", file)))
    async with aiohttp.ClientSession() as session:
        async with session.request(method, proxy + "/files/task-1.mp4", allow_redirects=False) as r:
            assert status == r.status
        (row,) = await rows(session, proxy)
    assert "files" == row["route"]
    assert expected == [(d["aspect"], d["mock"], d["upstream"]) for d in row["drift"]]
    assert all(("A4", None) == (d["section"], d["variants"]) for d in row["drift"])


HALF: Final = 64 * 1024


def half_a_file(more: asyncio.Event) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """A file of 2 * HALF bytes whose second half is sent once `more` is set."""

    async def file(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(
            headers={"Content-Type": "video/mp4", "Content-Length": str(2 * HALF)}
        )
        await response.prepare(request)
        await response.write(b"\1" * HALF)
        await more.wait()
        await response.write(b"\2" * HALF)
        return response

    return file


async def test_a_file_is_passed_on_as_it_comes_not_held_whole(serve: Serve, tmp_path: Path) -> None:
    """The client reads the file's first half while the upstream still holds the second: the
    proxy does not wait for (nor keep) the whole file before answering."""
    more = asyncio.Event()
    upstream = await serve(stub_at("/files/{name}", half_a_file(more)))
    proxy = await proxy_of(serve, upstream, record=tmp_path / "rec")
    async with aiohttp.ClientSession() as session:
        async with session.get(proxy + "/files/task-1.mp4") as r:
            first = await asyncio.wait_for(r.content.readexactly(HALF), 10)
            more.set()
            rest = await asyncio.wait_for(r.content.read(), 10)
        assert (200, str(2 * HALF)) == (r.status, r.headers["Content-Length"])
        assert b"\1" * HALF + b"\2" * HALF == first + rest
        (row,) = await rows(session, proxy)
    assert (200, None, [], None) == (row["http_status"], row["code"], row["drift"], row["fault"])
    recorded = await asyncio.to_thread(first_record, tmp_path / "rec")
    assert f"({2 * HALF} bytes)" == recorded["response"]["body"]


async def test_a_file_that_stalls_after_its_head_is_cut_short_and_the_row_says_why(
    serve: Serve, tmp_path: Path, release: asyncio.Event, caplog: pytest.LogCaptureFixture
) -> None:
    """Once the head has gone out no 504 can follow: the client's answer ends short of its
    Content-Length (a payload error, not a whole file), and the row and record name the stall."""
    upstream = await serve(stub_at("/files/{name}", half_a_file(release)))
    proxy = await proxy_of(serve, upstream, timeouts=Timeouts(read=SHORT), record=tmp_path / "rec")
    async with aiohttp.ClientSession() as session:
        async with session.get(proxy + "/files/task-1.mp4") as r:
            assert 200 == r.status
            with pytest.raises(aiohttp.ClientPayloadError):
                await asyncio.wait_for(r.read(), 10)
        (row,) = await rows(session, proxy)
    assert 200 == row["http_status"]
    assert f"stalled after {HALF} bytes" in row["fault"]
    recorded = await asyncio.to_thread(first_record, tmp_path / "rec")
    assert f"stalled after {HALF} bytes" in recorded["failure"]
    assert [] == [r for r in caplog.records if r.exc_info]


async def test_a_client_that_leaves_mid_download_is_journaled_with_what_it_was_given(
    serve: Serve, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The row says the client went away, and counts the bytes handed to its connection, not
    those read from the upstream after it left."""
    more = asyncio.Event()
    upstream = await serve(stub_at("/files/{name}", half_a_file(more)))
    proxy = await proxy_of(serve, upstream, record=tmp_path / "rec")
    host, port = proxy.removeprefix("http://").rsplit(":", 1)
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(b"GET /files/task-1.mp4 HTTP/1.1\r\nHost: proxy\r\n\r\n")
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    assert head.startswith(b"HTTP/1.1 200")
    await asyncio.wait_for(reader.readexactly(HALF), 10)
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.close()  # a reset: the client is gone
    more.set()  # the upstream's second half now meets a closed connection
    row = await the_one_row(proxy)
    assert 200 == row["http_status"]
    assert f"the client went away after {HALF} bytes of the file" == row["fault"]
    recorded = await asyncio.to_thread(first_record, tmp_path / "rec")
    assert f"({HALF} bytes)" == recorded["response"]["body"]
    assert [] == [r for r in caplog.records if r.exc_info]
