"""`make bench`: throughput, latency, start-up, fixture cost and memory, in one run.

Every ratio is to the baseline (bench/baseline_app.py) measured in the same run, on the same
cores, with the same event loop as sora_mock. `--smoke` (`make bench-smoke`) runs every step
briefly to prove that the bench works; its numbers mean nothing and it writes no RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Final

import fixture_cost
import instructions
import report
from load import CHECK_PATH, CREATE_PATH, Load, LoadGenerator, choose
from procs import (
    BENCH,
    ROOT,
    Cores,
    Server,
    baseline_argv,
    byte_compile,
    export_package,
    package_dir,
    sora_mock_argv,
    start_up_seconds,
    use_package,
)
from profiling import profile_create
from report import Memory, Results, StartUp, Stored, Throughput, render, summary

# the seed's first example request, byte for byte as a client would send it
# the seed page's first example request, as the test suite's fixtures hold it
SEED_EXAMPLE: Final = (
    Path(__file__).resolve().parents[1] / "fixtures/requests/ok_text_to_video_pro_high.json"
)
CREATE: Final[dict[str, Any]] = json.loads(SEED_EXAMPLE.read_text())["request"]
CREATE_BODY: Final = json.dumps(CREATE, separators=(",", ":")).encode()
REJECTED: Final[dict[str, Any]] = {**CREATE, "aspectRatio": "square"}
REJECTED_BODY: Final = json.dumps(REJECTED, separators=(",", ":")).encode()
BALANCE: Final = 1_000_000_000
# every create must succeed: a balance and a concurrency limit that the run cannot reach
FLAGS: Final = [
    "--clock",
    "real",
    "--default-balance",
    str(BALANCE),
    "--max-concurrent-tasks",
    str(BALANCE),
]
# Under callgrind a create is counted with its store full, as it is for most of a wrk run
# (100,000 tasks fill in a few seconds): once the warm-up's creates have filled it, each create
# also forgets the oldest task. A count over a store still filling missed a forgetting step that
# cost more than the rest of the simulation (a dict scanned from its start, issue 17).
FULL_STORE: Final = ["--max-tasks", str(instructions.WARM_UP - 200)]
# issue 24's targets, as ratios to the bare app (higher is better); create's goal beyond it
CREATE_TARGET: Final = 0.45
CREATE_GOAL: Final = 0.60
CHECK_TARGET: Final = 0.60
CONNECTIONS: Final = 50
# bench/baseline_app.py --reads: a bare handler that only reads the body, also decodes it, or
# validates it with pydantic; it keeps nothing and answers the baseline's fixed bytes
REFERENCES: Final = {
    "body": "bare aiohttp that reads the body",
    "json": "bare aiohttp, reads and json.loads the body",
    "pydantic": "bare aiohttp, reads and validates with a pydantic model",
}
# a saturated server below this share of a core in a run was not alone on it: run again
BUSY_ENOUGH: Final = 0.9
STARTED: Final = time.perf_counter()
CODE = ""  # with --ref: the code measured, when it is not the working tree's
LOAD_AT_START: Final = ", ".join(f"{n:.2f}" for n in os.getloadavg())


@dataclass(frozen=True)
class Mode:
    seconds: int
    warm_up: int
    repetitions: int
    start_ups: int
    tests: int
    fixture_rounds: int
    memory_points: tuple[int, ...]
    profile_seconds: int
    retries: int  # runs done again, in all, because the server was not alone on its core
    instructed: int  # requests counted under callgrind, per server
    stored_tasks: int  # pending tasks that fill the store measured for bytes per task
    # 1: one thing at a time. The smoke runs the independent steps side by side: its numbers
    # mean nothing, and wrk cannot run for less than a second.
    workers: int


MODES: Final = {
    "full": Mode(
        10,
        3,
        2,
        11,
        500,
        5,
        (100_000, 200_000),
        5,
        retries=3,
        instructed=2000,
        stored_tasks=report.DEFAULT_MAX_TASKS,
        workers=1,
    ),
    "smoke": Mode(
        1,
        0,
        1,
        1,
        20,
        1,
        (2_000,),
        1,
        retries=0,
        instructed=20,
        stored_tasks=2_000,
        workers=4,
    ),
}


def machine(load: LoadGenerator, cores: Cores, loop: str) -> dict[str, str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    versions = ", ".join(
        f"{name} {metadata.version(name)}" for name in ("aiohttp", "pydantic", "pydantic-core")
    )
    return {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "nproc": str(os.cpu_count()),
        "CPU": cpu,
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "versions": versions,
        "event loop": loop,
        "load generator": getattr(load, "version", "") or load.name,
        "pinning": cores.describe(),
        "code": CODE or code_version(),
        "load average at start (1, 5, 15 min)": LOAD_AT_START,
    }


def code_version() -> str:
    """The commit measured, and whether sora_mock/ had changes not yet committed."""

    def git(*argv: str) -> str:
        program = shutil.which("git")
        if program is None:
            return ""
        done = subprocess.run(  # noqa: S603 (git, read-only)
            [program, *argv], cwd=BENCH, capture_output=True, text=True, check=False
        )
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return "not a git checkout"
    changed = git("status", "--porcelain", "--", "../sora_mock").splitlines()
    if not changed:
        return f"git {commit}"
    return f"git {commit} with uncommitted changes to {len(changed)} path(s) under sora_mock/"


def throughput(mode: Mode, load: LoadGenerator, cores: Cores, results: Results) -> str:
    """Baseline and the three sora_mock requests, interleaved run by run; returns the loop."""
    with contextlib.ExitStack() as stack:
        create, check, reject = servers = [
            Server(sora_mock_argv(*FLAGS), cores.server) for _ in range(3)
        ]
        for server in servers:
            stack.callback(server.stop)
            server.spawn()
        for server in servers:
            server.wait()
        loop = "uvloop" if create.uses_uvloop() else "asyncio (default policy)"
        baseline_loop = "uvloop" if loop == "uvloop" else "asyncio"
        baseline = stack.enter_context(Server(baseline_argv(baseline_loop), cores.server))
        # reference rows: what aiohttp itself costs once a handler reads, decodes or validates
        references = [
            stack.enter_context(Server(baseline_argv(baseline_loop, reads), cores.server))
            for reads in REFERENCES
        ]

        first = create.post(CREATE_PATH, CREATE)
        price = BALANCE - create.get("/__mock/accounts/sk-bench")["balance"]
        task_id = check.post(CREATE_PATH, CREATE)["data"]["taskId"]
        sample_check = check.post(CHECK_PATH, {"taskId": task_id})
        sample_reject = reject.post(CREATE_PATH, REJECTED)
        results.checks += [
            f"create sample before the load: {json.dumps(first)} (price {price} credits)",
            f"check-result sample: code {sample_check['code']}, "
            f"status {sample_check['data']['status']}",
            f"rejected sample: {json.dumps(sample_reject)}",
        ]
        check_body = json.dumps({"taskId": task_id}).encode()
        plan = [
            Step(
                "baseline",
                "bare aiohttp, fixed JSON, body unread",
                baseline,
                CREATE_PATH,
                CREATE_BODY,
            ),
            *(
                Step(f"reference: {reads}", what, server, CREATE_PATH, CREATE_BODY)
                for (reads, what), server in zip(REFERENCES.items(), references, strict=True)
            ),
            Step(
                "create",
                "the seed's first example",
                create,
                CREATE_PATH,
                CREATE_BODY,
                CREATE_TARGET,
                CREATE_GOAL,
            ),
            Step("check-result", "an existing task", check, CHECK_PATH, check_body, CHECK_TARGET),
            Step("rejected", "aspectRatio 'square' (400)", reject, CREATE_PATH, REJECTED_BODY),
        ]
        runs: dict[str, list[Load]] = {step.name: [] for step in plan}
        discarded: dict[str, list[Load]] = {step.name: [] for step in plan}
        warm_creates = 0
        with ThreadPoolExecutor(mode.workers) as pool:
            if mode.warm_up:
                warm = list(pool.map(lambda s: s.run(load, mode.warm_up), plan))
                warm_creates = warm[1 + len(REFERENCES)].requests
            retries = [mode.retries if load.saturates else 0]
            for _ in range(mode.repetitions):
                done = pool.map(lambda s: s.measure(load, mode.seconds, retries), plan)
                for step, (run, dropped) in zip(plan, done, strict=True):
                    runs[step.name].append(run)
                    discarded[step.name] += dropped
        results.throughput += [
            Throughput(s.name, s.what, runs[s.name], s.target, discarded[s.name], s.goal)
            for s in plan
        ]
        create_runs = runs["create"] + discarded["create"]
        counted = 1 + warm_creates + sum(run.requests for run in create_runs)
        results.checks += _verify_creates(create, price, counted)
    return loop


@dataclass(frozen=True)
class Step:
    """One throughput measurement: a request, the server that answers it, its target ratio."""

    name: str
    what: str
    server: Server
    path: str
    body: bytes
    target: float | None = None
    goal: float | None = None

    def run(self, load: LoadGenerator, seconds: int) -> Load:
        """The load, and the server's CPU time under it: robust to a busy machine."""
        before = self.server.cpu_seconds()
        measured = load.run(self.server.url + self.path, self.body, seconds)
        return dataclasses.replace(measured, server_cpu_s=self.server.cpu_seconds() - before)

    def measure(
        self, load: LoadGenerator, seconds: int, retries: list[int]
    ) -> tuple[Load, list[Load]]:
        """A run in which the server had its core, and the runs discarded because it had not.

        On a shared machine another process can take the server's core for part of a run; the
        server then is busy for well under the run's wall time, and its req/s mean nothing.
        `retries` holds the re-runs left for the whole step, so a busy machine cannot make the
        bench run on and on.
        """
        discarded: list[Load] = []
        while True:
            run = self.run(load, seconds)
            busy = (run.server_cpu_s or 0.0) / run.seconds
            if busy >= BUSY_ENOUGH or retries[0] <= 0:
                return run, discarded
            retries[0] -= 1
            discarded.append(run)


