"""The client report (CONTRACT F, `--sora-mock-report`): what the mock noticed about the client.

A test can pass while its client breaks the provider's rules in ways the answers do not show:
fields the provider ignores, VIP inputs silently dropped, numbers normalized, tasks never
polled to the end. The mock journals all of it; this module reads one test's share through the
handle's admin calls (journal, tasks, webhook deliveries) and shapes it for the terminal and
for JSON. The pytest plugin calls it only when the option is given.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Final

from ..core.reports import written_by
from .client import SoraMock

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
TITLE: Final = "sora-mock client report"
# the JSON's top-level mark: a file that has it was written here, and may be written over
GENERATOR: Final = TITLE
# a warning about a VIP-only input names it so (CONTRACT A2, A6)
VIP_MARK: Final = "VIP"


def collect(handle: SoraMock) -> Findings | None:
    """One test's findings, or None when the mock noticed nothing."""
    found: Findings = {name: [] for name in CATEGORIES}
    for row in handle.requests():
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
    for task in handle.tasks(seen_final=False):
        found["never_final"].append({"taskId": task["taskId"], "status": task["status"]})
    for delivery in handle.webhooks():
        if delivery["state"] != "delivered":
            found["unacknowledged"].append(
                {"id": delivery["id"], "taskId": delivery["taskId"], "state": delivery["state"]}
            )
    return found if any(found.values()) else None


def lines(findings: Findings) -> list[str]:
    """One test's findings as short lines, identical ones counted once ("(3 times)")."""
    texts: list[str] = []
    for item in findings.get("rejected", []):
        messages = "; ".join(v["message"] for v in item["violations"])
        texts.append(f"{item['route']}: rejected (code {item['code']}): {messages}")
    for item in findings.get("warnings", []):
        texts.append(f"{item['route']}: warning: {item['message']}")
    for item in findings.get("dropped_vip", []):
        texts.append(f"{item['route']}: dropped: {item['message']}")
    for item in findings.get("normalizations", []):
        texts.append(f"{item['route']}: normalized: {item['message']}")
    for item in findings.get("never_final", []):
        texts.append(
            f"task {item['taskId']}: created, never seen final (status {item['status']} "
            "when the test ended)"
        )
    for item in findings.get("unacknowledged", []):
        texts.append(
            f"delivery {item['id']} of task {item['taskId']}: not acknowledged ({item['state']})"
        )
    for item in findings.get("drift", []):
        texts.append(
            f"{item['route']}: drift ({item['section']}): {item['aspect']}: the mock "
            f"{json.dumps(item['mock'])}, the upstream {json.dumps(item['upstream'])}"
        )
    counted = Counter(texts)
    return [text if n == 1 else f"{text} ({n} times)" for text, n in counted.items()]


def render(tests: dict[str, Findings]) -> list[str]:
    """The report's body: per test its node id, then its findings indented, as pytest's
    warnings summary lays them out; the last line counts them."""
    out: list[str] = []
    total = 0
    for nodeid, findings in tests.items():
        out.append(nodeid)
        out.extend(f"  {text}" for text in lines(findings))
        out.append("")
        total += sum(len(items) for items in findings.values())
    tests_word = "test" if len(tests) == 1 else "tests"
    out.append(f"-- {total} findings in {len(tests)} {tests_word}")
    return out


def as_json(tests: dict[str, Findings]) -> dict[str, Any]:
    """The report for CI: every test with findings, each category a list (empty when none)."""
    rows = [
        {"nodeid": nodeid, **{name: findings.get(name, []) for name in CATEGORIES}}
        for nodeid, findings in tests.items()
    ]
    totals = {name: sum(len(row[name]) for row in rows) for name in CATEGORIES}
    return {"generator": GENERATOR, "tests": rows, "totals": {"tests": len(rows), **totals}}


def written_here(path: Path) -> bool:
    """Whether the file at `path` is a JSON report this module made (its `generator` mark)."""
    return written_by(path, GENERATOR)
