"""Soak test: run the mock for N minutes under mixed traffic and watch its memory (not for CI).

    python bench/soak.py --minutes N [--rate R] [--every SECONDS] [--max-tasks N]
                         [--ledger-size N] [--cold]

Starts two servers, `python -m sora_mock --host 127.0.0.1 --port 0 --clock real --speed 10`, as
child processes: a *full* one and a *cold* one. The full one is warmed up first, as a container
that has run for a while is: its task store is filled (`max_tasks` creates, spread over warm-up
keys of their own), then the ledger of every key the traffic uses is filled to `ledger_size` rows
(admin `set`s), so that every row booked from then on folds an old one (B1). The cold one starts
the N minutes empty. Then, for N minutes, both get the same traffic from one aiohttp client:
creates across a handful of keys, check-results, requests the mock must reject, balance reads,
and now and then an admin fail or cancel, or a balance top-up. It prints both servers' resident
memory (VmRSS) at launch, when the full one is warm, once a minute (`--every`) and at the end,
then each one's growth over the N minutes, side by side. Memory that keeps climbing on the full
server is what this is for; the cold server's growth is its store and ledgers filling up to their
bounds. `--cold` runs the cold server alone.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import sys
import time
from collections import Counter, deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import aiohttp

from sora_mock.config import Settings

ROOT: Final = Path(__file__).resolve().parent.parent
KEYS: Final = tuple(f"sk-soak-key-{i}" for i in range(5))
CREATE: Final = "/api/v1/video/sora-pro"
CHECK: Final = "/api/video-generations/check-result"
CREDITS: Final = "/api/get-user-credits"
BODIES: Final[tuple[dict[str, Any], ...]] = (
    {"model": "sora-2-text-to-video", "prompt": "a fox in the snow"},
    {"model": "sora-2-pro-text-to-video", "prompt": "a city", "size": "high", "nFrames": "15"},
    {"model": "sora-2-image-to-video", "prompt": "wave", "imageUrl": "https://example.com/a.png"},
    {"model": "sora-2-pro-storyboard", "shots": [{"Scene": "dusk", "duration": 5}]},
)
REJECTED: Final[tuple[tuple[bytes, dict[str, str]], ...]] = (
    (b'{"model": "sora-3"}', {}),  # unknown model: 400
    (b'{"model": ', {}),  # not JSON: 400
    (b"[]", {}),  # not an object: 400
    (b'{"model": "sora-2-text-to-video", "prompt": "p"}', {"Authorization": ""}),  # 401
)
IN_FLIGHT: Final = 64
RECENT: Final = 200
# the warm-up spreads its creates so no key comes near the concurrency limit (20 by default)
WARM_KEYS: Final = tuple(f"sk-soak-warm-{i}" for i in range(400))


def rss_kib(pid: int) -> int:
    """The process's resident set size from /proc (Linux), in KiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+)\s+kB", status, re.MULTILINE)
    return int(match.group(1)) if match else -1


