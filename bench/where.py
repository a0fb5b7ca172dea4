"""Where a create's instructions go: each part replaced by a stand-in that costs nothing, one at
a time, and the instructions per request it took away (callgrind, bench/instructions.py).

Usage: python bench/where.py [--requests N]. Prints a Markdown table. What no stand-in takes
away is aiohttp itself (the baseline's count), reading the body, and the glue between parts.
"""

from __future__ import annotations

import argparse
import sys

import instructions
from procs import BENCH, PYTHON, ROOT, baseline_argv
from run import CREATE_BODY, CREATE_PATH, FLAGS
from stubbed_server import STUBS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    if not instructions.available():
        print("valgrind (callgrind) is not installed", file=sys.stderr)
        return 1

    def count(stubs: str) -> float:
        argv = [PYTHON, str(BENCH / "stubbed_server.py"), stubs, "--port", "0", *FLAGS]
        return instructions.count(argv, CREATE_PATH, CREATE_BODY, args.requests, ROOT)

    base = instructions.count(
        baseline_argv("uvloop"), CREATE_PATH, CREATE_BODY, args.requests, ROOT
    )
    body = instructions.count(
        baseline_argv("uvloop", "body"), CREATE_PATH, CREATE_BODY, args.requests, ROOT
    )
    whole = count("none")
    rows = [(stub, whole - count(stub)) for stub in STUBS]
    everything = count(",".join(STUBS))
    print("| part of a create | k instructions per request | share |")
    print("|---|---:|---:|")
    print(f"| the whole create | {whole / 1000:.1f} | 100% |")
    print(f"| aiohttp itself (the baseline) | {base / 1000:.1f} | {base / whole:.0%} |")
    print(
        f"| reading the body (the reference app that reads it) | {(body - base) / 1000:.1f} "
        f"| {(body - base) / whole:.0%} |"
    )
    for stub, saved in rows:
        print(f"| {stub} | {saved / 1000:.1f} | {saved / whole:.0%} |")
    rest = everything - body
    print(
        f"| the rest: the task, the handlers' glue, the journal row, the answer | "
        f"{rest / 1000:.1f} | {rest / whole:.0%} |"
    )
    print(
        f"\n(all stand-ins at once: {everything / 1000:.1f} k; the parts one at a time add "
        f"up to {(whole - everything) / 1000:.1f} k of the {(whole - body) / 1000:.1f} k "
        "above reading the body)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
