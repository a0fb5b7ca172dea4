"""The create-task rules (CONTRACT A2), each broken and each kept, through HTTP.

Every expected message is built from the same template in `sora_mock.core.errors` that the server
formats, so a reworded message fails here instead of drifting. Accepted requests are checked by
the task's `params` (B3), which is what would be sent upstream.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path
from typing import Any, Final

import pytest

from sora_mock.core import errors
from sora_mock.tasks.task import TEXT_KEPT

from ..conftest import MakeClient
from ..helpers import (
    CREATE,
    KEY,
    PNG_B64,
    PNG_DATA_URL,
    START,
    Client,
    admin,
    auth,
    balance,
    create,
    create_ok,
)

REPO: Final = Path(__file__).resolve().parents[2]
TEXT: Final = "sora-2-text-to-video"
IMAGE: Final = "sora-2-image-to-video"
TEXT_STABLE: Final = "sora-2-text-to-video-stable"
IMAGE_STABLE: Final = "sora-2-image-to-video-stable"
PRO_TEXT: Final = "sora-2-pro-text-to-video"
PRO_IMAGE: Final = "sora-2-pro-image-to-video"
STORYBOARD: Final = "sora-2-pro-storyboard"
MODELS: Final = (TEXT, IMAGE, TEXT_STABLE, IMAGE_STABLE, PRO_TEXT, PRO_IMAGE, STORYBOARD)
IMAGE_MODELS: Final = (IMAGE, IMAGE_STABLE, PRO_IMAGE)
PROMPTED: Final = MODELS[:-1]
SIZED: Final = (PRO_TEXT, PRO_IMAGE)
# removeWatermark applies to the non-storyboard models that are not `-stable` (A2)
WATERMARKED: Final = (TEXT, IMAGE, PRO_TEXT, PRO_IMAGE)
UNSIZED: Final = tuple(m for m in MODELS if m not in SIZED)

PROMPT: Final = "a fox in the snow"
SHOT: Final[dict[str, Any]] = {"Scene": "a city skyline at dusk", "duration": 5}
PNG_BYTES: Final = base64.b64decode(PNG_B64)
PNG_SUMMARY: Final = {
    "mediaType": "image/png",
    "bytes": len(PNG_BYTES),
    "sha256": hashlib.sha256(PNG_BYTES).hexdigest(),
}
JPEG_BYTES: Final = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01"
GIF_BYTES: Final = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
WEBP_BYTES: Final = b"RIFF\x1a\x00\x00\x00WEBPVP8 \x0e\x00\x00\x00"

MODEL_CHOICES: Final = errors.MSG_MODEL_UNKNOWN.format(choices=", ".join(MODELS))
ASPECT_MESSAGE: Final = errors.MSG_ONE_OF.format(field="aspectRatio", choices="portrait, landscape")
SIZE_MESSAGE: Final = errors.MSG_ONE_OF.format(field="size", choices="standard, high")
TASK_ID: Final = re.compile(r"[0-9a-f]{32}")


class _Absent:
    """Marks a field left out of the body (distinct from a field sent as null)."""

    def __repr__(self) -> str:
        return "absent"


ABSENT: Final = _Absent()


def body_of(model: str, /, **fields: Any) -> dict[str, Any]:
    """The minimal valid body of `model` with some fields set; ABSENT leaves a field out."""
    body: dict[str, Any] = {"model": model}
    if model == STORYBOARD:
        body["shots"] = [dict(SHOT)]
    else:
        body["prompt"] = PROMPT
    if model in IMAGE_MODELS:
        body["imageData"] = PNG_DATA_URL
    body.update(fields)
    return {name: value for name, value in body.items() if value is not ABSENT}


def default_params(model: str) -> dict[str, Any]:
    """What B3 says a minimal body becomes: only the applicable fields, defaults filled in."""
    if model == STORYBOARD:
        return {"aspectRatio": "landscape", "nFrames": 15, "isPublic": True, "shots": [SHOT]}
    params: dict[str, Any] = {"prompt": PROMPT, "aspectRatio": "landscape", "nFrames": 10}
    if model in WATERMARKED:
        params["removeWatermark"] = True
    params["isPublic"] = True
    if model in IMAGE_MODELS:
        params["imageData"] = PNG_SUMMARY
    if model in SIZED:
        params["size"] = "standard"
    return params


def data_url(kind: str, data: bytes) -> str:
    return f"data:image/{kind};base64,{base64.b64encode(data).decode()}"


async def refused(client: Client, body: Any) -> str:
    """Send a body that must be refused with 400; returns the message."""
    envelope = await create(client, body)
    assert (errors.BAD_REQUEST, None) == (envelope["code"], envelope["data"]), envelope
    message: str = envelope["message"]
    return message


async def refused_raw(client: Client, text: str) -> str:
    """Like `refused`, for JSON text that Python's json.dumps would not write as given."""
    headers = {**auth(), "Content-Type": "application/json"}
    response = await client.post(CREATE, data=text.encode(), headers=headers)
    envelope = await response.json()
    assert (errors.BAD_REQUEST, None) == (envelope["code"], envelope["data"]), envelope
    message: str = envelope["message"]
    return message


async def params_of(client: Client, body: dict[str, Any]) -> dict[str, Any]:
    """Create a task that must be accepted; returns its params as the admin API shows them."""
    task_id = await create_ok(client, body)
    params: dict[str, Any] = (await admin(client, "GET", f"/tasks/{task_id}"))["params"]
    return params


async def last_row(client: Client) -> dict[str, Any]:
    row: dict[str, Any] = (await admin(client, "GET", "/requests"))["requests"][-1]
    return row


