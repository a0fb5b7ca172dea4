"""The bench's results as Markdown: the table that is printed and the whole RESULTS.md."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Final

from fixture_cost import FixtureCost
from load import Load
from profiling import Profile


@dataclass(frozen=True)
class Throughput:
    name: str
    what: str
    runs: list[Load]
    target: float | None = None  # the least ratio to baseline the issue asks for
    discarded: list[Load] = field(default_factory=list)  # runs in which it lacked its core
    goal: float | None = None  # beyond the target: what the issue hopes for

    @property
    def rps(self) -> float:
        return statistics.fmean(run.rps for run in self.runs)

    @property
    def p50_ms(self) -> float:
        return statistics.fmean(run.p50_ms for run in self.runs)

    @property
    def p99_ms(self) -> float:
        return statistics.fmean(run.p99_ms for run in self.runs)

    @property
    def cpu_us(self) -> float | None:
        """Server CPU µs per request, over all runs together."""
        cpu = [run.server_cpu_s for run in self.runs]
        if any(c is None for c in cpu):
            return None
        return sum(c or 0.0 for c in cpu) / sum(run.requests for run in self.runs) * 1e6


@dataclass(frozen=True)
class StartUp:
    name: str
    seconds: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


@dataclass(frozen=True)
class Memory:
    mix: str
    points: list[tuple[int, int]]  # (requests so far, VmRSS KiB)
    peak_kib: int

    @property
    def growth_mib(self) -> float:
        return (self.points[-1][1] - self.points[0][1]) / 1024


@dataclass(frozen=True)
class Stored:
    """A server filled with `tasks` pending tasks against the same server warmed up, empty."""

    tasks: int
    empty_kib: int
    full_kib: int

    @property
    def growth_mib(self) -> float:
        return (self.full_kib - self.empty_kib) / 1024

    @property
    def bytes_per_task(self) -> float:
        return (self.full_kib - self.empty_kib) * 1024 / self.tasks


# issue 24's targets
START_UP_MAX: Final = 1.2  # x the bare app's start
FIXTURE_MAX_MS: Final = 0.5  # per test
BYTES_PER_TASK_MAX: Final = 250
FULL_STORE_MAX_MIB: Final = 25  # a full default store over the warmed-up server
DEFAULT_MAX_TASKS: Final = 100_000


@dataclass
class Results:
    mode: str
    machine: dict[str, str]
    method: list[str]
    throughput: list[Throughput] = field(default_factory=list)
    start_up: list[StartUp] = field(default_factory=list)
    fixture: FixtureCost | None = None
    memory: Memory | None = None
    stored: Stored | None = None
    checks: list[str] = field(default_factory=list)
    profile: Profile | None = None
    instructions: list[str] = field(default_factory=list)  # rendered by bench/instructions.py


def _verdict(ok: bool) -> str:
    return "met" if ok else "**NOT met**"


def summary(results: Results) -> str:
    """The one table: throughput and latency with ratios, then start-up, fixture, memory."""
    base = results.throughput[0]
    lines = [
        "| measurement | req/s per run | req/s (mean) | x baseline | target | p50 ms | p99 ms "
        "| server CPU µs/req | x baseline by CPU |",
        "|---|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    for t in results.throughput:
        per_run = ", ".join(f"{run.rps:,.0f}" for run in t.runs)
        ratio = t.rps / base.rps
        target = "—" if t.target is None else f"≥ {t.target:.2f}: {_verdict(ratio >= t.target)}"
        goal = "" if t.goal is None else f"; goal ≥ {t.goal:.2f}: {_verdict(ratio >= t.goal)}"
        cpu = by_cpu = "—"
        if t.cpu_us is not None and base.cpu_us is not None:
            cpu, by_cpu = f"{t.cpu_us:.0f}", f"{base.cpu_us / t.cpu_us:.2f}"
            if t.target is not None:  # the stabler figure on a shared machine
                met = base.cpu_us / t.cpu_us >= t.target
                target += f" (by CPU: {_verdict(met)})"
                if t.goal is not None:
                    met = base.cpu_us / t.cpu_us >= t.goal
                    goal += f" (by CPU: {_verdict(met)})"
            target += goal
        lines.append(
            f"| {t.name}: {t.what} | {per_run} | {t.rps:,.0f} | {ratio:.2f} | {target} "
            f"| {t.p50_ms:.2f} | {t.p99_ms:.2f} | {cpu} | {by_cpu} |"
        )
    lines += ["", "| measurement | value | target |", "|---|---|---|"]
    if results.start_up:
        baseline = results.start_up[0].median
        for s in results.start_up:
            ratio = s.median / baseline
            spread = f"min {min(s.seconds):.3f}, max {max(s.seconds):.3f}"
            target = (
                "—"
                if s is results.start_up[0]
                else f"≤ {START_UP_MAX}x: {_verdict(ratio <= START_UP_MAX)}"
            )
            lines.append(
                f"| start-up, {s.name} (median of {len(s.seconds)}) | {s.median:.3f} s "
                f"({spread}; {ratio:.2f}x baseline) | {target} |"
            )
    if results.fixture is not None:
        f = results.fixture
        per = f.ms_per_test
        lines.append(
            f"| fixture cost per test ({f.tests} tests; `sora_mock` {min(f.fixture_seconds):.2f} s"
            f" vs plain server {min(f.plain_seconds):.2f} s, best of {len(f.fixture_seconds)}) "
            f"| {per:.2f} ms/test | ≤ {FIXTURE_MAX_MS} ms: {_verdict(per <= FIXTURE_MAX_MS)} |"
        )
    if results.memory is not None:
        m = results.memory
        points = ", ".join(f"{kib / 1024:.1f} MiB after {n:,}" for n, kib in m.points)
        lines.append(
            f"| server RSS ({m.mix}) | {points}; growth {m.growth_mib:+.1f} MiB; "
            f"peak {m.peak_kib / 1024:.1f} MiB | ≤ 20 MB growth: "
            f"{_verdict(m.growth_mib * 1.048576 <= 20)} |"
        )
    if results.stored is not None:
        lines += _stored(results.stored)
    return "\n".join(lines)


def _stored(s: Stored) -> list[str]:
    per = s.bytes_per_task
    rows = [
        f"| memory per stored task ({s.tasks:,} pending tasks: {s.full_kib / 1024:.1f} MiB "
        f"against {s.empty_kib / 1024:.1f} MiB warmed up and empty) | {per:,.0f} bytes "
        f"| ≤ {BYTES_PER_TASK_MAX} bytes: {_verdict(per <= BYTES_PER_TASK_MAX)} |"
    ]
    if s.tasks >= DEFAULT_MAX_TASKS:
        met = s.growth_mib <= FULL_STORE_MAX_MIB
        rows.append(
            f"| a full default store ({DEFAULT_MAX_TASKS:,} tasks) over the warmed-up server "
            f"| {s.growth_mib:+.1f} MiB | ≤ {FULL_STORE_MAX_MIB} MiB: {_verdict(met)} |"
        )
    return rows


def _profile(profile: Profile) -> list[str]:
    load = profile.load
    out = [
        "## Profile of the create path",
        "",
        f"cProfile over {load.requests:,} create requests ({load.rps:,.0f} req/s under the "
        f"profiler; {profile.total_s:.2f} s of profiled CPU, "
        f"{profile.total_s / max(load.requests, 1) * 1e6:.0f} µs per request). "
        "µs/request is the cumulative time divided by the number of requests.",
        "",
    ]
    for title, rows in (
        ("By cumulative time", profile.by_cumulative),
        ("By own time (tottime)", profile.by_tottime),
        ("sora_mock's own functions, by cumulative time", profile.own_code),
    ):
        out += [f"### {title}", "", "| function | calls | tottime s | cumtime s | µs/request |"]
        out.append("|---|---:|---:|---:|---:|")
        for row in rows:
            out.append(
                f"| `{row.function}` | {row.calls} | {row.tottime_s:.3f} | {row.cumtime_s:.3f} "
                f"| {row.cum_us_per_request:.1f} |"
            )
        out.append("")
    return out


def render(results: Results) -> str:
    out = [
        "# sora_mock benchmarks",
        "",
        f"Written by `make bench` ({results.mode} mode) on {results.machine['date']}.",
        "",
        summary(results),
        "",
        "## Machine",
        "",
    ]
    out += [f"- {name}: {value}" for name, value in results.machine.items()]
    out += ["", "## Method", ""]
    out += [f"- {line}" for line in results.method]
    if results.throughput:
        out += ["", "## Every run", ""]
        out += [
            "| measurement | run | requests | seconds | req/s | p50 ms | p99 ms "
            "| server CPU s | server busy | errors |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
        ]
        for t in results.throughput:
            numbered = [(str(i), run) for i, run in enumerate(t.runs, 1)]
            numbered += [("discarded", run) for run in t.discarded]
            for i, run in numbered:
                errors = f"{run.socket_errors} socket, {run.non_2xx} non-2xx"
                cpu = busy = "—"
                if run.server_cpu_s is not None:
                    cpu, busy = f"{run.server_cpu_s:.2f}", f"{run.server_cpu_s / run.seconds:.0%}"
                out.append(
                    f"| {t.name} | {i} | {run.requests:,} | {run.seconds:.2f} | {run.rps:,.0f} "
                    f"| {run.p50_ms:.2f} | {run.p99_ms:.2f} | {cpu} | {busy} | {errors} |"
                )
        out += [
            "",
            "Server busy is its CPU time over the run's wall time. The server is single-threaded "
            "and saturated by the load, so well under 100% means that other processes took its "
            "core for part of the run: req/s and p99 of that run understate it, while server "
            "CPU µs/request (and the ratio by CPU in the table above) stays comparable.",
        ]
    if results.instructions:
        out += ["", "## Instructions per request", "", *results.instructions]
    if results.checks:
        out += ["", "## Checks of what was measured", ""]
        out += [f"- {line}" for line in results.checks]
    if results.profile is not None:
        out += ["", *_profile(results.profile)]
    return "\n".join(out).rstrip() + "\n"
