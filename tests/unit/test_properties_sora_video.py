"""Properties of A6's rules, on the pure validator (`sora_mock.routes.sora_video`).

Every expectation is computed here from the contract's text: the defaults, the nearest-allowed
rule for `duration`, the timestamps' bounds, and the order of the checks. Derandomized.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sora_mock.core import errors
from sora_mock.routes.sora_video import VideoChecked, check_sora_video

fast = settings(max_examples=60, derandomize=True, database=None, deadline=None)
MODELS: Final = ("sora-2", "sora-2-pro", "sora-2-stable")
PID: Final = "s_" + "a" * 24


def run(body: dict[str, Any], *, strict: bool = False) -> VideoChecked:
    return check_sora_video(
        body, strict=strict, max_image_bytes=1024, is_own_result=lambda pid: pid == PID, vip=True
    )


def expected_duration(value: int) -> int:
    """The nearer of 10 and 15; a tie (impossible for integers) would go to 10."""
    return 10 if abs(value - 10) <= abs(value - 15) else 15


prompts = st.text(min_size=1).filter(lambda s: s.strip() != "")
urls = st.sampled_from(["http://a.example/x.png", "https://b.example:8443/p?q=1", "http://[::1]/"])
numbers = st.integers(min_value=0, max_value=15)


@st.composite
def timestamps(draw: st.DrawFn, limit: int) -> str:
    start = draw(st.integers(min_value=0, max_value=limit - 1))
    end = draw(st.integers(min_value=start + 1, max_value=limit))
    return f"{draw(st.sampled_from(['', ' ']))}{start},{end}{draw(st.sampled_from(['', '  ']))}"


@st.composite
def valid_bodies(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A valid body and the params the contract says it makes."""
    body: dict[str, Any] = {"model": draw(st.sampled_from(MODELS)), "prompt": draw(prompts)}
    params: dict[str, Any] = {"prompt": body["prompt"]}
    if draw(st.booleans()):
        body["url"] = params["url"] = draw(urls)
    aspect = draw(st.sampled_from([None, "9:16", "16:9"]))
    if aspect is not None:
        body["aspectRatio"] = aspect
    params["aspectRatio"] = aspect or "9:16"
    duration = draw(st.one_of(st.none(), st.integers(-100, 100), st.sampled_from(["10", "015"])))
    if duration is not None:
        body["duration"] = duration
    params["duration"] = expected_duration(int(duration)) if duration is not None else 10
    public = draw(st.sampled_from([None, True, False]))
    if public is not None:
        body["isPublic"] = public
    params["isPublic"] = public is not False
    if draw(st.booleans()):
        body["remixTargetId"] = params["remixTargetId"] = PID
    if draw(st.booleans()):
        count = draw(st.integers(0, 5))
        items = [
            {"url": draw(urls), "timestamps": draw(timestamps(params["duration"]))}
            for _ in range(count)
        ]
        body["characters"] = params["characters"] = items
    hook = draw(st.sampled_from([None, "", "-1", "http://127.0.0.1:9/h"]))
    if hook is not None:
        body["webHook"] = hook
        if hook not in ("", "-1"):
            params["webHook"] = hook
    if draw(st.booleans()):
        body["shutProgress"] = draw(st.booleans())
    return body, params


@fast
@given(case=valid_bodies())
def test_a_valid_body_is_accepted_with_exactly_its_params(
    case: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    body, params = case
    checked = run(body, strict=True)
    assert [] == checked.violations
    assert params == checked.params
    assert list(params) == list(checked.params)  # the order A6 gives


Breaker = Callable[[dict[str, Any]], tuple[dict[str, Any], str]]
# the checks in A6's order; each breaks one rule of a valid body and names the field it hits
BREAKERS: Final[list[tuple[str, Breaker]]] = [
    ("model", lambda b: ({**b, "model": "sora-2-TURBO"}, "model")),
    ("prompt", lambda b: ({**b, "prompt": " \t"}, "prompt")),
    ("image", lambda b: ({**b, "imageData": "data:image/tiff;base64,AAAA"}, "imageData")),
    ("aspectRatio", lambda b: ({**b, "aspectRatio": "1:1"}, "aspectRatio")),
    ("duration", lambda b: ({**b, "duration": 12.5}, "duration")),
    ("isPublic", lambda b: ({**b, "isPublic": 0}, "isPublic")),
    ("remixTargetId", lambda b: ({**b, "remixTargetId": "s_nope"}, "remixTargetId")),
    ("characters", lambda b: ({**b, "characters": {}}, "characters")),
    ("webHook", lambda b: ({**b, "webHook": "mailto:x@y"}, "webHook")),
    ("shutProgress", lambda b: ({**b, "shutProgress": "true"}, "shutProgress")),
    ("unknown", lambda b: ({**b, "zzz_unknown": 1}, "zzz_unknown")),
]


@pytest.mark.parametrize(("name", "breaker"), BREAKERS, ids=[n for n, _ in BREAKERS])
@fast
@given(case=valid_bodies())
def test_one_broken_rule_is_the_only_violation(
    name: str, breaker: Breaker, case: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    body, field = breaker(case[0])
    checked = run(body, strict=True)
    assert [field] == [v.field for v in checked.violations]


PAIRS: Final = [
    (BREAKERS[i], BREAKERS[j]) for i in range(len(BREAKERS)) for j in range(i + 1, len(BREAKERS))
]


@pytest.mark.parametrize(("early", "late"), PAIRS, ids=[f"{a[0]}<{b[0]}" for a, b in PAIRS])
@settings(max_examples=5, derandomize=True, database=None, deadline=None)
@given(case=valid_bodies())
def test_of_two_broken_rules_the_earlier_check_answers(
    early: tuple[str, Breaker], late: tuple[str, Breaker], case: tuple[dict[str, Any], Any]
) -> None:
    body, first = early[1](case[0])
    body, second = late[1](body)
    checked = run(body, strict=True)
    assert [first, second] == [v.field for v in checked.violations]


@fast
@given(value=st.integers(min_value=-(10**30), max_value=10**30))
def test_any_integer_duration_becomes_the_nearest_allowed(value: int) -> None:
    checked = run({"model": "sora-2", "prompt": "p", "duration": value})
    assert expected_duration(value) == checked.params["duration"]
    assert (expected_duration(value) != value) == bool(checked.normalizations)


@fast
@given(start=st.floats(0, 20, allow_nan=False), end=st.floats(0, 20, allow_nan=False))
def test_timestamps_are_kept_only_when_start_is_below_end_within_the_duration(
    start: float, end: float
) -> None:
    stamps = f"{start:.3f},{end:.3f}"
    a, b = (float(part) for part in stamps.split(","))
    item = {"url": "http://a/b", "timestamps": stamps}
    checked = run({"model": "sora-2", "prompt": "p", "duration": 15, "characters": [item]})
    ok = 0 <= a < b <= 15
    assert ok == (checked.violations == [])
    if not ok:
        message = errors.MSG_CHARACTER_TIMESTAMPS.format(index=0, limit=15)
        assert [message] == [v.message for v in checked.violations]