class Soak:
    """The traffic: one request per tick, chosen by a fixed cycle so runs are comparable."""

    def __init__(self, session: aiohttp.ClientSession, url: str) -> None:
        self.session = session
        self.url = url
        self.sent = 0
        self.outcomes: Counter[str] = Counter()
        self.recent: dict[str, deque[str]] = {key: deque(maxlen=RECENT) for key in KEYS}

    async def one(self, i: int) -> None:
        key = KEYS[i % len(KEYS)]
        slot = (i // len(KEYS)) % 20
        self.sent += 1
        try:
            if slot < 9:
                await self.create(key, BODIES[i % len(BODIES)])
            elif slot < 14:
                await self.check(key, i)
            elif slot == 14:
                await self.provider("credits", CREDITS, key, json={})
            elif slot < 18:
                await self.reject(key, i)
            elif slot == 18:
                await self.end_task(key, "fail" if i % 2 else "cancel")
            else:
                await self.top_up(key)
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.outcomes[f"client error {type(exc).__name__}"] += 1

    async def provider(self, kind: str, path: str, key: str, **kwargs: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {key}", **kwargs.pop("headers", {})}
        async with self.session.post(self.url + path, headers=headers, **kwargs) as response:
            envelope: dict[str, Any] = await response.json(content_type=None)
        self.outcomes[f"{kind} http={response.status} code={envelope.get('code')}"] += 1
        return envelope

    async def create(self, key: str, body: dict[str, Any]) -> None:
        envelope = await self.provider("create", CREATE, key, json=body)
        if envelope.get("code") == 0:
            self.recent[key].append(envelope["data"]["taskId"])
        elif envelope.get("code") == 402:
            await self.top_up(key)

    async def check(self, key: str, i: int) -> None:
        recent = self.recent[key]
        task_id = recent[i % len(recent)] if recent else "0" * 32
        await self.provider("check", CHECK, key, json={"taskId": task_id})

    async def reject(self, key: str, i: int) -> None:
        body, headers = REJECTED[i % len(REJECTED)]
        await self.provider("rejected", CREATE, key, data=body, headers=headers)

    async def admin(self, kind: str, method: str, path: str, body: Any) -> None:
        url = f"{self.url}/__mock{path}"
        async with self.session.request(method, url, json=body) as response:
            await response.read()
        self.outcomes[f"{kind} http={response.status}"] += 1

    async def end_task(self, key: str, verb: str) -> None:
        if self.recent[key]:
            task_id = self.recent[key][-1]
            await self.admin(f"admin {verb}", "POST", f"/tasks/{task_id}/{verb}", {})

    async def top_up(self, key: str) -> None:
        await self.admin("admin top-up", "PUT", f"/accounts/{key}", {"balance": 1_000_000})


async def start_server(extra: Sequence[str] = ()) -> tuple[asyncio.subprocess.Process, str]:
    command = [
        sys.executable,
        "-m",
        "sora_mock",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--clock",
        "real",
        "--speed",
        "10",
        *extra,
    ]
    server = await asyncio.create_subprocess_exec(
        *command,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert server.stdout is not None
    line = (await asyncio.wait_for(server.stdout.readline(), timeout=30)).decode()
    match = re.search(r"http://127\.0\.0\.1:\d+", line)
    if match is None:
        await stop_server(server)
        raise SystemExit(f"soak: the server did not start (it printed {line!r})")
    return server, match.group(0)


async def drain(stream: asyncio.StreamReader | None) -> None:
    """Read the server's log lines and drop them, so a full pipe never blocks the server."""
    if stream is not None:
        while await stream.readline():
            pass


async def stop_server(server: asyncio.subprocess.Process) -> None:
    if server.returncode is None:
        server.terminate()
        try:
            await asyncio.wait_for(server.wait(), timeout=10)
        except TimeoutError:
            server.kill()
            await server.wait()


@dataclass
class Server:
    """One soaked server: its process, its URL, its traffic and the RSS seen at each step."""

    name: str
    process: asyncio.subprocess.Process
    url: str
    soak: Soak | None = None
    rss: dict[str, int] = field(default_factory=dict)


def report(label: str, servers: Sequence[Server], started: float) -> None:
    """Print each server's RSS (and keep it under `label`) with the time since `started`."""
    parts = []
    for server in servers:
        rss = server.rss[label] = rss_kib(server.process.pid)
        sent = server.soak.sent if server.soak else 0
        parts.append(f"{server.name} VmRSS={rss / 1024:7.1f} MiB ({rss} kB) sent={sent}")
    print(f"{label:>6} t={time.monotonic() - started:7.1f}s  " + "  |  ".join(parts), flush=True)


async def warm_up(session: aiohttp.ClientSession, url: str, creates: int) -> int:
    """Fill the task store: `creates` creates over WARM_KEYS, IN_FLIGHT at a time; how many 0s."""
    for key in WARM_KEYS:
        async with session.put(f"{url}/__mock/accounts/{key}", json={"balance": 10**12}) as r:
            r.raise_for_status()
    made = 0

    async def worker(first: int) -> None:
        nonlocal made
        for i in range(first, creates, IN_FLIGHT):
            headers = {"Authorization": f"Bearer {WARM_KEYS[i % len(WARM_KEYS)]}"}
            body = BODIES[i % len(BODIES)]
            async with session.post(url + CREATE, json=body, headers=headers) as response:
                made += (await response.json(content_type=None)).get("code") == 0

    await asyncio.gather(*(worker(first) for first in range(IN_FLIGHT)))
    return made


async def fill_ledgers(session: aiohttp.ClientSession, url: str, rows: int) -> dict[str, int]:
    """Book `rows` `set` rows on each key of KEYS, so its ledger is full before the soak: every
    later row then folds the oldest. Each balance differs from the one before, so each PUT books
    one row. Returns each key's kept rows plus folded ones, read back from the ledger route."""
    per_key = IN_FLIGHT // len(KEYS) or 1

    async def worker(key: str, first: int) -> None:
        for i in range(first, rows, per_key):
            body = {"balance": 10**12 + i}
            async with session.put(f"{url}/__mock/accounts/{key}", json=body) as response:
                response.raise_for_status()

    await asyncio.gather(*(worker(key, first) for key in KEYS for first in range(per_key)))
    booked = {}
    for key in KEYS:
        async with session.get(f"{url}/__mock/accounts/{key}/ledger") as response:
            ledger = await response.json()
        booked[key] = len(ledger["transactions"]) + ledger["folded"]
    return booked


async def drive(soak: Soak, seconds: float, rate: float) -> None:
    """Send `rate` requests a second for `seconds`, never more than IN_FLIGHT at once."""
    loop = asyncio.get_running_loop()
    slots = asyncio.Semaphore(IN_FLIGHT)
    pending: set[asyncio.Task[None]] = set()
    start = loop.time()

    def done(task: asyncio.Task[None]) -> None:
        pending.discard(task)
        slots.release()

    for i in range(int(seconds * rate)):
        await asyncio.sleep(max(0.0, start + i / rate - loop.time()))
        await slots.acquire()
        task = asyncio.create_task(soak.one(i))
        pending.add(task)
        task.add_done_callback(done)
    await asyncio.gather(*pending)


async def every(seconds: float, servers: Sequence[Server], started: float) -> None:
    for n in range(1, 1_000_000):
        await asyncio.sleep(max(0.0, started + seconds * n - time.monotonic()))
        report(f"{seconds * n:g}s", servers, started)


async def ledger_state(session: aiohttp.ClientSession, url: str) -> str:
    """Each traffic key's kept rows and folded count, as the ledger route answers them."""
    parts = []
    for key in KEYS:
        async with session.get(f"{url}/__mock/accounts/{key}/ledger") as response:
            ledger = await response.json()
        parts.append(f"{len(ledger['transactions'])}+{ledger['folded']}")
    return " ".join(parts)


async def soak_for(
    minutes: float,
    rate: float,
    interval: float,
    *,
    warm: int,
    ledger_rows: int,
    extra: Sequence[str] = (),
    cold_only: bool = False,
) -> int:
    names = ("cold",) if cold_only else ("full", "cold")
    servers = []
    drains = []
    for name in names:
        process, url = await start_server(extra)
        servers.append(Server(name, process, url))
        drains += [
            asyncio.create_task(drain(process.stdout)),
            asyncio.create_task(drain(process.stderr)),
        ]
        print(f"soak: {name} server {url} (pid {process.pid})", flush=True)
    print(f"soak: {minutes} min at {rate} requests/s to each", flush=True)
    try:
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            launched = time.monotonic()
            report("launch", servers, launched)
            full = servers[0] if not cold_only else None
            if full is not None:
                made = await warm_up(session, full.url, warm)
                booked = await fill_ledgers(session, full.url, ledger_rows)
                report("warm", servers, launched)
                print(
                    f"soak: warm-up made {made:,} tasks and booked {min(booked.values()):,}+ "
                    f"ledger rows on each of the {len(KEYS)} traffic keys; now the {minutes} "
                    "minutes",
                    flush=True,
                )
            for server in servers:
                server.soak = Soak(session, server.url)
            started = time.monotonic()
            report("start", servers, started)
            ticker = asyncio.create_task(every(interval, servers, started))
            try:
                await asyncio.gather(
                    *(drive(server.soak, minutes * 60, rate) for server in servers if server.soak)
                )
            finally:
                ticker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ticker
            report("end", servers, started)
            kept = {}
            # 100,000 task records are a large answer to make on a loaded machine
            listing = aiohttp.ClientTimeout(total=600)
            for server in servers:
                async with session.get(f"{server.url}/__mock/tasks", timeout=listing) as response:
                    kept[server.name] = len((await response.json())["tasks"])
                print(
                    f"soak: {server.name}: tasks kept {kept[server.name]:,}; ledger rows kept+"
                    f"folded per traffic key: {await ledger_state(session, server.url)}",
                    flush=True,
                )
    finally:
        for server in servers:
            await stop_server(server.process)
        for task in drains:
            task.cancel()
    return summarize(servers, minutes)


def summarize(servers: Sequence[Server], minutes: float) -> int:
    """Print the RSS table and each server's outcomes; 1 if any request met a 5xx or an error."""
    errors = 0
    print(f"soak: RSS over the {minutes:g} minutes (MiB)", flush=True)
    print(
        "  server  launch   start     end  growth  from launch  per-minute readings (min..max)",
        flush=True,
    )
    for server in servers:
        rss = {k: v / 1024 for k, v in server.rss.items()}
        ticks = [v for k, v in rss.items() if k not in ("launch", "warm", "start")]
        print(
            f"  {server.name:<6} {rss['launch']:7.1f} {rss['start']:7.1f} {rss['end']:7.1f} "
            f"{rss['end'] - rss['start']:+7.1f} {rss['end'] - rss['launch']:+11.1f}  "
            f"{min(ticks):7.1f}..{max(ticks):.1f}",
            flush=True,
        )
    for server in servers:
        assert server.soak is not None
        print(f"soak: {server.name}: {server.soak.sent} requests sent", flush=True)
        for outcome, count in sorted(server.soak.outcomes.items()):
            print(f"  {count:8d}  {outcome}")
        errors += sum(
            n
            for outcome, n in server.soak.outcomes.items()
            if "http=5" in outcome or "error" in outcome
        )
    print(f"soak: {errors} server or client errors", flush=True)
    return 1 if errors else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--minutes", type=float, required=True, help="how long to run")
    parser.add_argument("--rate", type=float, default=200.0, help="requests a second (200)")
    parser.add_argument("--every", type=float, default=60.0, help="seconds between reports (60)")
    parser.add_argument(
        "--max-tasks", type=int, help="the server's max_tasks (default: its own, 100,000)"
    )
    parser.add_argument(
        "--ledger-size", type=int, help="the server's ledger_size (default: its own, 10,000)"
    )
    parser.add_argument(
        "--cold", action="store_true", help="only the cold server (an empty store and ledgers)"
    )
    args = parser.parse_args(argv)
    extra = ["--max-tasks", str(args.max_tasks)] if args.max_tasks else []
    if args.ledger_size is not None:
        extra += ["--ledger-size", str(args.ledger_size)]
    if min(args.minutes, args.rate, args.every) <= 0:
        parser.error("--minutes, --rate and --every must be greater than 0")
    warm = args.max_tasks or Settings().max_tasks
    rows = Settings().ledger_size if args.ledger_size is None else args.ledger_size
    return asyncio.run(
        soak_for(
            args.minutes,
            args.rate,
            args.every,
            warm=warm,
            ledger_rows=rows,
            extra=extra,
            cold_only=args.cold,
        )
    )


if __name__ == "__main__":
    raise SystemExit(main())
