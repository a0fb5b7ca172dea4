"""Request bodies as the provider's routes read them: exactly one JSON object, or a reason why not.

Stricter than `json.loads` where a lenient reading would hide a client's bug or break the journal:
a repeated key, NaN and Infinity, numbers beyond a double, a byte order mark and absurd nesting are
all refused; an integer too long for CPython's conversion limit is read as a huge one instead.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any, Final

MAX_INT_DIGITS: Final = 4000  # below CPython's int/str conversion limit
MAX_DEPTH: Final = 256  # a valid body nests 3 deep; far deeper ones could not be journaled back
FAST_MAX_BYTES: Final = 64 * 1024  # larger bodies (an imageData) go to the exact decoder
_FLAT: Final = frozenset((str, int, bool, type(None)))  # the values a fast-path body may hold

_fast_loads: Callable[[bytes], Any] | None
try:  # optional (`sora-mock[fast]`): without it every body takes the exact decoder
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover (the test environment installs it)
    _fast_loads = None


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
    """Decode a request body that must be one JSON object, or raise BodyError.

    With orjson installed (`sora-mock[fast]`) a small body is first decoded by it, about four
    times faster than `json`; its answer is taken only when it is provably the one the exact
    decoder below would give, and anything else (an error of any kind, a body too large to
    check cheaply) is decided by the exact decoder, which words every refusal.
    """
    if _fast_loads is not None and len(raw) <= FAST_MAX_BYTES:
        value = _fast(raw, _fast_loads)
        if value is not None:
            return value
    return parse_exact(raw)


def _fast(raw: bytes, loads: Callable[[bytes], Any]) -> dict[str, Any] | None:
    """orjson's object, or None when only the exact decoder may decide.

    orjson keeps the last of repeated keys, reads an integer beyond 64 bits as a float, and
    refuses NaN, Infinity, infinite numbers, a byte order mark, lone surrogates and deep
    nesting (the exact decoder then words the refusal, or accepts as `json` does). So only a
    flat object is taken, one whose values are strings, integers (exact: a larger one would be
    a float), booleans or null, and only when no key repeats: every key is written before one
    `:`, and a `:` inside a string only adds to the count, so no more `:` bytes than keys
    means no repeated key (and no colon in any string).
    """
    try:
        value = loads(raw)
    except ValueError:  # orjson.JSONDecodeError
        return None
    if type(value) is not dict or raw.count(b":") != len(value):
        return None
    for item in value.values():
        if type(item) not in _FLAT:
            return None
    return value


def parse_exact(raw: bytes) -> dict[str, Any]:
    """The exact decoder: `json` with hooks for every rule of the module docstring."""
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
