"""Fault rules (CONTRACT C): which request they match, when they fire, and what they do.

`actions.ACTIONS` is the one table of what each action does and where it applies. This module
decides; the HTTP layer (`http/fault_actions.py`)
carries a request's decision out, because only it can hold a connection open, reset it or write
a broken body, and the deliveries (`sim/deliveries.py`) carry out a webhook's.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, Final

from ..core import errors as e

if TYPE_CHECKING:  # at run time, `__getattr__` below
    from .rule import FaultRule as FaultRule  # noqa: PLC0414 (re-exported for mypy)

from .actions import (
    DEFAULT_TIMEOUT_MS,
    TASK_ACTIONS,
    TASK_ROUTES,
)

# The presets of `X-Sora-Mock-Fault`, as the keyword arguments of their rules: the rules are
# pydantic models, built on the first use of one (`PRESETS`), not at every start-up.
PRESET_RULES: Final[Mapping[str, Mapping[str, Any]]] = {
    "insufficient_credits": {
        "action": "error",
        "code": e.INSUFFICIENT_CREDITS,
        "message": "Insufficient credits (injected).",
    },
    "unauthorized": {
        "action": "error",
        "code": e.UNAUTHORIZED,
        "message": "Unauthorized: invalid API key (injected).",
    },
    "rate_limited": {
        "action": "error",
        "code": e.TOO_MANY_TASKS,
        "message": "Too many requests (injected).",
    },
    "server_error": {"action": "error", "code": e.SERVER_ERROR, "message": e.MSG_INJECTED},
    "unavailable": {
        "action": "error",
        "code": 503,
        "message": "Service unavailable: try again later (injected).",
    },
    "timeout": {"action": "timeout"},
    "reset": {"action": "reset"},
    "malformed": {"action": "malformed"},
    "html": {"action": "html"},
    "task_failed": {"action": "fail_task"},
    "task_cancelled": {"action": "cancel_task"},
}
MSG_UNKNOWN_PRESET: Final = "X-Sora-Mock-Fault: unknown preset {name!r}; valid presets: {valid}."


@cache
def _preset_rules() -> dict[str, FaultRule]:
    from .rule import FaultRule  # noqa: PLC0415 (pydantic, on the first preset's use)

    return {name: FaultRule(**kwargs) for name, kwargs in PRESET_RULES.items()}


class Presets(Mapping[str, "FaultRule"]):
    """The presets by name, in `PRESET_RULES`' order; their names cost nothing, their rules
    are built together when the first is looked up."""

    def __getitem__(self, name: str) -> FaultRule:
        if name not in PRESET_RULES:
            raise KeyError(name)
        return _preset_rules()[name]

    def __contains__(self, name: object) -> bool:
        return name in PRESET_RULES

    def __iter__(self) -> Iterator[str]:
        return iter(PRESET_RULES)

    def __len__(self) -> int:
        return len(PRESET_RULES)


PRESETS: Final = Presets()


def __getattr__(name: str) -> Any:
    """`FaultRule` and `HeaderMatch` (pydantic models) are imported on first use (PEP 562)."""
    if name in ("FaultRule", "HeaderMatch"):
        from . import rule as fault_rule  # noqa: PLC0415 (see the docstring)

        return getattr(fault_rule, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