# -- model -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (ABSENT, errors.MSG_REQUIRED.format(field="model")),
        ("sora-3", MODEL_CHOICES),
        ("Sora-2-text-to-video", MODEL_CHOICES),
        ("SORA-2-PRO-STORYBOARD", MODEL_CHOICES),
        (" sora-2-text-to-video", MODEL_CHOICES),
        ("", MODEL_CHOICES),
        (5, MODEL_CHOICES),
        (None, MODEL_CHOICES),
        ([TEXT], MODEL_CHOICES),
    ],
    ids=repr,
)
async def test_a_missing_or_unknown_model_is_refused(
    client: Client, model: Any, message: str
) -> None:
    actual = await refused(client, body_of(TEXT, model=model))
    assert message == actual
    assert "model" in actual


@pytest.mark.parametrize("model", MODELS)
async def test_each_model_is_accepted_with_a_minimal_body_and_gets_the_b3_params(
    client: Client, model: str
) -> None:
    envelope = await create(client, body_of(model))
    assert (0, "ok") == (envelope["code"], envelope["message"])
    task_id = envelope["data"]["taskId"]
    assert TASK_ID.fullmatch(task_id)
    task = await admin(client, "GET", f"/tasks/{task_id}")
    assert (model, "pending") == (task["model"], task["status"])
    assert default_params(model) == task["params"]
    row = await last_row(client)
    assert ([], [], []) == (row["warnings"], row["normalizations"], row["violations"])


# -- prompt ----------------------------------------------------------------------------------


@pytest.mark.parametrize("model", PROMPTED)
@pytest.mark.parametrize("prompt", [ABSENT, "", "   ", "\t\n", None, 5, [PROMPT]], ids=repr)
async def test_prompt_is_a_required_non_blank_string_for_every_model_but_storyboard(
    client: Client, model: str, prompt: Any
) -> None:
    if prompt is ABSENT:
        expected = errors.MSG_REQUIRED_FOR_MODEL.format(field="prompt", model=model)
    else:
        expected = errors.MSG_NOT_BLANK_STRING.format(field="prompt")
    actual = await refused(client, body_of(model, prompt=prompt))
    assert expected == actual
    assert "prompt" in actual


@pytest.mark.parametrize("prompt", [" a  fox ", "ü", "x" * TEXT_KEPT])
async def test_any_non_blank_prompt_is_passed_on_as_given(client: Client, prompt: str) -> None:
    assert prompt == (await params_of(client, body_of(TEXT, prompt=prompt)))["prompt"]


# -- fields that do not apply ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "field", "value"),
    [
        (STORYBOARD, "prompt", "a story"),
        (STORYBOARD, "prompt", ""),
        (STORYBOARD, "prompt", None),
        (STORYBOARD, "prompt", 5),
        (TEXT, "imageData", "not a data url"),
        (TEXT_STABLE, "imageData", None),
        (PRO_TEXT, "imageUrl", "not a url"),
        (TEXT, "imageUrl", "https://example.com/a.png"),
        (STORYBOARD, "imageData", PNG_DATA_URL),
        (STORYBOARD, "imageUrl", "ftp://example.com/a.png"),
        (TEXT, "size", "enormous"),
        (IMAGE, "size", None),
        (TEXT_STABLE, "size", "high"),
        (IMAGE_STABLE, "size", 1),
        (STORYBOARD, "size", "HIGH"),
        (STORYBOARD, "removeWatermark", "yes"),
        (STORYBOARD, "removeWatermark", None),
        (STORYBOARD, "removeWatermark", False),
        (TEXT_STABLE, "removeWatermark", "yes"),
        (TEXT_STABLE, "removeWatermark", True),
        (IMAGE_STABLE, "removeWatermark", None),
        (IMAGE_STABLE, "removeWatermark", False),
        (TEXT, "shots", "not an array"),
        (PRO_IMAGE, "shots", [{"scene": "x"}]),
        (IMAGE, "shots", None),
    ],
    ids=repr,
)
async def test_a_field_that_does_not_apply_is_not_validated_not_passed_on_and_journaled(
    client: Client, model: str, field: str, value: Any
) -> None:
    params = await params_of(client, body_of(model, **{field: value}))
    assert default_params(model) == params
    warning = errors.WARN_NOT_APPLICABLE.format(field=field, model=model)
    assert [warning] == (await last_row(client))["warnings"]


# -- imageData ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["png", "PNG", "jpeg", "JPEG", "jpg", "Jpg", "webp", "gif", "GIF"])
async def test_image_data_accepts_each_declared_type_in_any_case(client: Client, kind: str) -> None:
    params = await params_of(client, body_of(IMAGE, imageData=data_url(kind, PNG_BYTES)))
    summary = params["imageData"]
    assert (len(PNG_BYTES), PNG_SUMMARY["sha256"]) == (summary["bytes"], summary["sha256"])
    assert {"mediaType", "bytes", "sha256"} == set(summary)


@pytest.mark.parametrize("model", IMAGE_MODELS)
async def test_image_data_is_passed_on_as_a_summary_of_the_decoded_bytes(
    client: Client, model: str
) -> None:
    assert PNG_SUMMARY == (await params_of(client, body_of(model)))["imageData"]


async def test_the_summary_hashes_the_decoded_bytes_of_any_image(client: Client) -> None:
    data = bytes(range(256)) * 3
    params = await params_of(client, body_of(IMAGE, imageData=data_url("gif", data)))
    assert {
        "mediaType": "image/gif",
        "bytes": 768,
        "sha256": hashlib.sha256(data).hexdigest(),
    } == params["imageData"]


