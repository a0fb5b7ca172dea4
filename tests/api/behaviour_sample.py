"""A second recorded run, for the redesign of the inside: what the mock answers, step by step.

`fixtures/journal/behaviour.json` holds what the scenarios below gave at the commit before the
inside was redesigned (one request pipeline, one control surface, tasks, deliveries, streams);
`test_behaviour_sample.py` replays them and compares every step field by field. Re-record only
for a deliberate change of behaviour: `python -m tests.api.behaviour_sample`. The harness is
`behaviour_harness.py`; the scenarios are `behaviour_faults.py` (C, A7), `behaviour_routes.py`
(A6, A8, B3, A4) and `behaviour_settings.py` (runs under settings of their own).

Each scenario is one fresh app from `sora_mock.create_app(**settings)`, served by aiohttp's
`TestServer` and driven by its `TestClient` over loopback, with a webhook receiver of its own
(a plain aiohttp server on 127.0.0.1, port 0, that records each request and answers the statuses
the scenario queues, else 200). Only public surfaces are used: the provider routes, the result
files, the SSE stream and the admin API. Every step records the request as sent and the answer:
its status, the headers that carry meaning (Content-Type, Allow, Retry-After, Content-Range,
Accept-Ranges, Cache-Control; Content-Length on the result files), and its body as text (None
when the connection was dropped). A video body is recorded by its length (a range by its bytes
in hex); any other body over 4 KiB by its length and sha256. Admin answers are recorded as
parsed JSON, so that a difference names its field; the receiver's requests as method, path,
headers and body. At checkpoints, and at the end of every scenario, the admin reads are
recorded: the journal, the tasks and each task, the accounts and each known key's ledger, the
webhook deliveries, the fault rules and the clock.

Every clock is the manual or the poll clock, so every time, Retry-After and delivery due time is
mock time and repeats exactly; taskIds, result pids, fault rules' draws and variant draws are
seeded. What still differs between two runs, or between two machines running the same code, is
normalised, and nothing else:
- the test server's port: `127.0.0.1:<port>` -> `127.0.0.1:PORT` (Host headers, result URLs);
- the receiver's port: `127.0.0.1:<port>` -> `127.0.0.1:HOOKPORT` (webHook URLs, its Host);
- the port of a closed socket that one delivery cannot connect to: in the connect error's text
  (`('127.0.0.1', <port>)`) and its URL -> `CLOSEDPORT`;
- what aiohttp's clients put in by themselves, -> `CLIENT`: the test client's `User-Agent`
  (aiohttp's and Python's versions) and `Accept-Encoding` in journal rows, and the
  `Accept-Encoding` of the mock's delivery session at the receiver. `Accept-Encoding` lists the
  codings the installed aiohttp can decode (`br`, `zstd` only with newer aiohttp and those
  decoders): the first sample, which keeps it, fails on this machine for that reason alone. The
  deliveries' `User-Agent` is the mock's own (`sora-mock/<version>`) and is kept.
The three ports are ephemeral, five digits on Linux, so the `Content-Length` of a request whose
body carries a URL does not vary. There are no real-time milliseconds or wall-clock stamps in
what is recorded (log lines are the first sample's, `journal_sample.py`), and no sleeps: a
delay or timeout fault waits 1 ms, and every wait for an event is bounded by `asyncio.wait_for`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, Final

from aiohttp.test_utils import TestClient, TestServer

from sora_mock import create_app

from .behaviour_faults import faults, webhook_on_failure, webhooks
from .behaviour_harness import Json, Receiver, Run
from .behaviour_routes import lifecycle, sora_video, streams
from .behaviour_settings import (
    accounts,
    admin_token,
    concurrency,
    error_status_http,
    folding,
    forgetting,
    poll_clock,
    run_zero,
    strict,
    variants_pinned,
    variants_random,
)

ROOT: Final = Path(__file__).resolve().parents[2]
SAMPLE: Final = ROOT / "fixtures" / "journal" / "behaviour.json"
Scenario = Callable[[Run], Awaitable[None]]
# set by aiohttp's client, not by this test or the mock: its version, and the codings it can
# decode (which depend on the installed aiohttp and its optional decoders); the mock sets its
# deliveries' User-Agent itself, so only their Accept-Encoding is aiohttp's
TEST_CLIENT_HEADERS: Final = frozenset(("user-agent", "accept-encoding"))
SESSION_HEADERS: Final = frozenset(("accept-encoding",))

SCENARIOS: Final[dict[str, tuple[Json, Scenario]]] = {
    "faults": ({"clock": "manual"}, faults),
    "webhooks": ({"clock": "manual"}, webhooks),
    "webhook_on_failure": ({"clock": "manual", "webhook_on_failure": True}, webhook_on_failure),
    "sora_video": ({"clock": "manual"}, sora_video),
    "streams": ({"clock": "manual"}, streams),
    "lifecycle": ({"clock": "manual"}, lifecycle),
    "concurrency": ({"clock": "manual", "max_concurrent_tasks": 2}, concurrency),
    "forgetting": ({"clock": "manual", "max_tasks": 3}, forgetting),
    "folding": ({"clock": "manual", "ledger_size": 2}, folding),
    "poll_clock": ({"clock": "poll", "poll_step_seconds": 2.5}, poll_clock),
    "run_zero": ({"clock": "manual", "run_seconds": 0}, run_zero),
    "strict": (
        {"clock": "manual", "strict": True, "accounts": {"sk-vip-0005": {"vip": True}}},
        strict,
    ),
    "accounts": (
        {
            "clock": "manual",
            "auto_provision": False,
            "default_balance": 777,
            "accounts": {
                "sk-known-0001": 150,
                "sk-vip-0002": {"balance": 1000, "vip": True},
                "sk-table-0003": {"vip": False},
            },
        },
        accounts,
    ),
    "admin_token": ({"clock": "manual", "admin_token": "tok-behaviour"}, admin_token),
    "variants_random": (
        {"clock": "manual", "variants": "random", "seed": "behaviour"},
        variants_random,
    ),
    "variants_pinned": (
        {
            "clock": "manual",
            "variants": {
                "create_id": "id",
                "message": "Success",
                "validation_code": "-1",
                "check_status": "http",
                "failure_reason": "null",
                "error_data": "absent",
                "task_scope": "any",
            },
        },
        variants_pinned,
    ),
    "error_status_http": (
        {
            "clock": "manual",
            "error_status": "http",
            "max_concurrent_tasks": 2,
            "max_body_bytes": 256,
        },
        error_status_http,
    ),
}


@contextlib.asynccontextmanager
async def _serving(settings: Json) -> AsyncIterator[Run]:
    app = create_app(**settings)
    server = TestServer(app)
    client: TestClient[Any, Any] = TestClient(server)
    hook = Receiver()
    await hook.start()
    await client.start_server()
    token = settings.get("admin_token")
    run = Run(client, hook, {"X-Sora-Mock-Admin-Token": token} if token else {})
    try:
        yield run
    finally:
        await client.close()
        await hook.stop()


def normalized(value: Any, run: Run, port: int) -> Any:
    """Only what differs between runs and machines: the ports, and aiohttp's own client headers."""
    text = json.dumps(value, ensure_ascii=False)
    text = text.replace(f"127.0.0.1:{port}", "127.0.0.1:PORT")
    text = text.replace(f"127.0.0.1:{run.hook.port}", "127.0.0.1:HOOKPORT")
    out: Any = json.loads(text)
    for step in out:
        found = step.get("json")
        if isinstance(found, dict) and isinstance(found.get("requests"), list):
            for row in found["requests"]:  # the test client's requests, journaled
                _client_chose(row["headers"], TEST_CLIENT_HEADERS)
        for request in step.get("received", []):  # the mock's delivery session's requests
            _client_chose(request["headers"], SESSION_HEADERS)
    return out


