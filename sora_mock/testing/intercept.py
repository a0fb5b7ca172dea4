"""H1: every HTTP request the process makes to the provider's origin goes to a running mock.

`intercept(target)` is a context manager and a decorator. While one is active, a request for
`freesoragenerator.com` or `www.freesoragenerator.com` (any letter case, http or https, any
port) is sent to the mock with its method, path, query, headers and body as the client made
them; the `Host` header stays the provider's, as the client would have sent it. Each library is
hooked at the one public method every request of it passes through, where the library decides
which connection to open (so the scheme can change there, https to the mock's http, without
touching TLS):

    urllib3          HTTPConnectionPool.urlopen: a provider request is sent by a pool of the
                     block's own to the mock; PoolManager and requests reach the pools this way
    requests         HTTPAdapter.send, only for block_others (so the error is requests' own
                     type); its requests are redirected in urllib3, under any Session, old or new
    httpx            HTTPTransport.handle_request / AsyncHTTPTransport.handle_async_request: the
                     request is handed on with the mock's URL, over the client's own transport
    aiohttp          BaseConnector.connect: the request is pointed at the mock before the
                     connector picks a connection (a resolver could not: the connector would
                     still open TLS for https, and the mock speaks plain HTTP)
    urllib.request   HTTPHandler.http_open / HTTPSHandler.https_open: the handler's do_open
                     with a connection to the mock

respx, responses and aioresponses answer from canned responses; reaching a live server is their
pass-through plus the same URL rewrite, and aioresponses replaces a private method of aiohttp,
so none of them is used. Nothing here imports a library before the first block is entered.

The libraries' classes are process-wide, so the one piece of module-level state is here: the
registry of active blocks. The hooks are installed when the first block is entered and the
original attributes put back when the last one is left, whatever the thread or the order; the
innermost (most recently entered) active block decides where a request goes.
"""

from __future__ import annotations

import enum
import functools
import http.client
import importlib.util
import inspect
import ipaddress
import ssl
import threading
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, Final, ParamSpec, TypeVar, cast
from urllib.parse import SplitResult, urlsplit

P = ParamSpec("P")
R = TypeVar("R")

PROVIDER_HOSTS: Final = frozenset({"freesoragenerator.com", "www.freesoragenerator.com"})
DEFAULT_PORTS: Final = {"http": 80, "https": 443}
MSG_BLOCKED: Final = (
    "sora_mock.intercept(block_others=True): {url} is not the provider's origin, the mock "
    "({mock}) or loopback; the request was not sent"
)
MSG_BAD_TARGET: Final = (
    "sora_mock.intercept: {target!r} is not a running mock's URL ({why}); give the URL "
    "(http://HOST:PORT), the sora_mock fixture's handle or a started MockServer"
)


class Route(enum.Enum):
    """What a block does with a request, by its origin."""

    PASS = enum.auto()
    REDIRECT = enum.auto()  # a provider origin: to the mock
    BLOCK = enum.auto()  # another origin, under block_others


PASS, REDIRECT, BLOCK = Route.PASS, Route.REDIRECT, Route.BLOCK


class InterceptBlocked(ConnectionError):
    """A request to another origin inside `intercept(block_others=True)`; it was not sent.

    Each library raises it as a subclass of its own connection error as well
    (`requests.ConnectionError`, `httpx.ConnectError`, `aiohttp.ClientConnectionError`,
    `urllib3.exceptions.HTTPError`, `urllib.error.URLError`), so that a client's error handling
    sees the network failure it expects."""

    def __init__(self, url: str, mock: str = "") -> None:
        self.message = MSG_BLOCKED.format(url=url, mock=mock)
        super().__init__(self.message)
        self.url = url
        self.reason = self.message  # what handlers of urllib's URLError read

    def __str__(self) -> str:
        return self.message


# one class per library, made once, so that `except` of it catches every block's refusal
BLOCKED_TYPES: Final[dict[type[Exception], type[InterceptBlocked]]] = {}


