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

from .. import errors as e
from .common import (
    Collected,
    Violation,
    check_image_data,
    choice,
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


def check_create(
    body: dict[str, Any], *, strict: bool, max_image_bytes: int, vip: bool = False
) -> Checked:
    """Validate and normalize a create-task body in the contract's order of checks.

    Every violated rule is collected (the journal lists them all); the first one is the answer.
    `vip` is the account's flag, for the VIP-only inputs (`isPublic: false`).
    """
    out = Checked()
    model = body.get("model")
    spec = MODELS.get(model) if isinstance(model, str) else None
    if "model" not in body:
        out.violations.append(Violation("model", e.MSG_REQUIRED.format(field="model")))
    elif spec is None:
        choices = ", ".join(MODELS)
        out.violations.append(Violation("model", e.MSG_MODEL_UNKNOWN.format(choices=choices)))
    out.model = spec
    _check_prompt(body, spec, out)
    _check_image(body, spec, out, strict, max_image_bytes)
    _check_aspect_ratio(body, out)
    _check_frames(body, spec, out)
    _check_size(body, spec, out)
    _check_flags(body, spec, out)
    _check_storyboard(body, spec, out)
    unknown = [name for name in body if name not in KNOWN_FIELDS]
    if unknown and strict:
        message = e.MSG_UNKNOWN_FIELDS.format(fields=", ".join(unknown))
        out.violations.append(Violation(unknown[0], message))
    elif unknown:
        out.warnings.extend(e.WARN_UNKNOWN_FIELD.format(field=name) for name in unknown)
    if out.params.get("isPublic") is False:
        vip_only(out, "isPublic", vip=vip, strict=strict, keep=True, warning=e.WARN_VIP_PUBLIC)
    return out


def _not_applicable(
    body: dict[str, Any], spec: ModelSpec | None, out: Checked, *names: str
) -> None:
    """Fields that do not apply are not validated and not passed on, only noted."""
    if spec is None:
        return
    for name in names:
        if name in body:
            out.warnings.append(e.WARN_NOT_APPLICABLE.format(field=name, model=spec.name))


def _check_prompt(body: dict[str, Any], spec: ModelSpec | None, out: Checked) -> None:
    if spec is None or spec.kind == "storyboard":
        _not_applicable(body, spec, out, "prompt")
    elif "prompt" not in body:
        message = e.MSG_REQUIRED_FOR_MODEL.format(field="prompt", model=spec.name)
        out.violations.append(Violation("prompt", message))
    elif is_blank(body["prompt"]):
        out.violations.append(Violation("prompt", e.MSG_NOT_BLANK_STRING.format(field="prompt")))
    else:
        out.params["prompt"] = body["prompt"]


def _check_image(
    body: dict[str, Any], spec: ModelSpec | None, out: Checked, strict: bool, max_bytes: int
) -> None:
    if spec is None or spec.kind != "image":
        _not_applicable(body, spec, out, "imageData", "imageUrl")
        return
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


def _check_aspect_ratio(body: dict[str, Any], out: Checked) -> None:
    value = choice(body.get("aspectRatio", "landscape"), ASPECT_RATIOS)
    if value is not None:
        out.params["aspectRatio"] = value
    else:
        message = e.MSG_ONE_OF.format(field="aspectRatio", choices=", ".join(ASPECT_RATIOS))
        out.violations.append(Violation("aspectRatio", message))


def _check_frames(body: dict[str, Any], spec: ModelSpec | None, out: Checked) -> None:
    allowed = spec.frames if spec else (10, 15, 25)
    if "nFrames" not in body:
        if spec is not None:
            out.params["nFrames"] = spec.default_frames
        return
    raw = body["nFrames"]
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


def _check_size(body: dict[str, Any], spec: ModelSpec | None, out: Checked) -> None:
    if spec is None or not spec.sized:
        _not_applicable(body, spec, out, "size")
        return
    value = choice(body.get("size", "standard"), SIZES)
    if value is not None:
        out.params["size"] = value
    else:
        message = e.MSG_ONE_OF.format(field="size", choices=", ".join(SIZES))
        out.violations.append(Violation("size", message))


def _check_flags(body: dict[str, Any], spec: ModelSpec | None, out: Checked) -> None:
    names: tuple[str, ...] = ("removeWatermark", "isPublic")
    if spec is not None and not spec.watermark:
        _not_applicable(body, spec, out, "removeWatermark")
        names = ("isPublic",)
    for name in names:
        value = body.get(name, True)
        if isinstance(value, bool):
            out.params[name] = value
        else:
            out.violations.append(Violation(name, e.MSG_BOOLEAN.format(field=name)))


def _check_storyboard(body: dict[str, Any], spec: ModelSpec | None, out: Checked) -> None:
    if spec is None or spec.kind != "storyboard":
        _not_applicable(body, spec, out, "shots")
    elif "shots" not in body:
        message = e.MSG_REQUIRED_FOR_MODEL.format(field="shots", model=spec.name)
        out.violations.append(Violation("shots", message))
    else:
        shots = _check_shots(body["shots"], out.warnings)
        if isinstance(shots, list) and shots and isinstance(shots[0], Violation):
            out.violations.extend(s for s in shots if isinstance(s, Violation))
        else:
            out.params["shots"] = shots
