"""The result video (CONTRACT A4): a plain file link, downloaded the way a client would."""

from __future__ import annotations

import pytest

from ..helpers import KEY, Client, admin, advance, check, create_ok


async def result_url(client: Client) -> tuple[str, str]:
    task_id = await create_ok(client)
    await advance(client, 5)
    url: str = (await check(client, task_id))["data"]["result_url"]
    return task_id, url


async def test_the_result_url_serves_a_small_mp4(client: Client) -> None:
    _, url = await result_url(client)
    response = await client.session.get(url)
    body = await response.read()
    assert (200, "video/mp4") == (response.status, response.headers["Content-Type"])
    assert b"ftyp" == body[4:8]
    assert len(body) >= 1024
    assert "bytes" == response.headers["Accept-Ranges"]


@pytest.mark.parametrize(
    ("range_header", "first", "last"),
    [("bytes=0-99", 0, 99), ("bytes=100-199", 100, 199), ("bytes=-10", None, None)],
)
async def test_a_single_byte_range_gets_206(
    client: Client, range_header: str, first: int | None, last: int | None
) -> None:
    _, url = await result_url(client)
    whole = await (await client.session.get(url)).read()
    size = len(whole)
    if first is None or last is None:
        first, last = size - 10, size - 1
    response = await client.session.get(url, headers={"Range": range_header})
    assert 206 == response.status
    assert f"bytes {first}-{last}/{size}" == response.headers["Content-Range"]
    assert whole[first : last + 1] == await response.read()


async def test_an_open_ended_range_runs_to_the_end(client: Client) -> None:
    _, url = await result_url(client)
    whole = await (await client.session.get(url)).read()
    response = await client.session.get(url, headers={"Range": "bytes=1000-"})
    assert (206, whole[1000:]) == (response.status, await response.read())


async def test_an_unsatisfiable_range_gets_416(client: Client) -> None:
    _, url = await result_url(client)
    size = len(await (await client.session.get(url)).read())
    response = await client.session.get(url, headers={"Range": f"bytes={size}-{size + 10}"})
    assert 416 == response.status
    assert f"bytes */{size}" == response.headers["Content-Range"]


async def test_the_file_needs_no_auth(client: Client) -> None:
    task_id, _ = await result_url(client)
    response = await client.get(f"/files/{task_id}.mp4")
    assert 200 == response.status


async def test_unknown_unfinished_and_failed_tasks_have_no_file(client: Client) -> None:
    pending = await create_ok(client)
    failed = await create_ok(client)
    await admin(client, "POST", f"/tasks/{failed}/fail")
    for task_id in ("0" * 32, pending, failed):
        response = await client.get(f"/files/{task_id}.mp4")
        assert 404 == response.status
        assert not response.headers["Content-Type"].startswith("video/")


async def test_a_wrong_method_on_a_file_is_a_plain_405(client: Client) -> None:
    task_id, _ = await result_url(client)
    response = await client.post(f"/files/{task_id}.mp4")
    assert 405 == response.status
    assert "GET" in response.headers["Allow"]


@pytest.mark.parametrize(
    "path",
    [
        "/files/../sora_mock/app.py",
        "/files/%2e%2e%2fapp.py",
        "/files/..%2F..%2Fetc%2Fpasswd.mp4",
        "/files/x/../../pyproject.toml",
        "/files/.mp4",
    ],
)
async def test_no_path_reaches_another_file(client: Client, path: str) -> None:
    response = await client.get(path)
    assert response.status == 404 or b"ftyp" not in await response.read()


async def test_a_download_is_journaled_and_faulted_under_the_owning_key(client: Client) -> None:
    _, url = await result_url(client)
    await admin(
        client,
        "POST",
        "/faults",
        {"action": "error", "code": 503, "route": "files", "api_key": KEY, "times": 1},
    )
    first = await client.session.get(url)
    second = await client.session.get(url)
    assert (503, 200) == (first.status, second.status)
    rows = (await admin(client, "GET", f"/requests?route=files&key={KEY}"))["requests"]
    assert [503, 200] == [row["http_status"] for row in rows]
    assert {None} == {row["code"] for row in rows}


@pytest.mark.parametrize("path", ["/files/abc", "/files/", "/files/a/b.mp4"])
async def test_a_path_under_files_that_is_no_file_link_is_an_unknown_route(
    client: Client, path: str
) -> None:
    response = await client.get(path)
    assert 404 == (await response.json())["code"]
