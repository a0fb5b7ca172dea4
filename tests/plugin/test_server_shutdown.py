"""The fixture's server at the end of a session (issue 23): a request that a `timeout` fault
still holds, its client long gone, ends quietly with the server."""

from __future__ import annotations

from typing import Final

import pytest

HELD_BY_A_TIMEOUT: Final = """
import socket
import urllib.request

import pytest


def test_the_client_gives_up_on_a_held_request(sora_mock):
    sora_mock.add_fault(action="timeout", delay_ms=60000, route="credits")
    request = urllib.request.Request(
        sora_mock.url + "/api/get-user-credits", data=b"{}", method="POST",
        headers={"Content-Type": "application/json", **sora_mock.headers},
    )
    with pytest.raises((socket.timeout, TimeoutError)):
        urllib.request.urlopen(request, timeout=0.3)
    assert [row["fault"] for row in sora_mock.requests()] == []  # still held: not journaled
"""


def test_a_request_held_by_a_timeout_fault_ends_with_the_session_without_a_word(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_held=HELD_BY_A_TIMEOUT)
    # without the logging plugin, what asyncio logs at the end reaches stderr as a user sees it
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:logging")
    result.assert_outcomes(passed=1)
    output = result.stdout.str() + result.stderr.str()
    assert "Task was destroyed" not in output
    assert "Traceback" not in output
