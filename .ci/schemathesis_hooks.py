"""Schemathesis hooks for .ci/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

A fault rule has rules across its fields that JSON Schema cannot state: at most one of
`every`, `nth`, `probability`; a `delay_ms` range `[min, max]` with min <= max; and which
actions (and matchers) go with the `webhook` route. The mock refuses such a rule with a 400
naming the rule (CONTRACT C); a body that breaks one is not generated, so that every other
rule the schema allows must be accepted.
"""

from __future__ import annotations

from typing import Any

import schemathesis

from sora_mock.faults.actions import DELIVERY_ACTIONS, DELIVERY_ONLY

SELECTORS = ("every", "nth", "probability")
FAULTS = ("POST", "/__mock/faults")


def breaks_a_cross_field_rule(body: Any) -> bool:
    if not isinstance(body, dict):
        return False
    if sum(body.get(name) is not None for name in SELECTORS) > 1:
        return True
    delay = body.get("delay_ms")
    numbers = isinstance(delay, list) and len(delay) == 2
    if numbers and all(type(v) in (int, float) for v in delay) and delay[0] > delay[1]:
        return True
    action = body.get("action")
    if body.get("route", "any") == "webhook":
        return action not in DELIVERY_ACTIONS or body.get("header") is not None
    return action in DELIVERY_ONLY


@schemathesis.hook
def filter_body(context: schemathesis.HookContext, body: Any) -> bool:
    operation = context.operation
    if operation is None or (operation.method.upper(), operation.path) != FAULTS:
        return True
    return not breaks_a_cross_field_rule(body)


@schemathesis.hook
def filter_failure(
    context: schemathesis.HookContext, failure: Any, case: Any, response: Any
) -> bool:
    """The coverage phase builds some bodies without `filter_body`: drop the refusal of one that
    breaks a cross-field rule, and only that (every other failure stands)."""
    operation = context.operation
    if operation is None or (operation.method.upper(), operation.path) != FAULTS:
        return True
    refused = getattr(failure, "code", None) == "ST202" and response.status_code == 400
    return not (refused and breaks_a_cross_field_rule(case.body))
