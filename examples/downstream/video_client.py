"""An async client for the provider's "Sora 2 Pro" video task API, as a team would write it.

    async with VideoClient("https://api.example.com", "sk-...") as client:
        mp4 = await client.generate(model="sora-2-text-to-video", prompt="A paper boat at dusk")

The API answers every JSON route with an envelope `{"code", "message", "data"}` and, by
default, sends its errors with HTTP 200: the envelope's `code` is what counts, never the HTTP
status alone. The client retries what is worth retrying -- a 429 (after `Retry-After`), a
500/502/503/504 in the envelope or in the HTTP status (also a proxy's text/html 502 page), a
dropped connection, a body that is not a JSON envelope -- with exponential backoff, and gives
up after `max_retries` retries with `RetriesExhausted`. Everything else raises at once.

A caveat a real team should keep in mind: retrying `create` after a dropped connection can
create a second task if the first request did reach the provider (the API has no idempotency
key). The provider's docs give no way to avoid that; the client accepts the risk because a
lost task costs the caller more than a rare duplicate.

`sleep` is injected so that tests can record the delays instead of waiting them out.

The sibling route (`create_video`, models `sora-2`, `sora-2-pro`, `sora-2-stable`) can POST the
final result to a `webHook`. A webhook is a hint, not a promise: it can be lost, or arrive
twice. `wait_video` takes what the app's `WebhookInbox` holds, and falls back to polling when
no delivery has come within `webhook_grace` seconds; the inbox keeps one result per task and
ignores a delivery it has seen (by its delivery id) or a second one for the same task.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, Final, TypeVar

import aiohttp
from yarl import URL

__all__ = [
    "ApiError",
    "BadRequest",
    "ConnectionDropped",
    "InsufficientCredits",
    "MalformedResponse",
    "NotFound",
    "RateLimited",
    "RetriesExhausted",
    "ServerError",
    "TaskFailed",
    "Unauthorized",
    "VideoClient",
    "WaitTimeout",
    "WebhookInbox",
]

CREATE_PATH: Final = "/api/v1/video/sora-pro"
CHECK_PATH: Final = "/api/video-generations/check-result"
SORA_VIDEO_PATH: Final = "/api/v1/video/sora-video"
SERVER_ERROR_CODES: Final = frozenset({500, 502, 503, 504})
IN_PROGRESS: Final = frozenset({"pending", "running"})

log = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[object]]
OnUpdate = Callable[[Mapping[str, Any]], object]


# -- exceptions ---------------------------------------------------------------------------------


class ApiError(Exception):
    """Something the API (or the way to it) refused; `code` is the envelope's code if any."""

    retryable: bool = False

    def __init__(
        self, message: str, *, code: int | None = None, http_status: int | None = None
    ) -> None:
        super().__init__(message if code is None else f"[{code}] {message}")
        self.message = message
        self.code = code
        self.http_status = http_status


class BadRequest(ApiError):
    """400 (or -1, as one of the provider's documents has it): a field broke a rule; the
    message names the field."""


class Unauthorized(ApiError):
    """401: no key, a blank key or a key the provider does not know."""


class InsufficientCredits(ApiError):
    """402: the balance is below the task's price; nothing was charged."""


class NotFound(ApiError):
    """404: an unknown task (or another key's), or a result file that is not there."""


class RateLimited(ApiError):
    """429: too many tasks in progress; `retry_after` is the server's hint in seconds."""

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        code: int | None = 429,
        http_status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, code=code, http_status=http_status)
        self.retry_after = retry_after


class ServerError(ApiError):
    """A 5xx: in the envelope, in the HTTP status, or a proxy's error page."""

    retryable = True


class MalformedResponse(ApiError):
    """The body was not a JSON envelope (cut off, not JSON, or the wrong shape)."""

    retryable = True


class ConnectionDropped(ApiError):
    """The connection failed or was closed before a whole answer arrived."""

    retryable = True


