"""Paging the admin lists (D, extension): `limit` keeps the newest N, `offset` first skips the
newest M; the inspector only ever asks for a page."""

from __future__ import annotations

import re

from sora_mock.http.keys import SIMULATOR

from ..conftest import MakeClient
from ..helpers import TEXT_BODY, Client, admin, create_ok


async def ids(client: Client, query: str) -> list[str]:
    return [t["taskId"] for t in (await admin(client, "GET", f"/tasks{query}"))["tasks"]]


async def test_limit_and_offset_walk_back_from_the_newest_task_oldest_first_in_a_page(
    make_client: MakeClient,
) -> None:
    client = await make_client(max_concurrent_tasks=100)
    made = [await create_ok(client) for _ in range(7)]
    assert made == await ids(client, "")  # unbounded, as before
    assert made[-3:] == await ids(client, "?limit=3")
    assert made[1:4] == await ids(client, "?limit=3&offset=3")
    assert made[:1] == await ids(client, "?limit=3&offset=6")
    assert [] == await ids(client, "?limit=3&offset=9")
    assert made[:5] == await ids(client, "?offset=2")
    assert [] == await ids(client, "?limit=0")


async def test_a_page_of_5000_tasks_is_the_page(make_client: MakeClient) -> None:
    client = await make_client(max_concurrent_tasks=10**6, default_balance=10**9)
    sim = client.app[SIMULATOR]
    key = sim.authenticate("Bearer sk-paging-0001")
    made = [sim.create_task(key, dict(TEXT_BODY))[0].task_id for _ in range(5000)]
    assert made[-200:] == await ids(client, "?limit=200")
    assert made[-400:-200] == await ids(client, "?limit=200&offset=200")
    assert made[-10:] == await ids(client, "?key=sk-paging-0001&limit=10")


async def test_requests_and_webhooks_page_the_same_way(client: Client) -> None:
    for _ in range(4):
        await create_ok(client)
    rows = (await admin(client, "GET", "/requests"))["requests"]
    page = (await admin(client, "GET", "/requests?limit=2&offset=1"))["requests"]
    assert rows[1:3] == page
    assert {"webhooks": []} == await admin(client, "GET", "/webhooks?limit=2&offset=1")


async def test_offset_must_be_a_whole_number_of_0_or_more(client: Client) -> None:
    for path in ("/tasks", "/requests", "/webhooks"):
        response = await client.get(f"/__mock{path}?offset=-1")
        assert (400, {"error": "offset must be 0 or more."}) == (
            response.status,
            await response.json(),
        )


async def test_the_inspector_asks_for_a_page_of_every_list(client: Client) -> None:
    script = await (await client.get("/__mock/ui/ui.js")).text()
    asked = re.findall(r'api\("GET", `?"?(tasks|requests|webhooks)([^`"]*)', script)
    assert {"tasks", "requests", "webhooks"} == {name for name, _ in asked}
    assert all(query.startswith("?limit=") for _, query in asked), asked


async def test_a_page_past_any_store_is_empty_not_an_error(client: Client) -> None:
    """schemathesis found an offset beyond what a slice takes answered 500."""
    for path in ("/tasks", "/requests", "/webhooks"):
        response = await client.get(f"/__mock{path}?limit=5&offset={10**30}")
        assert 200 == response.status, path
