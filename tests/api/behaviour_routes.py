"""The behaviour sample's scenarios of the provider routes: A6's rules, A8's stream, B3 and A4."""

from __future__ import annotations

import json
from typing import Any

from .behaviour_harness import (
    CLIP,
    CREATE,
    CREDITS,
    KEY,
    OTHER,
    PNG,
    TEXT,
    VIDEO,
    Run,
)


async def sora_video(run: Run) -> None:
    """A6: one rejection per field rule, the VIP inputs before and after VIP, remix, characters."""
    good_character = {"url": "https://example.com/c.png", "timestamps": "1,3"}
    rejected: list[tuple[str, Any]] = [
        ("not an object", [1]),
        ("model missing", {"prompt": "p"}),
        ("model unknown", {"model": "sora-3", "prompt": "p"}),
        ("model wrong case", {"model": "Sora-2", "prompt": "p"}),
        ("model null", {"model": None, "prompt": "p"}),
        ("prompt missing", {"model": "sora-2"}),
        ("prompt blank", {**CLIP, "prompt": "  "}),
        ("prompt not a string", {**CLIP, "prompt": 5}),
        ("imageData not a data URL", {**CLIP, "imageData": "https://example.com/a.png"}),
        ("imageData bad type", {**CLIP, "imageData": "data:image/bmp;base64,AAAA"}),
        ("imageData bad base64", {**CLIP, "imageData": "data:image/png;base64,@@@@"}),
        ("imageData empty", {**CLIP, "imageData": "data:image/png;base64,"}),
        ("imageData null", {**CLIP, "imageData": None}),
        ("url not http", {**CLIP, "url": "ftp://example.com/a.png"}),
        ("url no host", {**CLIP, "url": "http:///a.png"}),
        ("aspectRatio", {**CLIP, "aspectRatio": "1:1"}),
        ("duration word", {**CLIP, "duration": "ten"}),
        ("duration fraction", {**CLIP, "duration": 10.5}),
        ("duration bool", {**CLIP, "duration": True}),
        ("isPublic string", {**CLIP, "isPublic": "false"}),
        ("remixTargetId blank", {**CLIP, "remixTargetId": " "}),
        ("remixTargetId unknown", {**CLIP, "remixTargetId": "s_000000000000000000000000"}),
        ("characters not array", {**CLIP, "characters": {"url": "x"}}),
        ("characters too many", {**CLIP, "characters": [good_character] * 6}),
        ("character not object", {**CLIP, "characters": ["x"]}),
        ("character no url", {**CLIP, "characters": [{"timestamps": "1,2"}]}),
        ("character bad url", {**CLIP, "characters": [{"url": "nope", "timestamps": "1,2"}]}),
        ("character no timestamps", {**CLIP, "characters": [{"url": "http://a.b/c"}]}),
        ("character reversed", {**CLIP, "characters": [{**good_character, "timestamps": "3,1"}]}),
        (
            "character past duration",
            {**CLIP, "characters": [{**good_character, "timestamps": "0,12"}]},
        ),
        (
            "character past a broken duration",
            {**CLIP, "duration": "x", "characters": [{**good_character, "timestamps": "0,16"}]},
        ),
        ("character signed", {**CLIP, "characters": [{**good_character, "timestamps": "-1,2"}]}),
        ("webHook not http", {**CLIP, "webHook": "ftp://example.com/h"}),
        ("webHook number", {**CLIP, "webHook": 5}),
        ("shutProgress string", {**CLIP, "shutProgress": "yes"}),
        ("many rules at once", {"model": "x", "aspectRatio": "x", "duration": "x", "isPublic": 1}),
    ]
    for label, body in rejected:
        await run.send(f"rejected: {label}", "POST", VIDEO, body)
    await run.send("rejected: duplicate keys", "POST", VIDEO, b'{"model": "sora-2", "model": "x"}')
    await run.send("rejected: no key", "POST", VIDEO, CLIP, key=None)
    # accepted forms, warnings and normalizations
    accepted: list[tuple[str, Any]] = [
        ("plain", CLIP),
        (
            "pro 15 landscape",
            {"model": "sora-2-pro", "prompt": "p", "duration": 15, "aspectRatio": "16:9"},
        ),
        ("stable, duration digits", {"model": "sora-2-stable", "prompt": "p", "duration": "15"}),
        ("duration 12 -> 10", {**CLIP, "duration": 12}),
        ("duration 13 -> 15", {**CLIP, "duration": "013"}),
        ("duration 99 -> 15", {**CLIP, "duration": 99}),
        ("imageData", {**CLIP, "imageData": PNG}),
        ("imageData and url", {**CLIP, "imageData": PNG, "url": "http://example.com/a.png"}),
        ("url", {**CLIP, "url": "https://example.com/a.png"}),
        ("A2 names are unknown here", {**CLIP, "nFrames": 15, "size": "high", "shots": []}),
        ("shutProgress without a stream", {**CLIP, "shutProgress": True}),
    ]
    for label, body in accepted:
        await run.task(f"accepted: {label}", VIDEO, body)
    await run.advance("all end", 5)
    await run.send("credits", "POST", CREDITS, {})
    done = await run.task("for the pid", VIDEO, CLIP)
    await run.advance("pid task ends", 5)
    result = await run.check("check: the pid", done)
    assert result is not None
    pid = result["data"]["result_pid"]
    other_done = await run.task("other key's pid", VIDEO, CLIP, key=OTHER)
    await run.advance("other's ends", 5)
    other_result = await run.check("check other's pid", other_done, key=OTHER)
    assert other_result is not None
    other_pid = other_result["data"]["result_pid"]
    vip_inputs = {
        **CLIP,
        "isPublic": False,
        "remixTargetId": pid,
        "characters": [
            {**good_character, "name": "fox"},
            {"url": "http://a.b/d", "timestamps": " 0.5 , 10 "},
        ],
    }
    await run.send(
        "remix of another key's pid", "POST", VIDEO, {**CLIP, "remixTargetId": other_pid}
    )
    await run.send("remix of a task id", "POST", VIDEO, {**CLIP, "remixTargetId": done})
    non_vip = await run.task("VIP inputs from a non-VIP", VIDEO, vip_inputs)
    empty = await run.task("characters [] from a non-VIP", VIDEO, {**CLIP, "characters": []})
    await run.admin("vip on", "PUT", f"/accounts/{KEY}", {"vip": True})
    vip = await run.task("VIP inputs from a VIP", VIDEO, vip_inputs)
    vip_empty = await run.task("characters [] from a VIP", VIDEO, {**CLIP, "characters": []})
    await run.send(
        "VIP: a broken character still 400", "POST", VIDEO, {**CLIP, "characters": [{"url": "x"}]}
    )
    await run.advance("all end", 5)
    for label, ident in (
        ("non-VIP", non_vip),
        ("empty", empty),
        ("VIP", vip),
        ("VIP empty", vip_empty),
    ):
        await run.check(f"check {label}", ident)
    await run.check("check another key's task", other_done)
    await run.admin("vip off", "PUT", f"/accounts/{KEY}", {"vip": False})
    await run.send("credits after vip off", "POST", CREDITS, {})
    await run.checkpoint("end")


