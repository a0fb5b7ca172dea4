"""A mock server on a background thread: port 0, `.url`, start/stop, a context manager.

Exceptions that escape a handler are kept in `.errors` (the client still gets aiohttp's 500),
so that the pytest fixture can raise them in the test that caused them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from aiohttp import web
from aiohttp.typedefs import Handler

from ..config import Settings
from ..http import tls
from ..http.app import create_app
from ..http.keys import SIMULATOR

T = TypeVar("T")


class MockServer:
    def __init__(self, settings: Settings | None = None, **overrides: Any) -> None:
        self.app = create_app(settings, **overrides)
        self.errors: list[BaseException] = []
        self.url = ""
        # with tls: the CA certificate a client trusts (<tls_ca_dir>/ca.pem), once started
        self.ca_file: Path | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._failed: BaseException | None = None
        self.app.middlewares.append(self._record_errors)

    @web.middleware
    async def _record_errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPException:
            raise
        except Exception as exc:
            self.errors.append(exc)
            raise

    def start(self, timeout: float = 10.0) -> MockServer:
        self._thread = threading.Thread(target=self._run, name="sora-mock-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("sora-mock server did not start in time")
        if self._failed is not None:
            raise self._failed
        return self

    def _run(self) -> None:
        # asyncio.Runner, as asyncio.run, cancels and awaits the tasks still pending when
        # `_serve` returns before it closes the loop: a handler held by a `timeout` fault whose
        # client has gone is no longer aiohttp's to cancel at shutdown, and a loop closed under
        # it printed "Task was destroyed but it is pending!" at the end of the session
        with asyncio.Runner() as runner:
            self._loop = runner.get_loop()
            try:
                runner.run(self._serve())
            except BaseException as exc:  # reported to start(); the thread must not die silently
                self._failed = exc
                self._ready.set()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        runner = web.AppRunner(
            self.app, access_log=None, handle_signals=False, shutdown_timeout=0.5
        )
        await runner.setup()
        settings = self.settings
        try:
            ssl_context = None
            if settings.tls:  # H2: a ConfigError here reaches start(), as a taken port does
                ssl_context, self.ca_file = tls.server_context(settings)
            site = web.TCPSite(runner, settings.host, settings.port, ssl_context=ssl_context)
            await site.start()
            host, port = runner.addresses[0][:2]
            scheme = "https" if ssl_context is not None else "http"
            self.url = f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}"
            self._ready.set()
            await self._stop.wait()
        finally:
            await runner.cleanup()

    def call(self, fn: Callable[[], T], timeout: float = 10.0) -> T:
        """Run `fn` on the server's event loop thread and return what it returns.

        The simulation is only ever touched from that thread; this is how the fixture resets
        it between tests without an HTTP round trip.
        """
        if self._loop is None or self._loop.is_closed():
            raise RuntimeError("the sora-mock server is not running")
        done: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            try:
                done.set_result(fn())
            except BaseException as exc:  # raised in the caller's thread instead
                done.set_exception(exc)

        self._loop.call_soon_threadsafe(run)
        return done.result(timeout)

    def reset_and_open(self, key: str) -> tuple[int, bool]:
        """What POST /__mock/reset then POST /__mock/accounts/{key} do: (balance, vip)."""

        def reset() -> tuple[int, bool]:
            sim = self.app[SIMULATOR]
            sim.reset()
            account = sim.open_account(key)
            return account.balance, account.vip

        return self.call(reset)

    @property
    def settings(self) -> Settings:
        return self.app[SIMULATOR].settings

    def stop(self, timeout: float = 5.0) -> None:
        if self._loop is not None and self._stop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