class RetriesExhausted(ApiError):
    """The last of `attempts` tries failed too; `last_error` is why (also `__cause__`)."""

    def __init__(self, operation: str, attempts: int, last_error: ApiError) -> None:
        super().__init__(
            f"gave up on {operation} after {attempts} attempts; last error: {last_error}",
            code=last_error.code,
            http_status=last_error.http_status,
        )
        self.operation = operation
        self.attempts = attempts
        self.last_error = last_error


class TaskFailed(ApiError):
    """The task ended `failed` or `cancelled` (see `status`). The provider refunds both: see
    `credits_refunded`."""

    def __init__(self, task_id: str, result: Mapping[str, Any]) -> None:
        self.task_id = task_id
        self.status = str(result.get("status") or "failed")
        self.failure_reason = str(result.get("failure_reason") or "")
        self.error_message: str | None = result.get("error_message")
        self.credits_refunded = bool(result.get("credits_refunded"))
        self.refund_trans_no: str | None = result.get("refund_trans_no")
        self.result = dict(result)
        refund = "credits refunded" if self.credits_refunded else "credits NOT refunded"
        detail = f": {self.error_message}" if self.error_message else ""
        super().__init__(
            f"task {task_id} {self.status} ({self.failure_reason or 'no reason given'}{detail}); "
            f"{refund}"
        )


class WaitTimeout(ApiError):
    """The task was still in progress after `max_wait` seconds of polling."""

    def __init__(self, task_id: str, waited: float, last: Mapping[str, Any]) -> None:
        self.task_id = task_id
        self.waited = waited
        self.last = dict(last)
        super().__init__(
            f"task {task_id} still {last.get('status')!r} after polling for {waited:g} s"
        )


# -- webhooks ---------------------------------------------------------------------------------


class WebhookInbox:
    """The app's side of the webhook: what its endpoint received, kept idempotently."""

    def __init__(self) -> None:
        self.results: dict[str, dict[str, Any]] = {}
        self.duplicates = 0
        self._seen: set[str] = set()

    def accept(self, delivery_id: str, payload: Mapping[str, Any]) -> bool:
        """Record one delivery; False (and nothing changes) for one already handled."""
        task_id = payload.get("taskId") or payload.get("id")
        if delivery_id in self._seen or not isinstance(task_id, str) or task_id in self.results:
            self.duplicates += 1
            return False
        self._seen.add(delivery_id)
        self.results[task_id] = dict(payload)
        return True


# -- the client ---------------------------------------------------------------------------------