@pytest.mark.parametrize(
    ("image_data", "message"),
    [
        (f"image/png;base64,{PNG_B64}", errors.MSG_IMAGE_DATA_URL),
        (PNG_B64, errors.MSG_IMAGE_DATA_URL),
        (f"data:image/png,{PNG_B64}", errors.MSG_IMAGE_DATA_URL),
        (f"data:image/bmp;base64,{PNG_B64}", errors.MSG_IMAGE_DATA_URL),
        (f"data:image/svg+xml;base64,{PNG_B64}", errors.MSG_IMAGE_DATA_URL),
        (f"data:text/plain;base64,{PNG_B64}", errors.MSG_IMAGE_DATA_URL),
        (f" data:image/png;base64,{PNG_B64}", errors.MSG_IMAGE_DATA_URL),
        ("", errors.MSG_IMAGE_DATA_URL),
        (None, errors.MSG_IMAGE_DATA_URL),
        (5, errors.MSG_IMAGE_DATA_URL),
        ([PNG_DATA_URL], errors.MSG_IMAGE_DATA_URL),
        ({"data": PNG_B64}, errors.MSG_IMAGE_DATA_URL),
        ("data:image/png;base64,iVBO*w0K", errors.MSG_IMAGE_BASE64),
        ("data:image/png;base64,iVBO-w0_", errors.MSG_IMAGE_BASE64),
        ("data:image/png;base64,iVBOäw0K", errors.MSG_IMAGE_BASE64),
        ("data:image/png;base64,iVB Rw0K", errors.MSG_IMAGE_BASE64),
        (f"data:image/png;base64,{PNG_B64[:40]}\n{PNG_B64[40:]}", errors.MSG_IMAGE_BASE64),
        (f"data:image/png;base64,{PNG_B64} ", errors.MSG_IMAGE_BASE64),
        ("data:image/png;base64,iVBORw0KGgo", errors.MSG_IMAGE_BASE64),
        ("data:image/png;base64,AAAA=", errors.MSG_IMAGE_BASE64),
        ("data:image/png;base64,AA=A", errors.MSG_IMAGE_BASE64),
        ("data:image/png;base64,A===", errors.MSG_IMAGE_BASE64),
        ("data:image/png;base64,====", errors.MSG_IMAGE_BASE64),
        ("data:image/png;base64,", errors.MSG_IMAGE_EMPTY),
    ],
    ids=repr,
)
async def test_a_bad_image_data_is_refused(client: Client, image_data: Any, message: str) -> None:
    actual = await refused(client, body_of(IMAGE, imageData=image_data))
    assert message == actual
    assert "imageData" in actual


@pytest.mark.parametrize(
    ("size", "accepted"), [(1, True), (10, True), (11, False), (len(PNG_BYTES), False)]
)
async def test_image_data_may_decode_to_at_most_max_image_bytes(
    make_client: MakeClient, size: int, accepted: bool
) -> None:
    client = await make_client(max_image_bytes=10)
    body = body_of(PRO_IMAGE, imageData=data_url("png", (PNG_BYTES * 2)[:size]))
    if accepted:
        assert size == (await params_of(client, body))["imageData"]["bytes"]
    else:
        actual = await refused(client, body)
        assert errors.MSG_IMAGE_TOO_LARGE.format(limit=10) == actual
        assert ("imageData" in actual, "10" in actual) == (True, True)


@pytest.mark.parametrize(
    ("kind", "data", "accepted"),
    [
        ("png", PNG_BYTES, True),
        ("PNG", PNG_BYTES, True),
        ("jpeg", JPEG_BYTES, True),
        ("jpg", JPEG_BYTES, True),
        ("gif", GIF_BYTES, True),
        ("gif", b"GIF87a" + GIF_BYTES[6:], True),
        ("webp", WEBP_BYTES, True),
        ("png", b"not an image at all", False),
        ("png", JPEG_BYTES, False),
        ("jpeg", PNG_BYTES, False),
        ("jpg", GIF_BYTES, False),
        ("gif", b"GIF90a" + GIF_BYTES[6:], False),
        ("webp", b"RIFF\x1a\x00\x00\x00WAVEfmt ", False),
        ("webp", PNG_BYTES, False),
    ],
    ids=repr,
)
async def test_strict_mode_checks_the_signature_of_the_declared_type(
    make_client: MakeClient, kind: str, data: bytes, accepted: bool
) -> None:
    client = await make_client(strict=True)
    body = body_of(IMAGE, imageData=data_url(kind, data))
    if accepted:
        assert len(data) == (await params_of(client, body))["imageData"]["bytes"]
    else:
        actual = await refused(client, body)
        assert errors.MSG_IMAGE_SIGNATURE.format(type=kind) == actual
        assert "imageData" in actual


async def test_without_strict_mode_the_bytes_need_no_signature(client: Client) -> None:
    body = body_of(IMAGE, imageData=data_url("png", b"not an image at all"))
    assert 19 == (await params_of(client, body))["imageData"]["bytes"]


@pytest.mark.parametrize("model", IMAGE_MODELS)
async def test_an_image_model_needs_image_data_or_image_url(client: Client, model: str) -> None:
    actual = await refused(client, body_of(model, imageData=ABSENT))
    assert errors.MSG_IMAGE_REQUIRED.format(model=model) == actual
    assert ("imageData" in actual, "imageUrl" in actual) == (True, True)


@pytest.mark.parametrize("image_url", ["not a url", "https://example.com/a.png", None, 5])
async def test_image_data_wins_over_image_url_which_is_ignored_unchecked_with_a_warning(
    client: Client, image_url: Any
) -> None:
    params = await params_of(client, body_of(IMAGE, imageUrl=image_url))
    assert default_params(IMAGE) == params
    assert errors.WARN_IMAGE_URL_IGNORED in (await last_row(client))["warnings"]


