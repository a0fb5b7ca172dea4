"""A short cProfile of sora_mock's create path under wrk load, as tables for RESULTS.md.

cProfile (the standard library; py-spy and pyinstrument are not installed here) adds a fixed
cost per Python call, so the shares of small, often-called functions are overstated; read the
tables for where the time goes, not for absolute speed.
"""

from __future__ import annotations

import pstats
import signal
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from load import CREATE_PATH, Load, LoadGenerator
from procs import BENCH, PYTHON, ROOT, Server

_PREFIXES: Final = (
    sysconfig.get_paths()["purelib"] + "/",
    sysconfig.get_paths()["stdlib"] + "/",
    str(ROOT) + "/",
)


@dataclass(frozen=True)
class Row:
    function: str
    calls: str
    tottime_s: float
    cumtime_s: float
    cum_us_per_request: float


@dataclass(frozen=True)
class Profile:
    load: Load
    by_cumulative: list[Row]
    by_tottime: list[Row]
    own_code: list[Row]  # sora_mock's functions only, by cumulative time
    total_s: float


def _where(key: tuple[str, int, str]) -> str:
    file, line, name = key
    for prefix in _PREFIXES:
        if file.startswith(prefix):
            file = file[len(prefix) :]
            break
    if file == "~":
        return name
    return f"{file}:{line}({name})"


def _wait_for(path: Path, timeout: float = 15.0) -> None:
    """The dump is written from a signal handler; wait until the file stops growing."""
    deadline = time.monotonic() + timeout
    size = -1
    while time.monotonic() < deadline:
        now = path.stat().st_size if path.exists() else -1
        if now > 0 and now == size:
            return
        size = now
        time.sleep(0.2)
    raise RuntimeError(f"no profile was written to {path}")


def profile_create(
    load: LoadGenerator,
    cpu: int | None,
    flags: list[str],
    body: bytes,
    *,
    warm_up: int,
    seconds: int,
    top: int,
) -> Profile:
    with tempfile.TemporaryDirectory(prefix="sora-bench-prof-") as tmp:
        stats_file = Path(tmp) / "create.prof"
        argv = [PYTHON, str(BENCH / "profiled_server.py"), str(stats_file), "--port", "0"]
        with Server([*argv, *flags], cpu) as server:
            url = server.url + CREATE_PATH
            if warm_up:
                load.run(url, body, warm_up)  # not profiled
            server.signal(signal.SIGUSR1)
            measured = load.run(url, body, seconds)
            server.signal(signal.SIGUSR2)
            _wait_for(stats_file)
        stats = pstats.Stats(str(stats_file))
    entries = stats.stats  # type: ignore[attr-defined]  # pstats keeps its table untyped
    rows = []
    for key, (primitive, calls, tottime, cumtime, _callers) in entries.items():
        shown = str(calls) if calls == primitive else f"{calls}/{primitive}"
        per_request = cumtime / max(measured.requests, 1) * 1e6
        rows.append(Row(_where(key), shown, tottime, cumtime, per_request))
    by_cumulative = sorted(rows, key=lambda r: r.cumtime_s, reverse=True)
    return Profile(
        load=measured,
        by_cumulative=by_cumulative[:top],
        by_tottime=sorted(rows, key=lambda r: r.tottime_s, reverse=True)[:top],
        own_code=[r for r in by_cumulative if r.function.startswith("sora_mock/")][:top],
        total_s=sum(row.tottime_s for row in rows),
    )
