"""Where a create's instructions go: each part replaced by a stand-in that costs nothing, one at
a time, and the instructions per request it took away (callgrind, bench/instructions.py).

Usage: python bench/where.py [--requests N]. Prints a Markdown table. The store is full, as in
run.py's create count (`FULL_STORE`). The HTTP layer's own share is the count with the whole
pipeline (`pipeline.serve`) replaced by its first reply: aiohttp's server (the event loop, the
socket, the parse, the dispatch, the response and the write) and the adapter
(`http/provider.py`); the rest is the glue between the parts. The bare aiohttp app's count is
given for scale.
"""

from __future__ import annotations

import argparse
import sys

import instructions
from procs import BENCH, PYTHON, ROOT, baseline_argv
from run import CREATE_BODY, CREATE_PATH, FLAGS, FULL_STORE
from stubbed_server import STUBS, WHOLE_ANSWER


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    if not instructions.available():
        print("valgrind (callgrind) is not installed", file=sys.stderr)
        return 1

    def count(stubs: str) -> float:
        argv = [PYTHON, str(BENCH / "stubbed_server.py"), stubs, "--port", "0", *FLAGS, *FULL_STORE]
        return instructions.count(argv, CREATE_PATH, CREATE_BODY, args.requests, ROOT)

    base = instructions.count(
        baseline_argv("uvloop"), CREATE_PATH, CREATE_BODY, args.requests, ROOT
    )
    whole = count("none")
    alone = count(WHOLE_ANSWER)
    rows = [(stub, whole - count(stub)) for stub in STUBS]
    everything = count(",".join(STUBS))
    print("| part of a create | k instructions per request | share |")
    print("|---|---:|---:|")
    print(f"| the whole create | {whole / 1000:.1f} | 100% |")
    print(
        f"| aiohttp and the adapter: loop, socket, parse, dispatch, response (the reply again) | "
        f"{alone / 1000:.1f} | {alone / whole:.0%} |"
    )
    for stub, saved in rows:
        print(f"| {stub} | {saved / 1000:.1f} | {saved / whole:.0%} |")
    rest = everything - alone
    print(
        f"| the rest: the task, the glue, the journal row, the answer's bytes | "
        f"{rest / 1000:.1f} | {rest / whole:.0%} |"
    )
    print(
        f"\n(all the parts' stand-ins at once: {everything / 1000:.1f} k; the parts one at a "
        f"time add up to {(whole - everything) / 1000:.1f} k of the {(whole - alone) / 1000:.1f}"
        f" k above the HTTP layer; for scale, the bare aiohttp app: {base / 1000:.1f} k)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
