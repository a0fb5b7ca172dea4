"""The fixture's handle on a mock, written once (CONTRACT D1, F): every operation of the control
surface (`sim/control.py`'s `OPS`), with a test's own API key as the default.

`Handle` is written as coroutines over an executor that carries out one operation by name:

    over HTTP (`HttpExecute`)        the `sora_mock` fixture, a container, --sora-mock-url: its
                                     blocking form is `SoraMock` (client.py), its async `.aio`
    in process (`LocalExecute`)      `sora_mock_app`'s handle: the app's own `LocalControl`,
                                     on the test's event loop, never blocking it

so a method means the same whichever way it is called: the same arguments, the same return
shape, the same refusal (`SoraMockError` with the admin route's status and sentence).
"""

from __future__ import annotations

import http.client
import json
import threading
import urllib.parse
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Protocol, TypeVar

from ..core import errors as e
from ..sim.control import BY_NAME, LocalControl
from .findings import read as read_findings
from .receiver import WebhookReceiver, handle_receiver

T = TypeVar("T")
Params = dict[str, str]
Query = dict[str, str]


class SoraMockError(Exception):
    """The admin API refused a call; `status` is the HTTP status, the message its error."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


class Execute(Protocol):
    """Carries out one operation of `OPS` by name: its JSON answer, or SoraMockError."""

    def __call__(self, name: str, params: Params, query: Query, body: Any) -> Awaitable[Any]: ...


def drive(call: Coroutine[Any, Any, T]) -> T:
    """The result of a coroutine that never waits (a blocking executor's), without a loop."""
    try:
        call.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    call.close()
    raise RuntimeError("this call waits for the event loop: await it in an async test")


class HttpExecute:
    """The admin API over HTTP with the standard library's http.client, blocking: one
    keep-alive connection per handle, one request at a time on it."""

    def __init__(self, url: str, admin_token: str | None = None) -> None:
        self.url = url.rstrip("/")
        self.admin_token = admin_token
        self._base_path = urllib.parse.urlsplit(self.url).path
        self._conn: http.client.HTTPConnection | None = None
        # `.aio` runs calls on worker threads: one request at a time on the one connection
        self._lock = threading.Lock()

    async def __call__(self, name: str, params: Params, query: Query, body: Any) -> Any:
        op = BY_NAME[name]
        path = op.path.format(**{k: urllib.parse.quote(v, safe="") for k, v in params.items()})
        target = f"{self._base_path}/__mock{path}"
        if query:
            target += "?" + urllib.parse.urlencode(query)
        with self._lock:
            return self._send(op.method, target, None if body is None else json.dumps(body))

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            parts = urllib.parse.urlsplit(self.url)
            factory = (
                http.client.HTTPSConnection
                if parts.scheme == "https"
                else http.client.HTTPConnection
            )
            self._conn = factory(parts.hostname or "127.0.0.1", parts.port, timeout=30)
        return self._conn

    def _send(self, method: str, target: str, text: str | None) -> Any:
        data = text.encode() if text is not None else None
        headers = {"Content-Type": "application/json"}
        if self.admin_token is not None:
            headers["X-Sora-Mock-Admin-Token"] = self.admin_token
        # a test's admin calls cost a round trip each, not a connection each; a connection the
        # server closed meanwhile is opened again
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, target, body=data, headers=headers)
                response = conn.getresponse()
                raw = response.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.close()
                if attempt == 2:
                    raise
        if response.status >= 400:
            try:
                message = json.loads(raw).get("error", response.reason)
            except ValueError:
                message = response.reason
            raise SoraMockError(response.status, str(message))
        return json.loads(raw or b"null")

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class LocalExecute:
    """The operations on an app's own `LocalControl`, in process. Arguments and answers pass
    through JSON, as they would over HTTP, so both forms see the same values."""

    def __init__(self, control: LocalControl) -> None:
        self.control = control

    async def __call__(self, name: str, params: Params, query: Query, body: Any) -> Any:
        sent = None if body is None else json.loads(json.dumps(body))
        try:
            answer = await self.control.call(name, params, query, sent)
        except e.AdminError as err:
            raise SoraMockError(err.status, err.message) from None
        return json.loads(e.dumps(answer))


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


