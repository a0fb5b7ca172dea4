"""`AppHandle`: the `sora_mock` handle's operations for an app served by `aiohttp_client`.

The `sora_mock` handle blocks on HTTP; an app that `aiohttp_client` serves runs on the test's own
event loop, where a blocking call to it would wait for itself. This handle is the same `Handle`
(the one definition of every operation, D1) over the app's `LocalControl`: its methods are
coroutines, as `sora_mock.aio`'s are, and `await handle.advance(5)` returns once the deliveries
it made due were attempted and the streams have looked again.
"""

from __future__ import annotations

from typing import Any, Final

from aiohttp import web

from ..http.keys import CONTROL, SIMULATOR
from ..sim.simulator import Simulator
from .handle import Handle, LocalExecute, drive

DEFAULT_KEY: Final = "sk-app-test-0001"


class AppHandle(Handle):
    """A handle on one `sora_mock_app(...)` application, with an API key of its own: the
    operations of `SoraMock.aio`, carried out in process by the app's own `LocalControl`."""

    def __init__(self, app: web.Application, api_key: str = DEFAULT_KEY) -> None:
        super().__init__("", api_key, LocalExecute(app[CONTROL]))
        self.app = app
        self.simulator: Simulator = app[SIMULATOR]
        drive(self.open())  # no waiting in process: the key is open when the handle is made


class AppFactory:
    """What the `sora_mock_app` fixture gives: call it for an app, `.handle(app)` to drive it."""

    def __init__(self) -> None:
        self._handles: list[AppHandle] = []

    def __call__(self, **settings: Any) -> web.Application:
        from ..http.app import create_app  # noqa: PLC0415 (app.py imports admin, as this module does)

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
