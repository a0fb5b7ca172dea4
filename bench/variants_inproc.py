"""Before/after in one process: the default path's CPU cost, old code against new, side by side.

`python bench/variants_inproc.py [--ref main]` imports the package as it is at `ref` (exported
with `git archive`, imported under another name: its imports are relative) next to the working
tree's, serves both on loopback in one event loop, and sends batches of sequential requests to
each in turn (create, check-result of one task, a rejected create), counting the process's CPU
time per batch, the order of the sides rotating from round to round. Both sides share the
process, the loop, the client and the moment, so the load
of a shared machine falls on both alike; the least time per batch is reported, as interference
only ever adds to it. The working tree is also measured with `variants = "random"`.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Final

import aiohttp
from aiohttp import web
from procs import export_package

ROOT: Final = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
KEY: Final = "sk-bench"
CREATE: Final = "/api/v1/video/sora-pro"
CHECK: Final = "/api/video-generations/check-result"
BODY: Final = {"model": "sora-2-pro-text-to-video", "prompt": "a city at dusk", "size": "high"}
SETTINGS: Final = {"clock": "manual", "default_balance": 10**12, "max_concurrent_tasks": 10**9}


def import_ref(ref: str, into: Path) -> Any:
    """The package at `ref`, importable as `sora_mock_at_ref`."""
    export_package(ref, into)
    (into / "sora_mock").rename(into / "sora_mock_at_ref")
    sys.path.insert(0, str(into))
    return importlib.import_module("sora_mock_at_ref")


async def serve(app: web.Application) -> tuple[web.AppRunner, str]:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}"


async def batch(session: aiohttp.ClientSession, url: str, body: Any, n: int) -> float:
    started = time.process_time()
    for _ in range(n):
        async with session.post(url, json=body) as response:
            await response.read()
    return (time.process_time() - started) / n * 1e6


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="main")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--batch", type=int, default=300)
    args = parser.parse_args()
    import sora_mock  # noqa: PLC0415 (the working tree, first on sys.path)

    with tempfile.TemporaryDirectory(prefix="sora-inproc-") as tmp:
        old = import_ref(args.ref, Path(tmp))
        apps = {
            f"{args.ref}, contract": old.create_app(**SETTINGS),
            "this tree, contract": sora_mock.create_app(**SETTINGS, variants="contract"),
            "this tree, random": sora_mock.create_app(**SETTINGS, variants="random"),
        }
        served = {name: await serve(app) for name, app in apps.items()}
        headers = {"Authorization": f"Bearer {KEY}"}
        best: dict[tuple[str, str], float] = {}
        async with aiohttp.ClientSession(headers=headers) as session:
            cases: dict[str, dict[str, tuple[str, Any]]] = {}
            for name, (_, url) in served.items():
                async with session.post(url + CREATE, json=BODY) as response:
                    task_id = (await response.json())["data"]["taskId"]
                cases[name] = {
                    "create": (url + CREATE, BODY),
                    "check-result": (url + CHECK, {"taskId": task_id}),
                    "rejected": (url + CREATE, {**BODY, "aspectRatio": "square"}),
                }
            names = list(served)
            for round_no in range(args.rounds):
                turn = round_no % len(names)  # each side goes first as often as the others
                for case in ("create", "check-result", "rejected"):
                    for name in names[turn:] + names[:turn]:
                        url, body = cases[name][case]
                        took = await batch(session, url, body, args.batch)
                        best[(name, case)] = min(best.get((name, case), took), took)
        for runner, _ in served.values():
            await runner.cleanup()
    reference = f"{args.ref}, contract"
    print(
        f"{args.rounds} rounds of {args.batch} sequential requests per case and side, "
        "interleaved (the order rotating), in one process; "
        "the least CPU µs per request (server and client)"
    )
    print()
    print(f"| case | {' | '.join(served)} |")
    print(f"|---|{'---:|' * len(served)}")
    for case in ("create", "check-result", "rejected"):
        base = best[(reference, case)]
        cells = [f"{best[(n, case)]:.0f} µs ({best[(n, case)] / base:.2f}x)" for n in served]
        print(f"| {case} | {' | '.join(cells)} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main()))
