"""The public clients of this provider, as they are written (issue 23's 18-client run).

Most public Flask clients read `r.json().get("data", {}).get(...)`: correct against the
provider's OpenAPI error examples, which carry no `data` key, and a crash on `"data": null`.
Several poll check-result with another key of their pool than the one that created the task.
G's `error_data` and `task_scope` let such a client meet each documented form, and the client
report names a cross-key poll, so neither is a false alarm nor a silent 404.
"""

from __future__ import annotations

from typing import Final

import pytest

from sora_mock.core import errors as e

from .test_plugin import outcomes

CLIENT: Final = '''
import json
import urllib.request

CREATE = "/api/v1/video/sora-pro"
CHECK = "/api/video-generations/check-result"


class VideoClient:
    """Written like the public Flask apps: every answer read with .get("data", {})."""

    def __init__(self, base_url, keys):
        self.base_url = base_url
        self.keys = keys

    def _post(self, path, body, key):
        request = urllib.request.Request(
            self.base_url + path, data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
        )
        with urllib.request.urlopen(request) as response:
            return json.loads(response.read())

    def generate(self, prompt):
        answer = self._post(CREATE, {"model": "sora-2-text-to-video", "prompt": prompt},
                            self.keys[0])
        return answer.get("data", {}).get("taskId"), answer.get("message")

    def status(self, task_id):
        # "just grab any active one for checking"
        answer = self._post(CHECK, {"taskId": task_id}, self.keys[-1])
        return answer.get("data", {}).get("status")
'''
TESTS: Final = """
import pytest

from video_client import VideoClient


@pytest.mark.sora_mock(variants={"error_data": "FORM"})
def test_a_refused_create_is_reported_not_crashed(sora_mock):
    sora_mock.set_balance(0)
    client = VideoClient(sora_mock.url, [sora_mock.api_key])
    task_id, message = client.generate("a fox")
    assert task_id is None
    assert "credits" in message


@pytest.mark.sora_mock(variants={"task_scope": "any"})
def test_a_pool_of_keys_polls(sora_mock):
    client = VideoClient(sora_mock.url, [sora_mock.api_key, "sk-pool-second-key"])
    task_id, _ = client.generate("a fox")
    sora_mock.advance(5)
    assert "succeeded" == client.status(task_id)
"""


@pytest.mark.parametrize(("form", "passed"), [("absent", 2), ("null", 1)])
def test_a_client_written_like_the_public_flask_apps(
    pytester: pytest.Pytester, form: str, passed: int
) -> None:
    """It passes against the documented data-less errors and fails against `"data": null`;
    its cross-key poll passes under task_scope = any and is named in the report."""
    pytester.makepyfile(video_client=CLIENT)
    pytester.makepyfile(test_client=TESTS.replace("FORM", form))
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "--sora-mock-report")
    assert passed == outcomes(result)["passed"]
    assert 2 - passed == outcomes(result).get("failed", 0)
    if form == "null":
        result.stdout.fnmatch_lines(["*AttributeError: 'NoneType' object has no attribute 'get'*"])
    warning = e.MSG_OTHER_KEYS_TASK.format(task_id="*")
    result.stdout.fnmatch_lines(
        ["*test_a_pool_of_keys_polls", f"  check_result: warning: {warning}"]
    )
