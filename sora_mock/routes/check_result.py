"""A3 (and A5): the rules of check-result; the balance route reads no body, so has none."""

from __future__ import annotations

from typing import Any

from ..core import errors as e
from ..core.findings import Violation


def check_task_id(body: dict[str, Any]) -> str | Violation:
    task_id = body.get("taskId")
    if not isinstance(task_id, str) or not task_id.strip():
        return Violation("taskId", e.MSG_TASK_ID)
    return task_id