def _verify_creates(server: Server, price: int, counted: int) -> list[str]:
    """Every create charged once: the ledger against the responses wrk counted."""
    after = server.post(CREATE_PATH, CREATE)
    charged = (BALANCE - server.get("/__mock/accounts/sk-bench")["balance"]) // price - 1
    rows = server.get("/__mock/requests?route=create&limit=1000")["requests"]
    codes = sorted({row["code"] for row in rows})
    verdict = "all creates succeeded" if charged >= counted and codes == [0] else "**NOT all**"
    return [
        f"create sample after the load: code {after['code']}",
        f"create server charged {charged:,} creates; the load generator counted {counted:,} "
        f"responses (it does not count requests still in flight when a run ends): {verdict}",
        f"envelope codes in the create server's last {len(rows)} journal rows: {codes}",
    ]


def start_up(mode: Mode, cores: Cores, loop: str) -> list[StartUp]:
    baseline_loop = "uvloop" if loop == "uvloop" else "asyncio"
    commands = {
        "baseline (python bench/baseline_app.py)": baseline_argv(baseline_loop),
        "sora_mock (python -m sora_mock)": sora_mock_argv(*FLAGS),
    }
    byte_compile(
        package_dir()
    )  # as pip leaves an installed package: the start-up is not the compiler's
    if mode.start_ups > 1:  # warm the page cache, not timed
        for argv in commands.values():
            start_up_seconds(argv, cores.server)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(mode.start_ups):
        for name, argv in commands.items():
            times[name].append(start_up_seconds(argv, cores.server))
    return [StartUp(name, seconds) for name, seconds in times.items()]


