"""Fault rules (CONTRACT C): which request they match, when they fire, and what they do.

This module decides; the HTTP layer (`api.py`) carries the decision out, because only it can hold
a connection open, reset it or write a broken body.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Final, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from . import errors as e

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
# what a rule may do to an outbound webhook delivery (A7), and what only a delivery can undergo
DELIVERY_ACTIONS: Final = frozenset(("drop", "delay", "duplicate", "error"))
DELIVERY_ONLY: Final = frozenset(("drop", "duplicate"))
DEFAULT_TIMEOUT_MS: Final = 60_000
DEFAULT_FAILURE_REASON: Final = "injected_failure"
# a rule's numbers are JSON Schema's: an integer may be written 35.0, a boolean is no number
Count = Annotated[int, Field(ge=1, strict=True)]
Status = Annotated[int, Field(ge=100, le=599, strict=True)]
Millis = Annotated[float, Field(ge=0, strict=True)]
_INTEGER_FIELDS: Final = ("every", "nth", "times", "code", "http_status")
MSG_DELAY_MS: Final = "delay_ms must be a number of milliseconds >= 0, or [min, max]"
MSG_EVERY: Final = "every must be true or an integer >= 1"
DEFAULT_CANCEL_REASON: Final = "injected_cancel"
# the actions that shape the task a create makes, and the routes that make tasks
TASK_ACTIONS: Final = frozenset(("fail_task", "cancel_task"))
TASK_ROUTES: Final = frozenset(("create", "sora_video"))


class HeaderMatch(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(min_length=1)
    value: str


class FaultRule(BaseModel):
    """One rule as a user writes it: in `[[faults]]`, `POST /__mock/faults` or `add_fault()`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

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
    def _whole_floats(cls, data: Any) -> Any:
        """35.0 is an integer in JSON Schema (and in the OpenAPI document): take it as 35."""
        if not isinstance(data, dict):
            return data
        return {
            k: int(v) if k in _INTEGER_FIELDS and type(v) is float and v.is_integer() else v
            for k, v in data.items()
        }

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


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


PRESETS: Final[dict[str, FaultRule]] = {
    "insufficient_credits": FaultRule(
        action="error", code=e.INSUFFICIENT_CREDITS, message="Insufficient credits (injected)."
    ),
    "unauthorized": FaultRule(
        action="error", code=e.UNAUTHORIZED, message="Unauthorized: invalid API key (injected)."
    ),
    "rate_limited": FaultRule(
        action="error", code=e.TOO_MANY_TASKS, message="Too many requests (injected)."
    ),
    "server_error": FaultRule(action="error", code=e.SERVER_ERROR, message=e.MSG_INJECTED),
    "unavailable": FaultRule(
        action="error", code=503, message="Service unavailable: try again later (injected)."
    ),
    "timeout": FaultRule(action="timeout"),
    "reset": FaultRule(action="reset"),
    "malformed": FaultRule(action="malformed"),
    "html": FaultRule(action="html"),
    "task_failed": FaultRule(action="fail_task"),
    "task_cancelled": FaultRule(action="cancel_task"),
}
MSG_UNKNOWN_PRESET: Final = "X-Sora-Mock-Fault: unknown preset {name!r}; valid presets: {valid}."


@dataclass(slots=True)
class Armed:
    """A rule in a running simulation: its counters and its own random generator."""

    id: str
    rule: FaultRule
    rng: random.Random
    matched: int = 0
    fired: int = 0

    @property
    def retired(self) -> bool:
        return self.rule.times is not None and self.fired >= self.rule.times

    def to_json(self) -> dict[str, Any]:
        rule = self.rule.model_dump(exclude_none=True)
        if "api_key" in rule:
            rule["api_key"] = e.mask_key(rule["api_key"])
        return {"id": self.id, **rule, "fired": self.fired}


@dataclass(slots=True)
class Decision:
    """What the fault step decided for one request."""

    delay_ms: float = 0.0
    rule: FaultRule | None = None
    hold_ms: float = DEFAULT_TIMEOUT_MS
    fired: list[str] = field(default_factory=list)

    @property
    def label(self) -> str | None:
        return ",".join(self.fired) or None


@dataclass(slots=True)
class Request:
    """What a matcher may look at: known before auth, so nothing here is trusted."""

    route: str
    token: str | None
    headers: Mapping[str, str]
    body: dict[str, Any] | None


class Faults:
    def __init__(self, seed: str) -> None:
        self._seed = seed
        self.rules: list[Armed] = []
        self._counter = 0

    def add(self, rule: FaultRule) -> Armed:
        self._counter += 1
        rule_id = f"f{self._counter}"
        # not for secrets: a per-rule generator seeded so that a run repeats exactly
        armed = Armed(rule_id, rule, random.Random(f"{self._seed}\n{rule_id}"))  # noqa: S311
        self.rules.append(armed)
        return armed

    def remove(self, rule_id: str) -> bool:
        before = len(self.rules)
        self.rules = [r for r in self.rules if r.id != rule_id]
        return len(self.rules) != before

    def clear(self, api_key: str | None = None) -> None:
        self.rules = [r for r in self.rules if api_key is not None and r.rule.api_key != api_key]

    def reset(self, rules: list[FaultRule]) -> None:
        self.rules = []
        self._counter = 0
        for rule in rules:
            self.add(rule)

    def decide(self, req: Request) -> Decision:
        decision = Decision()
        for armed in self.rules:
            if armed.retired or not _matches(armed.rule, req):
                continue
            armed.matched += 1
            if armed.rule.action in TASK_ACTIONS and req.route not in TASK_ROUTES:
                continue  # it counts the request, but has nothing to do to it (C)
            if not _selected(armed):
                continue
            armed.fired += 1
            decision.fired.append(armed.id)
            if armed.rule.action == "delay":
                decision.delay_ms += draw_delay(armed.rule, armed.rng, 0.0)
                continue
            decision.rule = armed.rule
            if armed.rule.action == "timeout":
                decision.hold_ms = draw_delay(armed.rule, armed.rng, DEFAULT_TIMEOUT_MS)
            break
        return decision


def draw_delay(rule: FaultRule, rng: random.Random, default: float) -> float:
    if rule.delay_ms is None:
        return default
    if isinstance(rule.delay_ms, list):
        return rng.uniform(rule.delay_ms[0], rule.delay_ms[1])
    return rule.delay_ms


def _matches(rule: FaultRule, req: Request) -> bool:
    if rule.route != req.route and (rule.route != "any" or req.route == "webhook"):
        return False
    if rule.api_key is not None and rule.api_key != req.token:
        return False
    if rule.header is not None:
        wanted = rule.header.name.lower()
        found = next((v for k, v in req.headers.items() if k.lower() == wanted), None)
        if found != rule.header.value:
            return False
    if rule.model is not None or rule.prompt_contains is not None:
        body = req.body
        if body is None:
            return False
        if rule.model is not None and body.get("model") != rule.model:
            return False
        if rule.prompt_contains is not None:
            prompt = body.get("prompt")
            if not isinstance(prompt, str) or rule.prompt_contains not in prompt:
                return False
    return True


def _selected(armed: Armed) -> bool:
    rule = armed.rule
    if rule.nth is not None:
        return armed.matched == rule.nth
    if rule.probability is not None:
        return armed.rng.random() < rule.probability
    if rule.every is None or rule.every is True:
        return True
    return armed.matched % rule.every == 0
