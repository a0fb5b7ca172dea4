"""`SoraMock`: the typed handle a test gets from the `sora_mock` fixture, blocking.

It is `handle.Handle` (the one definition of every control operation) over the admin HTTP API,
with each call made to completion before it returns, which is why the same handle drives an
in-process server, a container and --sora-mock-url. Async tests use `.aio`: the same methods as
coroutines that run the blocking call on a worker thread, so a call never blocks their loop.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from .handle import Handle, HttpExecute, SoraMockError, drive
from .intercept import Intercept
from .receiver import WebhookReceiver

if TYPE_CHECKING:
    from .async_handle import AsyncSoraMock

P = ParamSpec("P")
R = TypeVar("R")


def _blocking(
    method: Callable[Concatenate[Handle, P], Coroutine[Any, Any, R]],
) -> Callable[Concatenate[SoraMock, P], R]:
    """`Handle`'s operation, made to completion: the HTTP executor never waits on a loop."""

    @functools.wraps(method)
    def call(self: SoraMock, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return drive(method(self.handle, *args, **kwargs))

    return call


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
        self._http = HttpExecute(url, admin_token)
        # in_process: the pytest fixture's own server resets and opens the key without an HTTP
        # call, so a test that only sends provider requests never opens the admin connection
        self.handle = Handle(url, api_key, self._http, shared=shared, restart=in_process)
        self._aio: AsyncSoraMock | None = None

    def __repr__(self) -> str:
        return f"SoraMock(url={self.url!r}, api_key='…{self.api_key[-4:]}')"

    @property
    def url(self) -> str:
        """The mock's base URL, no trailing slash: `http://127.0.0.1:<port>`."""
        return self.handle.url

    @property
    def api_key(self) -> str:
        """This test's API key, opened at `default_balance` (10,000 credits)."""
        return self.handle.api_key

    @property
    def admin_token(self) -> str | None:
        """The admin token the handle sends (`--sora-mock-admin-token`), if any."""
        return self._http.admin_token

    @property
    def shared(self) -> bool:
        """True on a server the test does not own (`--sora-mock-url`): `.reset()` restores
        only this key."""
        return self.handle.shared

    @property
    def headers(self) -> dict[str, str]:
        """The provider headers for this test's key: `Authorization: Bearer <api_key>`."""
        return self.handle.headers

    @property
    def aio(self) -> AsyncSoraMock:
        """This handle for async tests: `await sora_mock.aio.advance(5)`, and so on."""
        if self._aio is None:
            from .async_handle import AsyncSoraMock  # noqa: PLC0415 (imports this module)

            self._aio = AsyncSoraMock(self)
        return self._aio

    def open(self) -> SoraMock:
        """Open this handle's key at the server's default balance (no provider request)."""
        drive(self.handle.open())
        return self

    def close(self) -> None:
        """Close the handle's connection and stop its receiver (the fixture does this after
        each test)."""
        self.handle.close()
        self._http.close()

    def webhook_receiver(
        self, status: int | None = None, host: str | None = None, advertise: str | None = None
    ) -> WebhookReceiver:
        return self.handle.webhook_receiver(status, host, advertise)

    webhook_receiver.__doc__ = Handle.webhook_receiver.__doc__

    def intercept(self, block_others: bool = False) -> Intercept:
        """Requests this process makes to the provider's origin go to this mock (H1): a
        context manager (or decorator), `with sora_mock.intercept(): client.run()`."""
        return Intercept(self, block_others=block_others)

    health = _blocking(Handle.health)
    balance = _blocking(Handle.balance)
    set_balance = _blocking(Handle.set_balance)
    set_vip = _blocking(Handle.set_vip)
    ledger = _blocking(Handle.ledger)
    advance = _blocking(Handle.advance)
    clock = _blocking(Handle.clock)
    add_fault = _blocking(Handle.add_fault)
    faults = _blocking(Handle.faults)
    remove_fault = _blocking(Handle.remove_fault)
    clear_faults = _blocking(Handle.clear_faults)
    requests = _blocking(Handle.requests)
    drift = _blocking(Handle.drift)
    tasks = _blocking(Handle.tasks)
    task = _blocking(Handle.task)
    succeed = _blocking(Handle.succeed)
    fail = _blocking(Handle.fail)
    cancel = _blocking(Handle.cancel)
    webhooks = _blocking(Handle.webhooks)
    findings = _blocking(Handle.findings)
    reset = _blocking(Handle.reset)


__all__ = ["SoraMock", "SoraMockError"]
