"""A2: the rules of `POST /api/v1/video/sora-pro`, in the contract's order of checks.

The create-task validator is written by hand rather than as a pydantic model because the
contract needs what a schema validator does not give cheaply: a fixed order of checks, every
violation collected for the journal, normalization instead of rejection for `nFrames`, and fields
that are ignored (with a warning) when they do not apply to the chosen model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from ..core import errors as e
from ..core.findings import Collected, Violation
from .common import (
    IMAGE_DATA_BREAKING,
    breaking,
    check_image_data,
    integer_or_digits,
    is_blank,
    nearest_allowed,
    vip_only,
)

Kind = Literal["text", "image", "storyboard"]


@dataclass(frozen=True, slots=True)
class ModelSpec:
    name: str
    kind: Kind
    sized: bool
    frames: tuple[int, ...]
    default_frames: int

    @property
    def watermark(self) -> bool:
        """`removeWatermark` applies: "non-storyboard and non-stable models" (A2)."""
        return self.kind != "storyboard" and not self.name.endswith("-stable")


MODELS: Final[dict[str, ModelSpec]] = {
    spec.name: spec
    for spec in (
        ModelSpec("sora-2-text-to-video", "text", False, (10, 15), 10),
        ModelSpec("sora-2-image-to-video", "image", False, (10, 15), 10),
        ModelSpec("sora-2-text-to-video-stable", "text", False, (10, 15), 10),
        ModelSpec("sora-2-image-to-video-stable", "image", False, (10, 15), 10),
        ModelSpec("sora-2-pro-text-to-video", "text", True, (10, 15), 10),
        ModelSpec("sora-2-pro-image-to-video", "image", True, (10, 15), 10),
        ModelSpec("sora-2-pro-storyboard", "storyboard", False, (10, 15, 25), 15),
    )
}


SIZES: Final = ("standard", "high")


ASPECT_RATIOS: Final = ("portrait", "landscape")


MAX_SHOTS: Final = 25


KNOWN_FIELDS: Final = frozenset(
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


TEXT: Final = "sora-2-text-to-video"
IMAGE: Final = "sora-2-image-to-video"
SIZED: Final = "sora-2-pro-text-to-video"
STORYBOARD: Final = "sora-2-pro-storyboard"
# A2's rules as data, each with a body change that breaks it first (see `Breaking`). Not here:
# the rules only strict mode or the account has (unknown fields, signatures, VIP: 403) and an
# image larger than `max_image_bytes` (a probe would upload that much).
BREAKING: Final = (
    breaking("model.missing", "model", "MSG_REQUIRED", absent=("model",)),
    breaking("model.case", "model", "MSG_MODEL_UNKNOWN", model="Sora-2-Text-To-Video"),
    breaking("prompt.missing", "prompt", "MSG_REQUIRED_FOR_MODEL", absent=("prompt",)),
    breaking("prompt.blank", "prompt", "MSG_NOT_BLANK_STRING", prompt="  "),
    breaking(
        "imageData.missing", "imageData", "MSG_IMAGE_REQUIRED", base=IMAGE, absent=("imageUrl",)
    ),
    *(
        breaking(b.name, b.field, b.message, base=IMAGE, **dict(b.patch))
        for b in IMAGE_DATA_BREAKING
    ),
    breaking("imageUrl.not_url", "imageUrl", "MSG_IMAGE_URL", base=IMAGE, imageUrl="not a url"),
    breaking("aspectRatio.square", "aspectRatio", "MSG_ONE_OF", aspectRatio="square"),
    breaking("nFrames.word", "nFrames", "MSG_NFRAMES", nFrames="ten"),  # 10.5: the same rule
    breaking("size.ultra", "size", "MSG_ONE_OF", base=SIZED, size="ultra"),
    breaking("removeWatermark.string", "removeWatermark", "MSG_BOOLEAN", removeWatermark="yes"),
    breaking("isPublic.string", "isPublic", "MSG_BOOLEAN", isPublic="no"),
    breaking(
        "shots.missing", "shots", "MSG_REQUIRED_FOR_MODEL", base=STORYBOARD, absent=("shots",)
    ),
    breaking("shots.empty", "shots", "MSG_SHOTS_ARRAY", base=STORYBOARD, shots=[]),
    breaking(
        "shots.too_many",
        "shots",
        "MSG_SHOTS_TOO_MANY",
        base=STORYBOARD,
        shots=[{"Scene": "s", "duration": 1}] * (MAX_SHOTS + 1),
    ),
    breaking("shots.item", "shots[0]", "MSG_SHOT_OBJECT", base=STORYBOARD, shots=["s"]),
    breaking(
        "shots.scene_case",
        "shots[0].Scene",
        "MSG_SHOT_SCENE_CASE",
        base=STORYBOARD,
        shots=[{"scene": "s", "duration": 15}],
    ),
    breaking(
        "shots.scene_blank",
        "shots[0].Scene",
        "MSG_SHOT_SCENE",
        base=STORYBOARD,
        shots=[{"Scene": " ", "duration": 15}],
    ),
    breaking(
        "shots.duration_zero",
        "shots[0].duration",
        "MSG_SHOT_DURATION",
        base=STORYBOARD,
        shots=[{"Scene": "s", "duration": 0}],
    ),
)


@dataclass(slots=True)
class Checked(Collected):
    """The outcome of validating one A2 create request."""

    model: ModelSpec | None = None

    @property
    def n_frames(self) -> int:
        return int(self.params["nFrames"])

    @property
    def size(self) -> str | None:
        size = self.params.get("size")
        return str(size) if size is not None else None


def _check_image_url(raw: Any) -> str | Violation:
    if not isinstance(raw, str) or any(c.isspace() or ord(c) < 32 for c in raw):
        return Violation("imageUrl", e.MSG_IMAGE_URL)
    try:
        parts = urlsplit(raw)
        host = parts.hostname
    except ValueError:
        return Violation("imageUrl", e.MSG_IMAGE_URL)
    if parts.scheme.lower() not in ("http", "https") or not host:
        return Violation("imageUrl", e.MSG_IMAGE_URL)
    return raw


def _check_shots(raw: Any, warnings: list[str]) -> list[dict[str, Any]] | list[Violation]:
    if not isinstance(raw, list) or not raw:
        return [Violation("shots", e.MSG_SHOTS_ARRAY)]
    if len(raw) > MAX_SHOTS:
        return [Violation("shots", e.MSG_SHOTS_TOO_MANY.format(limit=MAX_SHOTS, count=len(raw)))]
    shots: list[dict[str, Any]] = []
    broken: list[Violation] = []
    for index, item in enumerate(raw):
        where = f"shots[{index}]"
        if not isinstance(item, dict):
            broken.append(Violation(where, e.MSG_SHOT_OBJECT.format(index=index)))
            continue
        scene = item.get("Scene")
        if "Scene" not in item and "scene" in item:
            broken.append(Violation(f"{where}.Scene", e.MSG_SHOT_SCENE_CASE.format(index=index)))
        elif is_blank(scene):
            broken.append(Violation(f"{where}.Scene", e.MSG_SHOT_SCENE.format(index=index)))
        duration = item.get("duration")
        if (
            isinstance(duration, bool)
            or not isinstance(duration, int | float)
            or (isinstance(duration, float) and not math.isfinite(duration))
            or duration <= 0
        ):
            broken.append(Violation(f"{where}.duration", e.MSG_SHOT_DURATION.format(index=index)))
        extra = sorted(k for k in item if k not in ("Scene", "duration"))
        if extra:
            warnings.append(e.WARN_SHOT_KEYS_DROPPED.format(index=index, keys=", ".join(extra)))
        shots.append({"Scene": scene, "duration": duration})
    return broken or shots


@dataclass(frozen=True, slots=True)
class _Plan:
    """The checks of one model, worked out once: which fields it validates, and the warning
    each field that does not apply earns (in the order the contract's checks meet them)."""

    spec: ModelSpec | None
    frames: tuple[int, ...]
    # not-applicable fields before the model's own warnings (image, shots), and after them
    early: tuple[tuple[str, str], ...]
    late: tuple[tuple[str, str], ...]
    flags: tuple[str, ...]


def _plan(spec: ModelSpec | None) -> _Plan:
    if spec is None:  # no model: only its own checks run, and nothing is "not applicable"
        return _Plan(None, (10, 15, 25), (), (), ("removeWatermark", "isPublic"))
    ignored = [
        *(("prompt",) if spec.kind == "storyboard" else ()),
        *(("imageData", "imageUrl") if spec.kind != "image" else ()),
        *(("size",) if not spec.sized else ()),
        *(("removeWatermark",) if not spec.watermark else ()),
        *(("shots",) if spec.kind != "storyboard" else ()),
    ]
    warned = [(name, e.WARN_NOT_APPLICABLE.format(field=name, model=spec.name)) for name in ignored]
    # an image model warns about imageUrl in its image check, before size and the flags; a
    # storyboard warns about its shots after every other field
    split = 0 if spec.kind == "image" else len(warned)
    flags = ("removeWatermark", "isPublic") if spec.watermark else ("isPublic",)
    return _Plan(spec, spec.frames, tuple(warned[:split]), tuple(warned[split:]), flags)


_PLANS: Final = {name: _plan(spec) for name, spec in MODELS.items()}
_NO_MODEL: Final = _plan(None)
_MODEL_REQUIRED: Final = Violation("model", e.MSG_REQUIRED.format(field="model"))
_MODEL_UNKNOWN: Final = Violation("model", e.MSG_MODEL_UNKNOWN.format(choices=", ".join(MODELS)))
_ASPECT_RATIO: Final = Violation(
    "aspectRatio", e.MSG_ONE_OF.format(field="aspectRatio", choices=", ".join(ASPECT_RATIOS))
)
_SIZE: Final = Violation("size", e.MSG_ONE_OF.format(field="size", choices=", ".join(SIZES)))
_SHARED: Final = {choice: choice for choice in (*ASPECT_RATIOS, *SIZES)}
_FLAG: Final = {
    name: Violation(name, e.MSG_BOOLEAN.format(field=name))
    for name in ("removeWatermark", "isPublic")
}


def check_create(
    body: dict[str, Any], *, strict: bool, max_image_bytes: int, vip: bool = False
) -> Checked:
    """Validate and normalize a create-task body in the contract's order of checks.

    Every violated rule is collected (the journal lists them all); the first one is the answer.
    `vip` is the account's flag, for the VIP-only inputs (`isPublic: false`). The model's plan
    (`_PLANS`) says which checks run; the messages that do not depend on the body are made once.
    """
    model = body.get("model")
    plan = _PLANS.get(model) if isinstance(model, str) else None
    out = Checked()
    if plan is None:
        plan = _NO_MODEL
        out.violations.append(_MODEL_UNKNOWN if "model" in body else _MODEL_REQUIRED)
    spec = out.model = plan.spec
    for name, warning in plan.early:
        if name in body:
            out.warnings.append(warning)
    if spec is not None:
        if spec.kind != "storyboard":
            _check_prompt(body, spec, out)
        if spec.kind == "image":
            _check_image(body, spec, out, strict, max_image_bytes)
    _check_choices(body, plan, out)
    if spec is not None and spec.kind == "storyboard":
        _check_storyboard(body, spec, out)
    for name, warning in plan.late:
        if name in body:
            out.warnings.append(warning)
    if not body.keys() <= KNOWN_FIELDS:
        _check_unknown(body, strict, out)
    if out.params.get("isPublic") is False:
        vip_only(out, "isPublic", vip=vip, strict=strict, keep=True, warning=e.WARN_VIP_PUBLIC)
    return out


def _check_unknown(body: dict[str, Any], strict: bool, out: Checked) -> None:
    unknown = [name for name in body if name not in KNOWN_FIELDS]
    if strict:
        message = e.MSG_UNKNOWN_FIELDS.format(fields=", ".join(unknown))
        out.violations.append(Violation(unknown[0], message))
    else:
        out.warnings.extend(e.WARN_UNKNOWN_FIELD.format(field=name) for name in unknown)


def _check_choices(body: dict[str, Any], plan: _Plan, out: Checked) -> None:
    """aspectRatio, nFrames, size and the flags. A valid choice is kept as the constant
    itself, so 100,000 kept tasks share one string (the `in` of a tuple never hashes the
    value, which may be any JSON)."""
    params = out.params
    ratio = body.get("aspectRatio", "landscape")
    if ratio in ASPECT_RATIOS:
        params["aspectRatio"] = _SHARED[ratio]
    else:
        out.violations.append(_ASPECT_RATIO)
    _check_frames(body, plan.spec, plan.frames, out)
    if plan.spec is not None and plan.spec.sized:
        size = body.get("size", "standard")
        if size in SIZES:
            params["size"] = _SHARED[size]
        else:
            out.violations.append(_SIZE)
    for name in plan.flags:
        value = body.get(name, True)
        if value is True or value is False:
            params[name] = value
        else:
            out.violations.append(_FLAG[name])


def _check_prompt(body: dict[str, Any], spec: ModelSpec, out: Checked) -> None:
    if "prompt" not in body:
        message = e.MSG_REQUIRED_FOR_MODEL.format(field="prompt", model=spec.name)
        out.violations.append(Violation("prompt", message))
    elif is_blank(body["prompt"]):
        out.violations.append(Violation("prompt", e.MSG_NOT_BLANK_STRING.format(field="prompt")))
    else:
        out.params["prompt"] = body["prompt"]


def _check_image(
    body: dict[str, Any], spec: ModelSpec, out: Checked, strict: bool, max_bytes: int
) -> None:
    checked: dict[str, Any] | str | Violation
    if "imageData" in body:
        checked = check_image_data(body["imageData"], strict, max_bytes)
        name = "imageData"
        if "imageUrl" in body:
            out.warnings.append(e.WARN_IMAGE_URL_IGNORED)
    elif "imageUrl" in body:
        checked = _check_image_url(body["imageUrl"])
        name = "imageUrl"
    else:
        checked = Violation("imageData", e.MSG_IMAGE_REQUIRED.format(model=spec.name))
        name = ""
    if isinstance(checked, Violation):
        out.violations.append(checked)
    else:
        out.params[name] = checked


def _check_frames(
    body: dict[str, Any], spec: ModelSpec | None, allowed: tuple[int, ...], out: Checked
) -> None:
    if "nFrames" not in body:
        if spec is not None:
            out.params["nFrames"] = spec.default_frames
        return
    raw = body["nFrames"]
    kind = type(raw)
    known = None
    if spec is not None and (kind is int or kind is str):
        known = _KNOWN_FRAMES.get((spec.name, raw))
    if known is not None:  # an allowed value, as a number or as its digits (documented)
        out.params["nFrames"], note = known
        if note:
            out.normalizations.append(note)
            out.documented_forms.append(note)
        return
    number = integer_or_digits(raw)
    if number is None:
        model = spec.name if spec else "the model"
        choices = ", ".join(map(str, allowed))
        out.violations.append(
            Violation("nFrames", e.MSG_NFRAMES.format(model=model, choices=choices))
        )
    elif spec is not None:
        value = number if number in allowed else nearest_allowed(number, allowed)
        out.params["nFrames"] = value
        if value != raw:
            # what json.dumps gives for an int or a string of digits, without its cost
            given = _as_json(raw) if len(str(raw)) <= 40 else f"{str(raw)[:40]}…"
            out.normalizations.append(
                e.NORM_NFRAMES.format(given=given, value=value, model=spec.name)
            )


def _as_json(raw: int | str) -> str:
    """An nFrames value as JSON: digits need no escaping, so a string is only quoted."""
    return f'"{raw}"' if isinstance(raw, str) else str(raw)


# (model, an allowed nFrames as sent) -> (the value, its normalization note or ""): the values
# clients send, worked out once as the general rule above would
_KNOWN_FRAMES: Final[dict[tuple[str, int | str], tuple[int, str]]] = {
    (spec.name, given): (value, note)
    for spec in MODELS.values()
    for value in spec.frames
    for given, note in (
        (value, ""),
        (
            str(value),
            e.NORM_NFRAMES.format(given=_as_json(str(value)), value=value, model=spec.name),
        ),
    )
}


def _check_storyboard(body: dict[str, Any], spec: ModelSpec, out: Checked) -> None:
    if "shots" not in body:
        message = e.MSG_REQUIRED_FOR_MODEL.format(field="shots", model=spec.name)
        out.violations.append(Violation("shots", message))
    else:
        shots = _check_shots(body["shots"], out.warnings)
        if isinstance(shots, list) and shots and isinstance(shots[0], Violation):
            out.violations.extend(s for s in shots if isinstance(s, Violation))
        else:
            out.params["shots"] = shots
