"""Admin bodies as the OpenAPI document describes them (CONTRACT D): what schemathesis found."""

from __future__ import annotations

from ..helpers import Client, create_ok


async def test_fail_takes_no_body_but_refuses_a_null_one(client: Client) -> None:
    """schemathesis: `null` is a body that is not an object (no body at all is fine)."""
    first, second = await create_ok(client), await create_ok(client)
    assert 200 == (await client.post(f"/__mock/tasks/{first}/fail")).status
    refused = await client.post(
        f"/__mock/tasks/{second}/cancel", data=b"null", headers={"Content-Type": "application/json"}
    )
    assert (400, {"error": "The body must be a JSON object, not null."}) == (
        refused.status,
        await refused.json(),
    )
