"""Properties of the create-task rules (CONTRACT A2, B1's VIP rule, B3 `params`), on the pure
validator, and of the bounded ledger (B1), on the pure ledger.

Hypothesis generates the payloads; every expectation is computed here, independently of
`sora_mock.routes.sora_pro`, from the contract's text: which fields apply to which model, their
defaults, the nearest-allowed rule for `nFrames`, and the message template of each rule.
Runs are derandomized so CI sees the same examples every time.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sora_mock.core import errors
from sora_mock.core.ledger import Ledger
from sora_mock.routes.common import nearest_allowed
from sora_mock.routes.sora_pro import MODELS, ModelSpec, check_create

MAX_IMAGE: Final = 10 * 1024 * 1024
KNOWN: Final = frozenset(
    (
        "model",
        "prompt",
        "imageData",
        "imageUrl",
        "aspectRatio",
        "nFrames",
        "size",
        "removeWatermark",
        "isPublic",
        "shots",
    )
)
IMAGE_TYPES: Final = ("png", "jpeg", "jpg", "webp", "gif")
SIGNATURES: Final = {
    "png": b"\x89PNG\r\n\x1a\n",
    "jpeg": b"\xff\xd8\xff",
    "jpg": b"\xff\xd8\xff",
    "gif": b"GIF89a",
}
BLANKS: Final = " \t\n\r\x0b\x0c\xa0\u2003\u3000"

fast = settings(max_examples=100, derandomize=True, database=None, deadline=None)
per_rule = settings(max_examples=15, derandomize=True, database=None, deadline=None)


# -- an independent reading of the contract ----------------------------------------------------


def reference_nearest(value: int, allowed: tuple[int, ...]) -> int:
    """Clamp to the ends; between two neighbours the closer wins, a tie the smaller (A2)."""
    ordered = sorted(allowed)
    if value <= ordered[0]:
        return ordered[0]
    if value >= ordered[-1]:
        return ordered[-1]
    for low, high in itertools.pairwise(ordered):
        if low <= value <= high:
            return low if 2 * value <= low + high else high
    raise AssertionError("unreachable")


def applies(spec: ModelSpec, name: str) -> bool:
    """Which fields a model takes (A2): removeWatermark not for storyboard or `-stable`."""
    if name == "prompt":
        return spec.kind != "storyboard"
    if name == "removeWatermark":
        return spec.kind != "storyboard" and not spec.name.endswith("-stable")
    if name in ("imageData", "imageUrl"):
        return spec.kind == "image"
    if name == "size":
        return spec.sized
    if name == "shots":
        return spec.kind == "storyboard"
    return name in ("model", "aspectRatio", "nFrames", "isPublic")


def data_url(kind: str, data: bytes) -> str:
    return f"data:image/{kind};base64,{base64.b64encode(data).decode()}"


def image_summary(kind: str, data: bytes) -> dict[str, Any]:
    media = "jpeg" if kind.lower() == "jpg" else kind.lower()
    return {
        "mediaType": f"image/{media}",
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
    }


# -- strategies ------------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
prompts = st.text(min_size=1, max_size=40).filter(lambda s: bool(s.strip()))
blank_texts = st.text(alphabet=BLANKS, max_size=4)
unknown_names = st.text(string.ascii_letters + "_", min_size=1, max_size=12).filter(
    lambda s: s not in KNOWN
)
hosts = st.from_regex(r"[a-z][a-z0-9-]{0,10}(\.[a-z]{2,6}){0,2}", fullmatch=True) | st.just(
    "127.0.0.1"
)
url_paths = st.from_regex(r"(/[A-Za-z0-9._~-]{0,8}){0,3}", fullmatch=True)
image_urls = st.builds(
    lambda scheme, host, path: f"{scheme}://{host}{path}",
    st.sampled_from(("http", "https")),
    hosts,
    url_paths,
)
durations = st.integers(1, 10**6) | st.floats(
    min_value=1e-6, max_value=1e6, allow_nan=False, allow_infinity=False
)
scenes = st.text(min_size=1, max_size=20).filter(lambda s: bool(s.strip()))
shot_items = st.builds(
    lambda scene, duration, extra: {"Scene": scene, "duration": duration, **extra},
    scenes,
    durations,
    st.dictionaries(
        unknown_names.filter(lambda s: s not in ("Scene", "duration")), json_values, max_size=2
    ),
)


@st.composite
def image_kinds(draw: st.DrawFn) -> str:
    """An image type as the data URL spells it: any letter case (A2: case-insensitive)."""
    kind = draw(st.sampled_from(IMAGE_TYPES))
    upper = draw(st.lists(st.booleans(), min_size=len(kind), max_size=len(kind)))
    return "".join(c.upper() if u else c for c, u in zip(kind, upper, strict=True))


@st.composite
def image_bytes(draw: st.DrawFn, kind: str, strict: bool, min_size: int = 1) -> bytes:
    """Decoded image bytes; in strict mode they start with the declared type's signature."""
    data = draw(st.binary(min_size=min_size, max_size=48))
    if not strict:
        return data
    lower = kind.lower()
    if lower == "webp":
        return b"RIFF" + draw(st.binary(min_size=4, max_size=4)) + b"WEBP" + data
    return SIGNATURES[lower] + data


