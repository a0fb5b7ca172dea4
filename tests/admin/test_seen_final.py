"""`GET /__mock/tasks?seen_final=`: which tasks the client was shown final (the client report)."""

from __future__ import annotations

from ..conftest import MakeClient
from ..helpers import Client, admin, advance, check, create_ok


async def unseen(client: Client, flag: str = "false") -> list[str]:
    tasks = (await admin(client, "GET", f"/tasks?seen_final={flag}"))["tasks"]
    return [task["taskId"] for task in tasks]


async def test_a_task_is_seen_final_once_a_check_result_answer_shows_it_final(
    client: Client,
) -> None:
    polled, forgotten = await create_ok(client), await create_ok(client)
    await check(client, polled)  # pending: not final yet
    assert [polled, forgotten] == await unseen(client)
    await advance(client, 5)
    assert [polled, forgotten] == await unseen(client)  # final, but nobody was shown
    assert "succeeded" == (await check(client, polled))["data"]["status"]
    assert ([forgotten], [polled]) == (await unseen(client), await unseen(client, "true"))


async def test_on_the_poll_clock_the_poll_that_moves_a_task_on_has_not_shown_it(
    make_client: MakeClient,
) -> None:
    client = await make_client(clock="poll")
    task_id = await create_ok(client)
    statuses = [(await check(client, task_id))["data"]["status"] for _ in range(2)]
    assert ["pending", "running"] == statuses
    assert [task_id] == await unseen(client)  # the second poll moved it past its end
    assert "succeeded" == (await check(client, task_id))["data"]["status"]
    assert [] == await unseen(client)


async def test_seen_final_must_be_true_or_false(client: Client) -> None:
    response = await client.get("/__mock/tasks?seen_final=maybe")
    assert (400, {"error": "seen_final must be true or false."}) == (
        response.status,
        await response.json(),
    )
