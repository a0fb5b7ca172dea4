"""Instructions per request, counted by valgrind's callgrind: the ratios that a busy machine
cannot move.

Wall and CPU time on a shared 2-core machine swing by 2-3x from run to run; the number of
instructions a server executes for the same request does not (it counts the process's own
user-space instructions, not the kernel's, nor the cache misses that make an instruction slow).
Each server runs under `valgrind --tool=callgrind --instr-atstart=no` with PYTHONHASHSEED=0;
one keep-alive
connection sends 300 warm-up requests, then counting starts (`callgrind_control -i on`), then
N requests, then the counters are dumped. The ratio is the baseline's count over the server's,
as the throughput ratios are (higher is better, 1.00 is the bare app).
"""

from __future__ import annotations

import glob
import http.client
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from procs import API_KEY, BENCH, LISTENING, ROOT

WARM_UP: Final = 1200  # past the journal's 1,000 rows: the ring evicts from the start
HEADERS: Final = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}


@dataclass(frozen=True)
class Count:
    name: str
    what: str
    per_request: float  # instructions
    target: float | None = None


def available() -> bool:
    return shutil.which("valgrind") is not None and shutil.which("callgrind_control") is not None


def count(
    argv: list[str],
    path: str,
    body: bytes | None,
    requests: int,
    cwd: Path,
) -> float:
    """Instructions per request of the server `argv` answering POST `path` with `body`; with
    `body` None, check-results of a task created first."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "callgrind.out")
        valgrind = ["valgrind", "--tool=callgrind", "--instr-atstart=no"]
        proc = subprocess.Popen(  # noqa: S603 (valgrind with our own server's argv)
            [*valgrind, f"--callgrind-out-file={out}", *argv],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            # one hash seed for every server: dict and set layouts, and so the counts, repeat
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline().decode()
            if LISTENING not in line:
                raise RuntimeError(f"{' '.join(argv)} printed no listening line under valgrind")
            host, port = line.split(LISTENING, 1)[1].strip().split("//")[1].rsplit(":", 1)
            conn = http.client.HTTPConnection(host, int(port), timeout=120)
            if body is None:
                created = _post(conn, "/api/v1/video/sora-pro", _seed_body())
                body = json.dumps({"taskId": json.loads(created)["data"]["taskId"]}).encode()
            for _ in range(WARM_UP):
                _post(conn, path, body)
            _control("-i", "on", proc.pid)
            for _ in range(requests):
                _post(conn, path, body)
            _control("-d", proc.pid)
            conn.close()
        finally:
            proc.terminate()
            proc.wait(timeout=60)
        dumps = sorted(glob.glob(out + ".*"), key=os.path.getmtime)
        text = Path(dumps[0] if dumps else out).read_text()
    found = re.search(r"^(?:summary|totals):\s*(\d+)", text, re.MULTILINE)
    if found is None:
        raise RuntimeError("callgrind wrote no totals")
    return int(found.group(1)) / requests


def _control(*args: object) -> None:
    subprocess.run(  # noqa: S603 (callgrind_control on our own child)
        ["callgrind_control", *map(str, args)],  # noqa: S607 (on PATH next to valgrind)
        capture_output=True,
        check=True,
    )
    time.sleep(0.2)  # the request is taken when the process next enters valgrind's scheduler


def _post(conn: http.client.HTTPConnection, path: str, body: bytes) -> bytes:
    conn.request("POST", path, body=body, headers=HEADERS)
    return conn.getresponse().read()


def _seed_body() -> bytes:
    seed = json.loads((ROOT / "fixtures/requests/ok_text_to_video_pro_high.json").read_text())
    return json.dumps(seed["request"], separators=(",", ":")).encode()


def render(counts: list[Count], requests: int) -> list[str]:
    base = counts[0].per_request
    out = [
        f"Instructions per request, callgrind, {requests:,} sequential requests on one "
        f"keep-alive connection after {WARM_UP} warm-up requests (bench/instructions.py):",
        "",
        "| measurement | instructions per request | x baseline | target |",
        "|---|---:|---:|---|",
    ]
    for c in counts:
        ratio = base / c.per_request
        target = "—"
        if c.target is not None:
            target = f"≥ {c.target:.2f}: " + ("met" if ratio >= c.target else "**NOT met**")
        out.append(
            f"| {c.name}: {c.what} | {c.per_request / 1000:,.1f} k | {ratio:.2f} | {target} |"
        )
    return out


__all__ = ["BENCH", "Count", "available", "count", "render"]