def count_instructions(mode: Mode, loop: str) -> list[str]:
    """The baseline, the reference handlers and the three requests, under callgrind, one at a
    time (a count does not depend on what else runs, but valgrind is slow)."""
    baseline_loop = "uvloop" if loop == "uvloop" else "asyncio"
    plan: list[tuple[str, str, list[str], str, bytes | None, float | None]] = [
        (
            "baseline",
            "bare aiohttp, body unread",
            baseline_argv(baseline_loop),
            CREATE_PATH,
            CREATE_BODY,
            None,
        ),
        *(
            (
                f"reference: {reads}",
                what,
                baseline_argv(baseline_loop, reads),
                CREATE_PATH,
                CREATE_BODY,
                None,
            )
            for reads, what in REFERENCES.items()
        ),
        (
            "create",
            "the seed's first example, the store full",
            sora_mock_argv(*FLAGS, *FULL_STORE),
            CREATE_PATH,
            CREATE_BODY,
            CREATE_TARGET,
        ),
        (
            "check-result",
            "an existing task",
            sora_mock_argv(*FLAGS),
            CHECK_PATH,
            None,
            CHECK_TARGET,
        ),
        (
            "rejected",
            "aspectRatio 'square' (400)",
            sora_mock_argv(*FLAGS),
            CREATE_PATH,
            REJECTED_BODY,
            None,
        ),
    ]
    counts = [
        instructions.Count(
            name,
            what,
            instructions.count(argv, path, body, mode.instructed, ROOT),
            target,
        )
        for name, what, argv, path, body, target in plan
    ]
    return instructions.render(counts, mode.instructed)