class Handle:
    """A running mock and an API key of this test's own: every control operation."""

    def __init__(
        self,
        url: str,
        api_key: str,
        execute: Execute,
        *,
        shared: bool = False,
        restart: Callable[[str], tuple[int, bool]] | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.shared = shared
        self._execute = execute
        # the pytest fixture's own server: resets it and opens the key without an HTTP call,
        # returning the key's (balance, vip)
        self._restart = restart
        self._fault_ids: list[str] = []
        self._start: tuple[int, bool] | None = None
        self._receiver: WebhookReceiver | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(url={self.url!r}, api_key='…{self.api_key[-4:]}')"

    @property
    def headers(self) -> dict[str, str]:
        """The provider headers for this test's key: `Authorization: Bearer <api_key>`."""
        return {"Authorization": f"Bearer {self.api_key}"}

    async def _call(
        self, name: str, body: Any = None, /, *, params: Params | None = None, **query: Any
    ) -> Any:
        text = {k: _text(v) for k, v in query.items() if v is not None}
        return await self._execute(name, params or {}, text, body)

    def _key(self, key: str | None) -> Params:
        return {"key": key or self.api_key}

    # -- the operations ------------------------------------------------------------------------

    async def open(self) -> None:
        """Open this handle's key at the server's default balance (no provider request)."""
        account = await self._call("open_account", params=self._key(None))
        self._start = (int(account["balance"]), bool(account["vip"]))

    async def health(self) -> bool:
        """True when `GET /__mock/health` answers `"status": "ok"`."""
        return bool((await self._call("health"))["status"] == "ok")

    async def balance(self, key: str | None = None) -> int:
        """The credits of this test's key (or `key`)."""
        return int((await self._call("account", params=self._key(key)))["balance"])

    async def set_balance(self, credits: int, key: str | None = None) -> int:
        """Set the balance of this test's key (or `key`), booking a `set` row (B1); returns it."""
        account = await self._call("set_account", {"balance": credits}, params=self._key(key))
        return int(account["balance"])

    async def set_vip(self, vip: bool = True, key: str | None = None) -> bool:
        """Make this test's key (or `key`) a VIP account, or not; books no transaction (B1)."""
        return bool((await self._call("set_account", {"vip": vip}, params=self._key(key)))["vip"])

    async def ledger(self, key: str | None = None) -> dict[str, Any]:
        """The key's ledger as the admin route shows it: `{opening_balance, folded,
        transactions}` (B1)."""
        ledger: dict[str, Any] = await self._call("ledger", params=self._key(key))
        return ledger

    async def advance(self, seconds: float) -> float:
        """Move the mock clock on; returns its new time in mock seconds. It returns once every
        delivery attempt it made due has ended, and streams have looked again (D1)."""
        return float((await self._call("advance", {"seconds": seconds}))["now"])

    async def clock(self) -> dict[str, Any]:
        """The mock clock: `{now, mode, speed}`."""
        clock: dict[str, Any] = await self._call("clock")
        return clock

    async def add_fault(self, /, **rule: Any) -> str:
        """Add a fault rule (CONTRACT C), scoped to this test's key unless it names another."""
        rule.setdefault("api_key", self.api_key)
        rule_id = str((await self._call("add_fault", rule))["id"])
        self._fault_ids.append(rule_id)
        return rule_id

    async def faults(self) -> list[dict[str, Any]]:
        """The rules scoped to this test's key, each `{id, ...rule, fired}` (C)."""
        rules: list[dict[str, Any]] = (await self._call("faults", api_key=self.api_key))["faults"]
        return rules

    async def remove_fault(self, rule_id: str) -> None:
        """Remove one rule by its id (`f1`, ...); an unknown id is a SoraMockError (404)."""
        await self._call("remove_fault", params={"id": rule_id})
        if rule_id in self._fault_ids:
            self._fault_ids.remove(rule_id)

    async def clear_faults(self) -> None:
        """Remove the rules this handle added and any rule scoped to its key."""
        for rule_id in list(self._fault_ids):
            try:
                await self.remove_fault(rule_id)
            except SoraMockError as exc:
                if exc.status != 404:
                    raise
        self._fault_ids.clear()
        await self._call("clear_faults", api_key=self.api_key)

    async def requests(
        self, route: str | None = None, key: str | None = None
    ) -> list[dict[str, Any]]:
        """Journal rows of this test's key (or `key`), oldest first."""
        answer = await self._call("requests", route=route, key=key or self.api_key)
        rows: list[dict[str, Any]] = answer["requests"]
        return rows

    async def drift(self, key: str | None = None) -> list[dict[str, Any]]:
        """A proxy's journal rows of this test's key (or `key`) that carry drift (I2)."""
        rows: list[dict[str, Any]] = (await self._call("drift", key=key or self.api_key))["drift"]
        return rows

    async def tasks(self, *, seen_final: bool | None = None) -> list[dict[str, Any]]:
        """This key's task records; `seen_final=False`: only those whose final status no
        answer has shown the client yet (what the client report lists)."""
        answer = await self._call("tasks", key=self.api_key, seen_final=seen_final)
        tasks: list[dict[str, Any]] = answer["tasks"]
        return tasks

    async def task(self, task_id: str) -> dict[str, Any]:
        """One task record (D): `{taskId, route, key, model, status, progress, params, price,
        charge_trans_no, refund_trans_no, failure_reason, error_message, result_pid, webhook,
        created_at, history}`."""
        task: dict[str, Any] = await self._call("task", params={"taskId": task_id})
        return task

    async def succeed(self, task_id: str) -> dict[str, Any]:
        """Finish a task now as `succeeded` (B3); returns its record. A final task: 409."""
        task: dict[str, Any] = await self._call("succeed", params={"taskId": task_id})
        return task

    async def fail(
        self, task_id: str, failure_reason: str | None = None, error_message: str | None = None
    ) -> dict[str, Any]:
        """Fail a task now: it ends `failed` where it stands and is refunded (B3)."""
        body = {"failure_reason": failure_reason, "error_message": error_message}
        task: dict[str, Any] = await self._call("fail", body, params={"taskId": task_id})
        return task

    async def cancel(
        self, task_id: str, failure_reason: str | None = None, error_message: str | None = None
    ) -> dict[str, Any]:
        """Cancel a task now: it ends `cancelled` where it stands and is refunded (B3)."""
        body = {"failure_reason": failure_reason, "error_message": error_message}
        task: dict[str, Any] = await self._call("cancel", body, params={"taskId": task_id})
        return task

    async def webhooks(self, state: str | None = None) -> list[dict[str, Any]]:
        """This test's key's webhook deliveries (A7), oldest first; `state` filters."""
        answer = await self._call("webhooks", key=self.api_key, state=state)
        rows: list[dict[str, Any]] = answer["webhooks"]
        return rows

    async def findings(self) -> dict[str, list[dict[str, Any]]] | None:
        """What the client report (`--sora-mock-report`) would list for this test's key now:
        `{category: [items]}` with every category (`rejected`, `warnings`, `dropped_vip`,
        `normalizations`, `never_final`, `unacknowledged`, `drift`), or None when the mock
        noticed nothing. A task the client has not yet seen final is in `never_final` until an
        answer shows it so."""
        return await read_findings(self)

    async def reset(self) -> None:
        """Back to the start: the whole server when it is this test's own, else this key only.

        On a shared server (`--sora-mock-url`) that means this key's balance and VIP flag, its
        fault rules and its journal rows; other workers' keys and the clock are left alone.
        """
        if not self.shared:
            if self._restart is not None:
                self._start = self._restart(self.api_key)
            else:
                await self._call("reset")
                await self.open()
            self._fault_ids.clear()
            return
        await self.clear_faults()
        await self._call("clear_requests", key=self.api_key)
        if self._start is not None:
            balance, vip = self._start
            await self._call(
                "set_account", {"balance": balance, "vip": vip}, params=self._key(None)
            )

    # -- local to the test ---------------------------------------------------------------------

    def webhook_receiver(
        self, status: int | None = None, host: str | None = None, advertise: str | None = None
    ) -> WebhookReceiver:
        """A receiver of this test's own, on loopback unless `host` says otherwise; the same
        one on every call (it runs on a thread of its own: nothing here blocks a loop).

        It answers 200 unless `status` says otherwise; a later call changes its status only when
        `status` is given. `advertise` (or SORA_MOCK_RECEIVER_ADVERTISE) is the host name its
        `.url` names, for a mock in a container: `host="0.0.0.0", advertise="host.docker.internal"`.
        With the manual clock a delivery has arrived when `.advance()` returns, since the advance
        waits for every attempt it made due.
        """
        self._receiver = handle_receiver(self._receiver, status, host, advertise)
        return self._receiver

    def close(self) -> None:
        """Stop this handle's receiver (the fixture does this after each test)."""
        if self._receiver is not None:
            self._receiver.stop()
            self._receiver = None
