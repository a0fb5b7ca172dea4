"""The mock's clocks (CONTRACT B3): time is injected so that tests never sleep."""

from __future__ import annotations

import time
from typing import Literal, Protocol

ClockMode = Literal["real", "manual", "poll"]


class Clock(Protocol):
    mode: ClockMode
    speed: float

    def now(self) -> float:
        """Mock seconds since start (or the last reset)."""

    def advance(self, seconds: float) -> None: ...

    def reset(self) -> None: ...

    def real_seconds(self, mock_seconds: float) -> float:
        """How long `mock_seconds` of mock time take in wall time (inf when time stands still)."""


class ManualClock:
    """Moves only when told; the `poll` mode is this clock plus per-task steps (simulator)."""

    speed = 1.0

    def __init__(self, mode: ClockMode = "manual") -> None:
        self.mode: ClockMode = mode
        self._now = 0.0

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds

    def reset(self) -> None:
        self._now = 0.0

    def real_seconds(self, mock_seconds: float) -> float:
        return float("inf")


class RealClock:
    """Wall time times `speed`; `advance` jumps ahead on top of it."""

    mode: ClockMode = "real"

    def __init__(self, speed: float = 1.0) -> None:
        self.speed = speed
        self._start = time.monotonic()
        self._offset = 0.0

    def now(self) -> float:
        return (time.monotonic() - self._start) * self.speed + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds

    def reset(self) -> None:
        self._start = time.monotonic()
        self._offset = 0.0

    def real_seconds(self, mock_seconds: float) -> float:
        return mock_seconds / self.speed


def make_clock(mode: ClockMode, speed: float) -> Clock:
    return RealClock(speed) if mode == "real" else ManualClock(mode)