def _client_chose(headers: Json, names: frozenset[str]) -> None:
    for name in headers:
        if name.lower() in names:
            headers[name] = "CLIENT"


async def run_scenario(name: str) -> Json:
    settings, scenario = SCENARIOS[name]
    async with _serving(settings) as run:
        await scenario(run)
        port = run.client.port
        assert port is not None
        steps = normalized(run.steps, run, port)
    return {"settings": settings, "steps": _closed_ports(steps)}


def _closed_ports(steps: list[Json]) -> list[Json]:
    """The closed port of the unreachable receiver, in its URL and in the connect error."""
    text = json.dumps(steps, ensure_ascii=False)
    for word in ("http://127.0.0.1:", "'127.0.0.1', "):
        parts = text.split(word)
        for index in range(1, len(parts)):
            digits = len(parts[index]) - len(parts[index].lstrip("0123456789"))
            if digits and parts[index][:digits] not in ("PORT", "HOOKPORT"):
                parts[index] = "CLOSEDPORT" + parts[index][digits:]
        text = word.join(parts)
    out: list[Json] = json.loads(text)
    return out


async def record() -> Json:
    return {name: await run_scenario(name) for name in SCENARIOS}


def main() -> None:
    SAMPLE.parent.mkdir(exist_ok=True)
    sample = asyncio.run(record())
    SAMPLE.write_text(json.dumps(sample, indent=1, ensure_ascii=False) + "\n")
    steps = sum(len(s["steps"]) for s in sample.values())
    print(f"written: {SAMPLE} ({len(sample)} scenarios, {steps} steps)")


if __name__ == "__main__":
    main()
