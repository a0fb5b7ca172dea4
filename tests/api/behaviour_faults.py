"""The behaviour sample's scenarios of part C and A7: request faults, deliveries, their faults."""

from __future__ import annotations

from .behaviour_harness import (
    CLIP,
    CREATE,
    CREDITS,
    OTHER,
    PNG,
    TEXT,
    VIDEO,
    Json,
    Run,
    closed_port,
)


async def faults(run: Run) -> None:
    """Every request action of C with each selector, matcher and route; the rules' records."""
    # every k-th, on create
    await run.fault("rule: error every 2nd create", action="error", route="create", every=2)
    for n in range(4):
        await run.send(f"create {n + 1} (every 2)", "POST", CREATE, TEXT)
    await run.admin("rules after every", "GET", "/faults")
    await run.admin("clear rules", "DELETE", "/faults")
    await run.advance("let the tasks end", 10)
    # every: true with times: any route, retires after two
    await run.fault(
        "rule: 503 on any route, twice",
        action="error",
        every=True,
        times=2,
        code=503,
        message="Busy, try later.",
    )
    await run.send("create (times 1)", "POST", CREATE, TEXT)
    await run.send("credits (times 2)", "POST", CREDITS, {})
    await run.send("credits (retired)", "POST", CREDITS, {})
    await run.admin("clear rules", "DELETE", "/faults")
    # nth, on check_result, malformed
    task_id = await run.task("create for checks", CREATE, TEXT)
    await run.fault("rule: malformed 3rd check", action="malformed", route="check_result", nth=3)
    for n in range(4):
        await run.check(f"check {n + 1} (nth 3)", task_id)
    await run.admin("clear rules", "DELETE", "/faults")
    # probability, seeded: a run repeats exactly
    await run.fault(
        "rule: 502 on half the credits",
        action="error",
        route="credits",
        probability=0.5,
        code=502,
        http_status=502,
    )
    for n in range(10):
        await run.send(f"credits {n + 1} (probability)", "POST", CREDITS, {})
    await run.admin("rules after probability", "GET", "/faults")
    await run.admin("clear rules", "DELETE", "/faults")
    # matchers
    await run.fault("rule: html on image model", action="html", model="sora-2-image-to-video")
    await run.send("create text (model no match)", "POST", CREATE, TEXT)
    image = {"model": "sora-2-image-to-video", "prompt": "p", "imageData": PNG}
    await run.send("create image (model match)", "POST", CREATE, image)
    await run.admin("clear rules", "DELETE", "/faults")
    await run.fault("rule: 401 for one key", action="error", api_key=OTHER, code=401)
    await run.send("create (api_key no match)", "POST", CREATE, TEXT)
    await run.send("create (api_key match)", "POST", CREATE, TEXT, key=OTHER)
    await run.admin("rules with api_key (masked)", "GET", "/faults")
    await run.admin("rules filtered by api_key", "GET", f"/faults?api_key={OTHER}")
    await run.admin("clear one key's rules", "DELETE", f"/faults?api_key={OTHER}")
    await run.fault(
        "rule: 400 on a prompt",
        action="error",
        prompt_contains="boom",
        code=400,
        message="No booms.",
    )
    await run.send("create (prompt no match)", "POST", CREATE, TEXT)
    await run.send("create (prompt match)", "POST", CREATE, {**TEXT, "prompt": "a big boom"})
    await run.send("credits (no body: no match)", "POST", CREDITS, {"prompt": "boom"})
    await run.admin("clear rules", "DELETE", "/faults")
    await run.fault(
        "rule: 500 on a header",
        action="error",
        header={"name": "X-Scenario", "value": "b"},
    )
    await run.send("create (header a)", "POST", CREATE, TEXT, headers={"X-Scenario": "a"})
    await run.send("create (header b)", "POST", CREATE, TEXT, headers={"x-scenario": "b"})
    await run.admin("clear rules", "DELETE", "/faults")
    await run.advance("let the tasks end", 10)
    # delays add up, then the first other rule decides; an injected 429 carries Retry-After
    await run.fault("rule: delay 1 ms", action="delay", delay_ms=1)
    await run.fault("rule: delay [1, 2] ms", action="delay", route="create", delay_ms=[1, 2])
    await run.fault("rule: 429 on create", action="error", route="create", code=429)
    await run.fault("rule: never reached", action="error", route="create", code=500)
    await run.send("create (delays, then 429)", "POST", CREATE, TEXT)
    await run.send("credits (delay only)", "POST", CREDITS, {})
    await run.admin("rules after delays", "GET", "/faults")
    await run.admin("clear rules", "DELETE", "/faults")
    await run.fault(
        "rule: 418 on sora_video",
        action="error",
        route="sora_video",
        code=418,
        http_status=418,
        message="I am a teapot (injected).",
    )
    await run.send("sora-video (418)", "POST", VIDEO, CLIP)
    await run.fault("rule: 429 on check", action="error", route="check_result", code=429)
    await run.check("check (injected 429)", task_id)
    await run.admin("clear rules", "DELETE", "/faults")
    # fail_task and cancel_task on both create routes; on other routes they only count
    await run.fault(
        "rule: fail_task create",
        action="fail_task",
        route="create",
        times=1,
        failure_reason="gpu melted",
        error_message="E42",
    )
    await run.fault("rule: cancel_task sora_video", action="cancel_task", route="sora_video", nth=1)
    failed = await run.task("create (fail_task)", CREATE, TEXT)
    cancelled_video = await run.task("sora-video (cancel_task)", VIDEO, CLIP)
    await run.fault("rule: fail_task sora_video", action="fail_task", route="sora_video", times=1)
    await run.fault("rule: cancel_task create", action="cancel_task", route="create", every=1)
    failed_video = await run.task("sora-video (fail_task)", VIDEO, CLIP)
    cancelled = await run.task("create (cancel_task)", CREATE, TEXT)
    await run.admin("clear rules", "DELETE", "/faults")
    await run.fault("rule: fail_task any (counts only)", action="fail_task", route="any")
    await run.send("credits (fail_task any: nothing to do)", "POST", CREDITS, {})
    await run.check("check (fail_task any: nothing to do)", task_id)
    await run.admin("rules after task faults", "GET", "/faults")
    await run.admin("clear rules", "DELETE", "/faults")
    for n, ident in enumerate((failed, cancelled_video, failed_video, cancelled)):
        await run.check(f"check task-faulted {n + 1} at 0", ident)
    await run.advance("to the queue's end", 1)
    for n, ident in enumerate((failed, cancelled_video, failed_video, cancelled)):
        await run.check(f"check task-faulted {n + 1} at 1", ident)
    await run.advance("to the run's end", 4)
    for n, ident in enumerate((failed, cancelled_video, failed_video, cancelled)):
        await run.check(f"check task-faulted {n + 1} at 5", ident)
    # reset and timeout: the client sees the connection dropped
    await run.fault("rule: reset create once", action="reset", route="create", times=1)
    await run.send("create (reset)", "POST", CREATE, TEXT)
    await run.send("create (after reset)", "POST", CREATE, TEXT)
    await run.fault(
        "rule: timeout check once", action="timeout", route="check_result", times=1, delay_ms=1
    )
    await run.check("check (timeout)", task_id)
    await run.check("check (after timeout)", task_id)
    await run.admin("clear rules", "DELETE", "/faults")
    # the other routes
    await run.advance("let the tasks end", 10)
    await run.fault("rule: 503 on files", action="error", route="files", code=503, times=1)
    await run.fault("rule: html on files", action="html", route="files", times=1)
    await run.fault("rule: malformed on files", action="malformed", route="files", times=1)
    await run.fault("rule: reset on files", action="reset", route="files", times=1)
    for n in range(5):
        await run.send(f"file {n + 1} (files rules)", "GET", f"/files/{task_id}.mp4", key=None)
    await run.fault("rule: html on credits", action="html", route="credits", times=1)
    await run.send("credits (html)", "POST", CREDITS, {})
    await run.fault("rule: malformed on any, 2nd", action="malformed", nth=2)
    await run.send("unknown route (any does not see it)", "POST", "/api/nope", {})
    await run.send("credits (any 1)", "POST", CREDITS, {})
    await run.check("check (any 2: malformed)", task_id)
    await run.send("sora-video (any 3)", "POST", VIDEO, CLIP)
    await run.admin("rules at the end", "GET", "/faults")
    await run.checkpoint("checkpoint")
    # rules refused, and removal
    refused: list[Json] = [
        {"action": "drop", "route": "create"},
        {"action": "duplicate"},
        {"action": "timeout", "route": "webhook"},
        {"action": "drop", "route": "webhook", "header": {"name": "a", "value": "b"}},
        {"action": "explode"},
        {"action": "error", "every": 2, "nth": 1},
        {"action": "error", "every": 0},
        {"action": "error", "probability": 1.5},
        {"action": "delay", "delay_ms": [5, 1]},
        {"action": "error", "colour": "red"},
        {"action": "error", "route": "everywhere"},
    ]
    for n, rule in enumerate(refused):
        await run.admin(f"refused rule {n + 1}", "POST", "/faults", rule)
    await run.admin("delete unknown rule", "DELETE", "/faults/f999")
    ident = await run.fault("rule: to delete", action="error", code=500)
    await run.admin("delete rule", "DELETE", f"/faults/{ident}")
    await run.admin("clear rules", "DELETE", "/faults")
    await run.fault("rule: bad preset still wins", action="error", code=500)
    await run.send(
        "create (bad preset)", "POST", CREATE, TEXT, headers={"X-Sora-Mock-Fault": "nope"}
    )
    await run.send(
        "create (preset decides alone)",
        "POST",
        CREATE,
        TEXT,
        headers={"X-Sora-Mock-Fault": "unavailable"},
    )


