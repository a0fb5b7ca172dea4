"""Before/after for the create path: two versions of sora_mock and the baseline, in one run.

    python bench/compare_create.py --before main

`--before` is a git revision; its `sora_mock/` is exported to a temporary directory and run
from there, beside this tree's. The three servers share the server core and are measured in
turn, run by run, so each ratio to the baseline comes from the same minutes on the same core.
It prints one Markdown line for RESULTS.md; nothing here is an assertion.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from load import CREATE_PATH, choose
from procs import PYTHON, ROOT, Cores, Server, baseline_argv, export_package, sora_mock_argv
from run import CONNECTIONS, CREATE, CREATE_BODY, FLAGS

RUN_FROM = "import sys; sys.path.insert(0, sys.argv.pop(1)); from sora_mock.cli import main; "
RUN_FROM += "raise SystemExit(main(sys.argv[1:]))"


def export(revision: str, into: Path) -> str:
    """`sora_mock/` at `revision`, unpacked under `into`; returns the commit's short hash."""
    export_package(revision, into)
    short = subprocess.run(  # noqa: S603
        ["git", "rev-parse", "--short", revision],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return short.stdout.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default="main", help="the git revision to compare against")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args()
    cores = Cores.plan()
    load = choose("auto", cores.load, CONNECTIONS)
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        commit = export(args.before, Path(tmp))
        label = commit if args.before.startswith(commit) else f"{args.before} {commit}"
        before_argv = [PYTHON, "-c", RUN_FROM, tmp, "--port", "0", *FLAGS]
        servers = {
            "baseline": Server(baseline_argv("asyncio"), cores.server),
            f"before ({label})": Server(before_argv, cores.server),
            "after (this tree)": Server(sora_mock_argv(*FLAGS), cores.server),
        }
        for server in servers.values():
            stack.callback(server.stop)
            server.start()
        for name, server in servers.items():
            if name != "baseline":
                assert server.post(CREATE_PATH, CREATE)["code"] == 0, name
            load.run(server.url + CREATE_PATH, CREATE_BODY, 2)  # warm-up
        rates: dict[str, list[float]] = {name: [] for name in servers}
        cpu: dict[str, list[float]] = {name: [] for name in servers}  # server µs per request
        for _ in range(args.repetitions):
            for name, server in servers.items():
                before_cpu = server.cpu_seconds()
                run = load.run(server.url + CREATE_PATH, CREATE_BODY, args.seconds)
                rates[name].append(run.rps)
                cpu[name].append((server.cpu_seconds() - before_cpu) / run.requests * 1e6)
    base = statistics.mean(rates["baseline"])
    base_cpu = statistics.mean(cpu["baseline"])
    print(f"load: {load.name}; {args.repetitions} runs of {args.seconds} s each, interleaved")
    for name, runs in rates.items():
        shown = ", ".join(f"{r:,.0f}" for r in runs)
        us = statistics.mean(cpu[name])
        print(
            f"{name}: {shown} req/s, mean {statistics.mean(runs):,.0f} = "
            f"{statistics.mean(runs) / base:.2f}x baseline; server CPU {us:.0f} µs/request = "
            f"{base_cpu / us:.2f}x baseline by CPU"
        )
    names = [name for name in servers if name != "baseline"]
    before, after = (statistics.mean(rates[name]) / base for name in names)
    before_cpu, after_cpu = (base_cpu / statistics.mean(cpu[name]) for name in names)
    print(
        f"| create-task, before ({label}) and after, one run "
        f"({args.repetitions} x {args.seconds} s, {load.name.split(',')[0]}) "
        f"| {before:.2f}x -> {after:.2f}x baseline by req/s "
        f"| {before_cpu:.2f}x -> {after_cpu:.2f}x baseline by server CPU |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
