"""Soak test: run the mock for N minutes under mixed traffic and watch its memory (not for CI).

    python bench/soak.py --minutes N [--rate R] [--every SECONDS] [--max-tasks N] [--cold]

Starts `python -m sora_mock --host 127.0.0.1 --port 0 --clock real --speed 10` as a child
process. First it fills the task store as fast as it can (`max_tasks` creates, spread over
warm-up keys of their own), as a container that has run for a while has; `--cold` skips that.
Then, for N minutes, it drives the mock from one aiohttp client with creates across a handful of
keys, check-results, requests the mock must reject, and now and then an admin fail or a balance
top-up. It prints the server's resident memory (VmRSS) at launch, when the store is full, once a
minute (`--every`) and at the end, then the growth over the N minutes. Memory that keeps climbing
after the task store and the journal have filled is what this is for: the launch-to-full step is
the store's own (bounded) size.
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
from pathlib import Path
from typing import Any, Final

import aiohttp

from sora_mock.config import Settings

ROOT: Final = Path(__file__).resolve().parent.parent
KEYS: Final = tuple(f"sk-soak-key-{i}" for i in range(5))
CREATE: Final = "/api/v1/video/sora-pro"
CHECK: Final = "/api/video-generations/check-result"
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
            elif slot < 15:
                await self.check(key, i)
            elif slot < 18:
                await self.reject(key, i)
            elif slot == 18:
                await self.fail(key)
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

    async def fail(self, key: str) -> None:
        if self.recent[key]:
            task_id = self.recent[key][-1]
            await self.admin("admin fail", "POST", f"/tasks/{task_id}/fail", {})

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


def report(label: str, pid: int, started: float, soak: Soak) -> int:
    """Print the server's RSS with the time since `started`; the RSS, in KiB."""
    rss = rss_kib(pid)
    print(
        f"{label:>6} t={time.monotonic() - started:7.1f}s  VmRSS={rss / 1024:7.1f} MiB "
        f"({rss} kB)  requests sent={soak.sent}",
        flush=True,
    )
    return rss


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


async def every(seconds: float, pid: int, started: float, soak: Soak) -> None:
    for n in range(1, 1_000_000):
        await asyncio.sleep(max(0.0, started + seconds * n - time.monotonic()))
        report(f"{seconds * n:g}s", pid, started, soak)


async def soak_for(
    minutes: float, rate: float, interval: float, warm: int, extra: Sequence[str] = ()
) -> int:
    server, url = await start_server(extra)
    drains = [asyncio.create_task(drain(server.stdout)), asyncio.create_task(drain(server.stderr))]
    print(f"soak: {url} (pid {server.pid}), {minutes} min at {rate} requests/s", flush=True)
    try:
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            launched = time.monotonic()
            soak = Soak(session, url)
            at_launch = report("launch", server.pid, launched, soak)
            if warm:
                made = await warm_up(session, url, warm)
                report("full", server.pid, launched, soak)
                print(f"soak: warm-up made {made:,} tasks; now the {minutes} minutes", flush=True)
            started = time.monotonic()
            at_start = report("start", server.pid, started, soak)
            ticker = asyncio.create_task(every(interval, server.pid, started, soak))
            try:
                await drive(soak, minutes * 60, rate)
            finally:
                ticker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await ticker
            at_end = report("end", server.pid, started, soak)
            async with session.get(f"{url}/__mock/tasks") as response:
                tasks = len((await response.json())["tasks"])
    finally:
        await stop_server(server)
        for task in drains:
            task.cancel()
    print(f"soak: tasks kept by the server: {tasks:,}", flush=True)
    print(
        f"soak: RSS growth over the {minutes:g} minutes: {(at_end - at_start) / 1024:.1f} MiB; "
        f"from launch: {(at_end - at_launch) / 1024:.1f} MiB",
        flush=True,
    )
    for outcome, count in sorted(soak.outcomes.items()):
        print(f"  {count:8d}  {outcome}")
    errors = sum(
        n for outcome, n in soak.outcomes.items() if "http=5" in outcome or "error" in outcome
    )
    print(f"soak: {soak.sent} requests sent, {errors} server or client errors", flush=True)
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
        "--cold", action="store_true", help="start the N minutes with an empty task store"
    )
    args = parser.parse_args(argv)
    extra = ["--max-tasks", str(args.max_tasks)] if args.max_tasks else []
    if min(args.minutes, args.rate, args.every) <= 0:
        parser.error("--minutes, --rate and --every must be greater than 0")
    warm = 0 if args.cold else (args.max_tasks or Settings().max_tasks)
    return asyncio.run(soak_for(args.minutes, args.rate, args.every, warm, extra))


if __name__ == "__main__":
    raise SystemExit(main())
