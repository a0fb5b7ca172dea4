"""`python -m sora_mock` with parts of the create path replaced by stand-ins that cost nothing.

Usage: stubbed_server.py STUBS [sora-mock flags...], STUBS a comma-separated list of names in
`STUBS` (or "none"). Only bench/where.py runs it, to count what each part costs: a stand-in
answers as the real part did for the bench's one request (the validation and the decoded body
are remembered from the first request), so the server still answers every create.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, Final

from sora_mock import cli
from sora_mock.core import ids, journal, ledger
from sora_mock.http import logs, pipeline
from sora_mock.sim import simulator
from sora_mock.tasks import lifecycle


class _NoLog:
    def __init__(self, *args: object) -> None:
        pass

    def add(self, *args: object) -> None:
        pass

    def flush(self) -> None:
        pass


def _remembered(real: Callable[..., Any]) -> Callable[..., Any]:
    """The first answer of `real`, given again: the bench sends one body, again and again."""
    kept: list[Any] = []

    def again(*args: Any, **kwargs: Any) -> Any:
        if not kept:
            kept.append(real(*args, **kwargs))
        return kept[0]

    return again


def _remembered_async(real: Callable[..., Any]) -> Callable[..., Any]:
    """`_remembered` of a coroutine function."""
    kept: list[Any] = []

    async def again(*args: Any, **kwargs: Any) -> Any:
        if not kept:
            kept.append(await real(*args, **kwargs))
        return kept[0]

    return again


def _stub(name: str) -> None:
    if name == "log lines":
        logs.RequestLog = _NoLog  # type: ignore[assignment,misc]  # the command line makes one
    elif name == "journal":
        journal.Journal.add = lambda self, row: None  # type: ignore[method-assign]
    elif name == "validation":
        simulator.check_create = _remembered(simulator.check_create)
    elif name == "JSON decode":
        pipeline.parse_object = _remembered(pipeline.parse_object)
    elif name == "taskId HMAC":
        ids.TaskIds.__call__ = lambda self, key, n: f"{n:032x}"  # type: ignore[method-assign]
    elif name == "ledger row":
        ledger.Ledger.charge = lambda self, key, price, task_id, time: 1  # type: ignore[method-assign]
    elif name == "the answer":  # all of the pipeline: its first reply, again
        pipeline.serve = _remembered_async(pipeline.serve)
    elif name == "concurrency check":
        lifecycle.Lifecycle.check_concurrency = lambda self, key, now: None  # type: ignore[method-assign]
    else:
        raise SystemExit(f"unknown stub {name!r}; one of {', '.join((*STUBS, WHOLE_ANSWER))}")


STUBS: Final = (
    "log lines",
    "journal",
    "validation",
    "JSON decode",
    "taskId HMAC",
    "ledger row",
    "concurrency check",
)
# not among the parts: with it, what is left is aiohttp's server, the adapter and the event loop
WHOLE_ANSWER: Final = "the answer"


if __name__ == "__main__":
    names = [] if sys.argv[1] == "none" else sys.argv[1].split(",")
    for stub in names:
        _stub(stub)
    raise SystemExit(cli.main(sys.argv[2:]))