async def test_a_bad_image_data_is_refused_even_beside_a_good_image_url(client: Client) -> None:
    body = body_of(IMAGE, imageData=None, imageUrl="https://example.com/a.png")
    assert errors.MSG_IMAGE_DATA_URL == await refused(client, body)


# -- imageUrl ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "image_url",
    [
        "http://example.com/a.png",
        "https://example.com/a.png",
        "https://cdn.example.com:8443/x/y.jpg?size=2#top",
        "http://127.0.0.1/a.png",
        "https://example.com",
    ],
)
@pytest.mark.parametrize("model", IMAGE_MODELS)
async def test_an_absolute_http_or_https_image_url_is_passed_on(
    client: Client, model: str, image_url: str
) -> None:
    params = await params_of(client, body_of(model, imageData=ABSENT, imageUrl=image_url))
    expected = {**default_params(model), "imageUrl": image_url}
    del expected["imageData"]
    assert expected == params


@pytest.mark.parametrize(
    "image_url",
    [
        "ftp://example.com/a.png",
        "file:///tmp/a.png",
        "/images/a.png",
        "images/a.png",
        "example.com/a.png",
        "//example.com/a.png",
        "http://",
        "https:///a.png",
        "https://exa mple.com/a.png",
        "",
        None,
        5,
        ["https://example.com/a.png"],
    ],
    ids=repr,
)
async def test_a_bad_image_url_is_refused(client: Client, image_url: Any) -> None:
    actual = await refused(client, body_of(IMAGE_STABLE, imageData=ABSENT, imageUrl=image_url))
    assert errors.MSG_IMAGE_URL == actual
    assert "imageUrl" in actual


# -- aspectRatio -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("aspect_ratio", "expected"),
    [(ABSENT, "landscape"), ("landscape", "landscape"), ("portrait", "portrait")],
    ids=repr,
)
@pytest.mark.parametrize("model", [TEXT, PRO_IMAGE, STORYBOARD])
async def test_aspect_ratio_is_portrait_or_landscape_by_default_landscape(
    client: Client, model: str, aspect_ratio: Any, expected: str
) -> None:
    params = await params_of(client, body_of(model, aspectRatio=aspect_ratio))
    assert expected == params["aspectRatio"]


@pytest.mark.parametrize(
    "aspect_ratio", ["Portrait", "LANDSCAPE", "square", "16:9", "", None, 1, ["portrait"]], ids=repr
)
async def test_any_other_aspect_ratio_is_refused(client: Client, aspect_ratio: Any) -> None:
    actual = await refused(client, body_of(TEXT, aspectRatio=aspect_ratio))
    assert ASPECT_MESSAGE == actual
    assert "aspectRatio" in actual


# -- nFrames -----------------------------------------------------------------------------------

HUGE: Final = 10**29 + 7  # 30 digits

FRAMES_10_15: Final[list[tuple[Any, int]]] = [
    (ABSENT, 10),
    (10, 10),
    (15, 15),
    (11, 10),
    (12, 10),
    (13, 15),
    (14, 15),
    (25, 15),
    (-5, 10),
    (0, 10),
    (1, 10),
    (1000, 15),
    (HUGE, 15),
    (-HUGE, 10),
    ("10", 10),
    ("15", 15),
    ("0015", 15),
    ("25", 15),
    ("0", 10),
    ("12", 10),
    ("13", 15),
    (str(HUGE), 15),
]
FRAMES_STORYBOARD: Final[list[tuple[Any, int]]] = [
    (ABSENT, 15),
    (10, 10),
    (15, 15),
    (25, 25),
    (12, 10),
    (13, 15),
    (20, 15),
    (21, 25),
    (-5, 10),
    (0, 10),
    (1, 10),
    (1000, 25),
    (HUGE, 25),
    ("10", 10),
    ("0015", 15),
    ("25", 25),
    ("020", 15),
    ("21", 25),
    (str(HUGE), 25),
]


@pytest.mark.parametrize(
    ("model", "n_frames", "expected"),
    [(m, given, want) for m in PROMPTED for given, want in FRAMES_10_15]
    + [(STORYBOARD, given, want) for given, want in FRAMES_STORYBOARD],
    ids=repr,
)
async def test_n_frames_is_normalized_to_the_nearest_allowed_value(
    client: Client, model: str, n_frames: Any, expected: int
) -> None:
    actual = (await params_of(client, body_of(model, nFrames=n_frames)))["nFrames"]
    assert (expected, int) == (actual, type(actual))


@pytest.mark.parametrize(("raw", "expected"), [("-0", 10), ("-5", 10), ("1000", 15)])
async def test_n_frames_reads_json_integer_literals(
    client: Client, raw: str, expected: int
) -> None:
    text = json.dumps(body_of(TEXT))[:-1] + f', "nFrames": {raw}}}'
    response = await client.post(
        CREATE, data=text.encode(), headers={**auth(), "Content-Type": "application/json"}
    )
    task_id = (await response.json())["data"]["taskId"]
    assert expected == (await admin(client, "GET", f"/tasks/{task_id}"))["params"]["nFrames"]


