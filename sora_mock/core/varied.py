"""The variants (CONTRACT G) laid over the contract's answers; called only when some are on.

Each function consults the points its answer has, which notes them on the journal row, and
shapes the answer by the forms drawn or pinned. Nothing here runs under `"contract"`: the
handlers ask `sim.variants.active` first and keep their own fast answers otherwise.
"""

from __future__ import annotations

from typing import Any, Final

from . import errors as e
from .journal import Exchange
from .variants import Variants

# the routes whose field rules (A2, A3, A6) a `validation_code` of -1 covers
VALIDATED: Final = frozenset(("create", "check_result", "sora_video"))
FAILED_OR_CANCELLED: Final = frozenset(("failed", "cancelled"))
CODE_MINUS_ONE: Final = -1


def message(variants: Variants, x: Exchange) -> str:
    """The success `message`: "ok" or "Success"."""
    return variants.consult(x, "message")


def ok_body(variants: Variants, x: Exchange, data: Any) -> bytes:
    return e.envelope(e.OK, message(variants, x), data)


def result_body(variants: Variants, x: Exchange, data: dict[str, Any]) -> bytes:
    """check-result's success: `failure_reason` may be null for a task that has no failure."""
    has_failure = data.get("status") in FAILED_OR_CANCELLED
    if not has_failure and variants.consult(x, "failure_reason") == "null":
        data["failure_reason"] = None
    return ok_body(variants, x, data)


def error_body(variants: Variants, x: Exchange, err: e.ApiError) -> bytes:
    """An error answer's body: with `"data": null` (A1), or without a `data` key (G)."""
    if variants.consult(x, "error_data") == "absent":
        return e.dataless_error_envelope(err.code, err.message)
    return e.error_envelope(err.code, err.message)


def any_key(variants: Variants, x: Exchange) -> bool:
    """Whether check-result serves a task of another key to this one (`task_scope`, G)."""
    return variants.consult(x, "task_scope") == "any"


def error(variants: Variants, error_status: str, x: Exchange, err: e.ApiError) -> e.ApiError:
    """An error answer with `validation_code` and (on check-result) `check_status` applied.

    A fault rule's own `http_status` wins over both; code -1 has no HTTP meaning of its own,
    so it travels with HTTP 400 wherever an HTTP status is asked for.
    """
    code, status = err.code, err.http_status
    by_status = False
    if x.route == "check_result":
        by_status = variants.consult(x, "check_status") == "http"
    field_rule = code == e.BAD_REQUEST and x.violations and x.route in VALIDATED
    if field_rule and variants.consult(x, "validation_code") == "-1":
        code = CODE_MINUS_ONE
    if status is None:
        if by_status:
            status = e.BAD_REQUEST if code == CODE_MINUS_ONE else code
        elif code == CODE_MINUS_ONE:
            status = e.BAD_REQUEST if error_status == "http" else 200
    if code == err.code and status == err.http_status:
        return err
    return e.ApiError(code, err.message, http_status=status, headers=err.headers)
