"""`sora_mock_app` as the README shows it (issue 13): the example runs as written under
pytest-asyncio's default (strict) mode and under `asyncio_mode = auto`, and its handle drives
the app in the test's own event loop."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

import pytest

from .conftest import run_pytest

README: Final = Path(__file__).parents[2] / "docs" / "pytest-fixture.md"


def readme_example() -> str:
    """The README's ```python block that uses `sora_mock_app`."""
    blocks: list[str] = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    [example] = [block for block in blocks if "sora_mock_app" in block]
    return example


@pytest.mark.parametrize("mode", ["strict", "auto"])
def test_the_readmes_aiohttp_client_example_passes(pytester: pytest.Pytester, mode: str) -> None:
    pytester.makepyfile(test_example=readme_example())
    pytester.makeini(
        f"[pytest]\nasyncio_mode = {mode}\nasyncio_default_fixture_loop_scope = function\n"
    )
    result = run_pytest(pytester)
    result.assert_outcomes(passed=1)


def test_with_no_configuration_at_all_the_example_passes(pytester: pytest.Pytester) -> None:
    """pytest-asyncio's own default is strict mode: what a new project has."""
    pytester.makepyfile(test_example=readme_example())
    result = run_pytest(pytester, "-W", "ignore")
    result.assert_outcomes(passed=1)


HANDLE: Final = """
import pytest

BODY = {"model": "sora-2-text-to-video", "prompt": "a fox"}


async def create(client, mock):
    response = await client.post("/api/v1/video/sora-pro", json=BODY, headers=mock.headers)
    return await response.json()


@pytest.mark.asyncio
async def test_the_handle_drives_the_app(aiohttp_client, sora_mock_app):
    app = sora_mock_app(default_balance=100)
    mock = sora_mock_app.handle(app)
    client = await aiohttp_client(app)
    assert await mock.balance() == 100
    await mock.set_balance(5)
    refused = await create(client, mock)
    assert refused["code"] == 402
    await mock.set_balance(100)
    created = await create(client, mock)
    task_id = created["data"]["taskId"]
    assert (await mock.task(task_id))["status"] == "pending"
    await mock.advance(5)
    assert (await mock.task(task_id))["status"] == "succeeded"
    assert [t["taskId"] for t in await mock.tasks()] == [task_id]
    await mock.add_fault(action="error", code=503, route="create", times=1)
    failed = await create(client, mock)
    assert failed["code"] == 503
    assert [row["code"] for row in await mock.requests(route="create")] == [402, 0, 503]
    await mock.reset()
    assert await mock.balance() == 100
    assert await mock.tasks() == []
"""


def test_the_handle_drives_the_app_without_blocking_the_loop(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_handle=HANDLE)
    result = run_pytest(pytester, "-W", "ignore")
    result.assert_outcomes(passed=1)