@pytest.mark.parametrize(
    "raw",
    [
        '"ten"',
        '""',
        '" 10"',
        '"10 "',
        '"10.0"',
        '"-5"',
        '"+5"',
        '"1e1"',
        '"0x0a"',
        '"\u0661\u0660"',
        '"\uff11\uff10"',
        "true",
        "false",
        "10.5",
        "10.0",
        "1e1",
        "1E1",
        "-1.5",
        "null",
        "[10]",
        "{}",
    ],
)
@pytest.mark.parametrize(("model", "choices"), [(TEXT, "10, 15"), (STORYBOARD, "10, 15, 25")])
async def test_n_frames_that_is_not_an_integer_or_digit_string_is_refused(
    client: Client, model: str, choices: str, raw: str
) -> None:
    text = json.dumps(body_of(model))[:-1] + f', "nFrames": {raw}}}'
    actual = await refused_raw(client, text)
    assert errors.MSG_NFRAMES.format(model=model, choices=choices) == actual
    assert "nFrames" in actual


async def test_a_number_beyond_the_range_of_a_double_is_refused_as_malformed_json(
    client: Client,
) -> None:
    """[mock decision] 1e400 has no finite reading, so the body is refused before any field."""
    text = json.dumps(body_of(TEXT))[:-1] + ', "nFrames": 1e400}'
    reason = "the number 1e400 is out of range"
    assert errors.MSG_NOT_JSON_OBJECT.format(reason=reason) == await refused_raw(client, text)


@pytest.mark.parametrize(
    ("n_frames", "normalizations", "documented"),
    [
        (ABSENT, [], False),
        (10, [], False),
        (15, [], False),
        ("10", [errors.NORM_NFRAMES.format(given='"10"', value=10, model=TEXT)], True),
        ("15", [errors.NORM_NFRAMES.format(given='"15"', value=15, model=TEXT)], True),
        ("010", [errors.NORM_NFRAMES.format(given='"010"', value=10, model=TEXT)], False),
        ("12", [errors.NORM_NFRAMES.format(given='"12"', value=10, model=TEXT)], False),
        (12, [errors.NORM_NFRAMES.format(given="12", value=10, model=TEXT)], False),
        (25, [errors.NORM_NFRAMES.format(given="25", value=15, model=TEXT)], False),
    ],
    ids=repr,
)
async def test_a_normalization_of_n_frames_is_journaled(
    client: Client, n_frames: Any, normalizations: list[str], documented: bool
) -> None:
    """Every one is journaled; only the digits of an allowed value, the form the provider's
    own examples send, is marked a documented form (no finding for the client report)."""
    await create_ok(client, body_of(TEXT, nFrames=n_frames))
    row = await last_row(client)
    assert (normalizations, normalizations if documented else []) == (
        row["normalizations"],
        row["documented_forms"],
    )


# -- size --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "expected"), [(ABSENT, "standard"), ("standard", "standard"), ("high", "high")]
)
@pytest.mark.parametrize("model", SIZED)
async def test_size_applies_to_the_pro_text_and_image_models_by_default_standard(
    client: Client, model: str, size: Any, expected: str
) -> None:
    assert expected == (await params_of(client, body_of(model, size=size)))["size"]


@pytest.mark.parametrize("size", ["HIGH", "Standard", "medium", "", None, 1, ["high"]], ids=repr)
@pytest.mark.parametrize("model", SIZED)
async def test_any_other_size_is_refused(client: Client, model: str, size: Any) -> None:
    actual = await refused(client, body_of(model, size=size))
    assert SIZE_MESSAGE == actual
    assert "size" in actual


@pytest.mark.parametrize("model", UNSIZED)
async def test_size_given_to_a_model_without_sizes_is_ignored(client: Client, model: str) -> None:
    params = await params_of(client, body_of(model, size="high"))
    assert "size" not in params
    warning = errors.WARN_NOT_APPLICABLE.format(field="size", model=model)
    assert [warning] == (await last_row(client))["warnings"]


# -- removeWatermark, isPublic -----------------------------------------------------------------

FLAG_MODELS: Final = [
    ("removeWatermark", TEXT),
    ("removeWatermark", PRO_IMAGE),
    ("isPublic", TEXT),
    ("isPublic", IMAGE_STABLE),
    ("isPublic", STORYBOARD),
]


@pytest.mark.parametrize(("value", "expected"), [(ABSENT, True), (True, True), (False, False)])
@pytest.mark.parametrize(("field", "model"), FLAG_MODELS)
async def test_the_flags_are_booleans_by_default_true(
    client: Client, field: str, model: str, value: Any, expected: bool
) -> None:
    """On a VIP account, for which `isPublic: false` is kept (B1; tests/api/test_vip.py)."""
    await admin(client, "POST", f"/accounts/{KEY}")
    await admin(client, "PUT", f"/accounts/{KEY}", {"vip": True})
    assert expected is (await params_of(client, body_of(model, **{field: value})))[field]


@pytest.mark.parametrize("value", ["true", "false", 1, 0, None, [], {}], ids=repr)
@pytest.mark.parametrize(("field", "model"), FLAG_MODELS)
async def test_a_flag_that_is_not_a_json_boolean_is_refused(
    client: Client, field: str, model: str, value: Any
) -> None:
    actual = await refused(client, body_of(model, **{field: value}))
    assert errors.MSG_BOOLEAN.format(field=field) == actual
    assert field in actual


# -- shots -------------------------------------------------------------------------------------


def scene_broken(index: int) -> str:
    return errors.MSG_SHOT_SCENE.format(index=index)


def duration_broken(index: int) -> str:
    return errors.MSG_SHOT_DURATION.format(index=index)


