"""The client report (CONTRACT F, `--sora-mock-report`): what the mock noticed about the client.

A test can pass while its client breaks the provider's rules in ways the answers do not show:
fields the provider ignores, VIP inputs silently dropped, numbers normalized, tasks never
polled to the end. The mock journals all of it; this module reads one test's share through the
handle (`findings()`, read by findings.py from the journal, tasks and webhook deliveries) and
shapes it for the terminal and for JSON. The pytest plugin calls it only when the option is
given.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from ..core.reports import written_by
from .findings import CATEGORIES as CATEGORIES  # noqa: PLC0414 (re-exported: read from here)
from .findings import Findings as Findings  # noqa: PLC0414 (re-exported: read from here)

if TYPE_CHECKING:
    from .client import SoraMock

TITLE: Final = "sora-mock client report"
# the JSON's top-level mark: a file that has it was written here, and may be written over
GENERATOR: Final = TITLE


def collect(handle: SoraMock) -> Findings | None:
    """One test's findings as its fixture is torn down, or None when the mock noticed nothing:
    what `handle.findings()` answers (findings.py reads them for both)."""
    return handle.findings()


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
