"""The behaviour sample's scenarios that each run under settings of their own (B, D, E, G)."""

from __future__ import annotations

import json
from typing import Any

from .behaviour_harness import (
    CHECK,
    CLIP,
    CREATE,
    CREDITS,
    KEY,
    NOT_PNG,
    OTHER,
    PNG,
    TEXT,
    VIDEO,
    Run,
)


async def concurrency(run: Run) -> None:
    """max_concurrent_tasks = 2: the third active task is a 429 with Retry-After, both routes."""
    await run.task("create 1", CREATE, TEXT)
    await run.task("create 2", VIDEO, CLIP)
    await run.send("create 3", "POST", CREATE, TEXT)
    await run.send("sora-video 3", "POST", VIDEO, CLIP)
    await run.task("other key", CREATE, TEXT, key=OTHER)
    await run.send("a rejected body still 400", "POST", CREATE, {**TEXT, "nFrames": "x"})
    await run.advance("half", 3)
    await run.send("still 429", "POST", CREATE, TEXT)
    await run.advance("ended", 2)
    await run.task("room again", CREATE, TEXT)
    await run.checkpoint("end")


async def forgetting(run: Run) -> None:
    """max_tasks = 3: the oldest final task goes first, else the oldest (its ledger rows stay)."""
    first = await run.task("create 1", CREATE, TEXT)
    await run.advance("1 ends", 5)
    second = await run.task("create 2", CREATE, TEXT)
    await run.task("create 3", CREATE, TEXT)
    await run.task("create 4 (forgets 1)", CREATE, TEXT)
    await run.check("check 1", first)
    await run.send("file of 1", "GET", f"/files/{first}.mp4", key=None)
    await run.admin("task 1", "GET", f"/tasks/{first}")
    await run.task("create 5 (none final: forgets 2)", CREATE, TEXT)
    await run.check("check 2", second)
    await run.admin("fail 2", "POST", f"/tasks/{second}/fail")
    await run.checkpoint("end")


async def folding(run: Run) -> None:
    """ledger_size = 2: older transactions fold into the opening balance; refunds still once."""
    charged = await run.task("create 1", CREATE, TEXT)
    await run.task("create 2", CREATE, TEXT)
    await run.admin("ledger", "GET", f"/accounts/{KEY}/ledger")
    await run.task("create 3", CREATE, TEXT)
    await run.admin("fail 1 (its charge folded)", "POST", f"/tasks/{charged}/fail")
    await run.admin("ledger after refund", "GET", f"/accounts/{KEY}/ledger")
    await run.admin("set", "PUT", f"/accounts/{KEY}", {"balance": 5000})
    await run.admin("fail 1 again", "POST", f"/tasks/{charged}/fail")
    await run.send("credits", "POST", CREDITS, {})
    await run.admin("open a key", "POST", "/accounts/sk-opened-0004")
    await run.admin("open it again", "POST", "/accounts/sk-opened-0004")
    run.keys.append("sk-opened-0004")
    await run.checkpoint("end")


async def poll_clock(run: Run) -> None:
    """clock = "poll": each check-result answers, then moves its task on by poll_step_seconds."""
    task_id = await run.task("create", CREATE, TEXT)
    for n in range(4):
        await run.check(f"poll {n + 1}", task_id)
    await run.admin("clock", "GET", "/clock")
    await run.admin("task", "GET", f"/tasks/{task_id}")
    hooked = await run.task("hooked", VIDEO, {**CLIP, "webHook": run.hook.url("/poll")})
    for n in range(3):
        await run.check(f"hooked poll {n + 1}", hooked)
    await run.advance("drain", 0)
    run.received("after the last poll")
    stream = await run.stream("stream", CLIP)
    first = json.loads((await stream.next("first"))[len("data: ") :])
    await run.check("stream poll 1", first["id"])
    await stream.next("after poll 1")
    await run.check("stream poll 2", first["id"])
    await stream.next("after poll 2")
    await run.check("stream poll 3", first["id"])
    await stream.end()
    waiting = await run.task("create, then the global clock", CREATE, TEXT)
    await run.advance("global", 3)
    await run.check("after a global advance", waiting)
    await run.check("and a poll", waiting)
    await run.checkpoint("end")


async def run_zero(run: Run) -> None:
    """run_seconds = 0: pending, then succeeded (no running); a stream gets two events."""
    task_id = await run.task("create", CREATE, TEXT)
    await run.check("at 0", task_id)
    await run.advance("queue's end", 1)
    await run.check("at 1", task_id)
    stream = await run.stream("stream", CLIP)
    await stream.next("first")
    await run.advance("queue's end", 1)
    await stream.next("final")
    await stream.end()
    await run.task("sora-video estimate", VIDEO, CLIP)
    await run.checkpoint("end")


