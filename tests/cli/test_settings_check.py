"""The settings' hand check (settings.py) against the pydantic model it stands in for at
start-up (settings_model.py): for every setting and every value, `Settings` accepts what the
model accepts, as the same value of the same type, and refuses what the model refuses with the
model's own error, word for word. The hand check may leave any value to the model; it must never
decide one differently.
"""

from __future__ import annotations

import copy
import math
import pickle
from typing import Any, Final, get_origin

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sora_mock import ConfigError, Settings
from sora_mock.config import build
from sora_mock.settings import FIELDS, hand_checked
from sora_mock.settings_model import build as build_model

Model: Any = build_model(Settings)  # a model made at run time: its fields are not typed

# values any setting may meet: the forms text, TOML and JSON give, each edge of a bound, and
# every type that is not the setting's
COMMON: Final[list[Any]] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    3,
    200,
    65535,
    65536,
    2**53,
    2**53 + 1,
    10**19,
    -(2**60),
    0.0,
    -0.0,
    0.5,
    1.0,
    2.5,
    -1.5,
    1e300,
    math.inf,
    -math.inf,
    math.nan,
    "",
    " ",
    "0",
    "1",
    "3",
    "007",
    "+1",
    "-1",
    " 1",
    "1 ",
    "1_0",
    "1.5",
    "0.25",
    "1.",
    ".5",
    "1e3",
    "inf",
    "nan",
    "-0",
    "0.0",
    "200",
    "http",
    "text",
    "json",
    "real",
    "manual",
    "poll",
    "contract",
    "random",
    "message",
    "http://x/",
    "https://mock.example//",
    "ftp://x",
    "x",
    "127.0.0.1",
    "65536",
    "99999999999999999999",
    "1" * 30,
    "TRUE",
    [],
    [""],
    ["a"],
    ["[::1]", " Hooks.Internal "],
    [" "],
    [1],
    ["message", "create_id"],
    {},
    {"a": 1},
    {"sk-a": 5},
    {"message": "Success"},
    {"message": "nope"},
    {"sora-2-text-to-video": {"10": 7}},
    [{"action": "reset"}],
    b"x",
    (),
    1j,
]
NAMES: Final = list(FIELDS)


def decided_by_model(values: dict[str, Any]) -> tuple[str, Any]:
    try:
        return "accepted", Model.model_validate(values)
    except ValidationError as exc:
        return "refused", str(exc)


def same(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (1 is not 1.0; nan is nan)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


def assert_agree(values: dict[str, Any]) -> None:
    verdict, model = decided_by_model(values)
    checked = hand_checked(values)
    if checked is not None:  # decided by hand: only ever as the model decides
        assert verdict == "accepted", (values, model)
        for name, value in checked.items():
            assert same(value, getattr(model, name)), (name, value, getattr(model, name))
    if verdict == "refused":
        with pytest.raises(ValidationError) as raised:
            Settings.model_validate(values)
        assert str(raised.value) == model
        return
    made = Settings.model_validate(values)
    for name in FIELDS:
        assert same(getattr(made, name), getattr(model, name)), name
    assert set(made.model_fields_set) == model.model_fields_set
    assert made.model_dump(exclude_unset=True) == model.model_dump(exclude_unset=True)
    assert made.model_dump() == model.model_dump()
    assert repr(made) == repr(model)


@pytest.mark.parametrize("name", NAMES)
def test_every_setting_is_decided_as_the_model_decides(name: str) -> None:
    for value in COMMON:
        assert_agree({name: value})


JSON_SCALARS: Final = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**64), max_value=2**64)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.from_regex(r"[+-]?[0-9]{0,20}(\.[0-9]{0,20})?([eE][+-]?[0-9]{1,3})?", fullmatch=True)
    | st.sampled_from(COMMON[:60])
)
JSON_VALUES: Final = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=600, derandomize=True, deadline=None)
@given(st.dictionaries(st.sampled_from([*NAMES, "unknown", "Port"]), JSON_VALUES, max_size=4))
def test_any_values_are_decided_as_the_model_decides(values: dict[str, Any]) -> None:
    assert_agree(values)


def test_the_fields_are_the_models_with_its_defaults_and_types() -> None:
    assert list(FIELDS) == list(Model.model_fields)
    for name, field in Model.model_fields.items():
        mine = Settings.model_fields[name]
        default = field.get_default(call_default_factory=True)
        assert same(mine.get_default(call_default_factory=True), default), name
        if get_origin(field.annotation) in (dict, list):  # the model's holds nested models
            assert get_origin(mine.annotation) == get_origin(field.annotation), name
        else:
            assert mine.annotation == field.annotation, name


def test_defaults_are_the_models() -> None:
    assert_agree({})
    assert Settings() == Settings.model_validate({}) == build({})


@pytest.mark.parametrize("name", NAMES)
def test_a_setting_cannot_be_changed_once_made_and_says_so_as_the_model_does(name: str) -> None:
    with pytest.raises(ValidationError) as expected:
        setattr(Model(), name, None)
    with pytest.raises(ValidationError) as raised:
        setattr(Settings(), name, None)
    assert str(raised.value) == str(expected.value)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"port": "70000"}, "setting 'port': must be 65535 or less, got '70000'"),
        ({"clock": "clok"}, "setting 'clock': 'clok' is not one of real, manual, poll"),
        ({"speed": 0}, "setting 'speed': must be more than 0.0, got 0"),
        ({"prot": 1}, "unknown setting 'prot' (did you mean 'port'?)"),
    ],
)
def test_a_refusal_reads_as_the_models(values: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        build(values)
    assert str(raised.value) == message


def test_what_the_model_decides_beyond_the_hand_check_is_kept_whole() -> None:
    """Fault rules and accounts are the model's: the object holds what it made of them."""
    values: dict[str, Any] = {
        "faults": [{"action": "error", "code": 503.0}],
        "accounts": {"sk-a": 5, "sk-b": {"vip": True}},
        "pricing": {"sora-2-text-to-video": {"10": 7}},
    }
    made, model = Settings(**values), Model.model_validate(values)
    assert made.faults == model.faults
    assert made.faults[0].code == 503
    assert (made.accounts["sk-a"].balance, made.accounts["sk-b"].vip) == (5, True)
    assert made.price_table["sora-2-text-to-video"] == {10: 7, 15: 150}
    assert made.model_dump(exclude_unset=True) == model.model_dump(exclude_unset=True)


@pytest.mark.parametrize(
    "values", [{}, {"clock": "manual", "port": "9"}, {"faults": [{"action": "html"}]}]
)
def test_a_copy_or_a_pickle_is_an_equal_settings_object(values: dict[str, Any]) -> None:
    made = Settings(**values)
    for twin in (copy.copy(made), copy.deepcopy(made), pickle.loads(pickle.dumps(made))):  # noqa: S301 (our own bytes)
        assert type(twin) is Settings
        assert twin == made
        assert twin.model_fields_set == made.model_fields_set
        assert twin.model_dump(exclude_unset=True) == made.model_dump(exclude_unset=True)
