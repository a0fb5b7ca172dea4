"""A fault rule (CONTRACT C) as a user writes it, checked: a pydantic model, which the admin
API, the settings' `faults` and the OpenAPI document load on first use (`faults.py` matches and
fires rules, and needs none of this to start)."""

from __future__ import annotations

from typing import Annotated, Any, Final, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from ..core.digits import whole_from_text
from .actions import DELIVERY_ACTIONS, DELIVERY_ONLY, MSG_DELAY_MS, MSG_EVERY, Action, Route

# a rule's numbers are JSON Schema's (an integer may be written 35.0, a boolean is no number),
# and a whole number may be written as ASCII digits, as a setting may (digits.py)
Count = Annotated[int, Field(ge=1, strict=True)]
Status = Annotated[int, Field(ge=100, le=599, strict=True)]
Millis = Annotated[float, Field(ge=0, strict=True)]
# the fields that take a whole number: delay_ms is a number, but may be written as digits too
_WHOLE_FIELDS: Final = frozenset(("every", "nth", "times", "code", "http_status", "delay_ms"))


class HeaderMatch(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1)
    value: str


def _routes_and_actions(schema: dict[str, Any]) -> None:
    """The document states which actions go with which routes (C), as `_one_selector` checks
    them, so that a client following the schema never meets a refusal the document allowed."""
    every_action = get_args(Action)
    schema["allOf"] = [
        {
            "if": {"properties": {"route": {"const": "webhook"}}, "required": ["route"]},
            "then": {
                "properties": {
                    "action": {"enum": [a for a in every_action if a in DELIVERY_ACTIONS]},
                    "header": {"type": "null"},
                }
            },
            "else": {
                "properties": {
                    "action": {"enum": [a for a in every_action if a not in DELIVERY_ONLY]}
                }
            },
        }
    ]


class FaultRule(BaseModel):
    """One rule as a user writes it: in `[[faults]]`, `POST /__mock/faults` or `add_fault()`."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_routes_and_actions)

    action: Action
    route: Route = "any"
    model: str | None = None
    api_key: str | None = None
    prompt_contains: str | None = None
    header: HeaderMatch | None = None
    every: Annotated[
        Annotated[bool, Field(strict=True)] | Count | None,
        WithJsonSchema(
            {"anyOf": [{"const": True}, {"type": "integer", "minimum": 1}, {"type": "null"}]}
        ),
    ] = None
    nth: Count | None = None
    probability: Annotated[float, Field(ge=0, le=1, strict=True)] | None = None
    times: Count | None = None
    code: Status | None = None  # `error`: default 500
    message: str | None = None
    http_status: Status | None = None
    delay_ms: Millis | Annotated[list[Millis], Field(min_length=2, max_length=2)] | None = None
    failure_reason: str | None = None
    error_message: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _whole_numbers(cls, data: Any) -> Any:
        """35.0 is an integer in JSON Schema (and in the OpenAPI document): take it as 35. A
        string of ASCII digits is a whole number, as in a setting (`port = "8001"`): `"503"` is
        503. Any other string stays a string, which the field refuses by name."""
        if not isinstance(data, dict):
            return data
        numbers = dict(data)
        for name in _WHOLE_FIELDS.intersection(numbers):
            value = numbers[name]
            numbers[name] = [_whole(v) for v in value] if isinstance(value, list) else _whole(value)
        return numbers

    @field_validator("delay_ms", mode="before")
    @classmethod
    def _delay_numbers(cls, value: Any) -> Any:
        """One message for a bad delay, not one per alternative of the union."""
        items = value if isinstance(value, list) else [value]
        if value is not None and not all(_is_number(v) and v >= 0 for v in items):
            raise ValueError(MSG_DELAY_MS)
        if isinstance(value, list) and len(value) != 2:
            raise ValueError(MSG_DELAY_MS)
        return value

    @field_validator("every", mode="before")
    @classmethod
    def _every(cls, value: Any) -> Any:
        if value is None or value is True or (_is_number(value) and int(value) == value >= 1):
            return value
        raise ValueError(MSG_EVERY)

    @model_validator(mode="after")
    def _one_selector(self) -> FaultRule:
        chosen = [n for n in ("every", "nth", "probability") if getattr(self, n) is not None]
        if len(chosen) > 1:
            raise ValueError(f"choose one of every, nth, probability; got {', '.join(chosen)}")
        if isinstance(self.delay_ms, list) and self.delay_ms[0] > self.delay_ms[1]:
            raise ValueError("delay_ms [min, max] needs min <= max")
        if self.route == "webhook":
            if self.action not in DELIVERY_ACTIONS:
                allowed = ", ".join(sorted(DELIVERY_ACTIONS))
                raise ValueError(f"action {self.action!r} cannot act on a webhook; use {allowed}")
            if self.header is not None:
                raise ValueError("header cannot match a webhook delivery: it has no request")
        elif self.action in DELIVERY_ONLY:
            raise ValueError(f"action {self.action!r} needs route 'webhook'")
        return self


def _whole(value: Any) -> Any:
    if type(value) is float and value.is_integer():
        return int(value)
    return whole_from_text(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