async def strict(run: Run) -> None:
    """strict = true: unknown fields 400, VIP-only inputs 403, image signatures checked."""
    vip = "sk-vip-0005"
    await run.send("create unknown field", "POST", CREATE, {**TEXT, "colour": "red", "x": 1})
    await run.send("sora-video A2 name", "POST", VIDEO, {**CLIP, "nFrames": 10})
    await run.send("create isPublic false", "POST", CREATE, {**TEXT, "isPublic": False})
    await run.send("sora-video isPublic false", "POST", VIDEO, {**CLIP, "isPublic": False})
    await run.send("sora-video characters []", "POST", VIDEO, {**CLIP, "characters": []})
    image = {"model": "sora-2-image-to-video", "prompt": "p"}
    await run.send("create bad signature", "POST", CREATE, {**image, "imageData": NOT_PNG})
    await run.send("sora-video bad signature", "POST", VIDEO, {**CLIP, "imageData": NOT_PNG})
    await run.task("create good png", CREATE, {**image, "imageData": PNG})
    await run.send(
        "unknown field and VIP input", "POST", VIDEO, {**CLIP, "isPublic": False, "zzz": 1}
    )
    await run.task("VIP isPublic false", CREATE, {**TEXT, "isPublic": False}, key=vip)
    await run.task(
        "VIP characters",
        VIDEO,
        {**CLIP, "characters": [{"url": "http://a.b/c", "timestamps": "1,2"}]},
        key=vip,
    )
    await run.send("VIP unknown field", "POST", VIDEO, {**CLIP, "zzz": 1}, key=vip)
    await run.task(
        "stable: removeWatermark does not apply",
        CREATE,
        {"model": "sora-2-text-to-video-stable", "prompt": "p", "removeWatermark": False},
    )
    await run.checkpoint("end")


async def accounts(run: Run) -> None:
    """auto_provision = false with configured accounts; the admin's accounts."""
    await run.send("unknown key", "POST", CREATE, TEXT, key="sk-stranger-0009")
    await run.send("unknown key credits", "POST", CREDITS, {}, key="sk-stranger-0009")
    await run.send("no key", "POST", CREDITS, {}, key=None)
    await run.send("blank key", "POST", CREDITS, {}, key=None, headers={"Authorization": "Bearer "})
    await run.send("known", "POST", CREDITS, {}, key="sk-known-0001")
    await run.send("vip", "POST", CREDITS, {}, key="sk-vip-0002")
    await run.send("table without balance", "POST", CREDITS, {}, key="sk-table-0003")
    await run.task("known creates", CREATE, TEXT, key="sk-known-0001")
    await run.send(
        "known too poor", "POST", VIDEO, {**CLIP, "model": "sora-2-pro"}, key="sk-known-0001"
    )
    await run.admin("open one", "POST", "/accounts/sk-opened-0004")
    await run.send("opened", "POST", CREDITS, {}, key="sk-opened-0004")
    await run.admin("vip only on unknown", "PUT", "/accounts/sk-put-0005", {"vip": True})
    await run.send("put vip", "POST", CREDITS, {}, key="sk-put-0005")
    await run.send("put vip creates", "POST", CREATE, TEXT, key="sk-put-0005")
    await run.admin("balance on unknown", "PUT", "/accounts/sk-put-0006", {"balance": 300})
    await run.task("put balance creates", CREATE, TEXT, key="sk-put-0006")
    await run.admin("empty put", "PUT", "/accounts/sk-put-0006", {})
    await run.admin("null put", "PUT", "/accounts/sk-put-0006", {"balance": None})
    await run.admin("string put", "PUT", "/accounts/sk-put-0006", {"balance": "5"})
    await run.admin("float put", "PUT", "/accounts/sk-put-0006", {"balance": 250.0})
    await run.admin("unknown account", "GET", "/accounts/sk-nobody-0007")
    await run.admin("one account", "GET", "/accounts/sk-vip-0002")
    run.keys.extend(["sk-vip-0002", "sk-table-0003"])
    await run.checkpoint("end")


async def admin_token(run: Run) -> None:
    """admin_token: every admin route but health needs the header; provider routes do not."""
    await run.admin("no token", "GET", "/clock", token=False)
    await run.admin("no token advance", "POST", "/clock/advance", {"seconds": 1}, token=False)
    await run.admin("no token reset", "POST", "/reset", token=False)
    await run.admin("health", "GET", "/health", token=False)
    await run.admin("unknown admin route", "GET", "/nope", token=False)
    await run.admin("wrong method", "PUT", "/clock", token=False)
    run.admin_headers["X-Sora-Mock-Admin-Token"] = "wrong"
    await run.admin("wrong token", "GET", "/tasks")
    run.admin_headers["X-Sora-Mock-Admin-Token"] = "tok-behaviour"
    await run.admin("right token", "GET", "/clock")
    await run.task("provider route needs none", CREATE, TEXT)
    await run.checkpoint("end")


