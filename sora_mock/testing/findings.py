"""What the mock noticed about the client under one key: the findings of the client report
(CONTRACT F, `--sora-mock-report`), read in one place for the two that want them.

The plugin reads them as a test's fixture is torn down and prints them at the end of the
session (report.py); a test reads them itself with `sora_mock.findings()` to assert on them.
Both go through `read`, so a test sees exactly what the report would list at that moment.
It reads through the handle's own operations (journal, tasks, deliveries), which is why it works
the same over HTTP, on a shared server and in process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from ..sim.deliveries import MSG_FAULT_ERROR

if TYPE_CHECKING:  # handle.py imports this module
    from .handle import Handle

Findings = dict[str, list[dict[str, Any]]]

CATEGORIES: Final = (
    "rejected",
    "warnings",
    "dropped_vip",
    "normalizations",
    "never_final",
    "unacknowledged",
    "drift",
)
# a warning about a VIP-only input names it so (CONTRACT A2, A6)
VIP_MARK: Final = "VIP"
# the error of an attempt that an `error` fault rule made instead of sending it (A7, C)
NOT_SENT: Final = MSG_FAULT_ERROR.split("{", 1)[0]


def kept_from_the_receiver(delivery: dict[str, Any]) -> bool:
    """A delivery that the test's own fault rules kept from the client's receiver: `dropped`,
    or `failed` with no attempt sent (each one an `error` rule's). Like an injected fault on a
    request, it is the test's doing, not the client's: the report does not list it."""
    if delivery["state"] == "dropped":
        return True
    attempts = delivery["attempts"]
    return (
        delivery["state"] == "failed"
        and bool(attempts)
        and all((a["error"] or "").startswith(NOT_SENT) for a in attempts)
    )


async def read(handle: Handle) -> Findings | None:
    """The findings of the handle's key, every category present, or None when there are none."""
    found: Findings = {name: [] for name in CATEGORIES}
    for row in await handle.requests():
        route = row["route"]
        if row["violations"]:
            found["rejected"].append(
                {
                    "route": route,
                    "code": row["code"],
                    "http_status": row["http_status"],
                    "violations": row["violations"],
                }
            )
        for text in row["warnings"]:
            kind = "dropped_vip" if VIP_MARK in text else "warnings"
            found[kind].append({"route": route, "message": text})
        # a documented form ("10" for 10) changed nothing: the journal keeps it, the report not
        # (`.get`: a server from before the field lists none)
        documented = row.get("documented_forms", ())
        for text in row["normalizations"]:
            if text not in documented:
                found["normalizations"].append({"route": route, "message": text})
        for item in row.get("drift") or ():  # a proxy's rows (I2)
            found["drift"].append({"route": route, **item})
    for task in await handle.tasks(seen_final=False):
        found["never_final"].append({"taskId": task["taskId"], "status": task["status"]})
    for delivery in await handle.webhooks():
        if delivery["state"] != "delivered" and not kept_from_the_receiver(delivery):
            found["unacknowledged"].append(
                {"id": delivery["id"], "taskId": delivery["taskId"], "state": delivery["state"]}
            )
    return found if any(found.values()) else None
