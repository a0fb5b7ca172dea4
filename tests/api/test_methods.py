"""The methods each provider route answers (A1, A4): what the server's router says in a 405's
`Allow` is what `registry.methods` says, the declaration the record-proxy's shadow uses (I2)."""

from __future__ import annotations

import pytest

from sora_mock.routes import registry

from ..helpers import Client


@pytest.mark.parametrize("route", sorted(registry.ROUTES))
async def test_a_405_allows_exactly_the_methods_the_registry_declares(
    client: Client, route: str
) -> None:
    path = registry.ROUTES[route][1].replace("{taskId}", "0" * 32)
    assert route == registry.route_at(path)
    response = await client.request("PUT", path)
    if route == registry.FILES:  # a plain 405 (A4)
        assert 405 == response.status
    else:  # the envelope's (A1)
        assert 405 == (await response.json())["code"]
    allowed = {method.strip() for method in response.headers["Allow"].split(",")}
    assert registry.methods(route) == allowed
