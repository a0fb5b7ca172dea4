"""The vocabulary of fault rules (CONTRACT C): the routes a rule may name, and `ACTIONS`, the
one table of what each action does and where it applies; the sets the checks read are derived
from it. Both the rule as a user writes it (`rule.py`) and the engine (`engine.py`) read it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

Route = Literal["create", "sora_video", "check_result", "credits", "files", "webhook", "any"]
Action = Literal[
    "error",
    "delay",
    "timeout",
    "reset",
    "malformed",
    "html",
    "fail_task",
    "cancel_task",
    "drop",
    "duplicate",
]


@dataclass(frozen=True, slots=True)
class Where:
    """Where an action applies: to requests (and on which routes), to webhook deliveries."""

    effect: str
    requests: frozenset[str] | None  # the request routes it acts on; None: not on requests
    webhook: bool


_REQUESTS: Final = frozenset(("create", "sora_video", "check_result", "credits", "files", "any"))
_TASKS: Final = frozenset(("create", "sora_video"))
# C's table: every action, what it does and where it applies (a rule naming another route is
# refused; `fail_task` and `cancel_task` are taken on any request route and act only where a
# request makes a task)
ACTIONS: Final[dict[str, Where]] = {
    "error": Where(
        "answer the envelope with code, message and http_status; a delivery attempt fails unsent",
        _REQUESTS,
        True,
    ),
    "delay": Where("wait delay_ms (real time), then go on", _REQUESTS, True),
    "timeout": Where("hold the request delay_ms, then drop the connection", _REQUESTS, False),
    "reset": Where("close the connection at once, with a TCP reset", _REQUESTS, False),
    "malformed": Where("HTTP 200 with a cut-off JSON envelope", _REQUESTS, False),
    "html": Where("HTTP 502 text/html, a proxy's error page", _REQUESTS, False),
    "fail_task": Where("the task this create makes ends failed", _REQUESTS, False),
    "cancel_task": Where("the task this create makes ends cancelled", _REQUESTS, False),
    "drop": Where("the delivery is never sent", None, True),
    "duplicate": Where("the payload is sent twice, the second right after the first", None, True),
}
# what a rule may do to an outbound webhook delivery (A7), and what only a delivery can undergo
DELIVERY_ACTIONS: Final = frozenset(a for a, where in ACTIONS.items() if where.webhook)
DELIVERY_ONLY: Final = frozenset(a for a, where in ACTIONS.items() if where.requests is None)
DEFAULT_TIMEOUT_MS: Final = 60_000
DEFAULT_FAILURE_REASON: Final = "injected_failure"
MSG_DELAY_MS: Final = "delay_ms must be a number of milliseconds >= 0, or [min, max]"
MSG_EVERY: Final = "every must be true or an integer >= 1"
DEFAULT_CANCEL_REASON: Final = "injected_cancel"
# the actions that shape the task a create makes, and the routes that make tasks
TASK_ACTIONS: Final = frozenset(("fail_task", "cancel_task"))
TASK_ROUTES: Final = _TASKS


def actions_table() -> str:
    """C's table of actions as the docs show it (README "Error injection"), from `ACTIONS`."""
    rows = [
        "| action | what it does | on requests (routes) | on webhook deliveries |",
        "|---|---|---|---|",
    ]
    for action, where in ACTIONS.items():
        if where.requests is None:
            on_requests = "no"
        elif action in TASK_ACTIONS:
            on_requests = "any; acts where a task is made (" + ", ".join(sorted(_TASKS)) + ")"
        else:
            on_requests = "every request route"
        rows.append(
            f"| `{action}` | {where.effect} | {on_requests} | {'yes' if where.webhook else 'no'} |"
        )
    return "\n".join(rows) + "\n"
