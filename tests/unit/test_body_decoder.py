"""The request body decoder (A1, A2's repeated-key rule): the fast path (orjson, when installed)
takes a body only where its answer is the exact decoder's, value for value and type for type.

Hypothesis writes JSON documents (nested, with colons and escapes in strings, repeated keys,
numbers at every edge of a double and of 64 bits) and near-JSON (NaN, a byte order mark, lone
surrogates, control characters, cut or doubled bytes); for each, `parse_object` must give what
`parse_exact` gives: the same object, or a BodyError with the same words.
"""

from __future__ import annotations

import json
import math
from typing import Any, Final

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sora_mock.core import body as jsonbody
from sora_mock.core.body import BodyError, parse_exact, parse_object

many = settings(max_examples=400, derandomize=True, database=None, deadline=None)
KEYS: Final = st.sampled_from(["model", "prompt", "a", "b", "a:b", "ü", "\\", '"', ""])
NUMBERS: Final = st.one_of(
    st.integers(),
    st.integers(-(2**64), 2**64),
    st.sampled_from([2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**19]),
    st.floats(allow_nan=False, allow_infinity=False),
)
TEXT: Final = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ["https://x.example/a.png", "Scene 1: a city", "\u2028", "\x00", "\ud800x"]
)
SCALARS: Final = st.none() | st.booleans() | NUMBERS | TEXT


def typed(value: Any) -> Any:
    """A value with its types spelled out, so 1 and 1.0 (and 0.0 and -0.0) stay apart."""
    if isinstance(value, dict):
        return ("dict", [(k, typed(v)) for k, v in value.items()])
    if isinstance(value, list):
        return ("list", [typed(v) for v in value])
    if isinstance(value, float):
        return ("float", repr(value) if math.isfinite(value) else str(value))
    return (type(value).__name__, value)


def outcome(decode: Any, raw: bytes) -> Any:
    try:
        return ("ok", typed(decode(raw)))
    except BodyError as exc:
        return ("refused", str(exc))


def pairs(children: st.SearchStrategy[Any]) -> st.SearchStrategy[str]:
    """An object written by hand, so keys can repeat."""
    member = st.tuples(KEYS, children).map(lambda kv: f"{json.dumps(kv[0])}:{kv[1]}")
    return st.lists(member, max_size=5).map(lambda ms: "{" + ",".join(ms) + "}")


def documents() -> st.SearchStrategy[str]:
    scalar = SCALARS.map(
        lambda v: json.dumps(v, ensure_ascii=False) if isinstance(v, str) else json.dumps(v)
    )
    tree = st.recursive(
        scalar | st.sampled_from(["NaN", "-Infinity", "1e999", "1" * 25, "-0", "1E2", "0.1"]),
        lambda children: (
            pairs(children)
            | st.lists(children, max_size=4).map(lambda xs: "[" + ",".join(xs) + "]")
        ),
        max_leaves=12,
    )
    return pairs(tree) | tree


@many
@given(text=documents(), ascii_only=st.booleans())
@example(text='{"a":1,"a":2}', ascii_only=False)
@example(text='{"a":{"b":1,"b":2}}', ascii_only=False)
@example(text='{"a":"x:y","a":1}', ascii_only=False)  # a colon in a string hides a repeat
@example(text='{"a":"\\u003a","a":1}', ascii_only=False)
@example(text='{"n":123456789012345678901234567890}', ascii_only=False)
@example(text='{"n":18446744073709551616}', ascii_only=False)
@example(text='{"n":-9223372036854775809}', ascii_only=False)
@example(text='{"n":1e999}', ascii_only=False)
@example(text='{"n":NaN}', ascii_only=False)
@example(text='{"s":"\\ud800"}', ascii_only=False)
@example(text='{"s":"tab\tinside"}', ascii_only=False)
@example(text='{"a":1} ', ascii_only=False)
@example(text="[1]", ascii_only=False)
def test_the_fast_path_answers_as_the_exact_decoder(text: str, ascii_only: bool) -> None:
    raw = (
        text.encode("ascii", "backslashreplace")
        if ascii_only
        else text.encode("utf-8", "surrogatepass")
    )
    assert outcome(parse_object, raw) == outcome(parse_exact, raw)


@many
@given(raw=st.binary(max_size=40) | documents().map(lambda t: t.encode("utf-8", "surrogatepass")))
@example(raw=b'\xef\xbb\xbf{"a":1}')
@example(raw=b'{"a":"\xff"}')
@example(raw=b"[" * 300 + b"]" * 300)
@example(raw=b'{"a":' + b"[" * 300 + b"]" * 300 + b"}")
def test_bytes_that_are_not_json_are_refused_in_the_same_words(raw: bytes) -> None:
    doubled = raw + raw[:7]
    for body in (raw, doubled, raw[: len(raw) // 2]):
        assert outcome(parse_object, body) == outcome(parse_exact, body)


def test_the_fast_path_takes_the_seed_and_leaves_what_it_cannot_prove() -> None:
    """Without this the property above could hold with a fast path that takes nothing."""
    assert jsonbody._fast_loads is not None, "make test installs sora-mock[fast] (orjson)"
    seed = json.dumps({"model": "sora-2-pro-text-to-video", "prompt": "A city.", "nFrames": "10"})
    assert jsonbody._fast(seed.encode(), jsonbody._fast_loads) == json.loads(seed)
    left_alone = (
        '{"a":1,"a":2}',
        '{"u":"https://x"}',
        '{"n":123456789012345678901234567890}',
        "[1]",
        '{"f":1.5}',
    )
    for left in left_alone:
        assert jsonbody._fast(left.encode(), jsonbody._fast_loads) is None


def test_a_body_over_the_fast_limit_is_decided_by_the_exact_decoder() -> None:
    filler = "x" * jsonbody.FAST_MAX_BYTES
    raw = json.dumps({"a": 1, "b": filler}).replace('"b"', '"a"', 1).encode()
    with pytest.raises(BodyError, match="appears more than once"):
        parse_object(raw)
