"""The request journal (CONTRACT D): a bounded ring of what clients sent and what they got.

Rows are kept as `Exchange` objects and shaped into JSON only when someone reads the journal,
so the hot path pays for one small object per request.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any, Final

from .errors import mask_authorization, mask_key, masked
from .findings import Collected, Violation

IMAGE_DATA_KEPT: Final = 64
TEXT_KEPT: Final = 1024
JSON_KEPT: Final = 64 * 1024  # a larger JSON body is kept as text, so the ring stays bounded
ROUTES: Final = ("create", "sora_video", "check_result", "credits", "files", "unknown")


@dataclass(slots=True)
class Exchange:
    """One provider request on its way through the pipeline; the journal keeps it as a row."""

    route: str
    method: str
    path: str
    # the request's own header mapping, kept as it arrived (aiohttp's parser made it; nothing
    # changes it): copied into a dict only when the journal is read
    headers: Mapping[str, str]
    time: float
    generation: int
    key: str | None = None
    body: Any = None
    code: int | None = None
    http_status: int | None = None
    fault: str | None = None
    task_id: str | None = None
    # the key that owns the task a check-result names, when another key sent it (A3): the
    # owner's journal view (`?key=`) lists the row too, so its client report names the cause
    owner: str | None = None
    # the validator's own lists when a body was validated; read-only empties until then, so a
    # request does not make three lists it may never fill (to_json copies them)
    warnings: Sequence[str] = ()
    normalizations: Sequence[str] = ()
    documented_forms: Sequence[str] = ()  # of `normalizations`: no finding (Collected's)
    violations: Sequence[Violation] = ()
    started: float = field(default_factory=perf_counter)  # for the log line's ms
    journaled: bool = False
    sequence: int = 0  # the answer's number for the variants' draw (G); counted only then
    variant: dict[str, str] | None = None  # the points consulted and their forms (G)
    # a proxy's row (I2): what the mock would have answered differently; None on a mock's own
    drift: list[dict[str, Any]] | None = None

    def note(self, found: Collected) -> None:
        """What a route's validation found: the row's warnings, normalizations, violations."""
        self.warnings, self.normalizations, self.documented_forms, self.violations = (
            found.warnings,
            found.normalizations,
            found.documented_forms,
            found.violations,
        )

    def keep_body(self, raw: bytes, parsed: dict[str, Any] | None) -> None:
        """Remember the body as the journal shows it: imageData cut short, non-JSON as text."""
        if parsed is None:
            self.body = raw[:TEXT_KEPT].decode("utf-8", "replace") if raw else None
            return
        image = parsed.get("imageData")
        cut = len(image) if isinstance(image, str) and len(image) > IMAGE_DATA_KEPT else 0
        if len(raw) - cut > JSON_KEPT:
            self.body = raw[:TEXT_KEPT].decode("utf-8", "replace")
        elif cut:
            assert isinstance(image, str)
            self.body = {**parsed, "imageData": f"{image[:IMAGE_DATA_KEPT]}…({len(image)} chars)"}
        else:
            self.body = parsed

    def to_json(self) -> dict[str, Any]:
        row = self._json()
        if self.drift is not None:
            row["drift"] = self.drift
        shown: dict[str, Any] = masked(row, self.key)  # the key anywhere (a body, a drift)
        return shown

    def _json(self) -> dict[str, Any]:
        headers = {
            name: mask_authorization(value) if name.lower() == "authorization" else value
            for name, value in dict(self.headers).items()  # a repeated name: its first value
        }
        return {
            "time": self.time,
            "route": self.route,
            "method": self.method,
            "path": self.path,
            "key": mask_key(self.key) if self.key is not None else None,
            "headers": headers,
            "body": self.body,
            "code": self.code,
            "http_status": self.http_status,
            "fault": self.fault,
            "taskId": self.task_id,
            "warnings": list(self.warnings),
            "normalizations": list(self.normalizations),
            "documented_forms": list(self.documented_forms),
            "violations": [{"field": v.field, "message": v.message} for v in self.violations],
            "variant": self.variant or {},
        }


class Journal:
    def __init__(self, size: int) -> None:
        self._rows: deque[Exchange] = deque(maxlen=size)

    def add(self, row: Exchange) -> None:
        self._rows.append(row)

    def clear(self, key: str | None = None) -> None:
        """Forget every row, or only the rows of one API key."""
        if key is None:
            self._rows.clear()
        else:
            kept = [row for row in self._rows if key not in (row.key, row.owner)]
            self._rows.clear()
            self._rows.extend(kept)

    def __len__(self) -> int:
        return len(self._rows)

    def query(
        self,
        *,
        route: str | None = None,
        key: str | None = None,
        code: int | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        rows = [
            row
            for row in self._rows
            if (route is None or row.route == route)
            and (key is None or key in (row.key, row.owner))
            and (code is None or row.code == code)
        ]
        if limit is not None:
            rows = rows[-limit:] if limit > 0 else []
        return [row.to_json() for row in rows]
