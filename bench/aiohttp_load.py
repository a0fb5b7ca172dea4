"""The fallback load generator when wrk is not installed: aiohttp, in a process of its own.

The body to POST comes on stdin; one JSON object with the `Load` fields goes to stdout. Each
worker holds one keep-alive connection, as wrk's connections do. Being Python, it may well be
slower than the server it measures, so its ratios are a floor, not the server's ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from dataclasses import dataclass, field

import aiohttp

TASK_ID = re.compile(rb'"taskId":"([0-9a-f]+)"')


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    non_2xx: int = 0
    socket_errors: int = 0
    creates: int = 0
    checks: int = 0
    last_id: bytes | None = None


async def worker(args: argparse.Namespace, body: bytes, deadline: float, tally: Tally) -> None:
    headers = {"Authorization": f"Bearer {args.key}", "Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=1)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        while time.perf_counter() < deadline:
            if args.count and len(tally.latencies) >= args.count:
                return
            url, data = args.url, body
            if args.check_url and tally.last_id is not None and tally.creates > tally.checks:
                url, data = args.check_url, b'{"taskId":"' + tally.last_id + b'"}'
                tally.checks += 1
            elif args.check_url:
                tally.creates += 1
            started = time.perf_counter()
            try:
                async with session.post(url, data=data) as response:
                    payload = await response.read()
            except aiohttp.ClientError:
                tally.socket_errors += 1
                continue
            tally.latencies.append(time.perf_counter() - started)
            if response.status >= 400:
                tally.non_2xx += 1
            if args.check_url and (match := TASK_ID.search(payload)):
                tally.last_id = match[1]


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index] * 1e3


async def measure(args: argparse.Namespace, body: bytes) -> dict[str, object]:
    tally = Tally()
    started = time.perf_counter()
    deadline = started + args.seconds
    await asyncio.gather(*(worker(args, body, deadline, tally) for _ in range(args.connections)))
    seconds = time.perf_counter() - started
    latencies = sorted(tally.latencies)
    mix = {"creates": tally.creates, "checks": tally.checks} if args.check_url else {}
    return {
        "requests": len(latencies),
        "seconds": seconds,
        "rps": len(latencies) / seconds,
        "p50_ms": percentile(latencies, 0.50),
        "p99_ms": percentile(latencies, 0.99),
        "socket_errors": tally.socket_errors,
        "non_2xx": tally.non_2xx,
        "mix": mix,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--check-url", help="alternate creates with check-results of the latest")
    parser.add_argument("--count", type=int, default=0, help="stop after this many responses")
    args = parser.parse_args()
    result = asyncio.run(measure(args, sys.stdin.buffer.read()))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
