"""The harness of the behaviour sample (`behaviour_sample.py`): one app served by aiohttp's
`TestServer`, a loopback webhook receiver, and a `Run` that sends each step and records it."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import socket
from dataclasses import dataclass, field
from typing import Any, Final

from aiohttp import ClientError, ClientResponse, web
from aiohttp.test_utils import TestClient

KEY: Final = "sk-behaviour-0001"
OTHER: Final = "sk-behaviour-0002"
CREATE: Final = "/api/v1/video/sora-pro"
VIDEO: Final = "/api/v1/video/sora-video"
CHECK: Final = "/api/video-generations/check-result"
CREDITS: Final = "/api/get-user-credits"
TEXT: Final[dict[str, Any]] = {"model": "sora-2-text-to-video", "prompt": "a fox in the snow"}
CLIP: Final[dict[str, Any]] = {"model": "sora-2", "prompt": "a fox in the snow"}
PNG: Final = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQ"
    "DJ/pLvAAAAAElFTkSuQmCC"
)
# JPEG bytes declared as a PNG: only strict mode checks the signature (A2)
NOT_PNG: Final = (
    "data:image/png;base64," + base64.b64encode(b"\xff\xd8\xff\xe0" + b"\0" * 12).decode()
)
ANSWER_HEADERS: Final = (
    "Content-Type",
    "Allow",
    "Retry-After",
    "Content-Range",
    "Accept-Ranges",
    "Cache-Control",
)
WAIT: Final = 5.0  # seconds: the bound of every wait for the server or the receiver
LONG: Final = 4096

Json = dict[str, Any]


def _cut(raw: bytes) -> Any:
    if len(raw) > LONG:
        return {"length": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}
    return raw.decode("utf-8", "backslashreplace")


class Receiver:
    """A loopback webhook receiver: records every request, answers the queued statuses."""

    def __init__(self) -> None:
        self.received: list[Json] = []
        self.statuses: list[int] = []
        self._seen = 0
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.received.append(
            {
                "method": request.method,
                "path": request.path_qs,
                "headers": dict(request.headers),
                "body": _cut(raw),
            }
        )
        status = self.statuses.pop(0) if self.statuses else 200
        return web.Response(status=status, text="received")

    def new(self) -> list[Json]:
        """What arrived since the last call."""
        fresh = self.received[self._seen :]
        self._seen = len(self.received)
        return fresh


@dataclass
class Run:
    """One scenario's app, client and receiver, and the steps it recorded."""

    client: TestClient[Any, Any]
    hook: Receiver
    admin_headers: dict[str, str]
    steps: list[Json] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)

    def _key(self, key: str | None) -> None:
        if key and key not in self.keys:
            self.keys.append(key)

    def note(self, label: str, **fields: Any) -> None:
        self.steps.append({"step": label, **fields})

    # -- provider requests -----------------------------------------------------------------

    async def send(
        self,
        label: str,
        method: str,
        path: str,
        body: Any = None,
        *,
        key: str | None = KEY,
        headers: dict[str, str] | None = None,
    ) -> Json | None:
        """One provider request; returns the answer as recorded (None: connection dropped)."""
        sent: dict[str, str] = {}
        data: bytes | None = None
        if isinstance(body, bytes):
            data = body
        elif body is not None:
            data = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        if key is not None:
            sent["Authorization"] = f"Bearer {key}"
            self._key(key)
        sent.update(headers or {})
        request = {"method": method, "path": path, "headers": sent}
        if data is not None:
            request["body"] = _cut(data)
        try:
            response = await asyncio.wait_for(
                self.client.request(method, path, data=data, headers=sent), WAIT
            )
            raw = await asyncio.wait_for(response.read(), WAIT)
        except ClientError:  # a `reset` or `timeout` fault drops the connection on purpose
            self.note(label, request=request, answer=None)
            return None
        answer = {
            "status": response.status,
            "headers": _headers(response),
            "body": _body(response, raw),
        }
        self.note(label, request=request, answer=answer)
        return answer

    async def task(self, label: str, path: str, body: Any, key: str = KEY, **kw: Any) -> str:
        """A create that must succeed; its taskId."""
        answer = await self.send(label, "POST", path, body, key=key, **kw)
        assert answer is not None, label
        assert answer["status"] == 200, (label, answer)
        envelope = json.loads(answer["body"])
        assert envelope["code"] == 0, (label, envelope)
        data = envelope["data"]  # under variants, A6's `data` may be `{"id"}` alone (G)
        task_id: str = data["taskId"] if "taskId" in data else data["id"]
        return task_id

    async def check(self, label: str, task_id: str, key: str = KEY, **kw: Any) -> Json | None:
        answer = await self.send(label, "POST", CHECK, {"taskId": task_id}, key=key, **kw)
        if answer is None or not isinstance(answer["body"], str):
            return None
        try:
            envelope: Json = json.loads(answer["body"])
        except ValueError:  # a `malformed` fault's cut-off body
            return None
        return envelope

    # -- the admin API ---------------------------------------------------------------------

    async def admin(
        self, label: str, method: str, path: str, body: Any = None, *, token: bool = True
    ) -> Any:
        """One admin request (`token=False`: without the admin token's header, if one is set);
        the parsed answer, recorded with its status."""
        sent = dict(self.admin_headers) if token else {}
        data = None if body is None else json.dumps(body).encode()
        if data is not None:
            sent["Content-Type"] = "application/json"
        response = await asyncio.wait_for(
            self.client.request(method, f"/__mock{path}", data=data, headers=sent), WAIT
        )
        raw = await asyncio.wait_for(response.read(), WAIT)
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = _cut(raw)
        request = {"method": method, "path": f"/__mock{path}", "body": body}
        shown = _headers(response)
        self.note(label, request=request, status=response.status, headers=shown, json=value)
        return value

    async def advance(self, label: str, seconds: float) -> None:
        await self.admin(label, "POST", "/clock/advance", {"seconds": seconds})

    async def fault(self, label: str, **rule: Any) -> str:
        added = await self.admin(label, "POST", "/faults", rule)
        rule_id: str = added.get("id", "")
        return rule_id

    def received(self, label: str) -> None:
        """The receiver's requests since the last look (call after an advance: it drains),
        by delivery id, each delivery's own in arrival order: deliveries due at one moment
        are attempted concurrently (A7 revision 3), so their arrival order is not defined."""
        fresh = self.hook.new()
        self.note(label, received=sorted(fresh, key=_delivery_id))

    async def checkpoint(self, label: str) -> None:
        """Every admin read: journal, tasks (and each), accounts (and each ledger), webhooks,
        faults, clock."""
        await self.admin(f"{label}: requests", "GET", "/requests")
        tasks = await self.admin(f"{label}: tasks", "GET", "/tasks")
        for task in tasks.get("tasks", []):
            await self.admin(f"{label}: task", "GET", f"/tasks/{task['taskId']}")
        await self.admin(f"{label}: accounts", "GET", "/accounts")
        for key in self.keys:
            await self.admin(f"{label}: ledger", "GET", f"/accounts/{key}/ledger")
        await self.admin(f"{label}: webhooks", "GET", "/webhooks")
        await self.admin(f"{label}: faults", "GET", "/faults")
        await self.admin(f"{label}: clock", "GET", "/clock")

    # -- the SSE stream --------------------------------------------------------------------

    async def stream(self, label: str, body: Any, key: str = KEY, **headers: str) -> Stream:
        """Open a stream (A8) and read it concurrently; `Stream.next` waits for one event."""
        sent = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {key}",
            "Accept": "text/event-stream",
            **headers,
        }
        self._key(key)
        response = await asyncio.wait_for(
            self.client.post(VIDEO, data=json.dumps(body).encode(), headers=sent), WAIT
        )
        request = {"method": "POST", "path": VIDEO, "headers": sent, "body": json.dumps(body)}
        opened = Stream(self, label, response)
        self.note(
            f"{label}: opened", request=request, status=response.status, headers=_headers(response)
        )
        return opened


