from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def serving(command: Sequence[str], cwd: Path | None = None) -> Iterator[str]:
    """A `sora-mock ... --port 0` process; yields the URL of its listening line, then stops it
    with SIGTERM and checks that it exits 0."""
    proc = subprocess.Popen(
        [*command, "--port", "0", "--clock", "manual"],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "http://127.0.0.1:" in line, line
        yield line.split()[-1]
    finally:
        proc.terminate()
    assert 0 == proc.wait(timeout=10)