async def streams(run: Run) -> None:
    """A8: the stream read to its end while the clock moves; shutProgress; endings."""
    stream = await run.stream("progress", CLIP)
    await stream.next("first")
    await run.advance("to running", 1)
    await stream.next("running 0")
    await run.advance("a quarter", 1)
    await stream.next("running 25")
    await run.advance("three quarters", 2)
    await stream.next("running 75")
    await run.admin("journal while streaming", "GET", "/requests?route=sora_video")
    await run.advance("the end", 1)
    await stream.next("succeeded")
    await stream.end()
    # only the final event
    quiet = await run.stream("shutProgress", {**CLIP, "shutProgress": True, "duration": 15})
    await run.admin("its row is written (the stream watches)", "GET", "/requests?limit=1")
    await run.advance("to running", 2)
    await run.advance("the end", 3)
    await quiet.end()
    # ended by the admin API, by a fault, and a rejection under the stream's Accept
    cancelled = await run.stream(
        "admin cancel", CLIP, Accept="application/json, text/event-stream;q=0.5"
    )
    first = json.loads((await cancelled.next("first"))[len("data: ") :])
    await run.advance("to running", 3)
    await cancelled.next("running 50")
    await run.admin("cancel", "POST", f"/tasks/{first['id']}/cancel", {"error_message": "stop"})
    await cancelled.next("cancelled")
    await cancelled.end()
    failing = await run.stream("task_failed preset", CLIP, **{"X-Sora-Mock-Fault": "task_failed"})
    await failing.next("first")
    await run.advance("the end", 5)
    await failing.next("failed")
    await failing.end()
    hooked = await run.stream("with a webHook", {**CLIP, "webHook": run.hook.url("/stream")})
    await hooked.next("first")
    await run.advance("the end", 5)
    await hooked.next("succeeded")
    await hooked.end()
    run.received("its delivery")
    await run.send(
        "rejected under Accept: text/event-stream",
        "POST",
        VIDEO,
        {**CLIP, "duration": "x"},
        headers={"Accept": "text/event-stream"},
    )
    await run.send(
        "injected error under the stream's Accept",
        "POST",
        VIDEO,
        CLIP,
        headers={"Accept": "text/event-stream", "X-Sora-Mock-Fault": "server_error"},
    )
    await run.send(
        "create route ignores Accept", "POST", CREATE, TEXT, headers={"Accept": "text/event-stream"}
    )
    await run.checkpoint("end")


