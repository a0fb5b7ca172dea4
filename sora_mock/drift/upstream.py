"""The two sides a probe is sent to, over aiohttp's client: the upstream (paced, counted, its host
only, https unless allowed, no redirect followed, no retry) and an in-process mock.

The key is never a parameter of anything printed: `Masker` turns it into the journal's mask (D)
in every text that leaves the command.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, NoReturn
from urllib.parse import urlsplit

import aiohttp

from ..core.errors import masked
from .compare import Answer
from .probes import Probe

EXIT_USAGE: Final = 2  # both commands: a usage error

ENV_KEY: Final = "SORA_MOCK_UPSTREAM_KEY"
TIMEOUT_SECONDS: Final = 30.0
MSG_KEY_FLAG: Final = (
    "--key is refused: the key is read only from the environment variable {env}, so that it "
    "never lands in shell history, process listings or CI logs"
)
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class UsageError(Exception):
    """A command line or environment the command cannot run with (exit 2)."""


class OutOfRequests(Exception):
    """`--max-requests` would be passed by the next request."""


@dataclass(frozen=True, slots=True)
class Masker:
    """`masked` (the journal's masking, CONTRACT D) bound to one key."""

    key: str

    def __call__(self, value: Any) -> Any:
        return masked(value, self.key)


class CommandParser(argparse.ArgumentParser):
    """The parser of `sora-mock verify` and `sora-mock proxy`: a usage error is one line naming
    the command (`prog`), with no value of an unknown option in it, and exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {usage_message(message)}; see {self.prog} --help\n")


def usage_message(message: str) -> str:
    """argparse's message with no value of an unknown option in it (`--api-key sk-...` would
    print the key): only the unknown options' names are named."""
    head, found, rest = message.partition("unrecognized arguments: ")
    if not found:
        return message
    names = [word.split("=", 1)[0] for word in rest.split() if word.startswith("-")]
    shown = ", ".join(names) if names else "values that belong to no option"
    return f"{head}unrecognized arguments: {shown}"


def refuse_key_flag(argv: Sequence[str]) -> None:
    """Both commands refuse a key on the command line (it would land in shell history)."""
    if any(a == "--key" or a.startswith("--key=") for a in argv):
        raise UsageError(MSG_KEY_FLAG.format(env=ENV_KEY))


def check_upstream(url: str, *, allow_http: bool) -> tuple[str, str]:
    """The upstream's base URL (no trailing slash) and its `host:port`; UsageError if it is not
    an http(s) URL with a host and no query or fragment, or is plain http without leave."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"--upstream {url!r} is not a URL ({exc})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--upstream {url!r} must be an http(s) URL with a host")
    if parts.query or parts.fragment:
        raise UsageError(f"--upstream {url!r} must have no query or fragment")
    if parts.path not in ("", "/"):
        raise UsageError(
            f"--upstream {url!r} must be an origin, without a path ({parts.path}): the "
            "provider's paths (/api/...) are added to it as they are"
        )
    if parts.scheme == "http" and not allow_http:
        raise UsageError(
            f"--upstream {url!r} is plain http: the key would cross the network unencrypted; "
            "use https, or --allow-http for a local upstream"
        )
    default = 443 if parts.scheme == "https" else 80
    return url.rstrip("/"), f"{parts.scheme}://{parts.hostname}:{port or default}"


def origin_of(url: str) -> str | None:
    """`scheme://host:port` of a URL (the default port written out), None if it has none."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.hostname}:{port or (443 if parts.scheme == 'https' else 80)}"


def headers_of(probe: Probe, key: str) -> dict[str, str]:
    headers = {"Accept": "application/json"}
    if probe.body is not None:
        headers["Content-Type"] = "application/json"
    if probe.auth == "key":
        headers["Authorization"] = f"Bearer {key}"
    elif probe.auth == "blank":
        headers["Authorization"] = "Bearer"
    return headers


async def fetch(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    body: bytes | None,
    headers: dict[str, str],
) -> Answer:
    """One request, its whole answer; a network error as the answer's `error`, never retried."""
    try:
        async with session.request(
            method, url, data=body, headers=headers, allow_redirects=False
        ) as response:
            raw = await response.read()
            return Answer(response.status, raw, response.content_type)
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        return Answer(error=f"{type(exc).__name__}: {exc}".rstrip(": "))


class Pacer:
    """At most `rate` requests a second: each request waits until `1/rate` seconds after the
    one before it. The clock and the sleep are injected, so the pacing is tested without time."""

    def __init__(self, rate: float, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep):
        self.interval = 1.0 / rate
        self.clock = clock
        self.sleep = sleep
        self.next: float | None = None

    async def wait(self) -> None:
        now = self.clock()
        if self.next is not None and now < self.next:
            await self.sleep(self.next - now)
            now = self.next
        self.next = now + self.interval

    def space(self, seconds: float) -> None:
        """The next request waits until at least `seconds` after the last one (a poll's
        spacing), whatever the rate allows."""
        if self.next is not None:
            self.next = max(self.next, self.next - self.interval + seconds)


class Side:
    """Where probes go: a base URL, a session, the key; `limit` and `pacer` for the upstream."""

    def __init__(
        self,
        base: str,
        session: aiohttp.ClientSession,
        key: str,
        *,
        pacer: Pacer | None = None,
        limit: int | None = None,
        origin: str | None = None,
    ) -> None:
        self.base = base
        self.session = session
        self.key = key
        self.pacer = pacer
        self.limit = limit
        self.origin = origin
        self.sent = 0

    def left(self) -> int | None:
        return None if self.limit is None else self.limit - self.sent

    async def send(self, probe: Probe) -> Answer:
        return await self.request(probe.method, self.base + probe.path, probe.body, probe)

    async def request(
        self, method: str, url: str, body: bytes | None, probe: Probe | None = None
    ) -> Answer:
        if self.limit is not None and self.sent >= self.limit:
            raise OutOfRequests
        if self.origin is not None and origin_of(url) != self.origin:
            return Answer(error=f"not sent: {url} is not on the upstream's host")
        if self.pacer is not None:
            await self.pacer.wait()
        self.sent += 1
        headers = headers_of(probe, self.key) if probe is not None else {}
        return await fetch(self.session, method, url, body, headers)


def client_session() -> aiohttp.ClientSession:
    """No proxy from the environment, no cookies kept: only the URL's host is contacted."""
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(total=TIMEOUT_SECONDS),
        trust_env=False,
        cookie_jar=aiohttp.DummyCookieJar(),
    )