def blocked_type(library_error: type[Exception]) -> type[InterceptBlocked]:
    """InterceptBlocked that is also `library_error`: one class per library, made once."""
    made = BLOCKED_TYPES.get(library_error)
    if made is None:
        name = f"InterceptBlocked[{library_error.__module__}.{library_error.__qualname__}]"
        made = type(name, (InterceptBlocked, library_error), {"__module__": __name__})
        made = BLOCKED_TYPES.setdefault(library_error, made)
    return made


def _host(name: str | None) -> str:
    return (name or "").strip("[]").rstrip(".").lower()


def is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def netloc(host: str, port: int | None, scheme: str) -> str:
    """`host[:port]` as an HTTP client writes it into `Host`: the port only if not default."""
    shown = f"[{host}]" if ":" in host else host
    return shown if port in (None, DEFAULT_PORTS.get(scheme)) else f"{shown}:{port}"


class Active:
    """One entered block: the mock's address, whether other origins are refused, and the
    connections it opened (closed when the block is left)."""

    def __init__(self, url: SplitResult, block_others: bool) -> None:
        self.scheme = url.scheme
        self.host = _host(url.hostname)
        self.port: int = url.port or DEFAULT_PORTS[url.scheme]
        self.url = f"{self.scheme}://{netloc(self.host, self.port, 'none')}"
        self.block_others = block_others
        self._lock = threading.Lock()
        self._opened: dict[str, tuple[Any, Callable[[Any], None]]] = {}

    def route(self, host: str | None) -> Route:
        """PASS, REDIRECT (a provider origin) or BLOCK (another origin, under block_others)."""
        name = _host(host)
        if name in PROVIDER_HOSTS:
            return REDIRECT
        if not self.block_others or name == self.host or is_loopback(name):
            return PASS
        return BLOCK

    def refuse(self, library_error: type[Exception], url: str, **attrs: Any) -> InterceptBlocked:
        error = blocked_type(library_error)(url, self.url)
        for name, value in attrs.items():
            setattr(error, name, value)
        return error

    def opened(self, name: str, make: Callable[[], Any], close: Callable[[Any], None]) -> Any:
        """A connection pool of this block's, made on first use."""
        with self._lock:
            if name not in self._opened:
                self._opened[name] = (make(), close)
            return self._opened[name][0]

    def connection(self, host: str, **kwargs: Any) -> http.client.HTTPConnection:
        """For urllib.request's do_open: a connection to the mock, whatever host it names."""
        timeout = kwargs.get("timeout")
        extra = {} if timeout is None else {"timeout": timeout}
        if self.scheme == "https":
            context = ssl.create_default_context()
            return http.client.HTTPSConnection(self.host, self.port, context=context, **extra)
        return http.client.HTTPConnection(self.host, self.port, **extra)

    def close(self) -> None:
        with self._lock:
            opened, self._opened = list(self._opened.values()), {}
        for value, close in opened:
            close(value)


