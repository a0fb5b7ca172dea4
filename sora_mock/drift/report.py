"""The verify report (I1): a table for the terminal and the same as JSON (`--json PATH`).

Every value here is masked before it is cut or printed (`Verify._masked`), and every line
again as it is printed or written (`verify_command.main`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from .verify import Run

GENERATOR: Final = "sora-mock verify"
COLUMNS: Final = ("probe", "aspect", "mock", "upstream", "section", "variants")
WIDTH: Final = 40


def _cell(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= WIDTH else text[: WIDTH - 1] + "…"


def table(run: Run) -> list[str]:
    rows = [
        [
            d.probe,
            d.aspect,
            _cell(d.mock),
            _cell(d.upstream),
            d.section,
            json.dumps(d.variants) if d.variants else "-",
        ]
        for d in run.differences
    ]
    out = [f"{GENERATOR}: upstream {run.upstream}, key {run.masked_key}"]
    if rows:
        widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(COLUMNS)]
        out.append("  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True)).rstrip())
        out.extend(
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
        )
    out.extend(f"note: {note}" for note in run.notes)
    if run.stopped:
        out.append(f"stopped: {run.stopped}")
    suggested = suggested_variants(run)
    if suggested:
        out.append(f"variants that make the mock answer as the upstream: {json.dumps(suggested)}")
    out.append(
        f"balance: {run.balance_before} before, {run.balance_after} after; "
        f"{run.requests} requests to the upstream"
    )
    count = len(run.differences)
    out.append(f"{count} difference{'' if count == 1 else 's'} (exit {run.exit_code})")
    return out


def suggested_variants(run: Run) -> dict[str, str]:
    """Every table named by a difference, merged (a point named with two forms keeps the first)."""
    merged: dict[str, str] = {}
    for d in run.differences:
        for point, form in (d.variants or {}).items():
            merged.setdefault(point, form)
    return merged


def as_json(run: Run) -> dict[str, Any]:
    return {
        "generator": GENERATOR,
        "upstream": run.upstream,
        "key": run.masked_key,
        "exit": run.exit_code,
        "balance": {"before": run.balance_before, "after": run.balance_after},
        "requests": run.requests,
        "stopped": run.stopped,
        "notes": run.notes,
        "differences": [d.to_json() for d in run.differences],
        "variants": suggested_variants(run),
        "probes": run.probes,
    }
