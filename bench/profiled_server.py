"""`python -m sora_mock` under cProfile, switched on by SIGUSR1 and dumped by SIGUSR2.

Profiling only between the two signals keeps imports, start-up and warm-up out of the numbers.
Usage: profiled_server.py STATS_FILE [sora-mock flags...]
"""

from __future__ import annotations

import cProfile
import signal
import sys
from types import FrameType

from sora_mock.cli import main


def run(stats_file: str, argv: list[str]) -> int:
    profiler = cProfile.Profile()

    def start(signum: int, frame: FrameType | None) -> None:
        profiler.enable()

    def dump(signum: int, frame: FrameType | None) -> None:
        profiler.disable()
        profiler.dump_stats(stats_file)

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, dump)
    return main(argv)


if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1], sys.argv[2:]))