class VideoClient:
    """One API key against one provider base URL; use it as an async context manager."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        poll_interval: float = 5.0,
        max_retries: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        request_timeout: float = 60.0,
        max_wait: float = 900.0,
        sleep: Sleep = asyncio.sleep,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.base_url = base_url.rstrip("/")
        self.poll_interval = poll_interval
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.max_wait = max_wait
        self._api_key = api_key
        self._timeout = aiohttp.ClientTimeout(total=request_timeout)
        self._sleep = sleep
        self._session = session
        self._owns_session = session is None

    def __repr__(self) -> str:
        return f"VideoClient({self.base_url!r}, api_key='…{self._api_key[-4:]}')"

    async def __aenter__(self) -> VideoClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None and self._owns_session:
            await self._session.close()
            self._session = None

    # -- the public operations ------------------------------------------------------------

    async def create(self, **params: Any) -> str:
        """Create a generation task with the provider's field names; returns its taskId."""
        data = await self._retrying("create", lambda: self._post(CREATE_PATH, params))
        task_id = data.get("taskId")
        if not isinstance(task_id, str) or not task_id:
            raise MalformedResponse(f"create answered without a taskId: {data!r}")
        return task_id

    async def create_video(self, *, webhook: str | None = None, **params: Any) -> str:
        """Create a task on the sibling route (`sora-2`, ...); `webhook` receives the result."""
        body = {**params, "webHook": webhook if webhook is not None else "-1"}
        data = await self._retrying("create_video", lambda: self._post(SORA_VIDEO_PATH, body))
        task_id = data.get("taskId") or data.get("id")
        if not isinstance(task_id, str) or not task_id:
            raise MalformedResponse(f"create_video answered without a taskId: {data!r}")
        return task_id

    async def wait_video(
        self,
        task_id: str,
        inbox: WebhookInbox,
        *,
        refresh: Callable[[], object] = lambda: None,
        webhook_grace: float = 30.0,
    ) -> dict[str, Any]:
        """The task's final result from its webhook; after `webhook_grace` seconds without
        one, from polling instead. `refresh` lets the inbox take in what arrived meanwhile.

        A webhook result is the final event (`status`, `results`); a polled one is the
        check-result answer. Either way a failed task raises `TaskFailed`.
        """
        waited = 0.0
        while True:
            refresh()
            payload = inbox.results.get(task_id)
            if payload is not None:
                if payload.get("status") != "succeeded":
                    raise TaskFailed(task_id, payload)
                return payload
            if waited >= webhook_grace:
                log.warning("no webhook for %s after %g s: polling", task_id, waited)
                return await self.wait(task_id)
            await self._sleep(self.poll_interval)
            waited += self.poll_interval

    async def status(self, task_id: str) -> dict[str, Any]:
        """One check-result call: the task's status, progress and result URLs."""
        return await self._retrying(
            f"check-result of {task_id}", lambda: self._post(CHECK_PATH, {"taskId": task_id})
        )

    async def wait(
        self, task_id: str, *, max_wait: float | None = None, on_update: OnUpdate | None = None
    ) -> dict[str, Any]:
        """Poll until the task is final: its result when `succeeded`, else `TaskFailed` (for
        `failed` and for `cancelled`, the provider's third final status).

        `max_wait` counts the poll intervals slept (so it follows an injected `sleep`);
        `on_update` sees every status answer, e.g. for a progress bar.
        """
        limit = self.max_wait if max_wait is None else max_wait
        waited = 0.0
        while True:
            result = await self.status(task_id)
            if on_update is not None:
                on_update(result)
            state = result.get("status")
            if state == "succeeded":
                return result
            if state in ("failed", "cancelled"):
                raise TaskFailed(task_id, result)
            if state not in IN_PROGRESS:
                raise ApiError(f"task {task_id} has an unknown status {state!r}")
            if waited >= limit:
                raise WaitTimeout(task_id, waited, result)
            await self._sleep(self.poll_interval)
            waited += self.poll_interval

    async def download(self, url: str) -> bytes:
        """The result file. It is a public link; the key goes along only to the API's own origin.

        (Sending it there costs nothing and lets the provider -- or a mock -- tie the download
        to the account; sending it to any other host would leak it.)
        """
        return await self._retrying(f"download of {url}", lambda: self._get_file(url))

    async def generate(
        self, *, max_wait: float | None = None, on_update: OnUpdate | None = None, **params: Any
    ) -> bytes:
        """create → wait → download: the finished video's bytes."""
        task_id = await self.create(**params)
        log.info("created task %s", task_id)
        result = await self.wait(task_id, max_wait=max_wait, on_update=on_update)
        url = result.get("result_url") or next(iter(result.get("result_urls") or []), None)
        if not isinstance(url, str) or not url:
            raise MalformedResponse(f"task {task_id} succeeded without a result_url")
        return await self.download(url)

    # -- retries ----------------------------------------------------------------------------

    async def _retrying(self, operation: str, attempt: Callable[[], Awaitable[T]]) -> T:
        retries = 0
        while True:
            try:
                return await attempt()
            except ApiError as exc:
                if not exc.retryable:
                    raise
                if retries >= self.max_retries:
                    raise RetriesExhausted(operation, retries + 1, exc) from exc
                delay = self._delay(retries, exc)
                log.warning(
                    "%s failed (%s); retry %d in %.2f s", operation, exc, retries + 1, delay
                )
                await self._sleep(delay)
                retries += 1

    def _delay(self, retries: int, exc: ApiError) -> float:
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return exc.retry_after
        return float(min(self.backoff * 2**retries, self.max_backoff))

    # -- one attempt ------------------------------------------------------------------------

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    def _auth_for(self, url: str) -> dict[str, str]:
        if URL(url).origin() != URL(self.base_url).origin():
            return {}
        return {"Authorization": f"Bearer {self._api_key}"}

    async def _post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        url = self.base_url + path
        try:
            async with self._http().post(url, json=body, headers=self._auth_for(url)) as r:
                raw = await r.read()
                status, ctype, retry_after = r.status, r.content_type, r.headers.get("Retry-After")
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, TimeoutError) as exc:
            raise ConnectionDropped(f"POST {path}: {type(exc).__name__}: {exc}") from exc
        envelope = _envelope(raw)
        if envelope is None:
            raise _not_an_envelope(f"POST {path}", status, ctype, raw)
        code, message, data = envelope
        if code != 0:
            raise _error(code, message, status, retry_after)
        if not isinstance(data, dict):
            raise MalformedResponse(
                f"POST {path}: data is {type(data).__name__}, not an object", http_status=status
            )
        return data

    async def _get_file(self, url: str) -> bytes:
        try:
            async with self._http().get(url, headers=self._auth_for(url)) as r:
                raw = await r.read()
                status, ctype, retry_after = r.status, r.content_type, r.headers.get("Retry-After")
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, TimeoutError) as exc:
            raise ConnectionDropped(f"GET {url}: {type(exc).__name__}: {exc}") from exc
        if status == 200 and ctype not in ("application/json", "text/html"):
            return raw
        envelope = _envelope(raw)  # an error may still come as an envelope, even with 200
        if envelope is not None and envelope[0] != 0:
            raise _error(envelope[0], envelope[1], status, retry_after)
        if status == 404:
            raise NotFound(f"GET {url}: no such file", code=404, http_status=404)
        raise _not_an_envelope(f"GET {url}", status, ctype, raw)