@pytest.mark.parametrize(
    ("shots", "message"),
    [
        (ABSENT, errors.MSG_REQUIRED_FOR_MODEL.format(field="shots", model=STORYBOARD)),
        ([], errors.MSG_SHOTS_ARRAY),
        (None, errors.MSG_SHOTS_ARRAY),
        ("a city at dusk", errors.MSG_SHOTS_ARRAY),
        (5, errors.MSG_SHOTS_ARRAY),
        (SHOT, errors.MSG_SHOTS_ARRAY),
        (["a city at dusk"], errors.MSG_SHOT_OBJECT.format(index=0)),
        ([SHOT, None], errors.MSG_SHOT_OBJECT.format(index=1)),
        ([SHOT, [SHOT]], errors.MSG_SHOT_OBJECT.format(index=1)),
        ([{"duration": 5}], scene_broken(0)),
        ([{"Scene": "", "duration": 5}], scene_broken(0)),
        ([SHOT, {"Scene": "   ", "duration": 5}], scene_broken(1)),
        ([{"Scene": None, "duration": 5}], scene_broken(0)),
        ([{"Scene": 5, "duration": 5}], scene_broken(0)),
        ([{"SCENE": "x", "duration": 5}], scene_broken(0)),
        ([{"Scene": "x"}], duration_broken(0)),
        ([{"Scene": "x", "duration": 0}], duration_broken(0)),
        ([{"Scene": "x", "duration": 0.0}], duration_broken(0)),
        ([SHOT, {"Scene": "x", "duration": -1}], duration_broken(1)),
        ([{"Scene": "x", "duration": -0.5}], duration_broken(0)),
        ([{"Scene": "x", "duration": "5"}], duration_broken(0)),
        ([{"Scene": "x", "duration": True}], duration_broken(0)),
        ([{"Scene": "x", "duration": None}], duration_broken(0)),
        ([{"Scene": "x", "duration": [5]}], duration_broken(0)),
    ],
    ids=repr,
)
async def test_bad_shots_are_refused(client: Client, shots: Any, message: str) -> None:
    actual = await refused(client, body_of(STORYBOARD, shots=shots))
    assert message == actual
    assert "shots" in actual


@pytest.mark.parametrize("index", [0, 3])
async def test_a_lowercase_scene_is_refused_and_told_it_needs_a_capital_s(
    client: Client, index: int
) -> None:
    shots = [dict(SHOT)] * index + [{"scene": "a runner in the rain", "duration": 5}]
    actual = await refused(client, body_of(STORYBOARD, shots=shots))
    assert errors.MSG_SHOT_SCENE_CASE.format(index=index) == actual
    assert ("Scene" in actual, "capital S" in actual) == (True, True)


@pytest.mark.parametrize("item", [SHOT, "not an object", {"scene": "x", "duration": 0}], ids=repr)
async def test_more_than_25_shots_is_one_400_about_the_count(
    client: Client, item: dict[str, Any] | str
) -> None:
    actual = await refused(client, body_of(STORYBOARD, shots=[item] * 26))
    assert errors.MSG_SHOTS_TOO_MANY.format(limit=25, count=26) == actual
    violations = (await last_row(client))["violations"]
    assert [actual] == [v["message"] for v in violations]


@pytest.mark.parametrize(
    "shots",
    [
        [SHOT],
        [SHOT] * 25,
        [{"Scene": "x", "duration": 2.5}, {"Scene": " a dog ", "duration": 0.001}],
        [{"Scene": "one long take", "duration": 1000}],
    ],
    ids=["one", "twenty-five", "fractions", "sum-not-checked"],
)
async def test_good_shots_are_passed_on(client: Client, shots: list[dict[str, Any]]) -> None:
    assert shots == (await params_of(client, body_of(STORYBOARD, shots=shots, nFrames=10)))["shots"]


@pytest.mark.parametrize("raw", ["-" + "9" * 400, "-0.5", "0.0"], ids=["-big", "neg", "zero"])
async def test_a_duration_that_is_not_positive_is_refused_naming_duration(
    client: Client, raw: str
) -> None:
    text = json.dumps(body_of(STORYBOARD, shots=[{"Scene": "x", "duration": 5}]))
    text = text.replace('"duration": 5', f'"duration": {raw}')
    assert duration_broken(0) == await refused_raw(client, text)


async def test_a_huge_integer_duration_is_finite_and_accepted(client: Client) -> None:
    huge = 10**400
    params = await params_of(client, body_of(STORYBOARD, shots=[{"Scene": "x", "duration": huge}]))
    assert [{"Scene": "x", "duration": huge}] == params["shots"]


async def test_other_keys_of_a_shot_are_dropped(client: Client) -> None:
    shots = [{"Scene": "x", "duration": 5, "camera": "pan", "scene": "y"}, dict(SHOT)]
    params = await params_of(client, body_of(STORYBOARD, shots=shots))
    assert [{"Scene": "x", "duration": 5}, SHOT] == params["shots"]


# -- unknown fields ----------------------------------------------------------------------------


@pytest.mark.parametrize("model", [TEXT, STORYBOARD])
async def test_unknown_fields_are_ignored_with_a_warning_by_default(
    client: Client, model: str
) -> None:
    params = await params_of(client, body_of(model, colour="red", Prompt="x"))
    assert default_params(model) == params
    expected = [errors.WARN_UNKNOWN_FIELD.format(field=f) for f in ("colour", "Prompt")]
    assert expected == (await last_row(client))["warnings"]


async def test_strict_mode_refuses_unknown_fields_naming_them(make_client: MakeClient) -> None:
    client = await make_client(strict=True)
    actual = await refused(client, body_of(TEXT, colour="red", Prompt="x"))
    assert errors.MSG_UNKNOWN_FIELDS.format(fields="colour, Prompt") == actual
    assert ("colour" in actual, "Prompt" in actual) == (True, True)


