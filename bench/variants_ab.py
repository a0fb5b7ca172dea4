"""Before/after in one run: does a change slow the default path? (`python bench/variants_ab.py`)

Starts the code of a git ref (default `main`, exported with `git archive` into a temporary
folder) and the working tree side by side, each `--variants contract` by default, and measures
create, check-result and a rejected create on each, interleaved, with the same load generator
and cores as `make bench`. The working tree is also measured with `--variants random`, for
information. It prints one Markdown table of ratios to the ref's numbers in the same run; the
machine is shared, so only ratios within one run mean anything.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import tempfile
from pathlib import Path
from typing import Final

from load import CHECK_PATH, CREATE_PATH, Load, choose
from procs import PYTHON, Cores, Server, export_package
from run import CONNECTIONS, CREATE, CREATE_BODY, FLAGS, REJECTED_BODY

CASES: Final = ("create", "check-result", "rejected")
CORES: Final = Cores.plan()
LOAD: Final = choose("auto", CORES.load, CONNECTIONS)


def argv(package_root: Path | None, *flags: str) -> list[str]:
    """`sora-mock` from `package_root` (first on sys.path) or from the working tree."""
    boot = "import sys; from sora_mock.cli import main; raise SystemExit(main(sys.argv[1:]))"
    if package_root is not None:
        boot = f"import sys; sys.path.insert(0, {str(package_root)!r}); " + boot.split("; ", 1)[1]
    return [PYTHON, "-c", boot, "--port", "0", *FLAGS, *flags]


def measure(server: Server, case: str, body: bytes, path: str, seconds: int) -> Load:
    before = server.cpu_seconds()
    result = LOAD.run(server.url + path, body, seconds)
    return Load(
        result.requests,
        result.seconds,
        result.rps,
        result.p50_ms,
        result.p99_ms,
        result.socket_errors,
        result.non_2xx,
        server_cpu_s=server.cpu_seconds() - before,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="main")
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sora-ab-") as tmp:
        old = export_package(args.ref, Path(tmp))
        sides = {
            f"{args.ref}, contract": argv(old),
            "this tree, contract": argv(None, "--variants", "contract"),
            "this tree, random": argv(None, "--variants", "random"),
        }
        servers = {name: Server(command, CORES.server).start() for name, command in sides.items()}
        try:
            bodies = {}
            for name, server in servers.items():
                task_id = server.post(CREATE_PATH, CREATE)["data"]["taskId"]
                check = json.dumps({"taskId": task_id}).encode()
                bodies[name] = {
                    "create": (CREATE_BODY, CREATE_PATH),
                    "check-result": (check, CHECK_PATH),
                    "rejected": (REJECTED_BODY, CREATE_PATH),
                }
                measure(server, "create", CREATE_BODY, CREATE_PATH, 2)  # warm-up
            runs: dict[tuple[str, str], list[Load]] = {}
            for _ in range(args.rounds):
                for case in CASES:
                    for name, server in servers.items():
                        body, path = bodies[name][case]
                        runs.setdefault((name, case), []).append(
                            measure(server, case, body, path, args.seconds)
                        )
        finally:
            for server in servers.values():
                server.stop()
    reference = f"{args.ref}, contract"
    print(f"{args.rounds} rounds of {args.seconds} s, interleaved; load generator {LOAD.name}")
    print()
    print(f"| case | {' | '.join(sides)} |")
    print(f"|---|{'---:|' * len(sides)}")
    for case in CASES:
        best = {name: best_cpu(runs[(name, case)]) for name in sides}
        mean = {name: statistics.mean(r.rps for r in runs[(name, case)]) for name in sides}
        cells = [
            f"{best[name]:.0f} µs ({best[name] / best[reference]:.2f}x), "
            f"{mean[name]:,.0f} req/s ({mean[name] / mean[reference]:.2f}x)"
            for name in sides
        ]
        print(f"| {case} | {' | '.join(cells)} |")
    return 0


def best_cpu(loads: list[Load]) -> float:
    """The least server CPU per request over the rounds: other processes on a shared machine
    only ever add to it, so the least is the closest to the code's own cost."""
    return min(r.cpu_us_per_request or math.inf for r in loads)


if __name__ == "__main__":
    raise SystemExit(main())