def _mixed(round_: int) -> list[tuple[str, str, str, Any, str | None]]:
    """Every route, successes and errors: (label, method, path, body, key)."""
    return [
        (f"{round_} create", "POST", CREATE, TEXT, KEY),
        (f"{round_} create 400", "POST", CREATE, {**TEXT, "aspectRatio": "x"}, KEY),
        (f"{round_} create not object", "POST", CREATE, [1], KEY),
        (f"{round_} create 401", "POST", CREATE, TEXT, None),
        (f"{round_} sora-video", "POST", VIDEO, CLIP, KEY),
        (f"{round_} sora-video 400", "POST", VIDEO, {**CLIP, "duration": "x"}, KEY),
        (f"{round_} check 400", "POST", CHECK, {"taskId": ""}, KEY),
        (f"{round_} check 404", "POST", CHECK, {"taskId": "f" * 32}, KEY),
        (f"{round_} credits", "POST", CREDITS, {}, KEY),
        (f"{round_} credits 401", "POST", CREDITS, {}, None),
        (f"{round_} unknown route", "POST", "/api/nope", {}, KEY),
        (f"{round_} wrong method", "GET", CHECK, None, KEY),
        (f"{round_} files 404", "GET", f"/files/{'f' * 32}.mp4", None, None),
    ]


async def _variant_round(run: Run, round_: int) -> None:
    for label, method, path, body, key in _mixed(round_):
        await run.send(label, method, path, body, key=key)
    await run.advance(f"{round_} their end", 5)
    task_id = await run.task(f"{round_} task", CREATE, TEXT)
    video = await run.task(f"{round_} video task", VIDEO, CLIP)
    await run.check(f"{round_} check pending", task_id)
    await run.check(f"{round_} check from another key", task_id, key=OTHER)
    await run.advance(f"{round_} end", 5)
    await run.check(f"{round_} check succeeded", task_id)
    await run.check(f"{round_} check video from another key", video, key=OTHER)
    await run.send(f"{round_} file", "HEAD", f"/files/{task_id}.mp4", key=None)
    failing = await run.task(
        f"{round_} failing", CREATE, TEXT, headers={"X-Sora-Mock-Fault": "task_failed"}
    )
    await run.advance(f"{round_} fail", 5)
    await run.check(f"{round_} check failed", failing)
    await run.send(
        f"{round_} injected 503",
        "POST",
        CHECK,
        {"taskId": task_id},
        headers={"X-Sora-Mock-Fault": "unavailable"},
    )
    await run.send(
        f"{round_} injected 429",
        "POST",
        CREATE,
        TEXT,
        headers={"X-Sora-Mock-Fault": "rate_limited"},
    )
    await run.send(f"{round_} poor", "POST", CREATE, TEXT, key="sk-poor-0003")


async def variants_random(run: Run) -> None:
    """variants = "random", seed fixed: the forms drawn per answer, noted in each row."""
    await run.admin("poor", "PUT", "/accounts/sk-poor-0003", {"balance": 0})
    for round_ in range(3):
        await _variant_round(run, round_ + 1)
    await run.admin(
        "poor again: a set of no difference", "PUT", "/accounts/sk-poor-0003", {"balance": 0}
    )
    stream = await run.stream("stream", CLIP)
    await stream.next("first")
    await run.advance("the end", 5)
    await stream.next("final")
    await stream.end()
    await run.send(
        "stream rejected",
        "POST",
        VIDEO,
        {**CLIP, "aspectRatio": "1:1"},
        headers={"Accept": "text/event-stream"},
    )
    await run.checkpoint("end")


async def variants_pinned(run: Run) -> None:
    """A pinned table of forms, task_scope "any" among them."""
    await run.admin("poor", "PUT", "/accounts/sk-poor-0003", {"balance": 0})
    await _variant_round(run, 1)
    task_id = await run.task("stream's task", CREATE, TEXT)
    await run.advance("end", 5)
    await run.send("another key's file", "GET", f"/files/{task_id}.mp4", key=OTHER)
    await run.checkpoint("end")


async def error_status_http(run: Run) -> None:
    """error_status = "http": every error's HTTP status is its code."""
    await run.admin("poor", "PUT", "/accounts/sk-poor-0003", {"balance": 0})
    await _variant_round(run, 1)
    await run.send("413", "POST", CREATE, {**TEXT, "prompt": "x" * 300})
    await run.task("1 active", CREATE, TEXT)
    await run.task("2 active", VIDEO, CLIP)
    await run.send("429", "POST", CREATE, TEXT)
    await run.send(
        "fault http_status wins", "POST", CREDITS, {}, headers={"X-Sora-Mock-Fault": "server_error"}
    )
    await run.fault(
        "rule: 402 with http 200", action="error", route="credits", code=402, http_status=200
    )
    await run.send("rule's http_status", "POST", CREDITS, {})
    await run.checkpoint("end")