@pytest.mark.parametrize(
    "body",
    [body_of(PRO_TEXT, size="high", aspectRatio="portrait"), body_of(TEXT, size="high")],
    ids=["all-known", "known-but-not-applicable"],
)
async def test_strict_mode_accepts_known_fields(
    make_client: MakeClient, body: dict[str, Any]
) -> None:
    client = await make_client(strict=True)
    await create_ok(client, body)


# -- order of checks ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "body", "message"),
    [
        ({}, {"model": "Sora-2-text-to-video", "prompt": ""}, MODEL_CHOICES),
        ({}, {"prompt": 5}, errors.MSG_REQUIRED.format(field="model")),
        (
            {},
            {"model": IMAGE, "prompt": " ", "imageData": "data:image/bmp;base64,AAAA"},
            errors.MSG_NOT_BLANK_STRING.format(field="prompt"),
        ),
        ({}, body_of(IMAGE, imageData=None, aspectRatio="square"), errors.MSG_IMAGE_DATA_URL),
        (
            {},
            body_of(PRO_IMAGE, imageData=ABSENT, aspectRatio=1),
            errors.MSG_IMAGE_REQUIRED.format(model=PRO_IMAGE),
        ),
        ({}, body_of(TEXT, aspectRatio="Portrait", nFrames="ten"), ASPECT_MESSAGE),
        (
            {},
            body_of(PRO_TEXT, nFrames=10.5, size="medium"),
            errors.MSG_NFRAMES.format(model=PRO_TEXT, choices="10, 15"),
        ),
        ({}, body_of(PRO_IMAGE, size="HIGH", removeWatermark="true"), SIZE_MESSAGE),
        (
            {},
            body_of(TEXT, removeWatermark=1, isPublic=None),
            errors.MSG_BOOLEAN.format(field="removeWatermark"),
        ),
        (
            {},
            body_of(STORYBOARD, isPublic="yes", shots=[]),
            errors.MSG_BOOLEAN.format(field="isPublic"),
        ),
        (
            {"strict": True},
            body_of(STORYBOARD, shots=[{"scene": "x", "duration": 5}], colour="red"),
            errors.MSG_SHOT_SCENE_CASE.format(index=0),
        ),
    ],
    ids=[
        "model>prompt",
        "missing-model>prompt",
        "prompt>image",
        "imageData>aspectRatio",
        "no-image>aspectRatio",
        "aspectRatio>nFrames",
        "nFrames>size",
        "size>removeWatermark",
        "removeWatermark>isPublic",
        "isPublic>shots",
        "shots>strict-unknown",
    ],
)
async def test_the_first_broken_rule_in_the_contract_order_is_answered(
    make_client: MakeClient, settings: dict[str, Any], body: dict[str, Any], message: str
) -> None:
    client = await make_client(**settings)
    backwards = dict(reversed(body.items()))  # the order of keys in the JSON does not matter
    assert message == await refused(client, backwards)
    assert message == (await last_row(client))["violations"][0]["message"]


@pytest.mark.parametrize(
    ("settings", "body", "messages"),
    [
        (
            {},
            {
                "model": TEXT,
                "prompt": "",
                "aspectRatio": "square",
                "nFrames": "ten",
                "removeWatermark": "yes",
                "isPublic": None,
                "size": "not applicable here",
            },
            [
                errors.MSG_NOT_BLANK_STRING.format(field="prompt"),
                ASPECT_MESSAGE,
                errors.MSG_NFRAMES.format(model=TEXT, choices="10, 15"),
                errors.MSG_BOOLEAN.format(field="removeWatermark"),
                errors.MSG_BOOLEAN.format(field="isPublic"),
            ],
        ),
        (
            {"strict": True},
            {
                "model": STORYBOARD,
                "aspectRatio": 1,
                "nFrames": [],
                "isPublic": "no",
                "shots": [{"scene": "x", "duration": 0}, "x"],
                "colour": "red",
            },
            [
                ASPECT_MESSAGE,
                errors.MSG_NFRAMES.format(model=STORYBOARD, choices="10, 15, 25"),
                errors.MSG_BOOLEAN.format(field="isPublic"),
                errors.MSG_SHOT_SCENE_CASE.format(index=0),
                duration_broken(0),
                errors.MSG_SHOT_OBJECT.format(index=1),
                errors.MSG_UNKNOWN_FIELDS.format(fields="colour"),
            ],
        ),
        (
            {},
            {"model": IMAGE, "prompt": PROMPT, "size": "x", "aspectRatio": "x"},
            [errors.MSG_IMAGE_REQUIRED.format(model=IMAGE), ASPECT_MESSAGE],
        ),
        (
            {},
            {"aspectRatio": "x", "isPublic": 0},
            [
                errors.MSG_REQUIRED.format(field="model"),
                ASPECT_MESSAGE,
                errors.MSG_BOOLEAN.format(field="isPublic"),
            ],
        ),
    ],
    ids=["text", "storyboard-strict", "image", "no-model"],
)
async def test_the_journal_lists_every_broken_rule(
    make_client: MakeClient, settings: dict[str, Any], body: dict[str, Any], messages: list[str]
) -> None:
    client = await make_client(**settings)
    assert messages[0] == await refused(client, body)
    assert messages == [v["message"] for v in (await last_row(client))["violations"]]


@pytest.mark.parametrize(
    "text",
    ["[]", '"a fox"', "5", "null", "not json", "", '{"model": "a", "model": "b"}', "{"],
    ids=repr,
)
async def test_a_body_that_is_not_one_json_object_is_refused_before_the_fields(
    client: Client, text: str
) -> None:
    actual = await refused_raw(client, text)
    assert actual.startswith(errors.MSG_NOT_JSON_OBJECT.split("{reason}")[0])