# -- reading answers --------------------------------------------------------------------------


def _envelope(raw: bytes) -> tuple[int, str, Any] | None:
    """`(code, message, data)` if the body is a JSON envelope, else None."""
    try:
        body = json.loads(raw)
    except ValueError:  # also UnicodeDecodeError
        return None
    if not isinstance(body, dict):
        return None
    code = body.get("code")
    if not isinstance(code, int) or isinstance(code, bool):
        return None
    return code, str(body.get("message") or ""), body.get("data")


def _not_an_envelope(what: str, status: int, ctype: str, raw: bytes) -> ApiError:
    preview = raw[:60].decode("utf-8", "replace")
    if status >= 500 or ctype == "text/html":  # a proxy's page, e.g. nginx's 502 Bad Gateway
        return ServerError(
            f"{what}: HTTP {status} {ctype} page instead of the API's JSON: {preview!r}",
            code=status if status >= 500 else None,
            http_status=status,
        )
    if 200 <= status < 300:
        return MalformedResponse(
            f"{what}: HTTP {status} body is not a JSON envelope ({len(raw)} bytes): {preview!r}",
            http_status=status,
        )
    return _error(status, f"{what}: HTTP {status} {preview!r}", status, None)


def _error(code: int, message: str, http_status: int, retry_after: str | None) -> ApiError:
    kinds: dict[int, type[ApiError]] = {
        # the provider's OpenAPI example answers a rejected field with -1, its pages with 400
        -1: BadRequest,
        400: BadRequest,
        401: Unauthorized,
        402: InsufficientCredits,
        404: NotFound,
    }
    if code == 429:
        return RateLimited(
            message, code=code, http_status=http_status, retry_after=_retry_after(retry_after)
        )
    if code in SERVER_ERROR_CODES:
        return ServerError(message, code=code, http_status=http_status)
    return kinds.get(code, ApiError)(message, code=code, http_status=http_status)


def _retry_after(value: str | None) -> float | None:
    """`Retry-After` as seconds: delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - time.time()
    return max(seconds, 0.0) if math.isfinite(seconds) else None
