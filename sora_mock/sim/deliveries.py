"""Webhook deliveries (CONTRACT A7): the tasks that wait for one, the records, their due times
on the mock clock, the retries, the allow-list, and the one HTTP client below the HTTP layer.

A task with a `webHook` is watched from its create until it ends: the lifecycle's `ended` hook
(`on_ended`) makes its delivery due at the task's finish time, and `look()` observes the watched
tasks whenever time may have moved (an advance, the real clock's alarm at a finish time).

This is the one place that decides what the mock may call out to: a delivery goes only to a host
in `webhook_allow_hosts`, as the URL writes it (no name is resolved to decide), checked here
against both readings of the URL (the standard library's and yarl's, which aiohttp sends with),
so that a URL the two parse differently is refused rather than sent somewhere unchecked.

aiohttp is imported here, and nowhere else below the HTTP layer, because a delivery is a real
HTTP POST and aiohttp's own client is already a dependency and runs on the server's event loop.
One `ClientSession` serves the whole app: it is made on the first send (it needs the running
loop, and most simulations never send) and closed by `close()`, which the app's `cleanup_ctx`
awaits, so that a stopped server leaves no open connector and no task pending.

Attempts run on one pump task, in rounds: the attempts due at one moment run concurrently, up to
`CONCURRENT_ATTEMPTS` at once (revision 3), and the next moment's only after them, so a test that
advances the clock sees them arrive in the order of their due times, and hanging receivers hold an
advance for about one attempt timeout per due moment, however many they are. One delivery's
attempts stay in order: its retry is due a second or more after the attempt before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import json
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Final, Literal
from urllib.parse import urlsplit

import aiohttp
from yarl import URL

from .. import __version__
from ..config import Settings
from ..core.clock import Clock
from ..core.errors import mask_key
from ..core.ids import ResultPids
from ..faults.engine import Faults, Request
from ..tasks import Task
from ..tasks.lifecycle import Lifecycle
from .streams import webhook_payload

State = Literal["pending", "delivered", "failed", "refused", "dropped"]
STATES: Final[tuple[State, ...]] = ("pending", "delivered", "failed", "refused", "dropped")
DELIVERY_HEADER: Final = "X-Sora-Mock-Delivery"
USER_AGENT: Final = f"sora-mock/{__version__}"
LOG: Final = logging.getLogger("sora_mock.webhooks")

MSG_TIMEOUT: Final = "No answer within {seconds:g} seconds."
MSG_CONNECT: Final = "Could not connect: {reason}."
MSG_BROKEN: Final = "The answer was not valid HTTP or the connection broke: {reason}."
MSG_FAULT_ERROR: Final = "Failed by fault rule {rule}: not sent."
CONCURRENT_ATTEMPTS: Final = 32  # attempts of different deliveries due at one moment (A7)


def allowed_host(url: str, allow: list[str]) -> bool:
    """Whether `url`'s host, as written, is in the allow-list (already lower-case, unbracketed).

    Both the standard library's parse and yarl's (what aiohttp connects to) must name an allowed
    host, and the same one: `http://a.example\\@127.0.0.1/` reads differently in each.
    """
    try:
        ours = urlsplit(url).hostname
        theirs = URL(url).host
    except ValueError:
        return False
    if ours is None or theirs is None:
        return False
    theirs = theirs.strip("[]").lower()
    return ours.lower() == theirs and theirs in allow


@dataclass(slots=True)
class Attempt:
    time: float  # the attempt's due time on the mock clock
    http_status: int | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.http_status is not None and 200 <= self.http_status < 300

    def to_json(self) -> dict[str, Any]:
        return {"time": self.time, "http_status": self.http_status, "error": self.error}


@dataclass(slots=True)
class Delivery:
    """One task's webhook: its payload, when its next attempt is due, and what happened."""

    id: str
    task_id: str
    key: str
    url: str
    event: str
    payload: dict[str, Any]
    model: str
    prompt: str | None
    due: float
    tries: int = 0  # counted attempts (a duplicated one counts once)
    attempts: list[Attempt] = field(default_factory=list)
    state: State = "pending"
    fault: list[str] | None = None

    @property
    def final(self) -> bool:
        return self.state != "pending"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "taskId": self.task_id,
            "key": mask_key(self.key),
            "url": self.url,
            "event": self.event,
            "attempts": [a.to_json() for a in self.attempts],
            "state": self.state,
            "fault": self.fault,
        }


