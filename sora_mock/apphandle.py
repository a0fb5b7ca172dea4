"""`AppHandle`: the `sora_mock` handle's calls for an app served by `aiohttp_client`.

The `sora_mock` handle speaks HTTP with blocking calls; an app that `aiohttp_client` serves runs
on the test's own event loop, where a blocking call to it would wait for itself. This handle
makes the same calls on the app's simulation directly: no I/O, so it never blocks the loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, TypeVar

from aiohttp import web

from . import errors as e
from .admin_bodies import AccountBody, AdvanceBody
from .client import SoraMockError
from .fault_rule import FaultRule
from .receiver import WebhookReceiver, handle_receiver
from .responses import SIMULATOR
from .sim.simulator import Simulator

DEFAULT_KEY: Final = "sk-app-test-0001"
T = TypeVar("T")


class AppHandle:
    """A handle on one `sora_mock_app(...)` application, with an API key of its own."""

    def __init__(self, app: web.Application, api_key: str = DEFAULT_KEY) -> None:
        self.app = app
        self.api_key = api_key
        self.simulator: Simulator = app[SIMULATOR]
        self.simulator.open_account(api_key)
        self._receiver: WebhookReceiver | None = None

    def __repr__(self) -> str:
        return f"AppHandle(api_key='…{self.api_key[-4:]}')"

    @property
    def headers(self) -> dict[str, str]:
        """The provider headers for this handle's key: `Authorization: Bearer <api_key>`."""
        return {"Authorization": f"Bearer {self.api_key}"}

    def _do(self, call: Callable[[], T]) -> T:
        """Run a control-plane call; its refusal is a SoraMockError, as on the HTTP handle."""
        try:
            return call()
        except e.AdminError as err:
            raise SoraMockError(err.status, err.message) from None

    def balance(self, key: str | None = None) -> int:
        return self._do(lambda: self.simulator.account(key or self.api_key).balance)

    def set_balance(self, credits: int, key: str | None = None) -> int:
        balance = AccountBody(balance=credits).balance
        return self.simulator.set_account(key or self.api_key, balance, None).balance

    def ledger(self, key: str | None = None) -> dict[str, Any]:
        """The key's ledger as the admin route shows it: `{opening_balance, folded,
        transactions}` (D1)."""
        return self._do(lambda: self.simulator.account(key or self.api_key).ledger_json())

    def advance(self, seconds: float) -> float:
        """Move the mock clock on; returns its new time in mock seconds."""
        self.simulator.clock.advance(AdvanceBody(seconds=seconds).seconds)
        return self.simulator.clock.now()

    def clock(self) -> dict[str, Any]:
        return self.simulator.clock_json()

    def add_fault(self, **rule: Any) -> str:
        """Add a fault rule (CONTRACT C), scoped to this handle's key unless it names another."""
        rule.setdefault("api_key", self.api_key)
        return self.simulator.faults.add(FaultRule.model_validate(rule)).id

    def faults(self) -> list[dict[str, Any]]:
        rules = self.simulator.faults.rules
        return [r.to_json() for r in rules if r.rule.api_key == self.api_key]

    def remove_fault(self, rule_id: str) -> None:
        if not self.simulator.faults.remove(rule_id):
            raise SoraMockError(404, f"Fault rule {rule_id[:64]} was not found.")

    def clear_faults(self) -> None:
        self.simulator.faults.clear(self.api_key)

    def requests(self, route: str | None = None, key: str | None = None) -> list[dict[str, Any]]:
        """Journal rows of this handle's key (or `key`), oldest first."""
        journal = self.simulator.journal
        return journal.query(route=route, key=key or self.api_key, code=None, limit=None)

    def tasks(self) -> list[dict[str, Any]]:
        return self.simulator.list_tasks(self.api_key)

    def task(self, task_id: str) -> dict[str, Any]:
        sim = self.simulator
        return self._do(lambda: sim.task_json(sim.task(task_id)))

    def succeed(self, task_id: str) -> dict[str, Any]:
        sim = self.simulator
        return self._do(lambda: sim.task_json(sim.finish(task_id, "succeeded")))

    def fail(
        self, task_id: str, failure_reason: str | None = None, error_message: str | None = None
    ) -> dict[str, Any]:
        sim = self.simulator
        return self._do(
            lambda: sim.task_json(sim.finish(task_id, "failed", failure_reason, error_message))
        )

    def reset(self) -> None:
        """Back to the configured start (the app is this test's own); the key is opened again."""
        self.simulator.reset()
        self.simulator.open_account(self.api_key)

    def webhook_receiver(
        self, status: int | None = None, host: str | None = None, advertise: str | None = None
    ) -> WebhookReceiver:
        """This handle's receiver, as the `sora_mock` handle's (it runs on a thread of its own,
        so it never blocks the loop); the fixture stops it after the test."""
        self._receiver = handle_receiver(self._receiver, status, host, advertise)
        return self._receiver

    def close(self) -> None:
        """Stop this handle's receiver, if it started one."""
        if self._receiver is not None:
            self._receiver.stop()
            self._receiver = None


class AppFactory:
    """What the `sora_mock_app` fixture gives: call it for an app, `.handle(app)` to drive it."""

    def __init__(self) -> None:
        self._handles: list[AppHandle] = []

    def __call__(self, **settings: Any) -> web.Application:
        from .app import create_app  # noqa: PLC0415 (app.py imports admin, as this module does)

        return create_app(**{"clock": "manual", **settings})

    def handle(self, app: web.Application, api_key: str = DEFAULT_KEY) -> AppHandle:
        handle = AppHandle(app, api_key)
        self._handles.append(handle)
        return handle

    def close(self) -> None:
        """After the test: every handle's receiver is stopped."""
        for handle in self._handles:
            handle.close()
        self._handles.clear()
