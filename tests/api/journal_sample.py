"""A recorded run: one request of every kind, with the journal rows and log lines it produced.

`fixtures/journal/sample.json` holds what this sequence gave at the commit before the request
path was redesigned for speed (issue 17); `test_journal_sample.py` replays it and compares the
rows and the log lines field by field. Re-record only for a deliberate change of what the
journal or the log shows: `python -m tests.api.journal_sample`.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
from pathlib import Path
from typing import Any, Final

from aiohttp import ClientError
from aiohttp.test_utils import TestClient, TestServer
from multidict import CIMultiDict

from sora_mock import create_app
from sora_mock.http.keys import REQUEST_LOG
from sora_mock.http.logs import REQUESTS, JsonFormatter, RequestLog, TextFormatter

from .. import helpers as h

ROOT: Final = Path(__file__).resolve().parents[2]
SAMPLE: Final = ROOT / "fixtures" / "journal" / "sample.json"
SETTINGS: Final[dict[str, Any]] = {
    "clock": "manual",
    "max_body_bytes": 4096,
    "max_concurrent_tasks": 4,
}
# what differs between runs of the same requests: the test server's port, the client's
# version and accepted codings, and real milliseconds and wall-clock stamps in log lines
_MS_TEXT = re.compile(r" \d+\.\dms ")
_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ ")
_STAMP_LOGGING = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ")

Sent = tuple[str, str, bytes | None, list[tuple[str, str]]]


def _requests() -> list[Sent]:
    """Every request of the sequence except those that need an answer first."""
    auth = [("Authorization", f"Bearer {h.KEY}")]
    js = [("Content-Type", "application/json"), *auth]
    out: list[Sent] = []
    for path in sorted((ROOT / "fixtures" / "requests").glob("*.json")):
        body = json.loads(path.read_text())["request"]
        out.append(("POST", h.CREATE, json.dumps(body).encode(), js))
    text = json.dumps(h.TEXT_BODY).encode()
    image = {"model": "sora-2-image-to-video", "prompt": "p", "imageData": h.PNG_DATA_URL}
    # the clock moves on between groups, so the key's finished tasks leave room for more
    later: Sent = ("POST", "/__mock/clock/advance", b'{"seconds": 10}', [])
    out += [
        later,
        ("POST", h.CREATE, json.dumps({**h.TEXT_BODY, "nFrames": "12"}).encode(), js),
        ("POST", h.CREATE, json.dumps({**h.TEXT_BODY, "isPublic": False}).encode(), js),
        ("POST", h.CREATE, json.dumps({**h.TEXT_BODY, "extra": 1}).encode(), js),
        ("POST", h.CREATE, json.dumps(image).encode(), js),
        later,
        ("POST", h.CREATE, b'{"model": "sora-2-text-to-video", "model": "x"}', js),
        ("POST", h.CREATE, b'{"model": ', js),
        ("POST", h.CREATE, b"\xff\xfe{}", js),
        ("POST", h.CREATE, b'{"nFrames": NaN}', js),
        ("POST", h.CREATE, b"", js),
        ("POST", h.CREATE, b"[1, 2]", js),
        ("POST", h.CREATE, b'{"prompt": "' + b"x" * 5000 + b'"}', js),
        ("POST", h.CREATE, text, [("Content-Type", "application/json")]),
        ("POST", h.CREATE, text, [("Authorization", "Bearer ")]),
        ("POST", h.CREATE, text, [("Authorization", "Basic abc")]),
        ("POST", h.CREATE, text, [*js, ("X-Dup", "a"), ("x-dup", "b"), ("X-CuStOm", "v")]),
        later,
        ("POST", h.CREATE, text, [*js, ("X-Sora-Mock-Fault", "server_error")]),
        ("POST", h.CREATE, text, [*js, ("X-Sora-Mock-Fault", "malformed")]),
        ("POST", h.CREATE, text, [*js, ("X-Sora-Mock-Fault", "html")]),
        ("POST", h.CREATE, text, [*js, ("X-Sora-Mock-Fault", "rate_limited")]),
        ("POST", h.CREATE, text, [*js, ("X-Sora-Mock-Fault", "nope")]),
        ("POST", h.CREATE, text, [*js, ("X-Sora-Mock-Fault", "reset")]),
        later,
        ("POST", h.CREATE, text, [*js, ("X-Sora-Mock-Fault", "task_failed")]),
        ("POST", "/api/nope", text, js),
        ("GET", "/", None, []),
        ("GET", h.CREATE, None, auth),
        ("PUT", h.CHECK, b"{}", js),
        ("DELETE", h.SORA_VIDEO, None, auth),
        ("POST", "/files/abc.mp4", None, []),
        ("GET", "/__mock/nope", None, []),
        ("PATCH", "/__mock/requests", None, []),
        ("POST", h.CHECK, b'{"taskId": ""}', js),
        ("POST", h.CHECK, b'{"taskId": "0123456789abcdef0123456789abcdef"}', js),
        ("POST", h.CHECK, b"{}", auth),
        ("POST", "/api/get-user-credits", b"{}", js),
        ("POST", "/api/get-user-credits", None, []),
        later,
        ("POST", h.SORA_VIDEO, json.dumps(h.VIDEO_BODY).encode(), js),
        ("POST", h.SORA_VIDEO, b'{"model": "nope", "prompt": "", "aspectRatio": "1:1"}', js),
        ("GET", "/files/0123456789abcdef0123456789abcdef.mp4", None, []),
    ]
    busy = [("Content-Type", "application/json"), ("Authorization", "Bearer sk-busy")]
    out += [("POST", h.CREATE, text, busy)] * 5
    poor = [("Content-Type", "application/json"), ("Authorization", "Bearer sk-poor")]
    out += [("PUT", "/__mock/accounts/sk-poor", b'{"balance": 10}', [])]
    out += [("POST", h.CREATE, text, poor)]
    out += [("POST", "/__mock/faults", b'{"action": "error", "route": "credits", "code": 503}', [])]
    out += [("POST", "/api/get-user-credits", b"{}", js)]
    out += [("DELETE", "/__mock/faults", None, [])]
    return out


ANSWER_HEADERS: Final = ("Content-Type", "Allow", "Retry-After", "Content-Range", "Accept-Ranges")


async def _send(client: TestClient[Any, Any], sent: Sent, answers: list[Any]) -> None:
    """Send one request; note its answer (status, the headers that carry meaning, the body)."""
    method, path, body, headers = sent
    try:
        response = await client.request(method, path, data=body, headers=CIMultiDict(headers))
        raw = await response.read()
    except ClientError:  # a `reset` fault closes the connection on purpose
        answers.append(None)
        return
    shown = {name: response.headers[name] for name in ANSWER_HEADERS if name in response.headers}
    text = raw.decode("latin-1") if len(raw) < 4096 else f"{len(raw)} bytes"
    answers.append([response.status, shown, text])


async def run(
    log: RequestLog | None = None,
) -> tuple[list[dict[str, Any]], int, list[Any]]:
    """The sequence against a fresh app: the journal's rows, the server's port, the answers."""
    app = create_app(**SETTINGS)
    if log is not None:
        app[REQUEST_LOG] = log
    server = TestServer(app)
    client: TestClient[Any, Any] = TestClient(server)
    await client.start_server()
    answers: list[Any] = []
    try:
        for sent in _requests():
            await _send(client, sent, answers)
        auth = [("Content-Type", "application/json"), ("Authorization", f"Bearer {h.KEY}")]
        await h.advance(client, 10)  # the key's earlier tasks are done: room for one more
        task_id = await h.create_ok(client)
        check = json.dumps({"taskId": task_id}).encode()
        await _send(client, ("POST", h.CHECK, check, auth), answers)
        await h.advance(client, 10)
        await _send(client, ("POST", h.CHECK, check, auth), answers)
        video = f"/files/{task_id}.mp4"
        await _send(client, ("GET", video, None, []), answers)
        await _send(client, ("GET", video, None, [("Range", "bytes=0-9")]), answers)
        await _send(client, ("GET", video, None, [("Range", "bytes=99999999-")]), answers)
        await _send(client, ("HEAD", video, None, []), answers)
        response = await client.get("/__mock/requests")
        rows: list[dict[str, Any]] = (await response.json())["requests"]
        port = server.port
        assert port is not None
        return rows, port, answers
    finally:
        await client.close()


def normalized_rows(rows: list[dict[str, Any]], port: int) -> list[dict[str, Any]]:
    text = json.dumps(rows, ensure_ascii=False).replace(f":{port}", ":PORT")
    out: list[dict[str, Any]] = json.loads(text)
    for row in out:
        for name in row["headers"]:
            # the client's own: its version, and the codings its installed decoders accept
            if name.lower() in ("user-agent", "accept-encoding"):
                row["headers"][name] = "CLIENT"
    return out


def normalized_text(lines: list[str]) -> list[str]:
    return [_MS_TEXT.sub(" MSms ", _STAMP.sub("", line)) for line in lines]


def normalized_json(lines: list[str]) -> list[dict[str, Any]]:
    out = []
    for line in lines:
        entry = json.loads(line)
        entry["time"] = "TIME"
        entry["ms"] = 0
        out.append(entry)
    return out


class _Lines(logging.Handler):
    def __init__(self, formatter: logging.Formatter) -> None:
        super().__init__()
        self.setFormatter(formatter)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


async def record() -> dict[str, Any]:
    """Run the sequence four times: each log path (the command line's batched `RequestLog`,
    text and json; the `logging` path of embedded servers, text and json)."""
    out: dict[str, Any] = {}
    for log_format in ("text", "json"):
        stream = io.StringIO()
        rows, port, answers = await run(RequestLog(stream, log_format))
        await asyncio.sleep(0)  # the batch of the last iteration is flushed by call_soon
        lines = stream.getvalue().splitlines()
        out["journal"] = normalized_rows(rows, port)
        out["answers"] = json.loads(json.dumps(answers).replace(f":{port}", ":PORT"))
        if log_format == "text":
            out["log_text"] = normalized_text(lines)
        else:
            out["log_json"] = normalized_json(lines)
    text, js = _Lines(TextFormatter()), _Lines(JsonFormatter())
    level, propagate = REQUESTS.level, REQUESTS.propagate
    REQUESTS.addHandler(text)
    REQUESTS.addHandler(js)
    REQUESTS.setLevel(logging.INFO)
    REQUESTS.propagate = False
    try:
        rows, port, _ = await run()
    finally:
        REQUESTS.removeHandler(text)
        REQUESTS.removeHandler(js)
        REQUESTS.setLevel(level)
        REQUESTS.propagate = propagate
    out["journal_logging"] = normalized_rows(rows, port)
    out["logging_text"] = [_MS_TEXT.sub(" MSms ", _STAMP_LOGGING.sub("", x)) for x in text.lines]
    out["logging_json"] = normalized_json(js.lines)
    return out


def main() -> None:
    SAMPLE.parent.mkdir(exist_ok=True)
    sample = asyncio.run(record())
    SAMPLE.write_text(json.dumps(sample, indent=1, ensure_ascii=False) + "\n")
    print(f"written: {SAMPLE} ({len(sample['journal'])} rows)")


if __name__ == "__main__":
    main()
