"""`AsyncSoraMock`: the fixture's handle for async tests, as `sora_mock.aio` (CONTRACT F).

Every operation of `Handle` is here as a coroutine that runs the blocking HTTP call on a worker
thread (`asyncio.to_thread`), so the test's event loop keeps running meanwhile: an aiohttp
server, a webhook receiver or the client under test that lives on that loop is served while the
mock is being driven. Calls from one handle go out one at a time over its one connection.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from .handle import Handle, drive
from .intercept import Intercept
from .receiver import WebhookReceiver

if TYPE_CHECKING:
    from .client import SoraMock

P = ParamSpec("P")
R = TypeVar("R")


def _off_the_loop(
    method: Callable[Concatenate[Handle, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[AsyncSoraMock, P], Coroutine[Any, Any, R]]:
    """`Handle`'s operation over blocking HTTP, made to completion on a worker thread."""

    @functools.wraps(method)
    async def call(self: AsyncSoraMock, /, *args: P.args, **kwargs: P.kwargs) -> R:
        handle = self.sync.handle
        return await asyncio.to_thread(lambda: drive(method(handle, *args, **kwargs)))

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

    add_fault = _off_the_loop(Handle.add_fault)
    health = _off_the_loop(Handle.health)
    balance = _off_the_loop(Handle.balance)
    set_balance = _off_the_loop(Handle.set_balance)
    set_vip = _off_the_loop(Handle.set_vip)
    ledger = _off_the_loop(Handle.ledger)
    advance = _off_the_loop(Handle.advance)
    drift = _off_the_loop(Handle.drift)
    clock = _off_the_loop(Handle.clock)
    faults = _off_the_loop(Handle.faults)
    remove_fault = _off_the_loop(Handle.remove_fault)
    clear_faults = _off_the_loop(Handle.clear_faults)
    requests = _off_the_loop(Handle.requests)
    tasks = _off_the_loop(Handle.tasks)
    task = _off_the_loop(Handle.task)
    succeed = _off_the_loop(Handle.succeed)
    fail = _off_the_loop(Handle.fail)
    cancel = _off_the_loop(Handle.cancel)
    reset = _off_the_loop(Handle.reset)
    webhooks = _off_the_loop(Handle.webhooks)
    findings = _off_the_loop(Handle.findings)

    def webhook_receiver(
        self, status: int | None = None, host: str | None = None, advertise: str | None = None
    ) -> WebhookReceiver:
        """The test's receiver (it runs on a thread of its own: nothing here blocks the loop)."""
        return self.sync.webhook_receiver(status, host, advertise)

    def intercept(self, block_others: bool = False) -> Intercept:
        """The same as the blocking handle's (H1); entering it does not block the loop."""
        return self.sync.intercept(block_others)