frames = (
    st.sampled_from((10, 15, 25, "10", "015", "25"))
    | st.integers(-(10**6), 10**6)
    | st.builds(lambda zeros, n: "0" * zeros + str(n), st.integers(0, 3), st.integers(0, 10**6))
)


@dataclass
class Case:
    """A valid create body, the mode it is valid in, and the params it must normalize to."""

    spec: ModelSpec
    body: dict[str, Any]
    strict: bool
    params: dict[str, Any]
    vip: bool = False
    warnings: list[str] = field(default_factory=list)  # the VIP rule's, when it drops one


# the optional fields with a closed set of values, and their defaults (A2)
CHOICES: Final[dict[str, tuple[tuple[Any, ...], Any]]] = {
    "aspectRatio": (("portrait", "landscape"), "landscape"),
    "size": (("standard", "high"), "standard"),
    "removeWatermark": ((True, False), True),
    "isPublic": ((True, False), True),
}


@st.composite
def image_fields(draw: st.DrawFn, strict: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """(body fields, expected params) of an image model: imageData or imageUrl."""
    if not draw(st.booleans()):
        url = draw(image_urls)
        return {"imageUrl": url}, {"imageUrl": url}
    kind = draw(image_kinds())
    data = draw(image_bytes(kind, strict))
    body: dict[str, Any] = {"imageData": data_url(kind, data)}
    if draw(st.booleans()):  # imageData wins; imageUrl is then not even validated
        body["imageUrl"] = draw(json_values)
    return body, {"imageData": image_summary(kind, data)}


@st.composite
def valid_cases(
    draw: st.DrawFn,
    strict: bool | None = None,
    models: Callable[[ModelSpec], bool] = lambda spec: True,
    vip: bool | None = None,
) -> Case:
    spec = draw(st.sampled_from([spec for spec in MODELS.values() if models(spec)]))
    strict = draw(st.booleans()) if strict is None else strict
    vip = draw(st.booleans()) if vip is None else vip
    body: dict[str, Any] = {"model": spec.name}
    params: dict[str, Any] = {}
    warnings: list[str] = []

    if applies(spec, "prompt"):
        body["prompt"] = params["prompt"] = draw(prompts)
    if applies(spec, "imageData"):
        image_body, image_params = draw(image_fields(strict))
        body.update(image_body)
        params.update(image_params)
    for name, (choices, default) in CHOICES.items():
        if applies(spec, name):
            # isPublic: false from a non-VIP account is a 403 in strict mode
            allowed = (True,) if name == "isPublic" and strict and not vip else choices
            value = draw(st.sampled_from((None, *allowed)))
            if value is not None:
                body[name] = value
            params[name] = default if value is None else value
    if params["isPublic"] is False and not vip:  # dropped with a warning: it stays public
        params["isPublic"] = True
        warnings.append(errors.WARN_VIP_PUBLIC)
    params["nFrames"] = spec.default_frames
    if draw(st.booleans()):
        body["nFrames"] = draw(frames)
        params["nFrames"] = reference_nearest(int(body["nFrames"]), spec.frames)
    if applies(spec, "shots"):
        body["shots"] = draw(st.lists(shot_items, min_size=1, max_size=25))
        params["shots"] = [{"Scene": s["Scene"], "duration": s["duration"]} for s in body["shots"]]

    # fields that do not apply are not validated at all: any value goes, none is passed on
    for name in sorted(KNOWN - {"model"}):
        if not applies(spec, name) and draw(st.booleans()):
            body[name] = draw(json_values)
    if not strict:
        body.update(draw(st.dictionaries(unknown_names, json_values, max_size=2)))
    return Case(spec, body, strict, params, vip, warnings)


# -- (a) valid payloads are accepted and normalized ----------------------------------------------


@fast
@given(case=valid_cases())
def test_a_valid_payload_is_accepted_with_exactly_the_applicable_params(case: Case) -> None:
    checked = check_create(case.body, strict=case.strict, max_image_bytes=MAX_IMAGE, vip=case.vip)

    assert [] == checked.violations
    assert case.spec is checked.model
    assert case.params == checked.params
    assert set(case.warnings) <= set(checked.warnings)
    assert (errors.WARN_VIP_PUBLIC in checked.warnings) == bool(case.warnings)
    assert checked.params["nFrames"] in case.spec.frames
    assert type(checked.params["nFrames"]) is int
    if case.spec.kind == "storyboard":
        assert "prompt" not in checked.params
    if "imageData" in checked.params:
        assert {"mediaType", "bytes", "sha256"} == set(checked.params["imageData"])


# -- (b) one broken rule is the first violation --------------------------------------------------


@dataclass(frozen=True)
class Broken:
    """A valid body with one rule broken, and what the validator must say first."""

    body: dict[str, Any]
    message: str
    strict: bool = False
    max_image_bytes: int = MAX_IMAGE
    code: int = errors.BAD_REQUEST


Breaker = Callable[[st.DataObject, Case], Broken]


@dataclass(frozen=True)
class Rule:
    name: str
    step: str
    applies: Callable[[ModelSpec], bool]
    breaker: Breaker
    strict: bool | None = None
    vip: bool | None = None  # False: the rule needs an account that is not VIP


def _with(case: Case, **fields: Any) -> dict[str, Any]:
    return {**case.body, **fields}


def _without(case: Case, *names: str) -> dict[str, Any]:
    return {k: v for k, v in case.body.items() if k not in names}


def _shot_index(data: st.DataObject, case: Case) -> int:
    return data.draw(st.integers(0, len(case.body["shots"]) - 1))


def _break_shot(case: Case, index: int, item: Any) -> dict[str, Any]:
    shots = list(case.body["shots"])
    shots[index] = item
    return _with(case, shots=shots)


def _model_missing(data: st.DataObject, case: Case) -> Broken:
    return Broken(_without(case, "model"), errors.MSG_REQUIRED.format(field="model"))


def _model_unknown(data: st.DataObject, case: Case) -> Broken:
    name = case.spec.name
    value = data.draw(
        st.sampled_from((name.upper(), f" {name}", f"{name} ", name.replace("-", "_")))
        | st.text(max_size=30).filter(lambda s: s not in MODELS)
        | st.none()
        | st.integers()
        | st.lists(st.just(name), max_size=1)
    )
    message = errors.MSG_MODEL_UNKNOWN.format(choices=", ".join(MODELS))
    return Broken(_with(case, model=value), message)


def _prompt_missing(data: st.DataObject, case: Case) -> Broken:
    message = errors.MSG_REQUIRED_FOR_MODEL.format(field="prompt", model=case.spec.name)
    return Broken(_without(case, "prompt"), message)


def _prompt_blank(data: st.DataObject, case: Case) -> Broken:
    value = data.draw(blank_texts | st.none() | st.integers() | st.booleans() | st.lists(prompts))
    return Broken(_with(case, prompt=value), errors.MSG_NOT_BLANK_STRING.format(field="prompt"))


def _image_missing(data: st.DataObject, case: Case) -> Broken:
    message = errors.MSG_IMAGE_REQUIRED.format(model=case.spec.name)
    return Broken(_without(case, "imageData", "imageUrl"), message)


def _image_not_data_url(data: st.DataObject, case: Case) -> Broken:
    payload = base64.b64encode(b"\x89PNG").decode()
    value = data.draw(
        st.sampled_from(
            (
                f"data:image/bmp;base64,{payload}",
                f"data:image/svg+xml;base64,{payload}",
                f"data:text/plain;base64,{payload}",
                f"data:image/png,{payload}",
                f"data:image/png;charset=utf-8;base64,{payload}",
                f" data:image/png;base64,{payload}",
                payload,
                "",
            )
        )
        | st.none()
        | st.integers()
        | st.booleans()
        | st.lists(st.text(max_size=3), max_size=2)
    )
    return Broken(_with(case, imageData=value), errors.MSG_IMAGE_DATA_URL)


def _image_bad_base64(data: st.DataObject, case: Case) -> Broken:
    good = base64.b64encode(data.draw(st.binary(min_size=3, max_size=30))).decode()
    cut = data.draw(st.integers(1, len(good) - 1))
    payload = data.draw(
        st.sampled_from(
            (
                good[:cut] + " " + good[cut:],
                good[:cut] + "\n" + good[cut:],
                good[:cut] + "*" + good[cut:],
                good.replace("+", "-").replace("/", "_") + "-_AA",
                good + "=",
                good.rstrip("=") + "===",
                good[:-1] if len(good.rstrip("=")) % 4 else good + "A",
                "====",
            )
        )
    )
    body = _with(case, imageData=f"data:image/png;base64,{payload}")
    return Broken(body, errors.MSG_IMAGE_BASE64)


def _image_empty(data: st.DataObject, case: Case) -> Broken:
    kind = data.draw(image_kinds())
    return Broken(_with(case, imageData=f"data:image/{kind};base64,"), errors.MSG_IMAGE_EMPTY)


def _image_too_large(data: st.DataObject, case: Case) -> Broken:
    kind = data.draw(image_kinds())
    image = data.draw(image_bytes(kind, case.strict, min_size=2))
    limit = data.draw(st.integers(1, len(image) - 1))
    message = errors.MSG_IMAGE_TOO_LARGE.format(limit=limit)
    return Broken(_with(case, imageData=data_url(kind, image)), message, case.strict, limit)


def _image_wrong_signature(data: st.DataObject, case: Case) -> Broken:
    kind = data.draw(image_kinds())
    image = b"\x00" + data.draw(st.binary(max_size=30))
    message = errors.MSG_IMAGE_SIGNATURE.format(type=kind.lower())
    return Broken(_with(case, imageData=data_url(kind, image)), message, strict=True)


def _image_url_invalid(data: st.DataObject, case: Case) -> Broken:
    value = data.draw(
        st.sampled_from(
            (
                "ftp://example.com/a.png",
                "file:///etc/passwd",
                "//example.com/a.png",
                "/a.png",
                "example.com/a.png",
                "http://",
                "https:///a.png",
                "http://exa mple.com/a.png",
                "http://example.com/a b.png",
                "http://example.com/\x00.png",
                "http://[::1/a.png",
                "",
            )
        )
        | st.none()
        | st.integers()
        | st.lists(image_urls, max_size=1)
    )
    return Broken({**_without(case, "imageData"), "imageUrl": value}, errors.MSG_IMAGE_URL)


def _aspect_invalid(data: st.DataObject, case: Case) -> Broken:
    value = data.draw(
        st.sampled_from(("Portrait", "LANDSCAPE", " landscape", "square", "16:9", ""))
        | st.text(max_size=10).filter(lambda s: s not in ("portrait", "landscape"))
        | st.none()
        | st.integers()
        | st.booleans()
    )
    message = errors.MSG_ONE_OF.format(field="aspectRatio", choices="portrait, landscape")
    return Broken(_with(case, aspectRatio=value), message)


def _frames_invalid(data: st.DataObject, case: Case) -> Broken:
    value = data.draw(
        st.sampled_from(("ten", "", " 10", "10 ", "-10", "+10", "1e1", "10.0", "\u0661\u0660"))
        | st.text(max_size=6).filter(lambda s: re.fullmatch(r"[0-9]+", s) is None)
        | st.floats()
        | st.booleans()
        | st.none()
        | st.lists(st.integers(10, 15), max_size=1)
        | st.dictionaries(st.just("n"), st.integers(), max_size=1)
    )
    message = errors.MSG_NFRAMES.format(
        model=case.spec.name, choices=", ".join(map(str, case.spec.frames))
    )
    return Broken(_with(case, nFrames=value), message)


def _size_invalid(data: st.DataObject, case: Case) -> Broken:
    value = data.draw(
        st.sampled_from(("Standard", "HIGH", "hd", "1080p", ""))
        | st.text(max_size=10).filter(lambda s: s not in ("standard", "high"))
        | st.none()
        | st.integers()
    )
    message = errors.MSG_ONE_OF.format(field="size", choices="standard, high")
    return Broken(_with(case, size=value), message)


def _not_boolean(name: str) -> Breaker:
    def breaker(data: st.DataObject, case: Case) -> Broken:
        value = data.draw(
            st.sampled_from((0, 1, "true", "false", "", None))
            | st.integers()
            | st.text(max_size=5)
            | st.floats(allow_nan=False)
            | st.lists(st.booleans(), max_size=2)
        )
        return Broken(_with(case, **{name: value}), errors.MSG_BOOLEAN.format(field=name))

    return breaker


def _shots_missing(data: st.DataObject, case: Case) -> Broken:
    message = errors.MSG_REQUIRED_FOR_MODEL.format(field="shots", model=case.spec.name)
    return Broken(_without(case, "shots"), message)


def _shots_not_array(data: st.DataObject, case: Case) -> Broken:
    value: Any = data.draw(
        st.just([])
        | st.none()
        | st.text(max_size=5)
        | st.integers()
        | st.dictionaries(st.just("Scene"), st.text(max_size=5), max_size=1)
    )
    return Broken(_with(case, shots=value), errors.MSG_SHOTS_ARRAY)


def _shots_too_many(data: st.DataObject, case: Case) -> Broken:
    count = data.draw(st.integers(26, 400))
    item = data.draw(shot_items | json_values)
    message = errors.MSG_SHOTS_TOO_MANY.format(limit=25, count=count)
    return Broken(_with(case, shots=[item] * count), message)


def _shot_not_object(data: st.DataObject, case: Case) -> Broken:
    index = _shot_index(data, case)
    item = data.draw(json_scalars | st.lists(json_scalars, max_size=2))
    return Broken(_break_shot(case, index, item), errors.MSG_SHOT_OBJECT.format(index=index))


def _shot_scene_lowercase(data: st.DataObject, case: Case) -> Broken:
    index = _shot_index(data, case)
    item = {"scene": data.draw(scenes), "duration": data.draw(durations)}
    message = errors.MSG_SHOT_SCENE_CASE.format(index=index)
    assert "capital S" in message
    return Broken(_break_shot(case, index, item), message)


def _shot_scene_blank(data: st.DataObject, case: Case) -> Broken:
    index = _shot_index(data, case)
    item: dict[str, Any] = {"duration": data.draw(durations)}
    if data.draw(st.booleans()):
        item["Scene"] = data.draw(blank_texts | st.none() | st.integers() | st.lists(scenes))
    return Broken(_break_shot(case, index, item), errors.MSG_SHOT_SCENE.format(index=index))


def _shot_duration_invalid(data: st.DataObject, case: Case) -> Broken:
    index = _shot_index(data, case)
    item: dict[str, Any] = {"Scene": data.draw(scenes)}
    if data.draw(st.booleans()):
        item["duration"] = data.draw(
            st.sampled_from((0, 0.0, -0.0, -1, "5", True, False, None, float("nan")))
            | st.integers(max_value=0)
            | st.floats(max_value=0.0)
            | st.sampled_from((float("inf"), float("-inf")))
            | st.text(max_size=3)
            | st.lists(durations, max_size=1)
        )
    message = errors.MSG_SHOT_DURATION.format(index=index)
    return Broken(_break_shot(case, index, item), message)


def _unknown_field_strict(data: st.DataObject, case: Case) -> Broken:
    name = data.draw(unknown_names)
    message = errors.MSG_UNKNOWN_FIELDS.format(fields=name)
    return Broken(_with(case, **{name: data.draw(json_values)}), message, strict=True)


def _private_without_vip(data: st.DataObject, case: Case) -> Broken:
    message = errors.MSG_VIP_ONLY.format(field="isPublic")
    return Broken(_with(case, isPublic=False), message, strict=True, code=errors.FORBIDDEN)


def _watermarked(spec: ModelSpec) -> bool:
    return spec.kind != "storyboard" and not spec.name.endswith("-stable")


def _any(spec: ModelSpec) -> bool:
    return True


def _prompted(spec: ModelSpec) -> bool:
    return spec.kind != "storyboard"


def _image(spec: ModelSpec) -> bool:
    return spec.kind == "image"


def _storyboard(spec: ModelSpec) -> bool:
    return spec.kind == "storyboard"


def _sized(spec: ModelSpec) -> bool:
    return spec.sized


RULES: Final = (
    Rule("model missing", "model", _any, _model_missing),
    Rule("model unknown", "model", _any, _model_unknown),
    Rule("prompt missing", "prompt", _prompted, _prompt_missing),
    Rule("prompt blank", "prompt", _prompted, _prompt_blank),
    Rule("image missing", "image", _image, _image_missing),
    Rule("imageData not a data URL", "image", _image, _image_not_data_url),
    Rule("imageData bad base64", "image", _image, _image_bad_base64),
    Rule("imageData empty", "image", _image, _image_empty),
    Rule("imageData too large", "image", _image, _image_too_large),
    Rule("imageData wrong signature", "image", _image, _image_wrong_signature, strict=True),
    Rule("imageUrl invalid", "image", _image, _image_url_invalid),
    Rule("aspectRatio invalid", "aspectRatio", _any, _aspect_invalid),
    Rule("nFrames invalid", "nFrames", _any, _frames_invalid),
    Rule("size invalid", "size", _sized, _size_invalid),
    Rule(
        "removeWatermark not boolean",
        "removeWatermark",
        _watermarked,
        _not_boolean("removeWatermark"),
    ),
    Rule("isPublic not boolean", "isPublic", _any, _not_boolean("isPublic")),
    Rule("shots missing", "shots", _storyboard, _shots_missing),
    Rule("shots not an array", "shots", _storyboard, _shots_not_array),
    Rule("shots too many", "shots", _storyboard, _shots_too_many),
    Rule("shot not an object", "shots", _storyboard, _shot_not_object),
    Rule("shot scene lowercase", "shots", _storyboard, _shot_scene_lowercase),
    Rule("shot Scene blank", "shots", _storyboard, _shot_scene_blank),
    Rule("shot duration invalid", "shots", _storyboard, _shot_duration_invalid),
    Rule("unknown field in strict mode", "unknown", _any, _unknown_field_strict, strict=True),
    Rule(
        "isPublic false from a non-VIP account in strict mode",
        "vip",
        _any,
        _private_without_vip,
        strict=True,
        vip=False,
    ),
)


# the contract's order of checks (A2)
STEPS: Final = (
    "model",
    "prompt",
    "image",
    "aspectRatio",
    "nFrames",
    "size",
    "removeWatermark",
    "isPublic",
    "shots",
    "unknown",
    "vip",
)


@pytest.mark.parametrize("rule", RULES, ids=[r.name for r in RULES])
@per_rule
@given(data=st.data())
def test_b_one_broken_rule_is_the_first_violation(rule: Rule, data: st.DataObject) -> None:
    case = data.draw(
        valid_cases(strict=rule.strict, models=rule.applies, vip=rule.vip), label="valid"
    )
    broken = rule.breaker(data, case)

    checked = check_create(
        broken.body, strict=broken.strict, max_image_bytes=broken.max_image_bytes, vip=case.vip
    )

    assert checked.violations, "a broken rule must be rejected"
    first = checked.violations[0]
    assert (broken.message, broken.code) == (first.message, first.code)


def _rules_of(step: str, spec: ModelSpec) -> list[Rule]:
    return [r for r in RULES if r.step == step and r.applies(spec)]


# every pair of checks that some model has both of (the model checks change which fields apply,
# so the pairs start after them)
STEP_PAIRS: Final = [
    (a, b)
    for a, b in itertools.combinations(STEPS[1:], 2)
    if (a, b) != ("isPublic", "vip")  # both break isPublic: the second would undo the first
    and any(_rules_of(a, spec) and _rules_of(b, spec) for spec in MODELS.values())
]


@pytest.mark.parametrize(("early", "late"), STEP_PAIRS, ids=[f"{a}<{b}" for a, b in STEP_PAIRS])
@settings(max_examples=8, derandomize=True, database=None, deadline=None)
@given(data=st.data())
def test_b_of_two_broken_rules_the_earlier_check_answers(
    early: str, late: str, data: st.DataObject
) -> None:
    specs = [s for s in MODELS.values() if _rules_of(early, s) and _rules_of(late, s)]
    spec = data.draw(st.sampled_from(specs), label="model")
    first = data.draw(st.sampled_from(_rules_of(early, spec)), label="first")
    second = data.draw(st.sampled_from(_rules_of(late, spec)), label="second")
    strict = True if True in (first.strict, second.strict) else None
    vip = False if False in (first.vip, second.vip) else None
    case = data.draw(valid_cases(strict=strict, models=lambda s: s is spec, vip=vip), label="valid")
    once = first.breaker(data, case)
    twice = second.breaker(data, Case(spec, once.body, case.strict, case.params, case.vip))

    checked = check_create(
        twice.body,
        strict=once.strict or twice.strict,
        max_image_bytes=min(once.max_image_bytes, twice.max_image_bytes),
        vip=case.vip,
    )

    assert [once.message, twice.message] == [v.message for v in checked.violations][:2]


@per_rule
@given(count=st.integers(26, 20_000))
def test_b_too_many_shots_is_one_violation_about_the_count(count: int) -> None:
    body = {"model": "sora-2-pro-storyboard", "shots": [{"scene": None}] * count}

    checked = check_create(body, strict=False, max_image_bytes=MAX_IMAGE)

    assert [errors.MSG_SHOTS_TOO_MANY.format(limit=25, count=count)] == [
        v.message for v in checked.violations
    ]


# -- (c) nFrames normalization is the nearest-allowed rule ---------------------------------------

FRAME_SETS: Final = sorted({spec.frames for spec in MODELS.values()})


def _normalized(spec: ModelSpec, raw: int | str) -> tuple[int, list[str]]:
    """nFrames as the validator normalizes it, with the journal's normalization notes."""
    body = {
        "model": spec.name,
        "prompt": "p",
        "imageUrl": "https://example.com/a.png",
        "shots": [{"Scene": "s", "duration": 1}],
        "nFrames": raw,
    }
    checked = check_create(body, strict=False, max_image_bytes=MAX_IMAGE)
    assert [] == checked.violations
    return checked.params["nFrames"], checked.normalizations


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(value=st.integers(-(10**6), 10**6))
@example(value=-(10**6))
@example(value=10**6)
@example(value=12)
@example(value=13)
@example(value=20)
def test_c_nearest_allowed_matches_the_reference(value: int) -> None:
    for allowed in FRAME_SETS:
        assert reference_nearest(value, allowed) == nearest_allowed(value, allowed)


@settings(max_examples=300, derandomize=True, database=None, deadline=None)
@given(
    spec=st.sampled_from(list(MODELS.values())),
    value=st.integers(-(10**6), 10**6),
    zeros=st.integers(0, 3),
)
@example(spec=MODELS["sora-2-pro-storyboard"], value=20, zeros=0)
@example(spec=MODELS["sora-2-text-to-video"], value=12, zeros=2)
@example(spec=MODELS["sora-2-text-to-video"], value=13, zeros=0)
@example(spec=MODELS["sora-2-pro-storyboard"], value=-(10**6), zeros=0)
@example(spec=MODELS["sora-2-pro-storyboard"], value=10**6, zeros=1)
def test_c_nframes_as_integer_and_digit_string_normalize_alike(
    spec: ModelSpec, value: int, zeros: int
) -> None:
    expected = reference_nearest(value, spec.frames)

    normalized, notes = _normalized(spec, value)
    assert expected == normalized
    assert type(normalized) is int
    note = errors.NORM_NFRAMES.format(given=json.dumps(value), value=expected, model=spec.name)
    assert ([] if value == expected else [note]) == notes

    if value >= 0:
        assert expected == _normalized(spec, "0" * zeros + str(value))[0]


def test_c_nframes_around_the_allowed_values_exhaustively() -> None:
    """Every integer where the ties and clamps live, for every model, as number and as digits."""
    for spec in MODELS.values():
        for value in range(-30, 60):
            expected = reference_nearest(value, spec.frames)
            assert (spec.name, value, expected) == (spec.name, value, _normalized(spec, value)[0])
            if value >= 0:
                assert expected == _normalized(spec, f"{value:03d}")[0], (spec.name, value)


@pytest.mark.parametrize(
    ("raw", "end"),
    [(10**29, max), (-(10**29), min), ("9" * 30, max), ("0" * 30 + "9", min), ("9" * 5000, max)],
)
def test_c_huge_nframes_clamp_to_the_ends(
    raw: int | str, end: Callable[[tuple[int, ...]], int]
) -> None:
    for spec in MODELS.values():
        assert end(spec.frames) == _normalized(spec, raw)[0]


# -- (d) the bounded ledger keeps the newest rows and the invariant (B1) ---------------------------

# one booking: a charge of a task's price, its refund, or an admin `set` to a balance
Booking = tuple[str, int]
bookings = st.lists(
    st.one_of(
        st.tuples(st.just("charge"), st.integers(0, 900)),
        st.tuples(st.just("refund"), st.integers(0, 900)),
        st.tuples(st.just("set"), st.integers(0, 2**70)),
    ),
    max_size=60,
)


@fast
@given(size=st.integers(0, 8), start=st.integers(0, 10**6), steps=bookings)
def test_d_the_ledger_keeps_the_newest_rows_and_folds_the_rest(
    size: int, start: int, steps: list[Booking]
) -> None:
    """Against a reference that keeps every row: the kept rows are its newest `size`, the
    opening balance is the balance before them, and the invariant holds against it."""
    ledger = Ledger(size)
    account = ledger.open("sk-property", start)
    every: list[tuple[str, int, int]] = []  # (reason, delta, balance_after) of each row booked
    for n, (reason, amount) in enumerate(steps):
        task_id = f"{n:032x}"
        before = account.balance
        if reason == "charge" and amount <= before:
            ledger.charge("sk-property", amount, task_id, float(n))
        elif reason == "refund":
            ledger.refund("sk-property", amount, task_id, float(n))
        elif reason == "set":
            ledger.set_balance("sk-property", amount, float(n))
        if len(account.transactions) + account.transactions.folded > len(every):
            every.append((reason, account.balance - before, account.balance))

    kept = [(t.reason, t.delta, t.balance_after) for t in account.transactions]
    newest = every[max(0, len(every) - size) :] if size else []
    assert newest == kept
    assert len(every) - len(kept) == account.transactions.folded
    opening = every[-len(kept) - 1][2] if len(every) > len(kept) else start
    assert opening == account.transactions.opening_balance
    assert account.balance == opening + sum(delta for _, delta, _ in kept)
    assert all(after >= 0 for _, _, after in kept)
