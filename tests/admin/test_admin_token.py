"""The admin token (CONTRACT D): with `admin_token` set, the control plane needs
`X-Sora-Mock-Admin-Token`; health, the OpenAPI document and the provider routes stay open.
"""

from __future__ import annotations

from typing import Any, Final

import pytest

from sora_mock import __version__

from ..conftest import MakeClient
from ..helpers import CHECK, CREATE, KEY, TEXT_BODY, Client, auth, create_ok, post_json

TOKEN: Final = "s3cret"
TOKEN_HEADER: Final = "X-Sora-Mock-Admin-Token"
WITH_TOKEN: Final = {TOKEN_HEADER: TOKEN}
HARMLESS_RULE: Final[dict[str, Any]] = {"action": "delay", "delay_ms": 0, "route": "files"}

# (method, path, body, status with the token) for every guarded route of CONTRACT D;
# {task_id} is a task the fixture created, f1 the rule it configured
ROUTES: Final[list[tuple[str, str, Any, int]]] = [
    ("POST", "/__mock/reset", None, 200),
    ("GET", "/__mock/accounts", None, 200),
    ("GET", f"/__mock/accounts/{KEY}", None, 200),
    ("PUT", f"/__mock/accounts/{KEY}", {"balance": 5}, 200),
    ("POST", f"/__mock/accounts/{KEY}", None, 200),
    ("GET", f"/__mock/accounts/{KEY}/ledger", None, 200),
    ("GET", "/__mock/tasks", None, 200),
    ("GET", "/__mock/tasks/{task_id}", None, 200),
    ("POST", "/__mock/tasks/{task_id}/succeed", None, 200),
    ("POST", "/__mock/tasks/{task_id}/fail", {"failure_reason": "r"}, 200),
    ("GET", "/__mock/clock", None, 200),
    ("POST", "/__mock/clock/advance", {"seconds": 1}, 200),
    ("GET", "/__mock/faults", None, 200),
    ("POST", "/__mock/faults", HARMLESS_RULE, 201),
    ("DELETE", "/__mock/faults", None, 200),
    ("DELETE", "/__mock/faults/f1", None, 200),
    ("GET", "/__mock/requests", None, 200),
    ("DELETE", "/__mock/requests", None, 200),
]
ROUTE_IDS: Final = [f"{method} {path}" for method, path, _, _ in ROUTES]
SNAPSHOT: Final = (
    "/__mock/accounts",
    f"/__mock/accounts/{KEY}/ledger",
    "/__mock/tasks",
    "/__mock/clock",
    "/__mock/faults",
    "/__mock/requests",
)


@pytest.fixture
async def guarded(make_client: MakeClient) -> tuple[Client, str]:
    """A mock with an admin token, one task of KEY's and one configured fault rule (f1)."""
    client = await make_client(admin_token=TOKEN, faults=[HARMLESS_RULE])
    return client, await create_ok(client)


async def snapshot(client: Client) -> list[Any]:
    """Everything the admin API can show, read with the token."""
    return [await (await client.get(path, headers=WITH_TOKEN)).json() for path in SNAPSHOT]


@pytest.mark.parametrize("sent", [None, "wrong", "S3CRET", "s3cre", ""], ids=repr)
@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
async def test_every_admin_route_refuses_a_missing_or_wrong_token(
    guarded: tuple[Client, str], route: tuple[str, str, Any, int], sent: str | None
) -> None:
    client, task_id = guarded
    method, path, body, _ = route
    before = await snapshot(client)
    headers = {} if sent is None else {TOKEN_HEADER: sent}
    response = await client.request(
        method, path.format(task_id=task_id), json=body, headers=headers
    )
    assert response.status == 401
    assert response.content_type == "application/json"
    assert TOKEN_HEADER in (await response.json())["error"]
    assert before == await snapshot(client)


@pytest.mark.parametrize(("method", "path", "body", "status"), ROUTES, ids=ROUTE_IDS)
async def test_every_admin_route_works_with_the_token(
    guarded: tuple[Client, str], method: str, path: str, body: Any, status: int
) -> None:
    client, task_id = guarded
    response = await client.request(
        method, path.format(task_id=task_id), json=body, headers=WITH_TOKEN
    )
    assert status == response.status, await response.text()


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/__mock/health", {"status": "ok", "service": "sora-mock", "version": __version__}),
        ("/openapi.json", None),
    ],
)
async def test_health_and_the_openapi_document_need_no_token(
    guarded: tuple[Client, str], path: str, expected: dict[str, str] | None
) -> None:
    client, _ = guarded
    for headers in ({}, {TOKEN_HEADER: "wrong"}):
        response = await client.get(path, headers=headers)
        assert response.status == 200
        document = await response.json()
        if expected is not None:
            assert expected == document


async def test_provider_routes_need_no_token(guarded: tuple[Client, str]) -> None:
    client, task_id = guarded
    status, envelope = await post_json(client, CREATE, TEXT_BODY)
    assert (status, envelope["code"]) == (200, 0)
    status, envelope = await post_json(client, CHECK, {"taskId": task_id})
    assert (status, envelope["code"]) == (200, 0)
    advanced = await client.post("/__mock/clock/advance", json={"seconds": 5}, headers=WITH_TOKEN)
    assert advanced.status == 200
    video = await client.get(f"/files/{task_id}.mp4", headers=auth())
    assert (video.status, video.content_type) == (200, "video/mp4")


async def test_without_an_admin_token_setting_the_header_is_not_needed(client: Client) -> None:
    response = await client.get("/__mock/faults")
    assert response.status == 200
