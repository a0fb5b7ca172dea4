"""Schemathesis hooks for .ci/schemathesis.sh (loaded through SCHEMATHESIS_HOOKS).

A fault rule has two rules across its fields that JSON Schema cannot state: at most one of
`every`, `nth`, `probability`, and a `delay_ms` range `[min, max]` with min <= max. The mock
refuses such a rule with a 400 naming the rule (CONTRACT C); a body that breaks one is not
generated, so that every other rule the schema allows must be accepted.
"""

from __future__ import annotations

from typing import Any

import schemathesis

SELECTORS = ("every", "nth", "probability")
FAULTS = ("POST", "/__mock/faults")


def breaks_a_cross_field_rule(body: Any) -> bool:
    if not isinstance(body, dict):
        return False
    if sum(body.get(name) is not None for name in SELECTORS) > 1:
        return True
    delay = body.get("delay_ms")
    numbers = isinstance(delay, list) and len(delay) == 2
    return numbers and all(type(v) in (int, float) for v in delay) and delay[0] > delay[1]


@schemathesis.hook
def filter_body(context: schemathesis.HookContext, body: Any) -> bool:
    operation = context.operation
    if operation is None or (operation.method.upper(), operation.path) != FAULTS:
        return True
    return not breaks_a_cross_field_rule(body)