def memory(mode: Mode, load: LoadGenerator, cores: Cores, rate: float) -> Memory:
    """RSS at start and after each checkpoint of a 1:1 mix of creates and check-results."""
    points: list[tuple[int, int]] = []
    mix = {"creates": 0, "checks": 0}
    with Server(sora_mock_argv(*FLAGS), cores.server) as server:
        points.append((0, server.status()["VmRSS"]))
        done = 0
        for goal in mode.memory_points:
            while done < goal:
                seconds = max(1, math.ceil((goal - done) / rate * 1.1))
                run = load.run_mix(server.url, CREATE_BODY, goal - done, seconds)
                done += run.requests
                for name in mix:
                    mix[name] += run.mix.get(name, 0)
            points.append((done, server.status()["VmRSS"]))
        peak = server.status()["VmHWM"]
    text = (
        f"{mix['creates']:,} creates and {mix['checks']:,} check-results of the latest "
        "created task, alternating"
    )
    return Memory(text, points, peak)


WARM_CREATES: Final = 10


def stored_tasks(mode: Mode, load: LoadGenerator, cores: Cores) -> Stored:
    """RSS of a server holding `mode.stored_tasks` pending tasks (the manual clock: none ever
    finishes or is forgotten) against the same server warmed up and empty: bytes a stored task.

    The warm-up runs every step of a create but the last (rejected creates, which store
    nothing) and a few real creates; the tasks counted are those the ledger charged between the
    two readings, whatever the load generator had in flight when it stopped.
    """
    flags = ["--clock", "manual", *FLAGS[2:]]  # FLAGS without its real clock
    if mode.stored_tasks != report.DEFAULT_MAX_TASKS:
        flags += ["--max-tasks", str(mode.stored_tasks)]
    with Server(sora_mock_argv(*flags), cores.server) as server:
        load.run(server.url + CREATE_PATH, REJECTED_BODY, max(1, mode.warm_up))
        for _ in range(WARM_CREATES):
            server.post(CREATE_PATH, CREATE)
        charged = BALANCE - server.get("/__mock/accounts/sk-bench")["balance"]
        price = charged // WARM_CREATES
        empty = server.status()["VmRSS"]
        goal = mode.stored_tasks - WARM_CREATES  # the store full, the warm-up's tasks with it
        done = 0
        while done < goal:  # a run stops at its count; one cut short by a busy machine resumes
            load.run_count(server.url + CREATE_PATH, CREATE_BODY, goal - done, 300)
            balance = server.get("/__mock/accounts/sk-bench")["balance"]
            done = (BALANCE - balance - charged) // price
        full = server.status()["VmRSS"]
    return Stored(done, empty, full)


