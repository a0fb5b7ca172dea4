"""The example requests in fixtures/requests/ get the answers they promise.

Each file is `{"request": <body>, "expect": {"code": 0}}` or, for a refused request,
`{"request": ..., "expect": {"code": 400, "field": "<text the message names>"}}`; an optional
`"settings"` object gives the app's settings (e.g. `{"strict": true}`). Users copy these files,
so a file that drifts from the server's behaviour must fail here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Final

import pytest

from ..conftest import MakeClient
from ..helpers import PNG_DATA_URL, create

FIXTURES: Final = Path(__file__).resolve().parents[2] / "fixtures" / "requests"
FILES: Final = sorted(FIXTURES.glob("*.json"))
SEED_EXAMPLES: Final = (
    "ok_text_to_video_pro_high",
    "ok_image_to_video_stable_portrait",
    "ok_storyboard_two_shots",
)


def load(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return case


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
async def test_a_request_fixture_gets_the_answer_it_expects(
    make_client: MakeClient, path: Path
) -> None:
    case = load(path)
    client = await make_client(**case.get("settings", {}))
    envelope = await create(client, case["request"])
    expect = case["expect"]
    assert expect["code"] == envelope["code"], envelope
    if expect["code"] == 0:
        assert re.fullmatch(r"[0-9a-f]{32}", envelope["data"]["taskId"])
    else:
        assert None is envelope["data"]
        assert expect["field"] in envelope["message"]


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.stem)
def test_a_request_fixture_has_the_documented_shape(path: Path) -> None:
    case = load(path)
    assert set() == set(case) - {"request", "expect", "settings"}
    ok = path.stem.startswith("ok_")
    expected_keys = {"code"} if ok else {"code", "field"}
    assert (expected_keys, ok) == (set(case["expect"]), case["expect"]["code"] == 0)


def test_the_folder_holds_the_seed_examples_and_bad_examples() -> None:
    names = {path.stem for path in FILES}
    assert set(SEED_EXAMPLES) <= names
    assert any(name.startswith("bad_") for name in names)


def test_the_image_example_carries_a_real_png_rather_than_the_elided_one() -> None:
    request = load(FIXTURES / "ok_image_to_video_stable_portrait.json")["request"]
    assert PNG_DATA_URL == request["imageData"]