class Registry:
    """The active blocks of the process and the hooks installed for them (see the docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active: tuple[Active, ...] = ()
        self._undo: list[Callable[[], None]] = []

    def current(self) -> Active | None:
        active = self._active  # one read: another thread may replace the tuple meanwhile
        return active[-1] if active else None

    def enter(self, block: Active) -> None:
        with self._lock:
            if not self._active:
                self._install()
            self._active = (*self._active, block)

    def leave(self, block: Active) -> None:
        with self._lock:
            index = max(i for i, b in enumerate(self._active) if b is block)
            self._active = self._active[:index] + self._active[index + 1 :]
            if not self._active:
                self._uninstall()

    def _install(self) -> None:
        try:
            for hooks in HOOKS:
                for owner, name, make in hooks():
                    self._patch(owner, name, make)
        except BaseException:
            self._uninstall()
            raise

    def _patch(self, owner: type, name: str, make: Callable[[Any], Any]) -> None:
        missing = object()
        own = vars(owner).get(name, missing)
        original = getattr(owner, name)
        setattr(owner, name, functools.wraps(original)(make(original)))
        if own is missing:
            self._undo.append(lambda: delattr(owner, name))
        else:
            self._undo.append(lambda: setattr(owner, name, own))

    def _uninstall(self) -> None:
        while self._undo:
            self._undo.pop()()


REGISTRY: Final = Registry()

Hook = tuple[type, str, Callable[[Any], Any]]


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def urllib3_hooks() -> Iterator[Hook]:
    if not _installed("urllib3"):
        return
    import urllib3  # noqa: PLC0415 (imported when the first block is entered)

    def make(original: Any) -> Any:
        def urlopen(
            self: urllib3.HTTPConnectionPool,
            method: str,
            url: str,
            body: Any = None,
            headers: Any = None,
            *args: Any,
            **kwargs: Any,
        ) -> Any:
            active = REGISTRY.current()
            # an absolute URL names the origin itself (a pool to a proxy is given one)
            parts = urlsplit(url)
            scheme, host = parts.scheme or self.scheme, parts.hostname or self.host
            port = parts.port if parts.hostname else self.port
            decision = PASS if active is None else active.route(host)
            if active is None or decision == PASS:
                return original(self, method, url, body, headers, *args, **kwargs)
            sent = f"{scheme}://{netloc(_host(host), port, scheme)}"
            target = parts.path or "/"
            if parts.query:
                target += f"?{parts.query}"
            if decision == BLOCK:
                raise active.refuse(urllib3.exceptions.HTTPError, sent + target)
            given = dict(self.headers if headers is None else headers)
            if not any(key.lower() == "host" for key in given):
                given["Host"] = netloc(_host(host), port, scheme)
            pool = active.opened(
                "urllib3", lambda: urllib3.connection_from_url(active.url), lambda p: p.close()
            )
            return pool.urlopen(method, target, body, given, *args, **kwargs)

        return urlopen

    yield urllib3.HTTPConnectionPool, "urlopen", make


def requests_hooks() -> Iterator[Hook]:
    if not _installed("requests"):
        return
    import requests  # noqa: PLC0415 (imported when the first block is entered)

    def make(original: Any) -> Any:
        def send(
            self: requests.adapters.HTTPAdapter,
            request: requests.PreparedRequest,
            *args: Any,
            **kwargs: Any,
        ) -> Any:
            active = REGISTRY.current()
            url = request.url or ""
            if active is not None and active.route(urlsplit(url).hostname) == BLOCK:
                raise active.refuse(requests.ConnectionError, url, request=request, response=None)
            return original(self, request, *args, **kwargs)

        return send

    yield requests.adapters.HTTPAdapter, "send", make


def httpx_hooks() -> Iterator[Hook]:
    if not _installed("httpx"):
        return
    import httpx  # noqa: PLC0415 (imported when the first block is entered)

    def routed(request: httpx.Request) -> httpx.Request:
        active = REGISTRY.current()
        decision = PASS if active is None else active.route(request.url.host)
        if active is None or decision == PASS:
            return request
        if decision == BLOCK:
            raise active.refuse(httpx.ConnectError, str(request.url), request=request)
        # with stream=, httpx adds no header of its own: Host stays the provider's
        url = request.url.copy_with(scheme=active.scheme, host=active.host, port=active.port)
        return httpx.Request(
            request.method,
            url,
            headers=request.headers,
            stream=request.stream,
            extensions=request.extensions,
        )

    def make_sync(original: Any) -> Any:
        def handle_request(self: httpx.HTTPTransport, request: httpx.Request) -> Any:
            return original(self, routed(request))

        return handle_request

    def make_async(original: Any) -> Any:
        async def handle_async_request(
            self: httpx.AsyncHTTPTransport, request: httpx.Request
        ) -> Any:
            return await original(self, routed(request))

        return handle_async_request

    yield httpx.HTTPTransport, "handle_request", make_sync
    yield httpx.AsyncHTTPTransport, "handle_async_request", make_async


def aiohttp_hooks() -> Iterator[Hook]:
    import aiohttp  # noqa: PLC0415 (the server's own dependency, but not every caller's)
    from yarl import URL  # noqa: PLC0415

    def make(original: Any) -> Any:
        async def connect(
            self: aiohttp.BaseConnector,
            req: aiohttp.ClientRequest,
            traces: Any,
            timeout: Any,  # noqa: ASYNC109 (aiohttp's name)
        ) -> Any:
            active = REGISTRY.current()
            decision = PASS if active is None else active.route(req.url.host)
            if active is not None and decision == BLOCK:
                raise active.refuse(aiohttp.ClientConnectionError, str(req.url))
            if active is not None and decision == REDIRECT:
                # Host was written from the original URL when the request was made; the
                # response keeps the original URL (ClientResponse.url is req.original_url)
                req.url = URL(active.url + req.url.raw_path_qs, encoded=True)
                req.update_proxy(None, None, None)  # loopback, never through a proxy
            return await original(self, req, traces, timeout)

        return connect

    yield aiohttp.BaseConnector, "connect", make


def urllib_hooks() -> Iterator[Hook]:
    import urllib.error  # noqa: PLC0415
    import urllib.request  # noqa: PLC0415

    def make(original: Any) -> Any:
        def open_(self: urllib.request.AbstractHTTPHandler, req: urllib.request.Request) -> Any:
            active = REGISTRY.current()
            decision = PASS if active is None else active.route(urlsplit(req.full_url).hostname)
            if active is None or decision == PASS:
                return original(self, req)
            if decision == BLOCK:
                raise active.refuse(urllib.error.URLError, req.full_url)
            # the Host header was added from the request's URL before this handler ran
            return self.do_open(active.connection, req)

        return open_

    yield urllib.request.HTTPHandler, "http_open", make
    if hasattr(urllib.request, "HTTPSHandler"):  # absent when Python has no ssl module
        yield urllib.request.HTTPSHandler, "https_open", make


HOOKS: Final = (urllib3_hooks, requests_hooks, httpx_hooks, aiohttp_hooks, urllib_hooks)


def mock_url(target: Any) -> SplitResult:
    """The mock's URL from a URL string or anything with `.url` (a handle, a MockServer)."""
    url = target if isinstance(target, str) else getattr(target, "url", None)
    text = "" if url is None else str(url).strip()
    parts = urlsplit(text)
    why = None
    if not text:
        why = "no URL: a MockServer gets one when it is started"
    elif parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        why = "it must be http://HOST:PORT or https://HOST:PORT"
    elif parts.path not in ("", "/") or parts.query or parts.fragment:
        why = "the mock's routes are at the server's root: no path, query or fragment"
    elif _host(parts.hostname) in PROVIDER_HOSTS:
        why = "that is the provider's own host name"
    if why is not None:
        raise ValueError(MSG_BAD_TARGET.format(target=target, why=why))
    try:
        parts.port  # noqa: B018 (raises for a port that is not a number from 0 to 65535)
    except ValueError as exc:
        raise ValueError(MSG_BAD_TARGET.format(target=target, why=exc)) from None
    return parts