async def lifecycle(run: Run) -> None:
    """B3 on the manual clock, the admin's finishes (409 when final), refunds, the files (A4)."""
    done = await run.task("create A", CREATE, TEXT)
    await run.check("A at 0", done)
    await run.advance("1 s", 1)
    await run.check("A at 1", done)
    await run.advance("3 s", 2)
    await run.check("A at 3", done)
    await run.advance("5 s", 2)
    await run.check("A at 5", done)
    await run.check("A from another key", done, key=OTHER)
    succeeded = await run.task("create B", CREATE, {**TEXT, "nFrames": 15})
    failed = await run.task(
        "create C",
        CREATE,
        {"model": "sora-2-pro-storyboard", "shots": [{"Scene": "a", "duration": 5}]},
    )
    cancelled = await run.task("create D", VIDEO, {**CLIP, "model": "sora-2-pro"})
    running = await run.task("create E", CREATE, TEXT)
    await run.advance("2 s", 2)
    await run.admin("succeed B", "POST", f"/tasks/{succeeded}/succeed")
    await run.admin(
        "fail C",
        "POST",
        f"/tasks/{failed}/fail",
        {"failure_reason": "content_policy", "error_message": "Blocked."},
    )
    await run.admin("cancel D", "POST", f"/tasks/{cancelled}/cancel", {})
    await run.admin("succeed B again", "POST", f"/tasks/{succeeded}/succeed")
    await run.admin("fail B", "POST", f"/tasks/{succeeded}/fail")
    await run.admin("cancel C", "POST", f"/tasks/{failed}/cancel")
    await run.admin("succeed D", "POST", f"/tasks/{cancelled}/succeed")
    await run.admin("succeed A (ended on its own)", "POST", f"/tasks/{done}/succeed")
    await run.admin("succeed unknown", "POST", "/tasks/0123456789abcdef0123456789abcdef/succeed")
    await run.admin("fail with a bad body", "POST", f"/tasks/{running}/fail", {"reason": 1})
    await run.admin("unknown task", "GET", "/tasks/0123456789abcdef0123456789abcdef")
    for label, ident in (("B", succeeded), ("C", failed), ("D", cancelled), ("E", running)):
        await run.check(f"check {label}", ident)
    await run.send("credits after refunds", "POST", CREDITS, {})
    # the result file
    video = f"/files/{done}.mp4"
    await run.send("file", "GET", video, key=None)
    await run.send("file 0-9", "GET", video, key=None, headers={"Range": "bytes=0-9"})
    await run.send("file suffix -10", "GET", video, key=None, headers={"Range": "bytes=-10"})
    await run.send("file 5-", "GET", video, key=None, headers={"Range": "bytes=1000-"})
    await run.send(
        "file unsatisfiable", "GET", video, key=None, headers={"Range": "bytes=99999999-"}
    )
    await run.send("file -0", "GET", video, key=None, headers={"Range": "bytes=-0"})
    await run.send("file two ranges", "GET", video, key=None, headers={"Range": "bytes=0-1,4-5"})
    await run.send("file HEAD", "HEAD", video, key=None)
    await run.send("file with a key", "GET", video)
    await run.send("file of admin-succeeded B", "GET", f"/files/{succeeded}.mp4", key=None)
    for label, ident in (
        ("failed", failed),
        ("cancelled", cancelled),
        ("running", running),
        ("unknown", "0123456789abcdef0123456789abcdef"),
    ):
        await run.send(f"file of {label} task", "GET", f"/files/{ident}.mp4", key=None)
    await run.send("file POST", "POST", video, key=None)
    await run.send("file PUT", "PUT", video, b"x", key=None)
    await run.send("file not mp4", "GET", f"/files/{done}.mov", key=None)
    # not enough credits
    await run.admin("poor", "PUT", "/accounts/sk-poor-0003", {"balance": 120})
    await run.send("poor create 150", "POST", CREATE, {**TEXT, "nFrames": 15}, key="sk-poor-0003")
    await run.send(
        "poor pro video", "POST", VIDEO, {**CLIP, "model": "sora-2-pro"}, key="sk-poor-0003"
    )
    await run.task("poor create 100", CREATE, TEXT, key="sk-poor-0003")
    await run.send("poor again", "POST", CREATE, TEXT, key="sk-poor-0003")
    await run.admin("set 0", "PUT", "/accounts/sk-poor-0003", {"balance": 0})
    await run.admin("negative", "PUT", "/accounts/sk-poor-0003", {"balance": -1})
    await run.checkpoint("end")
