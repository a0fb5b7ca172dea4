"""`SoraMock`: the typed handle a test gets from the `sora_mock` fixture.

It speaks only the admin HTTP API (with the standard library's http.client), which is why the
same handle drives an in-process server and a container. Async tests use `.aio`, the same
methods as coroutines, so that a call never blocks their event loop.
"""

from __future__ import annotations

import http.client
import json
import threading
import urllib.parse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .async_handle import AsyncSoraMock

from .receiver import WebhookReceiver, handle_receiver


class SoraMockError(Exception):
    """The admin API refused a call; `status` is the HTTP status, the message its error."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


class SoraMock:
    """A running mock and an API key of this test's own."""

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        admin_token: str | None = None,
        shared: bool = False,
        in_process: Callable[[str], tuple[int, bool]] | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        # the pytest fixture's own server: resets it and opens a key without an HTTP call, and
        # returns the key's (balance, vip), so a test that only sends provider requests never
        # opens the admin connection (about half the fixture's cost per test went to it)
        self._in_process = in_process
        self._base_path = urllib.parse.urlsplit(self.url).path
        self._conn: http.client.HTTPConnection | None = None
        self.api_key = api_key
        self.admin_token = admin_token
        self.shared = shared
        self._fault_ids: list[str] = []
        self._start_balance: int | None = None
        self._receiver: WebhookReceiver | None = None
        self._start_vip = False
        # `.aio` runs calls on worker threads: one request at a time on the one connection
        self._lock = threading.Lock()
        self._aio: AsyncSoraMock | None = None

    def __repr__(self) -> str:
        return f"SoraMock(url={self.url!r}, api_key='…{self.api_key[-4:]}')"

    @property
    def aio(self) -> AsyncSoraMock:
        """This handle for async tests: `await sora_mock.aio.advance(5)`, and so on."""
        if self._aio is None:
            from .async_handle import AsyncSoraMock  # noqa: PLC0415 (imports this module)

            self._aio = AsyncSoraMock(self)
        return self._aio

    @property
    def headers(self) -> dict[str, str]:
        """The provider headers for this test's key: `Authorization: Bearer <api_key>`."""
        return {"Authorization": f"Bearer {self.api_key}"}

    # -- the admin API ---------------------------------------------------------------------

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

    def close(self) -> None:
        """Close the handle's connection and stop its receiver (the fixture does this after
        each test)."""
        if self._receiver is not None:
            self._receiver.stop()
            self._receiver = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _call(self, method: str, path: str, body: Any = None, **query: Any) -> Any:
        with self._lock:
            return self._call_locked(method, path, body, **query)

    def _call_locked(self, method: str, path: str, body: Any = None, **query: Any) -> Any:
        params = {k: str(v) for k, v in query.items() if v is not None}
        target = f"{self._base_path}/__mock{path}"
        if params:
            target += "?" + urllib.parse.urlencode(params)
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"}
        if self.admin_token is not None:
            headers["X-Sora-Mock-Admin-Token"] = self.admin_token
        # one keep-alive connection per handle: a test's admin calls cost a round trip each,
        # not a connection each. A connection the server closed meanwhile is opened again.
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

    def _key(self, key: str | None) -> str:
        return urllib.parse.quote(key or self.api_key, safe="")

    def open(self) -> SoraMock:
        """Open this handle's key at the server's default balance (no provider request)."""
        account = self._call("POST", f"/accounts/{self._key(None)}")
        self._start_balance, self._start_vip = int(account["balance"]), bool(account["vip"])
        return self

    def health(self) -> bool:
        return bool(self._call("GET", "/health")["status"] == "ok")

    def balance(self, key: str | None = None) -> int:
        return int(self._call("GET", f"/accounts/{self._key(key)}")["balance"])

    def set_balance(self, credits: int, key: str | None = None) -> int:
        body = {"balance": credits}
        return int(self._call("PUT", f"/accounts/{self._key(key)}", body)["balance"])

    def set_vip(self, vip: bool = True, key: str | None = None) -> bool:
        """Make this test's key (or `key`) a VIP account, or not; books no transaction (B1)."""
        return bool(self._call("PUT", f"/accounts/{self._key(key)}", {"vip": vip})["vip"])

    def ledger(self, key: str | None = None) -> dict[str, Any]:
        """This test's key's (or `key`'s) ledger as the admin route shows it (D1):
        `{"opening_balance", "folded", "transactions"}`, the kept transactions oldest first."""
        ledger: dict[str, Any] = self._call("GET", f"/accounts/{self._key(key)}/ledger")
        return ledger

    def advance(self, seconds: float) -> float:
        """Move the mock clock on; returns the clock's new time in mock seconds."""
        return float(self._call("POST", "/clock/advance", {"seconds": seconds})["now"])

    def clock(self) -> dict[str, Any]:
        clock: dict[str, Any] = self._call("GET", "/clock")
        return clock

    def add_fault(self, **rule: Any) -> str:
        """Add a fault rule (CONTRACT C), scoped to this test's key unless it names another."""
        rule.setdefault("api_key", self.api_key)
        rule_id = str(self._call("POST", "/faults", rule)["id"])
        self._fault_ids.append(rule_id)
        return rule_id

    def faults(self) -> list[dict[str, Any]]:
        rules: list[dict[str, Any]] = self._call("GET", "/faults", api_key=self.api_key)["faults"]
        return rules

    def remove_fault(self, rule_id: str) -> None:
        self._call("DELETE", f"/faults/{urllib.parse.quote(rule_id, safe='')}")
        if rule_id in self._fault_ids:
            self._fault_ids.remove(rule_id)

    def clear_faults(self) -> None:
        """Remove the rules this handle added and any rule scoped to its key."""
        for rule_id in list(self._fault_ids):
            try:
                self.remove_fault(rule_id)
            except SoraMockError as exc:
                if exc.status != 404:
                    raise
        self._fault_ids.clear()
        self._call("DELETE", "/faults", api_key=self.api_key)

    def requests(self, route: str | None = None, key: str | None = None) -> list[dict[str, Any]]:
        """Journal rows of this test's key (or `key`), oldest first."""
        rows: list[dict[str, Any]] = self._call(
            "GET", "/requests", route=route, key=key or self.api_key
        )["requests"]
        return rows

    def tasks(self, *, seen_final: bool | None = None) -> list[dict[str, Any]]:
        """This key's task records; `seen_final=False`: only those whose final status no
        answer has shown the client yet (what the client report lists)."""
        flag = None if seen_final is None else str(seen_final).lower()
        tasks: list[dict[str, Any]] = self._call(
            "GET", "/tasks", key=self.api_key, seen_final=flag
        )["tasks"]
        return tasks

    def task(self, task_id: str) -> dict[str, Any]:
        task: dict[str, Any] = self._call("GET", f"/tasks/{urllib.parse.quote(task_id, safe='')}")
        return task

    def succeed(self, task_id: str) -> dict[str, Any]:
        task: dict[str, Any] = self._call(
            "POST", f"/tasks/{urllib.parse.quote(task_id, safe='')}/succeed"
        )
        return task

    def fail(
        self, task_id: str, failure_reason: str | None = None, error_message: str | None = None
    ) -> dict[str, Any]:
        body = {"failure_reason": failure_reason, "error_message": error_message}
        task: dict[str, Any] = self._call(
            "POST", f"/tasks/{urllib.parse.quote(task_id, safe='')}/fail", body
        )
        return task

    def webhook_receiver(
        self, status: int | None = None, host: str | None = None, advertise: str | None = None
    ) -> WebhookReceiver:
        """A receiver of this test's own, on loopback unless `host` says otherwise; the same
        one on every call.

        It answers 200 unless `status` says otherwise; a later call changes its status only when
        `status` is given. `advertise` (or SORA_MOCK_RECEIVER_ADVERTISE) is the host name its
        `.url` names, for a mock in a container: `host="0.0.0.0", advertise="host.docker.internal"`.
        With the manual clock a delivery has arrived when `.advance()` returns, since the advance
        waits for every attempt it made due.
        """
        self._receiver = handle_receiver(self._receiver, status, host, advertise)
        return self._receiver

    def webhooks(self, state: str | None = None) -> list[dict[str, Any]]:
        """This test's key's webhook deliveries (A7), oldest first; `state` filters."""
        rows: list[dict[str, Any]] = self._call("GET", "/webhooks", key=self.api_key, state=state)[
            "webhooks"
        ]
        return rows

    def cancel(
        self, task_id: str, failure_reason: str | None = None, error_message: str | None = None
    ) -> dict[str, Any]:
        """Cancel a task now: it ends `cancelled` where it stands and is refunded (B3)."""
        body = {"failure_reason": failure_reason, "error_message": error_message}
        task: dict[str, Any] = self._call(
            "POST", f"/tasks/{urllib.parse.quote(task_id, safe='')}/cancel", body
        )
        return task

    def reset(self) -> None:
        """Back to the start: the whole server when it is this test's own, else this key only.

        On a shared server (`--sora-mock-url`) that means this key's balance and VIP flag, its
        fault rules and its journal rows; other workers' keys and the clock are left alone.
        """
        if not self.shared:
            if self._in_process is not None:
                self._start_balance, self._start_vip = self._in_process(self.api_key)
            else:
                self._call("POST", "/reset")
                self.open()
            self._fault_ids.clear()
            return
        self.clear_faults()
        self._call("DELETE", "/requests", key=self.api_key)
        if self._start_balance is not None:
            body = {"balance": self._start_balance, "vip": self._start_vip}
            self._call("PUT", f"/accounts/{self._key(None)}", body)
