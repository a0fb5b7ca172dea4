"""Request bodies as the provider's routes read them: exactly one JSON object, or a reason why not.

Stricter than `json.loads` where a lenient reading would hide a client's bug or break the journal:
a repeated key, NaN and Infinity, numbers beyond a double, a byte order mark and absurd nesting are
all refused; an integer too long for CPython's conversion limit is read as a huge one instead.
"""

from __future__ import annotations

import json
import math
from typing import Any, Final

MAX_INT_DIGITS: Final = 4000  # below CPython's int/str conversion limit
MAX_DEPTH: Final = 256  # a valid body nests 3 deep; far deeper ones could not be journaled back


class BodyError(ValueError):
    """The body is not a JSON object; the text says why."""


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise BodyError(f"the key {name!r} appears more than once")
            seen.add(name)
    return obj


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise BodyError(f"the number {text[:40]} is out of range")
    return value


def _bounded_int(text: str) -> int:
    # A longer literal is still an integer: keep its sign and magnitude class without tripping
    # CPython's conversion limit (only nFrames and durations read it, and both only compare it).
    if len(text) > MAX_INT_DIGITS:
        huge: int = 10**MAX_INT_DIGITS
        return -huge if text.startswith("-") else huge
    return int(text)


def _reject_constant(name: str) -> Any:
    raise BodyError(f"{name} is not valid JSON")


_decoder = json.JSONDecoder(
    object_pairs_hook=_no_duplicates,
    parse_float=_finite_float,
    parse_int=_bounded_int,
    parse_constant=_reject_constant,
)


def parse_object(raw: bytes) -> dict[str, Any]:
    """Decode a request body that must be one JSON object, or raise BodyError."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError("it is not valid UTF-8") from None
    if text.startswith("\ufeff"):
        raise BodyError("it starts with a byte order mark")
    try:
        value = _decoder.decode(text)
    except BodyError:
        raise
    except RecursionError:
        raise BodyError("it is nested too deeply") from None
    except ValueError as exc:  # json.JSONDecodeError and int conversion limits
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise BodyError(f"it is not valid JSON ({reason})") from None
    if not isinstance(value, dict):
        raise BodyError(f"got a JSON {_json_type(value)}")
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and _depth(value) > MAX_DEPTH:
        raise BodyError(f"it is nested more than {MAX_DEPTH} levels deep")
    return value


def _depth(value: Any) -> int:
    """How deep arrays and objects nest, without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(item, dict):
            stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, level + 1) for child in item)
    return deepest


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