class Deliveries:
    """Every delivery of one simulation, and the pump that makes their attempts."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        faults: Faults,
        lifecycle: Lifecycle,
        pids: ResultPids,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._faults = faults
        self._lifecycle = lifecycle
        self._pids = pids
        lifecycle.ended.append(self.on_ended)
        self._session: aiohttp.ClientSession | None = None
        self._pump: asyncio.Task[None] | None = None
        self._stopping: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._closed = False
        self.reset()

    def reset(self) -> None:
        """Forget every delivery; one not yet made is cancelled, one in flight is abandoned."""
        self._cancel_pump()
        # tasks with a webHook not seen final yet, by taskId
        self._watched: dict[str, Task] = {}
        self.records: deque[Delivery] = deque(maxlen=self._settings.journal_size)
        self._due: list[tuple[float, int, Delivery]] = []
        self._alarms: list[float] = []
        self._counter = 0
        self._idle.set()  # an advance that was waiting for the old attempts waits no more

    # -- the simulator's side (synchronous) ----------------------------------------------------

    def watch(self, task: Task, url: str, base_url: str) -> None:
        """`task` has a webHook: its delivery is due when it ends (at its finish time)."""
        task.hook = (url, base_url)
        self._watched[task.task_id] = task
        self.alarm(task.finishes_at())

    def on_ended(self, task: Task, now: float) -> None:
        """The lifecycle's `ended` hook: a watched task's webhook is due at its finish time."""
        hook = task.hook
        if hook is None:
            return
        task.hook = None
        self._watched.pop(task.task_id, None)
        status = task.observed
        if status != "succeeded" and not self._settings.webhook_on_failure:
            return
        url, base = hook
        result = task.result(now, self._settings.public_base_url or base, self._pids)
        assert task.final_at is not None
        delivery = self.schedule(
            task_id=task.task_id,
            key=task.key,
            url=url,
            event=status,
            payload=webhook_payload(result),
            model=task.model,
            prompt=task.params.get("prompt"),
            due=task.final_at,
        )
        task.webhook = delivery.id

    def look(self) -> None:
        """Observe every task whose webhook waits for it to end (time may have moved)."""
        now = self._clock.now()
        observe = self._lifecycle.observe
        for task_id, task in list(self._watched.items()):
            if task.hook is None:  # forgotten beyond max_tasks: its webhook is never due
                del self._watched[task_id]
            else:
                observe(task, now)

    def query_now(
        self, *, key: str | None = None, task_id: str | None = None, state: str | None = None
    ) -> list[Delivery]:
        """The records, after every watched task that has ended by now made its delivery."""
        self.look()
        return self.query(key=key, task_id=task_id, state=state)

    def schedule(
        self,
        *,
        task_id: str,
        key: str,
        url: str,
        event: str,
        payload: dict[str, Any],
        model: str,
        prompt: str | None,
        due: float,
    ) -> Delivery:
        """Record a delivery whose first attempt is due at `due` (the task's finish time)."""
        self._counter += 1
        delivery = Delivery(
            f"wh_{self._counter:08d}", task_id, key, url, event, payload, model, prompt, due
        )
        self.records.append(delivery)
        heapq.heappush(self._due, (due, self._counter, delivery))
        self.kick()
        return delivery

    def alarm(self, at: float) -> None:
        """On the real clock, look at the tasks again at mock time `at` (a finish time)."""
        if self._clock.mode == "real":
            heapq.heappush(self._alarms, at)
            self.kick()

    def kick(self) -> None:
        """Make the attempts that are due now, in the background, after the current request."""
        if self._closed:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # a simulation driven without a loop (unit tests): nothing is sent
            return
        self._idle.clear()
        self._wake.set()
        if self._pump is None or self._pump.done():
            self._pump = loop.create_task(self._run(), name="sora-mock-deliveries")

    async def drain(self) -> None:
        """Return once every attempt due by now, and the one in flight, has ended."""
        self.kick()
        if self._pump is not None:
            await self._idle.wait()

    def query(
        self, *, key: str | None = None, task_id: str | None = None, state: str | None = None
    ) -> list[Delivery]:
        return [
            d
            for d in self.records
            if key in (None, d.key) and task_id in (None, d.task_id) and state in (None, d.state)
        ]

    def clear(self, key: str | None = None) -> None:
        """Forget finished deliveries (of one key); pending ones keep their records and go on."""
        kept = [d for d in self.records if not d.final or key not in (None, d.key)]
        self.records.clear()
        self.records.extend(kept)

    def stop(self) -> None:
        """Send nothing more: cancel what is pending or in flight; release waiting advances."""
        self._closed = True
        self._cancel_pump()
        self._idle.set()

    async def close(self) -> None:
        """Stop, wait for the cancelled pump to end, then close the session."""
        self.stop()
        for task in list(self._stopping):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._idle.set()

    # -- the pump ------------------------------------------------------------------------------

    def _cancel_pump(self) -> None:
        pump, self._pump = self._pump, None
        if pump is not None and not pump.done():
            pump.cancel()
            self._stopping.add(pump)
            pump.add_done_callback(self._stopping.discard)

    def _round(self, now: float) -> list[Delivery]:
        """The deliveries whose attempt is due at the earliest due moment, if it is by `now`."""
        moment: float | None = None
        found: list[Delivery] = []
        while self._due:
            due, _, delivery = self._due[0]
            if due > now or (moment is not None and due != moment):
                break
            heapq.heappop(self._due)
            if delivery.state == "pending" and delivery.due == due:
                moment = due
                found.append(delivery)
        return found

    def _wait_seconds(self, now: float) -> float | None:
        """Real seconds until the next due attempt or alarm; None when only an event can wake."""
        upcoming = [entry[0] for entry in self._due[:1]] + self._alarms[:1]
        if not upcoming:
            return None
        real = self._clock.real_seconds(max(min(upcoming) - now, 0.0))
        return real if real != float("inf") else None

    async def _run(self) -> None:
        try:
            while True:
                self._wake.clear()
                now = self._clock.now()
                while self._alarms and self._alarms[0] <= now:
                    heapq.heappop(self._alarms)
                self.look()
                due = self._round(now)
                if due:
                    for start in range(0, len(due), CONCURRENT_ATTEMPTS):
                        batch = due[start : start + CONCURRENT_ATTEMPTS]
                        await asyncio.gather(*(self._guarded(d) for d in batch))
                    continue
                self._idle.set()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._wait_seconds(now))
        finally:
            self._idle.set()  # whatever ends the pump, no advance waits for it any longer

    async def _guarded(self, d: Delivery) -> None:
        try:
            await self._attempt(d)
        except Exception:  # a bug here must not stop every later delivery
            LOG.exception("webhook %s: the mock failed to make the attempt", d.id)
            d.state = "failed"

    async def _attempt(self, d: Delivery) -> None:
        """One counted attempt at its due time: refused, faulted, sent (once or twice)."""
        due = d.due
        if not allowed_host(d.url, self._settings.webhook_allow_hosts):
            d.state = "refused"
            LOG.info("webhook %s taskId=%s refused: host not allowed", d.id, d.task_id)
            return
        decision = self._faults.decide(
            Request("webhook", d.key, {}, {"model": d.model, "prompt": d.prompt})
        )
        if decision.fired:
            d.fault = [*(d.fault or []), *decision.fired]
        rule = decision.rule
        if decision.delay_ms:
            await asyncio.sleep(decision.delay_ms / 1000)
        d.tries += 1
        if rule is not None and rule.action == "drop":
            d.state = "dropped"
            LOG.info("webhook %s taskId=%s dropped by fault rule", d.id, d.task_id)
            return
        action = rule.action if rule is not None else None
        if action == "error":
            made = [Attempt(due, error=MSG_FAULT_ERROR.format(rule=decision.fired[-1]))]
        else:
            made = [await self._send(d, due)]
            if action == "duplicate":  # the second right after the first (C)
                made.append(await self._send(d, due))
        d.attempts.extend(made)
        if any(a.ok for a in made):
            d.state = "delivered"
            task = self._lifecycle.store.get(d.task_id)
            if task is not None:  # a 2xx acknowledged the final result: the client saw it (F)
                task.seen_final = True
        elif d.tries > self._settings.webhook_retries:
            d.state = "failed"
        else:
            d.due = due + 2 ** (d.tries - 1)
            heapq.heappush(self._due, (d.due, int(d.id[3:]), d))
        self._log(d, made)

    def _log(self, d: Delivery, made: list[Attempt]) -> None:
        if LOG.isEnabledFor(logging.INFO):
            answers = ", ".join(
                str(a.http_status) if a.http_status is not None else f"error: {a.error}"
                for a in made
            )
            LOG.info(
                "webhook %s taskId=%s key=%s attempt %d -> %s; %s",
                d.id,
                d.task_id,
                mask_key(d.key),
                d.tries,
                answers,
                d.state,
            )

    async def _send(self, d: Delivery, due: float) -> Attempt:
        if self._session is None:
            # force_close: every attempt opens its own connection, so a receiver that reset or
            # garbled the last one cannot fail the next; trust_env off: no proxy is ever asked
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(force_close=True), trust_env=False
            )
        seconds = self._settings.webhook_timeout_seconds
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            DELIVERY_HEADER: d.id,
        }
        body = json.dumps(d.payload, separators=(",", ":")).encode()
        try:
            async with self._session.post(
                URL(d.url),
                data=body,
                headers=headers,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=seconds),
            ) as response:
                return Attempt(due, http_status=response.status)
        except TimeoutError:
            return Attempt(due, error=MSG_TIMEOUT.format(seconds=seconds))
        except aiohttp.ClientConnectorError as exc:
            return Attempt(due, error=MSG_CONNECT.format(reason=exc.os_error or exc))
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            reason = str(exc) or type(exc).__name__
            return Attempt(due, error=MSG_BROKEN.format(reason=reason))
