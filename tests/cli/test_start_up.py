"""A fast start (issue 17): the command line imports only what serving needs.

pydantic and its models were most of what sora-mock added to aiohttp's own start-up; a start
with the usual settings (defaults, flags and SORA_MOCK_* variables with plain values) and its
first requests must not import it. Here pydantic is made unimportable for the server, as the
uvloop test does: a start that reached for it would stop with a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ..helpers import CREATE, KEY, TEXT_BODY
from .test_cli import HEALTH, StartServer, call, run, start_server, stop

__all__ = ["start_server"]  # the fixture, imported from test_cli


def without_pydantic(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "pydantic.py").write_text('raise RuntimeError("pydantic imported")\n')
    path = os.pathsep.join(p for p in (str(tmp_path), os.environ.get("PYTHONPATH")) if p)
    return {"PYTHONPATH": path}


@pytest.mark.parametrize(
    ("args", "env"),
    [
        ((), {}),
        (
            ("--clock", "real", "--default-balance", "1000000000", "--max-concurrent-tasks", "9"),
            {"SORA_MOCK_QUEUE_SECONDS": "0.5", "SORA_MOCK_STRICT": "true"},
        ),
        (
            ("--log-format", "json", "--variants", "random", "--admin-token", "t0ken"),
            {"SORA_MOCK_WEBHOOK_ALLOW_HOSTS": '["localhost"]', "SORA_MOCK_SPEED": "2"},
        ),
    ],
)
def test_a_start_with_plain_settings_and_its_first_requests_do_not_import_pydantic(
    start_server: StartServer, tmp_path: Path, args: tuple[str, ...], env: dict[str, str]
) -> None:
    proc, url = start_server(*args, env={**without_pydantic(tmp_path), **env})
    assert (200, HEALTH) == call(url, "GET", "/__mock/health")
    headers = {"Authorization": f"Bearer {KEY}"}
    status, created = call(url, "POST", CREATE, TEXT_BODY, headers)
    assert (status, created["code"]) == (200, 0)
    _, stderr = stop(proc)
    assert "Traceback" not in stderr
    assert "pydantic imported" not in stderr


@pytest.mark.parametrize(
    "args", [("--port", "70000"), ("--faults", '[{"action": "reset", "route": "files"}]')]
)
def test_what_the_start_up_check_does_not_decide_goes_to_pydantic(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    """The control: a value the start-up check leaves to the model (a bad one, or fault rules)
    does import pydantic, so the start above would have shown it had it done so."""
    result = run(*args, env=without_pydantic(tmp_path))
    assert result.returncode == 1
    assert "RuntimeError: pydantic imported" in result.stderr


def test_a_bad_value_is_still_worded_by_the_model() -> None:
    result = run("--port", "70000")
    assert (2, "sora-mock: --port: must be 65535 or less, got '70000'\n") == (
        result.returncode,
        result.stderr,
    )