def method(mode: Mode, name: str, load: LoadGenerator) -> list[str]:
    return [
        f"Load: {load.name}, one thread or process, {CONNECTIONS} keep-alive connections, "
        "on loopback; "
        f"warm-up {mode.warm_up} s per server, then {mode.repetitions} runs of {mode.seconds} s "
        "each, interleaved (baseline, create, check-result, rejected; again). req/s, p50 and "
        "p99 are the means over the runs; the ratio is mean req/s over the baseline's mean. "
        f"A run in which the server used less than {BUSY_ENOUGH:.0%} of its core's time "
        f"(another process had the core) is run again, up to {mode.retries} times in all, when the "
        "load generator saturates the server (wrk); the discarded runs are listed below.",
        f"sora_mock runs as `python -m sora_mock --port 0 {' '.join(FLAGS)}`, so that no "
        "create is refused for credits or concurrency; other settings are defaults "
        "(max_tasks 100,000, journal_size 1,000, log lines on stderr, which goes to /dev/null). "
        "Each measurement has a fresh server; all requests use one API key.",
        "Baseline: bench/baseline_app.py, aiohttp with no middleware, answering the seed's "
        "success JSON as pre-encoded bytes without reading the body, on the event loop that "
        "sora_mock was found to use (uvloop if its extension is mapped into the sora_mock "
        "process, else asyncio's default policy).",
        f"Start-up: exec to the first 200 on /__mock/health, median of {mode.start_ups} after "
        "one untimed start each, alternating, the server pinned as above; sora_mock's tree is "
        "byte-compiled first (`compileall`), as pip leaves an installed package, since "
        "PYTHONDONTWRITEBYTECODE would otherwise make every start compile it from source.",
        f"Fixture cost: {mode.tests} generated tests, each one create request over urllib, "
        "using `sora_mock` in one file and a session-scoped `MockServer` (started once, never "
        "reset) in the other; `pytest -p no:cacheprovider -q` in a temp dir, pinned to the "
        f"server core; {mode.fixture_rounds} interleaved runs each; best against best.",
        "Memory: VmRSS from /proc/PID/status of a fresh sora_mock (same flags) at start and "
        f"after {', '.join(f'{n:,}' for n in mode.memory_points)} requests; peak is VmHWM.",
        f"Memory per stored task: a sora_mock on the manual clock (every task stays pending), "
        f"warmed up with {max(1, mode.warm_up)} s of rejected creates and {WARM_CREATES} creates, "
        f"then filled with creates to {mode.stored_tasks:,} tasks; VmRSS full minus VmRSS "
        "warmed up, over the tasks the ledger charged in between.",
        f"Mode: {name}."
        + (
            " The steps ran side by side, so these numbers mean nothing."
            if mode.workers > 1
            else ""
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a few seconds; writes no results")
    parser.add_argument("--load", choices=("auto", "wrk", "aiohttp"), default="auto")
    parser.add_argument(
        "--out",
        type=Path,
        help="default: bench/RESULTS.md, with --ref bench/RESULTS-before.md (full mode only)",
    )
    parser.add_argument(
        "--ref",
        help="measure sora_mock as it is at this git ref (exported with `git archive`) with this "
        "tree's harness, e.g. 7d81d19 for the code before issue 24",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sora-bench-ref-") as tmp:
        if args.ref:
            use_package(export_package(args.ref, Path(tmp)))
            global CODE  # noqa: PLW0603 (the one run's code, named in RESULTS)
            CODE = f"git {args.ref} (sora_mock exported), harness " + code_version()
        return measure_all(args)


def measure_all(args: argparse.Namespace) -> int:
    name = "smoke" if args.smoke else "full"
    mode = MODES[name]
    cores = Cores.plan()
    load = choose(args.load, cores.load, CONNECTIONS)
    results = Results(mode=name, machine={}, method=method(mode, name, load))

    say("throughput and latency")
    loop = throughput(mode, load, cores, results)
    results.machine = machine(load, cores, loop)
    rates = [t.rps for t in results.throughput if t.name in ("create", "check-result")]
    with ThreadPoolExecutor(mode.workers) as pool:
        say("start-up, fixture cost, memory, profile of the create path")
        start_ups = pool.submit(start_up, mode, cores, loop)
        fixture = pool.submit(
            fixture_cost.measure, mode.tests, mode.fixture_rounds, cores.server, CREATE_BODY
        )
        rss = pool.submit(memory, mode, load, cores, statistics.harmonic_mean(rates))
        stored = pool.submit(stored_tasks, mode, load, cores)
        profile = pool.submit(
            profile_create,
            load,
            cores.server,
            FLAGS,
            CREATE_BODY,
            warm_up=min(mode.warm_up, 1),
            seconds=mode.profile_seconds,
            top=20,
        )
        results.start_up = start_ups.result()
        results.fixture = fixture.result()
        results.memory = rss.result()
        results.stored = stored.result()
        results.profile = profile.result()
    if instructions.available():
        say("instructions per request (callgrind)")
        results.instructions = count_instructions(mode, loop)
    say("done")
    results.machine["load average at the end"] = ", ".join(f"{n:.2f}" for n in os.getloadavg())

    if args.smoke:
        print("smoke mode: every step ran, briefly and side by side; the numbers mean nothing\n")
    print(summary(results))
    default = BENCH / ("RESULTS-before.md" if args.ref else "RESULTS.md")
    out = args.out or (None if args.smoke else default)
    if out is not None:
        out.write_text(render(results))
        print(f"\nwritten: {out}")
    return 0


def say(text: str) -> None:
    print(f"bench: {time.perf_counter() - STARTED:5.1f} s: {text}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