async def test_the_pipeline_answers_in_the_contract_order(make_client: MakeClient) -> None:
    client = await make_client(max_concurrent_tasks=1, max_body_bytes=4096)
    broken = body_of(TEXT, aspectRatio="square")

    response = await client.get(CREATE)
    assert errors.METHOD_NOT_ALLOWED == (await response.json())["code"]
    response = await client.post(f"{CREATE}/v2", data=b"not json")
    assert errors.NOT_FOUND == (await response.json())["code"]
    response = await client.post(CREATE, data=b"not json")
    assert errors.UNAUTHORIZED == (await response.json())["code"]
    response = await client.post(CREATE, data=b"x" * 5000)
    assert errors.UNAUTHORIZED == (await response.json())["code"]
    response = await client.post(CREATE, data=b"x" * 5000, headers=auth())
    assert {
        "code": errors.PAYLOAD_TOO_LARGE,
        "message": errors.MSG_BODY_TOO_LARGE.format(limit=4096),
        "data": None,
    } == await response.json()

    task_id = await create_ok(client)
    await admin(client, "PUT", f"/accounts/{KEY}", {"balance": 0})
    assert ASPECT_MESSAGE == await refused(client, broken)
    assert errors.TOO_MANY_TASKS == (await create(client))["code"]
    await admin(client, "POST", f"/tasks/{task_id}/succeed")
    assert errors.INSUFFICIENT_CREDITS == (await create(client))["code"]


async def test_strict_unknown_fields_are_answered_before_the_concurrency_limit(
    make_client: MakeClient,
) -> None:
    client = await make_client(strict=True, max_concurrent_tasks=1)
    await create_ok(client)
    actual = await refused(client, body_of(TEXT, colour="red"))
    assert errors.MSG_UNKNOWN_FIELDS.format(fields="colour") == actual


# -- what a refusal leaves behind --------------------------------------------------------------

REFUSED_BODIES: Final = [
    body_of(TEXT, model=ABSENT),
    body_of(TEXT, model="sora-3"),
    body_of(TEXT, prompt="  "),
    body_of(IMAGE, imageData="data:image/bmp;base64,AAAA"),
    body_of(IMAGE, imageData=ABSENT, imageUrl="ftp://example.com/a.png"),
    body_of(TEXT, aspectRatio="square"),
    body_of(TEXT, nFrames="ten"),
    body_of(PRO_TEXT, size="medium"),
    body_of(TEXT, removeWatermark="true"),
    body_of(TEXT, isPublic=1),
    body_of(STORYBOARD, shots=[{"scene": "x", "duration": 5}]),
]


async def test_a_refused_request_charges_nothing_creates_nothing_and_uses_no_task_number(
    make_client: MakeClient,
) -> None:
    client = await make_client(seed="rules")
    for body in REFUSED_BODIES:
        assert errors.BAD_REQUEST == (await create(client, body))["code"]
    assert START == await balance(client)
    assert [] == (await admin(client, "GET", f"/accounts/{KEY}/ledger"))["transactions"]
    assert [] == (await admin(client, "GET", "/tasks"))["tasks"]
    fresh = await make_client(seed="rules")
    assert await create_ok(fresh) == await create_ok(client)


async def test_a_refusal_for_credits_uses_no_task_number_either(make_client: MakeClient) -> None:
    client = await make_client(seed="rules")
    await admin(client, "PUT", f"/accounts/{KEY}", {"balance": 0})
    assert errors.INSUFFICIENT_CREDITS == (await create(client))["code"]
    await admin(client, "PUT", f"/accounts/{KEY}", {"balance": 1000})
    fresh = await make_client(seed="rules")
    assert await create_ok(fresh) == await create_ok(client)


# -- HTTP status of a refusal ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "status"),
    [
        ({}, 200),
        ({"error_status": "200"}, 200),
        ({"error_status": 200}, 200),
        ({"error_status": "http"}, 400),
    ],
    ids=["default", "string-200", "number-200", "http"],
)
async def test_error_status_decides_the_http_status_of_a_400(
    make_client: MakeClient, settings: dict[str, Any], status: int
) -> None:
    client = await make_client(**settings)
    response = await client.post(CREATE, json=body_of(TEXT, prompt=""), headers=auth())
    envelope = await response.json()
    assert (status, "application/json", errors.BAD_REQUEST) == (
        response.status,
        response.content_type,
        envelope["code"],
    )
    ok = await client.post(CREATE, json=body_of(TEXT), headers=auth())
    assert (200, 0) == (ok.status, (await ok.json())["code"])


# -- the provider's own examples -----------------------------------------------------------------


async def test_the_seed_pages_pro_example_becomes_these_params(client: Client) -> None:
    seed_example = REPO / "fixtures" / "requests" / "ok_text_to_video_pro_high.json"
    body = json.loads(seed_example.read_text())["request"]
    assert {
        "prompt": "A cinematic shot of a futuristic city at sunset.",
        "aspectRatio": "landscape",
        "nFrames": 10,
        "size": "high",
        "removeWatermark": True,
        "isPublic": True,
    } == await params_of(client, body)


async def test_the_seed_pages_storyboard_example_drops_nothing_it_needs(client: Client) -> None:
    shots = [
        {"Scene": "Establishing shot of a city skyline at dusk", "duration": 5},
        {"Scene": "Close-up of a runner splashing through puddles", "duration": 5},
    ]
    body = {"model": STORYBOARD, "shots": shots, "aspectRatio": "landscape", "nFrames": "10"}
    assert {
        "aspectRatio": "landscape",
        "nFrames": 10,
        "isPublic": True,
        "shots": shots,
    } == await params_of(client, body)
