"""The fault step of a provider request (CONTRACT C), carried out: the header preset or the
rules decide (`faults/engine.py`), and here a decision becomes what only the HTTP layer can do:
wait, answer an injected error, a cut-off envelope or a proxy's page, or drop the connection."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Final, Literal

from ..core import errors as e
from ..core.journal import Exchange
from ..faults.actions import TASK_ACTIONS
from ..faults.engine import MSG_UNKNOWN_PRESET, PRESETS, Decision, Request
from ..routes import registry
from .reply import Reply, RequestView

if TYPE_CHECKING:
    from ..faults.rule import FaultRule
    from ..sim.simulator import Simulator

FAULT_HEADER: Final = "X-Sora-Mock-Fault"
HTML_PAGE: Final = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
MALFORMED_BODY: Final = b'{"code": 0, "message": "ok", "data": {"taskId": "'


class Dropped(Exception):
    """A `timeout` or `reset` fault: the connection closes without an answer."""

    def __init__(self, how: Literal["close", "reset"]) -> None:
        super().__init__(how)
        self.how: Literal["close", "reset"] = how


class Answered(Exception):
    """A fault answered with a ready reply (`malformed`, `html`)."""

    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


async def fault_step(
    sim: Simulator, view: RequestView, x: Exchange, body: dict[str, Any] | None
) -> FaultRule | None:
    """Decide and carry out; returns a `fail_task`/`cancel_task` rule for the use case."""
    decision = _decide(sim, view, x, body)
    if decision is None:
        return None
    if decision.delay_ms:
        await asyncio.sleep(decision.delay_ms / 1000)
    rule = decision.rule
    if rule is None or rule.action in TASK_ACTIONS:
        return rule
    action = rule.action
    if action == "error":
        code = rule.code if rule.code is not None else e.SERVER_ERROR
        retry = code == e.TOO_MANY_TASKS
        headers = {"Retry-After": str(sim.retry_after(x.key))} if retry else None
        # a file link has no envelope to look into: its errors keep their HTTP status
        status = code if rule.http_status is None and x.route == registry.FILES else None
        raise e.ApiError(
            code,
            rule.message or e.MSG_INJECTED,
            http_status=rule.http_status if status is None else status,
            headers=headers,
        )
    if action == "malformed":
        raise Answered(Reply(body=MALFORMED_BODY))
    if action == "html":
        raise Answered(Reply(502, HTML_PAGE, "text/html"))
    if action == "timeout":
        await asyncio.sleep(decision.hold_ms / 1000)
    raise Dropped("reset" if action == "reset" else "close")


def _decide(
    sim: Simulator, view: RequestView, x: Exchange, body: dict[str, Any] | None
) -> Decision | None:
    """The header preset decides alone; else the rules, in the order they were added."""
    preset = view.headers.get(FAULT_HEADER) if sim.settings.fault_header else None
    if preset is not None:
        name = preset.strip()
        rule = PRESETS.get(name)
        if rule is None:
            valid = ", ".join(PRESETS)
            raise e.ApiError(e.BAD_REQUEST, MSG_UNKNOWN_PRESET.format(name=name, valid=valid))
        x.fault = f"preset:{name}"
        return Decision(rule=rule)
    if not sim.faults.rules:
        return None
    decision = sim.faults.decide(Request(x.route, x.key, x.headers, body))
    x.fault = decision.label
    return decision