async def webhooks(run: Run) -> None:
    """A7: deliveries, retries, delivery faults, the allow-list, and the records."""
    hook = run.hook.url
    delivered = await run.task("hooked a", VIDEO, {**CLIP, "webHook": hook("/a")})
    await run.advance("a due", 5)
    run.received("a arrived")
    await run.admin("a's record", "GET", f"/webhooks?taskId={delivered}")
    # 500 then 200: one retry a second later
    run.hook.statuses = [500, 200]
    await run.task("hooked b", VIDEO, {**CLIP, "webHook": hook("/b?x=1")})
    await run.advance("b due", 5)
    run.received("b attempt 1")
    await run.advance("b retry due", 1)
    run.received("b attempt 2")
    # always 500: every retry, then failed (one advance spans several due times)
    run.hook.statuses = [500] * 4
    await run.task("hooked c", VIDEO, {**CLIP, "webHook": hook("/c")})
    await run.advance("c due", 5)
    await run.advance("c's retries due", 20)
    run.received("c attempts")
    # delivery faults
    await run.fault("rule: drop once", action="drop", route="webhook", times=1)
    await run.task("hooked d", VIDEO, {**CLIP, "webHook": hook("/d")})
    await run.fault("rule: duplicate once", action="duplicate", route="webhook", times=1)
    await run.task("hooked e", VIDEO, {**CLIP, "webHook": hook("/e")})
    await run.fault("rule: error once", action="error", route="webhook", times=1)
    await run.task("hooked f", VIDEO, {**CLIP, "webHook": hook("/f")})
    await run.fault("rule: delay 1 ms", action="delay", route="webhook", delay_ms=1, times=2)
    await run.advance("d, e, f due", 5)
    run.received("d, e, f arrived")
    await run.advance("f's retry due", 1)
    run.received("f retried")
    await run.admin("delivery rules", "GET", "/faults")
    await run.admin("clear rules", "DELETE", "/faults")
    await run.fault(
        "rule: drop on a prompt", action="drop", route="webhook", prompt_contains="drop me"
    )
    await run.fault("rule: error for other key", action="error", route="webhook", api_key=OTHER)
    await run.task("hooked g (prompt)", VIDEO, {**CLIP, "prompt": "drop me", "webHook": hook("/g")})
    await run.task("hooked h", VIDEO, {**CLIP, "webHook": hook("/h")})
    await run.advance("g, h due", 5)
    run.received("g, h arrived")
    await run.admin("clear rules", "DELETE", "/faults")
    # hosts not allowed, unreachable receivers, and no webhook at all
    await run.task("hooked refused", VIDEO, {**CLIP, "webHook": "http://example.com/hook"})
    await run.task("hooked refused ipv6", VIDEO, {**CLIP, "webHook": "http://[::2]:80/hook"})
    closed = f"http://127.0.0.1:{closed_port()}/closed"
    await run.task("hooked closed port", VIDEO, {**CLIP, "webHook": closed})
    await run.task("webHook -1", VIDEO, {**CLIP, "webHook": "-1"})
    await run.task("webHook blank", VIDEO, {**CLIP, "webHook": ""})
    await run.advance("all due", 5)
    await run.advance("retries due", 20)
    run.received("nothing more arrived")
    # finished by the admin API, and seen final by a check-result
    succeeded = await run.task("hooked i (admin succeed)", VIDEO, {**CLIP, "webHook": hook("/i")})
    failed = await run.task("hooked j (admin fail)", VIDEO, {**CLIP, "webHook": hook("/j")})
    cancelled = await run.task("hooked k (admin cancel)", VIDEO, {**CLIP, "webHook": hook("/k")})
    await run.advance("half way", 2)
    await run.admin("succeed i", "POST", f"/tasks/{succeeded}/succeed")
    await run.admin("fail j", "POST", f"/tasks/{failed}/fail", {"failure_reason": "nope"})
    await run.admin("cancel k", "POST", f"/tasks/{cancelled}/cancel")
    await run.advance("drain", 0)
    run.received("i arrived")
    await run.send(
        "task-failed hooked",
        "POST",
        VIDEO,
        {**CLIP, "webHook": hook("/l")},
        headers={"X-Sora-Mock-Fault": "task_failed"},
    )
    polled = await run.task("hooked m (polled)", VIDEO, {**CLIP, "webHook": hook("/m")})
    await run.advance("m's end", 5)
    await run.check("check m", polled)
    run.received("m arrived")
    other = await run.task("other key hooked", VIDEO, {**CLIP, "webHook": hook("/n")}, key=OTHER)
    await run.advance("n due", 5)
    run.received("n arrived")
    # the records and their filters
    await run.admin("delivered", "GET", "/webhooks?state=delivered")
    await run.admin("failed", "GET", "/webhooks?state=failed")
    await run.admin("refused", "GET", "/webhooks?state=refused")
    await run.admin("dropped", "GET", "/webhooks?state=dropped")
    await run.admin("pending", "GET", "/webhooks?state=pending")
    await run.admin("bad state", "GET", "/webhooks?state=lost")
    await run.admin("by key", "GET", f"/webhooks?key={OTHER}")
    await run.admin("by task", "GET", f"/webhooks?taskId={other}")
    await run.checkpoint("checkpoint")
    await run.admin("clear other key's", "DELETE", f"/webhooks?key={OTHER}")
    await run.admin("after clearing one key", "GET", "/webhooks")
    run.hook.statuses = [500]
    pending = await run.task("hooked o", VIDEO, {**CLIP, "webHook": hook("/o")})
    await run.advance("o's first attempt fails: pending", 5)
    run.received("o attempt 1")
    await run.admin("clear finished", "DELETE", "/webhooks")
    await run.admin("pending stays", "GET", "/webhooks")
    await run.admin("reset", "POST", "/reset")
    await run.check("check after reset", pending)
    await run.admin("no records after reset", "GET", "/webhooks")
    await run.advance("o's retry would be due", 10)
    run.received("nothing after reset")


