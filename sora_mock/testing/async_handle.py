"""`AsyncSoraMock`: the fixture's handle for async tests, as `sora_mock.aio` (CONTRACT F).

Every method of `SoraMock` is here as a coroutine that runs the blocking admin call on a worker
thread (`asyncio.to_thread`), so the test's event loop keeps running meanwhile: an aiohttp
server, a webhook receiver or the client under test that lives on that loop is served while the
mock is being driven. Calls from one handle go out one at a time over its one connection.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any, Concatenate, ParamSpec, TypeVar

from .client import SoraMock
from .receiver import WebhookReceiver

P = ParamSpec("P")
R = TypeVar("R")


def _off_the_loop(
    method: Callable[Concatenate[SoraMock, P], R],
) -> Callable[Concatenate[AsyncSoraMock, P], Coroutine[Any, Any, R]]:
    @functools.wraps(method)
    async def call(self: AsyncSoraMock, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return await asyncio.to_thread(method, self.sync, *args, **kwargs)

    return call


class AsyncSoraMock:
    """The same mock and key as the `SoraMock` it wraps (`.sync`); its methods are awaited."""

    def __init__(self, handle: SoraMock) -> None:
        self.sync = handle

    def __repr__(self) -> str:
        return f"AsyncSoraMock({self.sync!r})"

    @property
    def url(self) -> str:
        return self.sync.url

    @property
    def api_key(self) -> str:
        return self.sync.api_key

    @property
    def headers(self) -> dict[str, str]:
        return self.sync.headers

    async def add_fault(self, **rule: Any) -> str:
        """Add a fault rule (CONTRACT C), scoped to this test's key unless it names another."""
        return await asyncio.to_thread(lambda: self.sync.add_fault(**rule))

    health = _off_the_loop(SoraMock.health)
    balance = _off_the_loop(SoraMock.balance)
    set_balance = _off_the_loop(SoraMock.set_balance)
    set_vip = _off_the_loop(SoraMock.set_vip)
    ledger = _off_the_loop(SoraMock.ledger)
    advance = _off_the_loop(SoraMock.advance)
    clock = _off_the_loop(SoraMock.clock)
    faults = _off_the_loop(SoraMock.faults)
    remove_fault = _off_the_loop(SoraMock.remove_fault)
    clear_faults = _off_the_loop(SoraMock.clear_faults)
    requests = _off_the_loop(SoraMock.requests)
    tasks = _off_the_loop(SoraMock.tasks)
    task = _off_the_loop(SoraMock.task)
    succeed = _off_the_loop(SoraMock.succeed)
    fail = _off_the_loop(SoraMock.fail)
    cancel = _off_the_loop(SoraMock.cancel)
    reset = _off_the_loop(SoraMock.reset)
    webhooks = _off_the_loop(SoraMock.webhooks)

    def webhook_receiver(
        self, status: int | None = None, host: str | None = None, advertise: str | None = None
    ) -> WebhookReceiver:
        """The test's receiver (it runs on a thread of its own: nothing here blocks the loop)."""
        return self.sync.webhook_receiver(status, host, advertise)
