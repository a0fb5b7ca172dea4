from __future__ import annotations

from ..helpers import Client, check, create_ok


async def test_a_created_task_is_pending_and_visible_to_its_key(client: Client) -> None:
    task_id = await create_ok(client)
    envelope = await check(client, task_id)
    assert envelope["code"] == 0
    assert envelope["data"]["status"] == "pending"
