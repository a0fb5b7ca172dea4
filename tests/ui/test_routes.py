"""The inspector's routes over plain HTTP: what is served, to whom, and nothing else."""

from __future__ import annotations

from typing import Any, Final

import pytest

from sora_mock.core import errors
from sora_mock.faults.engine import PRESETS, FaultRule
from sora_mock.http import ui

from ..conftest import MakeClient
from ..helpers import CREATE, TEXT_BODY, Client, admin, post_json

TOKEN: Final = "s3cret"
TOKEN_HEADER: Final = "X-Sora-Mock-Admin-Token"


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/__mock/ui", "text/html"),
        ("/__mock/ui/ui.css", "text/css"),
        ("/__mock/ui/ui.js", "text/javascript"),
        ("/__mock/ui/presets.json", "application/json"),
        ("/__mock/ui/reasons.json", "application/json"),
    ],
)
async def test_the_page_and_its_files_load_without_the_admin_token(
    make_client: MakeClient, path: str, content_type: str
) -> None:
    client = await make_client(admin_token=TOKEN)
    response = await client.get(path)
    assert (200, content_type) == (response.status, response.content_type)
    assert "nosniff" == response.headers["X-Content-Type-Options"]


async def test_the_page_forbids_inline_code_and_other_origins(client: Client) -> None:
    response = await client.get("/__mock/ui")
    policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" == policy.split(";")[0]
    assert "form-action 'none'" in policy
    assert "<script>" not in await response.text()


@pytest.mark.parametrize(
    "path",
    [
        "/__mock/ui/index.html",
        "/__mock/ui/ui.py",
        "/__mock/ui/..%2Fadmin.py",
        "/__mock/ui/..%2F..%2Fui.py",
        "/__mock/ui/UI.JS",
        "/__mock/ui/ui.js/x",
    ],
)
async def test_nothing_but_the_whitelisted_files_is_reachable(client: Client, path: str) -> None:
    response = await client.get(path)
    assert 404 == response.status
    assert {"error": "No such admin route."} == await response.json()


async def test_with_a_token_only_the_page_is_open_not_its_neighbours(
    make_client: MakeClient,
) -> None:
    client = await make_client(admin_token=TOKEN)
    assert 401 == (await client.get("/__mock/ui/secrets.txt")).status
    assert 401 == (await client.get("/__mock/clock")).status
    assert "/__mock/ui/secrets.txt" not in ui.PATHS


async def test_every_preset_is_offered_as_a_rule_the_admin_api_accepts(client: Client) -> None:
    presets: dict[str, Any] = (await admin(client, "GET", "/ui/presets.json"))["presets"]
    assert list(PRESETS) == list(presets)
    for name, body in presets.items():
        response = await client.post("/__mock/faults", json=body)
        assert 201 == response.status, name
        assert PRESETS[name] == FaultRule.model_validate(body)
        assert body.items() <= (await response.json()).items()


async def test_a_preset_rule_answers_as_its_header_does(client: Client) -> None:
    presets = (await admin(client, "GET", "/ui/presets.json"))["presets"]
    by_header = await post_json(client, CREATE, TEXT_BODY, **{"X-Sora-Mock-Fault": "rate_limited"})
    await client.post("/__mock/faults", json=presets["rate_limited"])
    by_rule = await post_json(client, CREATE, TEXT_BODY)
    assert by_header == by_rule


async def test_every_rejection_code_of_the_envelope_has_a_reason(client: Client) -> None:
    reasons: dict[str, str] = (await admin(client, "GET", "/ui/reasons.json"))["reasons"]
    assert dict(ui.REASONS) == reasons
    codes = [
        errors.BAD_REQUEST,
        errors.UNAUTHORIZED,
        errors.INSUFFICIENT_CREDITS,
        errors.FORBIDDEN,
        errors.NOT_FOUND,
        errors.METHOD_NOT_ALLOWED,
        errors.PAYLOAD_TOO_LARGE,
        errors.TOO_MANY_TASKS,
        errors.SERVER_ERROR,
    ]
    assert [] == [code for code in codes if str(code) not in reasons]