async def webhook_on_failure(run: Run) -> None:
    """A7 with webhook_on_failure: failed and cancelled tasks are delivered too."""
    hook = run.hook.url
    ok = await run.task("hooked ok", VIDEO, {**CLIP, "webHook": hook("/ok")})
    failed = await run.task("hooked fail", VIDEO, {**CLIP, "webHook": hook("/fail")})
    cancelled = await run.task("hooked cancel", VIDEO, {**CLIP, "webHook": hook("/cancel")})
    await run.fault("rule: fail_task", action="fail_task", route="sora_video", times=1)
    await run.task("hooked fail_task", VIDEO, {**CLIP, "webHook": hook("/fail_task")})
    await run.fault("rule: cancel_task", action="cancel_task", route="sora_video", times=1)
    await run.task("hooked cancel_task", VIDEO, {**CLIP, "webHook": hook("/cancel_task")})
    await run.admin("fail", "POST", f"/tasks/{failed}/fail", {"error_message": "E1"})
    await run.admin("cancel", "POST", f"/tasks/{cancelled}/cancel", {"failure_reason": "bye"})
    await run.advance("drain", 0)
    run.received("admin-ended arrived")
    await run.advance("queue's end", 1)
    run.received("cancel_task arrived")
    await run.advance("run's end", 4)
    run.received("fail_task and ok arrived")
    await run.check("check ok", ok)
    await run.checkpoint("end")
