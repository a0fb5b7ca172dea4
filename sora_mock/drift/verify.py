"""`sora-mock verify --upstream URL` (CONTRACT I1): the run (its command line is
`verify_command.py`): the probes to both sides, paced, with the
upstream balance watched; the differences, each with its section and matching variants table.

Order: the balance is read; each free probe is first answered by the in-process mock (a probe
the mock would not reject is never sent: it could cost credits); after every probe that could
charge (A2, A3, A4, A6) the balance is read again, and a balance that moved stops the command at
once (exit 3). With `--spend`, the cheapest create within the budget is polled to its end and
its price is checked against the balance's change. The mock runs in process on the comparison's
settings (`shadow.comparison_settings`), on the manual clock, moved on as a poll needs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from aiohttp import web

from ..config import Settings
from ..http.app import create_app
from ..http.keys import CONTROL
from .compare import Answer, Difference, differences, shape
from .probes import BALANCE, Probe, Spend, cheapest_create, check_probe, free_probes
from .shadow import comparison_settings, forms_of
from .upstream import (
    Clock,
    Masker,
    OutOfRequests,
    Pacer,
    Side,
    Sleep,
    check_upstream,
    client_session,
)

DEFAULT_MAX_WAIT: Final = 600.0  # seconds a spending probe's task is polled for
# seconds between two polls of the provider's task: a task takes minutes, so polling at the
# rate would spend the request budget in the first minute (50 polls cover 500 s)
DEFAULT_POLL_EVERY: Final = 10.0
DEFAULT_RATE: Final = 1.0  # requests a second
DEFAULT_MAX_REQUESTS: Final = 100  # CONTRACT I1
UNBOUNDED_WAIT: Final = 1e9  # the in-process mock's task ends as its clock is moved: no bound
EXIT_INTERRUPTED: Final = 130  # Ctrl-C, as a shell reports it
EXIT_SAME: Final = 0
EXIT_DIFFERENT: Final = 1
# 2, a usage error, is upstream.EXIT_USAGE: both commands answer it alike
EXIT_SPENT: Final = 3
FINAL: Final = ("succeeded", "failed", "cancelled")
ORDER: Final = {"pending": 0, "running": 1, **dict.fromkeys(FINAL, 2)}
# the requests polling leaves for the result file and the balance read after spending
RESERVE: Final = 2
# what a spending run needs beyond the free probes: a create, a poll, the file, the balance
SPEND_REQUESTS: Final = 2 + RESERVE
LOOPBACK: Final = "127.0.0.1"
MSG_NO_KEY: Final = "the environment variable {env} is not set: it holds the upstream's API key"


@dataclass
class Options:
    upstream: str
    key: str
    settings: Settings
    spend: int | None = None
    max_wait: float = DEFAULT_MAX_WAIT
    poll_every: float = DEFAULT_POLL_EVERY
    rate: float = DEFAULT_RATE
    max_requests: int = DEFAULT_MAX_REQUESTS
    json_path: Path | None = None
    allow_http: bool = False


@dataclass
class Run:
    """What one run found; `report.py` renders it."""

    upstream: str
    masked_key: str
    probes: list[dict[str, Any]] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    balance_before: int | None = None
    balance_after: int | None = None
    requests: int = 0
    stopped: str | None = None
    spent_unasked: bool = False

    @property
    def exit_code(self) -> int:
        if self.spent_unasked:
            return EXIT_SPENT
        return EXIT_DIFFERENT if self.differences or self.stopped else EXIT_SAME


class Stopped(Exception):
    """The run stops here; `spent` when credits moved that were not allowed to."""

    def __init__(self, reason: str, *, spent: bool = False) -> None:
        super().__init__(reason)
        self.spent = spent


def balance_of(answer: Answer) -> int | None:
    try:
        data = json.loads(answer.body)["data"]
        value = data["left_credits"]
    except (ValueError, KeyError, TypeError):
        return None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


class MockSide:
    """An in-process mock (create_app on the comparison's settings, served on loopback)."""

    def __init__(self, settings: Settings, **overrides: Any) -> None:
        self.app = create_app(comparison_settings(settings, **overrides))
        self.runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        self.settings = self.app[CONTROL].sim.settings
        self.base = ""

    async def __aenter__(self) -> MockSide:
        await self.runner.setup()
        await web.TCPSite(self.runner, LOOPBACK, 0).start()
        host, port = self.runner.addresses[0][:2]
        self.base = f"http://{host}:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.runner.cleanup()

    def side(self, session: Any, key: str) -> Side:
        return Side(self.base, session, key)

    async def advance(self, seconds: float) -> None:
        await self.app[CONTROL].advance(seconds)


async def spend_steps(
    side: Side,
    spend: Spend,
    *,
    mock: MockSide | None,
    clock: Clock,
    max_wait: float,
    poll_every: float = 0.0,
) -> list[tuple[Probe, Answer]]:
    """Create, poll check-result to a final status (within `max_wait`; on a paced side, the
    polls `poll_every` seconds apart), fetch the result file."""
    steps: list[tuple[Probe, Answer]] = []
    created = await side.send(spend.probe)
    steps.append((spend.probe, created))
    data = _data(created)
    task_id = data.get("taskId") or data.get("id")
    if not isinstance(task_id, str):
        return steps
    poll = check_probe(task_id)
    deadline = clock() + max_wait
    while True:
        answer = await side.send(poll)
        steps.append((poll, answer))
        status = _data(answer).get("status")
        if status in FINAL or answer.error is not None or not isinstance(status, str):
            break
        left = side.left()
        if clock() >= deadline or (left is not None and left <= RESERVE):
            break
        if mock is not None:
            await mock.advance(mock.settings.queue_seconds + mock.settings.run_seconds)
        elif side.pacer is not None:
            side.pacer.space(poll_every)
    url = _data(steps[-1][1]).get("result_url")
    if isinstance(url, str):
        file_probe = Probe("spend.result_file", "files", "GET", url, None, "A4", auth="none")
        steps.append((file_probe, await side.request("GET", url, None)))
    return steps


def _data(answer: Answer) -> dict[str, Any]:
    try:
        data = json.loads(answer.body).get("data")
    except (ValueError, AttributeError):
        return {}
    return data if isinstance(data, dict) else {}


def _statuses(steps: list[tuple[Probe, Answer]]) -> list[str]:
    return [str(_data(a).get("status")) for p, a in steps if p.name == "spend.check_result"]


def _file_of(steps: list[tuple[Probe, Answer]]) -> Answer | None:
    return next((a for p, a in steps if p.name == "spend.result_file"), None)


def spend_differences(
    mock: list[tuple[Probe, Answer]], upstream: list[tuple[Probe, Answer]]
) -> list[Difference]:
    """The create answer, the last check-result, the status sequence and the result file."""
    found: list[Difference] = []
    found += differences("spend.create", mock[0][1], upstream[0][1], section="A2")
    polls_m = [a for p, a in mock if p.name == "spend.check_result"]
    polls_u = [a for p, a in upstream if p.name == "spend.check_result"]
    seq_m, seq_u = _statuses(mock), _statuses(upstream)
    # polling stopped (--max-wait, --max-requests) before the upstream's task was final: its
    # last answer is compared with the mock's answer in the same status, and its sequence only
    # for its order, as there is no end to compare
    unfinished = bool(seq_u) and seq_u[-1] not in FINAL
    if polls_m and polls_u:
        alike = [a for a, s in zip(polls_m, seq_m, strict=True) if s == seq_u[-1]]
        last_m = (alike[-1] if alike else None) if unfinished else polls_m[-1]
        if last_m is not None:
            found += differences("spend.check_result", last_m, polls_u[-1], section="A3")
    ordered = all(s in ORDER for s in seq_u) and [ORDER[s] for s in seq_u] == sorted(
        ORDER[s] for s in seq_u
    )
    ended_alike = unfinished or seq_u[-1:] == seq_m[-1:]
    if seq_u and not (ordered and ended_alike):
        found.append(Difference("spend.check_result", "status sequence", seq_m, seq_u, "B3"))
    file_m, file_u = _file_of(mock), _file_of(upstream)
    if file_m is not None and file_u is not None:
        for aspect, mine, theirs in (
            ("file status", file_m.status, file_u.status),
            ("file type", file_m.content_type, file_u.content_type),
        ):
            if file_u.error is None and mine != theirs:
                found.append(Difference("spend.result_file", aspect, mine, theirs, "A4"))
    return found


def free_requests(settings: Settings) -> int:
    """The most requests the free probes send upstream: the balance, each probe, and the
    balance read after each one that could charge (`_probes`)."""
    mock = comparison_settings(settings)
    probes = free_probes(strict=mock.strict, max_image_bytes=mock.max_image_bytes)
    return 1 + sum(2 if probe.watched else 1 for probe in probes)


class Verify:
    """One run of the command; `run()` fills a `Run`."""

    def __init__(self, options: Options, clock: Clock, sleep: Sleep) -> None:
        self.o = options
        self.clock = clock
        self.sleep = sleep
        self.masker = Masker(options.key)
        self.result = Run(options.upstream, self.masker(options.key))
        self.answers: dict[str, tuple[Probe, Answer]] = {}  # probe name -> upstream's answer

    async def run(self) -> Run:
        o = self.o
        base, origin = check_upstream(o.upstream, allow_http=o.allow_http)
        async with client_session() as upstream_session, client_session() as mock_session:
            pacer = Pacer(o.rate, self.clock, self.sleep)
            up = Side(
                base, upstream_session, o.key, pacer=pacer, limit=o.max_requests, origin=origin
            )
            async with MockSide(o.settings) as mock:
                me = mock.side(mock_session, o.key)
                try:
                    await self._probes(up, me, mock)
                except Stopped as stop:
                    self.result.stopped = self.masker(str(stop))
                    self.result.spent_unasked = stop.spent
                except OutOfRequests:
                    self.result.stopped = (
                        f"--max-requests {o.max_requests} reached: the remaining probes were "
                        "not sent"
                    )
                self.result.requests = up.sent
            if self.result.differences:
                await self._match_variants(mock_session)
        return self._masked()

    def _masked(self) -> Run:
        """Every value of the run masked (the key echoed by the upstream anywhere), before the
        report cuts a cell short: a cut would leave a part of the key no mask can find."""
        r, mask = self.result, self.masker
        for d in r.differences:
            d.mock, d.upstream = mask(d.mock), mask(d.upstream)
        r.probes, r.notes, r.stopped = mask(r.probes), mask(r.notes), mask(r.stopped)
        return r

    async def _pair(self, up: Side, me: Side, probe: Probe) -> Answer:
        mine = await me.send(probe)
        if probe.charges and shape(mine).code == 0:  # the contract would charge: never sent
            self.result.notes.append(f"{probe.name}: the mock accepts it; not sent upstream")
            return mine
        theirs = await up.send(probe)
        self.answers[probe.name] = (probe, theirs)
        found = differences(probe.name, mine, theirs, section=probe.section, field_name=probe.field)
        self.result.probes.append(
            {
                "probe": probe.name,
                "method": probe.method,
                "path": probe.path,
                "mock": shape(mine).to_json() | {"error": mine.error},
                "upstream": shape(theirs).to_json() | {"error": theirs.error},
                "differences": len(found),
            }
        )
        self.result.differences += found
        return theirs

    async def _balance(self, up: Side) -> int | None:
        answer = await up.send(BALANCE)
        return balance_of(answer)

    async def _probes(self, up: Side, me: Side, mock: MockSide) -> None:
        o, r = self.o, self.result
        r.balance_before = balance_of(await self._pair(up, me, BALANCE))
        r.balance_after = r.balance_before
        if r.balance_before is None:
            raise Stopped(
                "the upstream balance could not be read: no probe that could charge was sent"
            )
        settings = mock.settings
        for probe in free_probes(strict=settings.strict, max_image_bytes=settings.max_image_bytes):
            left = up.left()
            if probe.watched and left is not None and left < 2:
                raise OutOfRequests  # a probe that could charge needs the balance read after it
            await self._pair(up, me, probe)
            if probe.watched:
                self._moved(await self._balance(up), probe.name)
        if o.spend is not None:
            await self._spend(up, me, mock, o.spend)

    def _moved(self, balance: int | None, after: str) -> None:
        r = self.result
        if balance is None:
            raise Stopped(f"the upstream balance could not be read after {after}; stopped")
        if balance != r.balance_after:
            before, r.balance_after = r.balance_after, balance
            raise Stopped(
                f"the upstream balance moved from {before} to {balance} after {after}, which the "
                "contract rejects before any charge: stopped at once, no further request sent",
                spent=True,
            )

    async def _spend(self, up: Side, me: Side, mock: MockSide, budget: int) -> None:
        o, r = self.o, self.result
        spend = cheapest_create(mock.settings.price_table, budget)
        if spend is None:
            r.notes.append(f"--spend {budget}: no create costs that little; nothing spent")
            return
        left = up.left()
        if left is not None and left < SPEND_REQUESTS:
            raise OutOfRequests
        mine = await spend_steps(me, spend, mock=mock, clock=self.clock, max_wait=UNBOUNDED_WAIT)
        theirs = await spend_steps(
            up, spend, mock=None, clock=self.clock, max_wait=o.max_wait, poll_every=o.poll_every
        )
        found = spend_differences(mine, theirs)
        for probe, answer in theirs:
            self.answers[probe.name] = (probe, answer)
        if _statuses(theirs) and _statuses(theirs)[-1] not in FINAL:
            r.notes.append(
                f"the upstream task was not final within --max-wait {self.o.max_wait} or "
                f"--max-requests {self.o.max_requests}: polling stopped"
            )
        file_u = _file_of(theirs)
        if file_u is not None and file_u.error is not None:
            r.notes.append(f"spend.result_file: {file_u.error}")
        r.differences += found
        r.probes.append({"probe": "spend", "price": spend.price, "differences": len(found)})
        after = await self._balance(up)
        if after is None:
            raise Stopped("the upstream balance could not be read after the spending probes")
        assert r.balance_after is not None
        change = r.balance_after - after
        r.balance_after = after
        if change > budget:
            raise Stopped(
                f"the spending probes cost {change} credits, more than --spend {budget}", spent=True
            )
        if change != spend.price and _statuses(theirs)[-1:] == ["succeeded"]:
            r.differences.append(Difference("spend", "price", spend.price, change, "B1"))

    async def _match_variants(self, session: Any) -> None:
        """For each difference, the first single-point `variants` table (G) whose mock answers
        as the upstream did on that aspect (the candidates are the proxy's: `forms_of`)."""
        wanted = {d.key(): d for d in self.result.differences}
        for table in forms_of(self.o.settings):
            if not wanted:
                return
            async with MockSide(self.o.settings, variants=table) as alt:
                fixed = await self._fixed_by(alt.side(session, self.o.key), alt, wanted)
            for key in fixed:
                wanted.pop(key).variants = table

    async def _fixed_by(
        self, side: Side, alt: MockSide, wanted: dict[tuple[str, str], Difference]
    ) -> set[tuple[str, str]]:
        probes = {name for name, _ in wanted}
        still: set[tuple[str, str]] = set()
        asked: set[str] = set()
        for name in probes:
            if name.startswith("spend") or name not in self.answers:
                continue
            asked.add(name)
            probe, theirs = self.answers[name]
            mine = await side.send(probe)
            found = differences(name, mine, theirs, section=probe.section, field_name=probe.field)
            still |= {d.key() for d in found}
        if any(name.startswith("spend") for name in probes) and "spend.create" in self.answers:
            theirs_steps = [a for a in self.answers.values() if a[0].name.startswith("spend.")]
            spend = cheapest_create(alt.settings.price_table, self.o.spend or 0)
            if spend is not None:
                asked |= {name for name in probes if name.startswith("spend.")}
                mine_steps = await spend_steps(
                    side, spend, mock=alt, clock=self.clock, max_wait=UNBOUNDED_WAIT
                )
                still |= {d.key() for d in spend_differences(mine_steps, theirs_steps)}
        return {k for k in wanted if k[0] in asked and k not in still}
