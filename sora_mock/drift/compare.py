"""One answer against another (I1): the HTTP status, `code`, whether `data` is present and null,
the field names and their JSON types, and the `message` (exact, and whether it names the same
field). Values are not compared: a balance or a taskId differs between any two accounts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Final

ABSENT: Final = "absent"


@dataclass(frozen=True, slots=True)
class Answer:
    """What one side answered: its status, content type and bytes; or the network error that
    stood in the way (`error`), reported once and never retried."""

    status: int | None = None
    body: bytes = b""
    content_type: str | None = None
    error: str | None = None


@dataclass(slots=True)
class Difference:
    """One point where the two sides disagree, the contract's section it contradicts, and the
    `variants` table (G) that makes the mock answer as the upstream did, when one does."""

    probe: str
    aspect: str
    mock: Any
    upstream: Any
    section: str
    variants: dict[str, str] | None = None

    def key(self) -> tuple[str, str]:
        return (self.probe, self.aspect)

    def to_json(self) -> dict[str, Any]:
        return {
            "probe": self.probe,
            "aspect": self.aspect,
            "mock": self.mock,
            "upstream": self.upstream,
            "section": self.section,
            "variants": self.variants,
        }


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


@dataclass(frozen=True, slots=True)
class Shape:
    """What is compared of an answer."""

    status: int | None
    json: bool
    code: Any = None
    message: Any = None
    data: str = ABSENT  # "absent", "null", or the JSON type of `data`
    fields: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "code": self.code,
            "message": self.message,
            "data": self.data,
            "fields": self.fields,
        }


def shape(answer: Answer) -> Shape:
    """The comparable parts of an answer; a body that is not a JSON object has none."""
    try:
        value = json.loads(answer.body) if answer.body else None
    except ValueError:
        value = None
    if not isinstance(value, dict):
        return Shape(answer.status, False)
    data = value.get("data", ...)
    fields = {k: json_type(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return Shape(
        answer.status,
        True,
        value.get("code"),
        value.get("message"),
        ABSENT if data is ... else json_type(data),
        fields,
    )


def differences(
    probe: str,
    mock: Answer,
    upstream: Answer,
    *,
    section: str,
    field_name: str | None = None,
    shape_only: bool = False,
) -> list[Difference]:
    """Every point where `upstream` does not answer as `mock` did, in a fixed order.

    `shape_only`: `mock` is the mock's answer to another request of the route (a template), so
    a field that is null on one side says nothing about its type (A3's `str|null` fields)."""
    if upstream.error is not None or mock.error is not None:
        return [Difference(probe, "error", mock.error, upstream.error, section)]
    m, u = shape(mock), shape(upstream)
    found: list[Difference] = []

    def differ(aspect: str, mine: Any, theirs: Any, where: str = section) -> None:
        if mine != theirs:
            found.append(Difference(probe, aspect, mine, theirs, where))

    differ("status", m.status, u.status, "A1")
    differ("json", m.json, u.json, "A1")
    if not (m.json and u.json):
        return found
    differ("code", m.code, u.code)
    differ("data", m.data, u.data, "A1")
    for name in sorted(m.fields.keys() | u.fields.keys()):
        mine, theirs = m.fields.get(name, ABSENT), u.fields.get(name, ABSENT)
        if shape_only and "null" in (mine, theirs):
            continue
        aspect = f"data.{name}" if ABSENT in (mine, theirs) else f"data.{name}:type"
        differ(aspect, mine, theirs)
    differ("message", m.message, u.message)
    if field_name is not None and isinstance(m.message, str) and field_name in m.message:
        named = isinstance(u.message, str) and field_name in u.message
        differ("message names field", field_name, field_name if named else None)
    return found