class Intercept:
    """`with intercept(mock):`, `@intercept(mock)`; see the module's docstring."""

    def __init__(self, target: Any, *, block_others: bool = False) -> None:
        if isinstance(target, str):
            mock_url(target)  # a mistyped URL fails here, not at the first request
        self.target = target
        self.block_others = block_others
        self._entered: list[Active] = []

    def __repr__(self) -> str:
        return f"intercept({self.target!r}, block_others={self.block_others})"

    def __enter__(self) -> Intercept:
        block = Active(mock_url(self.target), self.block_others)
        REGISTRY.enter(block)
        self._entered.append(block)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        block = self._entered.pop()
        try:
            REGISTRY.leave(block)
        finally:
            block.close()

    def __call__(self, function: Callable[P, R]) -> Callable[P, R]:
        """As a decorator: each call runs inside a block of its own (an async function's
        from its first step to its last)."""
        target, block_others = self.target, self.block_others

        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with Intercept(target, block_others=block_others):
                    return await function(*args, **kwargs)

            return cast(Callable[P, R], run_async)

        @functools.wraps(function)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            with Intercept(target, block_others=block_others):
                return function(*args, **kwargs)

        return run


def intercept(target: Any, *, block_others: bool = False) -> Intercept:
    """Send every HTTP request for the provider's origin to the mock at `target` (a URL, the
    fixture's handle or its `.aio`, a started MockServer); with `block_others`, a request to
    any origin that is neither the provider's, the mock's nor loopback fails at once with
    `InterceptBlocked`. A context manager and a decorator (sync and async functions)."""
    return Intercept(target, block_others=block_others)


__all__ = ["PROVIDER_HOSTS", "Intercept", "InterceptBlocked", "intercept"]