class Stream:
    """One open SSE answer, read by a task of its own; the events arrive on a queue."""

    def __init__(self, run: Run, label: str, response: ClientResponse) -> None:
        self.run = run
        self.label = label
        self.response = response
        self.text: list[str] = []
        self.events: asyncio.Queue[str] = asyncio.Queue()
        self.reader = asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        while True:
            try:
                raw = await self.response.content.readuntil(b"\n\n")
            except ValueError:  # the end came without a separator: keep what there is
                raw = await self.response.content.read()
            if not raw:
                return
            text = raw.decode()
            self.text.append(text)
            await self.events.put(text)

    async def next(self, label: str) -> str:
        """The next event, bounded: a missing event fails the run instead of hanging it."""
        event = await asyncio.wait_for(self.events.get(), WAIT)
        self.run.note(f"{self.label}: {label}", event=event)
        return event

    async def end(self) -> None:
        """Read to the end; the whole text the stream sent."""
        await asyncio.wait_for(self.reader, WAIT)
        rest: list[str] = []
        while not self.events.empty():
            rest.append(self.events.get_nowait())
        self.run.note(f"{self.label}: ended", unread=rest, body="".join(self.text))
        self.response.release()


def _headers(response: ClientResponse) -> dict[str, str]:
    names: tuple[str, ...] = ANSWER_HEADERS
    if response.url.path.startswith("/files/"):
        names = (*names, "Content-Length")
    return {name: response.headers[name] for name in names if name in response.headers}


def _body(response: ClientResponse, raw: bytes) -> Any:
    if response.content_type == "video/mp4":
        if response.status == 200:
            return {"length": len(raw)}
        return {"hex": raw.hex()} if len(raw) <= 64 else {"length": len(raw)}
    return _cut(raw)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _delivery_id(request: Json) -> str:
    delivery: str = request["headers"].get("X-Sora-Mock-Delivery", "")
    return delivery
