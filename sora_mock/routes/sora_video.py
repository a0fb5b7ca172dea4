"""A6: the rules of `POST /api/v1/video/sora-video`, in the contract's order of checks.

Every field applies to all three models, so unlike A2 nothing here depends on the model but the
price. Two rules need the simulation: `remixTargetId` must name a result of the key's own,
which the caller answers through `is_own_result`; and the VIP rule needs the account's flag.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from ..core import errors as e
from ..core.findings import Collected, Violation
from .common import (
    IMAGE_DATA_BREAKING,
    breaking,
    check_http_url,
    check_image_data,
    choice,
    integer_or_digits,
    is_blank,
    nearest_allowed,
    vip_only,
)

MODELS: Final = ("sora-2", "sora-2-pro", "sora-2-stable")
ASPECT_RATIOS: Final = ("9:16", "16:9")
DURATIONS: Final = (10, 15)
DEFAULT_DURATION: Final = 10
MAX_CHARACTERS: Final = 5
NO_WEBHOOK: Final = ("", "-1")  # public clients send "-1" for "I will poll" [mock decision]
KNOWN_FIELDS: Final = frozenset(
    (
        "model",
        "prompt",
        "imageData",
        "url",
        "aspectRatio",
        "duration",
        "isPublic",
        "remixTargetId",
        "characters",
        "webHook",
        "shutProgress",
    )
)
URL: Final = "https://example.com/sora-mock-probe.png"
# A6's rules as data, each with a body change that breaks it first (see `common.Breaking`). Not
# here: the rules only strict mode or the account has (unknown fields, signatures, VIP: 403)
# and an image larger than `max_image_bytes`.
BREAKING: Final = (
    breaking("model.missing", "model", "MSG_REQUIRED", absent=("model",)),
    breaking("model.case", "model", "MSG_MODEL_UNKNOWN", model="Sora-2"),
    breaking("prompt.missing", "prompt", "MSG_REQUIRED", absent=("prompt",)),
    breaking("prompt.blank", "prompt", "MSG_NOT_BLANK_STRING", prompt=""),
    # the shared image rules but the empty payload (A2 probes it): a strict run's free probes
    # and their balance reads then stay within the default --max-requests (100)
    *(b for b in IMAGE_DATA_BREAKING if b.message != "MSG_IMAGE_EMPTY"),
    breaking("url.not_url", "url", "MSG_HTTP_URL", url="ftp://example.com/a.png"),
    breaking("aspectRatio.square", "aspectRatio", "MSG_ONE_OF", aspectRatio="square"),
    breaking("duration.word", "duration", "MSG_DURATION", duration="ten"),
    breaking("isPublic.string", "isPublic", "MSG_BOOLEAN", isPublic="no"),
    breaking("remixTargetId.blank", "remixTargetId", "MSG_NOT_BLANK_STRING", remixTargetId=" "),
    breaking("remixTargetId.unknown", "remixTargetId", "MSG_REMIX_TARGET", remixTargetId="0" * 32),
    breaking("characters.object", "characters", "MSG_CHARACTERS_ARRAY", characters={}),
    breaking(
        "characters.too_many",
        "characters",
        "MSG_CHARACTERS_TOO_MANY",
        characters=[{"url": URL, "timestamps": "0,1"}] * (MAX_CHARACTERS + 1),
    ),
    breaking("characters.item", "characters[0]", "MSG_CHARACTER_OBJECT", characters=["c"]),
    breaking(
        "characters.url_missing",
        "characters[0].url",
        "MSG_REQUIRED",
        characters=[{"timestamps": "0,1"}],
    ),
    breaking(
        "characters.url_not_url",
        "characters[0].url",
        "MSG_HTTP_URL",
        characters=[{"url": "not a url", "timestamps": "0,1"}],
    ),
    breaking(
        "characters.timestamps_bad",
        "characters[0].timestamps",
        "MSG_CHARACTER_TIMESTAMPS",
        characters=[{"url": URL, "timestamps": "5,1"}],
    ),
    breaking("webHook.not_url", "webHook", "MSG_WEBHOOK", webHook="not a url"),
    breaking("shutProgress.string", "shutProgress", "MSG_BOOLEAN", shutProgress="no"),
)
_NUMBER = r" *([0-9]+(?:\.[0-9]+)?) *"
_TIMESTAMPS = re.compile(f"{_NUMBER},{_NUMBER}")


@dataclass(slots=True)
class VideoChecked(Collected):
    """The outcome of validating one A6 body."""

    model: str | None = None
    webhook: str | None = None
    shut_progress: bool = False

    @property
    def duration(self) -> int:
        return int(self.params["duration"])

    def fail(self, name: str, message: str) -> None:
        self.violations.append(Violation(name, message))


def check_sora_video(
    body: dict[str, Any],
    *,
    strict: bool,
    max_image_bytes: int,
    is_own_result: Callable[[str], bool],
    vip: bool,
) -> VideoChecked:
    """Validate and normalize an A6 body; every violated rule is collected, the first answers.

    `vip` is the account's flag: the VIP-only inputs (`isPublic: false`, `remixTargetId`,
    `characters`, `[]` included) are validated first, then kept, dropped or a 403 (A2's rule).
    """
    out = VideoChecked()
    _check_model_and_prompt(body, out)
    _check_image(body, out, strict, max_image_bytes)
    aspect = choice(body.get("aspectRatio", "9:16"), ASPECT_RATIOS)
    if aspect is None:
        out.fail(
            "aspectRatio",
            e.MSG_ONE_OF.format(field="aspectRatio", choices=", ".join(ASPECT_RATIOS)),
        )
    else:
        out.params["aspectRatio"] = aspect
    limit = _check_duration(body, out)
    _check_is_public(body, out)
    _check_remix(body, out, is_own_result)
    _check_characters(body, out, limit)
    _check_webhook(body, out)
    shut = body.get("shutProgress", False)
    if isinstance(shut, bool):
        out.shut_progress = shut
    else:
        out.fail("shutProgress", e.MSG_BOOLEAN.format(field="shutProgress"))
    unknown = [name for name in body if name not in KNOWN_FIELDS]
    if unknown and strict:
        out.fail(unknown[0], e.MSG_UNKNOWN_FIELDS.format(fields=", ".join(unknown)))
    elif unknown:
        out.warnings.extend(e.WARN_UNKNOWN_FIELD.format(field=name) for name in unknown)
    if out.params.get("isPublic") is False:
        vip_only(out, "isPublic", vip=vip, strict=strict, keep=True, warning=e.WARN_VIP_PUBLIC)
    for name in ("remixTargetId", "characters"):
        vip_only(out, name, vip=vip, strict=strict)
    return out


def _check_model_and_prompt(body: dict[str, Any], out: VideoChecked) -> None:
    model = body.get("model")
    if "model" not in body:
        out.fail("model", e.MSG_REQUIRED.format(field="model"))
    elif not isinstance(model, str) or choice(model, MODELS) is None:
        out.fail("model", e.MSG_MODEL_UNKNOWN.format(choices=", ".join(MODELS)))
    else:
        out.model = choice(model, MODELS)
    if "prompt" not in body:
        out.fail("prompt", e.MSG_REQUIRED.format(field="prompt"))
    elif is_blank(body["prompt"]):
        out.fail("prompt", e.MSG_NOT_BLANK_STRING.format(field="prompt"))
    else:
        out.params["prompt"] = body["prompt"]


def _check_image(body: dict[str, Any], out: VideoChecked, strict: bool, max_bytes: int) -> None:
    if "imageData" in body:
        checked = check_image_data(body["imageData"], strict, max_bytes)
        if isinstance(checked, Violation):
            out.violations.append(checked)
        else:
            out.params["imageData"] = checked
        if "url" in body:
            out.warnings.append(e.WARN_URL_IGNORED)
    elif "url" in body:
        url = check_http_url(body["url"], "url")
        if isinstance(url, Violation):
            out.violations.append(url)
        else:
            out.params["url"] = url


def _check_duration(body: dict[str, Any], out: VideoChecked) -> int:
    """Normalize `duration` as A2 normalizes nFrames; the limit the characters' times obey."""
    if "duration" not in body:
        out.params["duration"] = DEFAULT_DURATION
        return DEFAULT_DURATION
    raw = body["duration"]
    number = integer_or_digits(raw)
    if number is None:
        out.fail("duration", e.MSG_DURATION.format(choices=", ".join(map(str, DURATIONS))))
        return max(DURATIONS)
    value = nearest_allowed(number, DURATIONS)
    out.params["duration"] = value
    if value != raw:
        given = json.dumps(raw) if len(str(raw)) <= 40 else f"{str(raw)[:40]}…"
        note = e.NORM_DURATION.format(given=given, value=value)
        out.normalizations.append(note)
        if raw == str(value):  # an allowed value's own digits, as nFrames's "10" (A2)
            out.documented_forms.append(note)
    return value


def _check_is_public(body: dict[str, Any], out: VideoChecked) -> None:
    value = body.get("isPublic", True)
    if not isinstance(value, bool):
        out.fail("isPublic", e.MSG_BOOLEAN.format(field="isPublic"))
        return
    out.params["isPublic"] = value


def _check_remix(
    body: dict[str, Any], out: VideoChecked, is_own_result: Callable[[str], bool]
) -> None:
    if "remixTargetId" not in body:
        return
    value = body["remixTargetId"]
    if is_blank(value):
        out.fail("remixTargetId", e.MSG_NOT_BLANK_STRING.format(field="remixTargetId"))
    elif not is_own_result(value):
        out.fail("remixTargetId", e.MSG_REMIX_TARGET)
    else:
        out.params["remixTargetId"] = value


def _timestamps_ok(value: Any, limit: int) -> bool:
    if not isinstance(value, str):
        return False
    found = _TIMESTAMPS.fullmatch(value)
    if found is None:
        return False
    start, end = float(found.group(1)), float(found.group(2))
    return 0 <= start < end <= limit


def _check_characters(body: dict[str, Any], out: VideoChecked, limit: int) -> None:
    if "characters" not in body:
        return
    raw = body["characters"]
    if not isinstance(raw, list):
        out.fail("characters", e.MSG_CHARACTERS_ARRAY)
        return
    if len(raw) > MAX_CHARACTERS:
        message = e.MSG_CHARACTERS_TOO_MANY.format(limit=MAX_CHARACTERS, count=len(raw))
        out.fail("characters", message)
        return
    kept: list[dict[str, Any]] = []
    broken = False
    for index, item in enumerate(raw):
        where = f"characters[{index}]"
        if not isinstance(item, dict):
            out.fail(where, e.MSG_CHARACTER_OBJECT.format(index=index))
            broken = True
            continue
        if "url" not in item:
            out.fail(f"{where}.url", e.MSG_REQUIRED.format(field=f"{where}.url"))
            broken = True
        else:
            url = check_http_url(item["url"], f"{where}.url")
            if isinstance(url, Violation):
                out.violations.append(url)
                broken = True
        if "timestamps" not in item:
            out.fail(f"{where}.timestamps", e.MSG_REQUIRED.format(field=f"{where}.timestamps"))
            broken = True
        elif not _timestamps_ok(item["timestamps"], limit):
            message = e.MSG_CHARACTER_TIMESTAMPS.format(index=index, limit=limit)
            out.fail(f"{where}.timestamps", message)
            broken = True
        extra = sorted(k for k in item if k not in ("url", "timestamps"))
        if extra:
            out.warnings.append(
                e.WARN_CHARACTER_KEYS_DROPPED.format(index=index, keys=", ".join(extra))
            )
        kept.append({"url": item.get("url"), "timestamps": item.get("timestamps")})
    if not broken:
        out.params["characters"] = kept


def _check_webhook(body: dict[str, Any], out: VideoChecked) -> None:
    if "webHook" not in body:
        return
    value = body["webHook"]
    if isinstance(value, str) and value in NO_WEBHOOK:
        return
    url = check_http_url(value, "webHook")
    if isinstance(url, Violation):
        out.fail("webHook", e.MSG_WEBHOOK)
    else:
        out.params["webHook"] = url
        out.webhook = url
