"""`sora-mock verify` (CONTRACT I1) against local upstreams only."""

from __future__ import annotations

import ast
import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Final

import pytest
from aiohttp import web

from sora_mock.core.errors import mask_key
from sora_mock.drift import verify_command
from sora_mock.drift.probes import free_probes

from .conftest import KEY, run_cli

FAST = ("--allow-http", "--rate", "10000", "--poll-every", "0.0001")
PINNED = {"validation_code": "-1", "message": "Success", "error_data": "absent"}


def report(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


async def test_the_same_mock_on_the_contract_has_no_difference(
    upstream_key: str, upstream_mock: Callable[..., Awaitable[str]], tmp_path: Path, capsys: Any
) -> None:
    url = await upstream_mock()
    out = tmp_path / "report.json"
    assert 0 == await run_cli("verify", "--upstream", url, *FAST, "--json", str(out))
    found = report(out)
    assert [] == found["differences"]
    assert found["balance"]["before"] == found["balance"]["after"]
    assert "0 differences (exit 0)" in capsys.readouterr().out


async def test_a_mock_with_pinned_variants_differs_and_each_point_names_its_table(
    upstream_key: str, upstream_mock: Callable[..., Awaitable[str]], tmp_path: Path, capsys: Any
) -> None:
    url = await upstream_mock(variants=PINNED)
    out = tmp_path / "report.json"
    assert 1 == await run_cli("verify", "--upstream", url, *FAST, "--json", str(out))
    found = report(out)
    by_aspect = {(d["probe"], d["aspect"]): d for d in found["differences"]}
    assert {"validation_code": "-1"} == by_aspect["create.model.case", "code"]["variants"]
    assert {"error_data": "absent"} == by_aspect["create.model.case", "data"]["variants"]
    assert {"message": "Success"} == by_aspect["balance", "message"]["variants"]
    assert "A2" == by_aspect["create.model.case", "code"]["section"]
    assert (-1, 400) == (
        by_aspect["create.model.case", "code"]["upstream"],
        by_aspect["create.model.case", "code"]["mock"],
    )
    assert PINNED == found["variants"]
    shown = capsys.readouterr().out
    assert '{"validation_code": "-1"}' in shown
    assert "(exit 1)" in shown


async def test_spending_compares_the_create_the_polls_the_file_and_the_price(
    upstream_key: str, upstream_mock: Callable[..., Awaitable[str]], tmp_path: Path
) -> None:
    url = await upstream_mock(variants={"create_id": "id"})
    out = tmp_path / "report.json"
    code = await run_cli("verify", "--upstream", url, *FAST, "--spend", "100", "--json", str(out))
    found = report(out)
    assert 1 == code
    aspects = {(d["probe"], d["aspect"]) for d in found["differences"]}
    assert ("spend.create", "data.taskId") in aspects
    assert {"create_id": "id"} == found["variants"]
    assert 100 == found["balance"]["before"] - found["balance"]["after"]
    assert not any(d["aspect"] == "price" for d in found["differences"])


def charging_stub(charges: str | None, price: int) -> tuple[web.Application, list[str]]:
    """An upstream that answers every probe with a rejection and the balance as it is, but
    takes `price` credits for each request to the path `charges` (every path but the balance's
    when None): the paths it was sent, in order, are in the list."""
    seen: list[str] = []
    balance = [1000]

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.path)
        if request.path == "/api/get-user-credits":
            data = {"left_credits": balance[0], "is_vip": False}
            return web.json_response({"code": 0, "message": "ok", "data": data})
        if charges is None or request.path == charges:
            balance[0] -= price  # charged, although rejected
        return web.json_response({"code": 400, "message": "bad.", "data": None})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    return app, seen


async def test_a_stub_that_charges_for_a_rejected_request_stops_at_once_with_exit_3(
    upstream_key: str, serve: Callable[[web.Application], Awaitable[str]], tmp_path: Path
) -> None:
    app, seen = charging_stub(None, 100)
    out = tmp_path / "report.json"
    assert 3 == await run_cli("verify", "--upstream", await serve(app), *FAST, "--json", str(out))
    # the balance, the first create probe, the balance again: nothing after
    assert ["/api/get-user-credits", "/api/v1/video/sora-pro", "/api/get-user-credits"] == seen
    found = report(out)
    assert "moved from 1000 to 900" in found["stopped"]
    assert 3 == found["exit"]


async def test_max_requests_is_honoured(
    upstream_key: str, upstream_mock: Callable[..., Awaitable[str]], tmp_path: Path
) -> None:
    url = await upstream_mock()
    out = tmp_path / "report.json"
    await run_cli("verify", "--upstream", url, *FAST, "--max-requests", "7", "--json", str(out))
    found = report(out)
    assert found["requests"] <= 7
    assert "--max-requests 7" in found["stopped"]


async def test_json_never_writes_over_a_file_it_did_not_write(
    upstream_key: str, upstream_mock: Callable[..., Awaitable[str]], tmp_path: Path, capsys: Any
) -> None:
    """A user's file named by `--json` is refused before any request and left as it was; a
    report of an earlier run is written over."""
    url = await upstream_mock()
    mine = tmp_path / "notes.json"
    mine.write_text('{"mine": true}\n')
    assert 2 == await run_cli("verify", "--upstream", url, *FAST, "--json", str(mine))
    assert '{"mine": true}\n' == mine.read_text()
    err = capsys.readouterr().err
    assert f"--json {mine}: the file exists and is not a report of sora-mock verify" in err
    earlier = tmp_path / "report.json"
    assert 0 == await run_cli("verify", "--upstream", url, *FAST, "--json", str(earlier))
    earlier.write_text(earlier.read_text().replace('"exit": 0', '"exit": 9'))
    assert 0 == await run_cli("verify", "--upstream", url, *FAST, "--json", str(earlier))
    assert 0 == report(earlier)["exit"]


# rules no free probe can reach: strict mode's or the account's own (unknown fields, image
# signatures, the VIP 403), and an image over max_image_bytes (the probe would upload it)
UNPROBED: Final = {"MSG_UNKNOWN_FIELDS", "MSG_IMAGE_SIGNATURE", "MSG_VIP_ONLY"}
UNPROBED_BY_ROUTE: Final = {
    "create": {"MSG_IMAGE_TOO_LARGE"},
    "sora_video": {"MSG_IMAGE_TOO_LARGE", "MSG_IMAGE_EMPTY"},
}


def _messages(tree: ast.AST) -> set[str]:
    return {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr.startswith("MSG_")
    }


def _function(module: Any, name: str) -> ast.AST:
    tree = ast.parse(Path(str(module.__file__)).read_text())
    return next(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == name)


def test_every_rule_of_both_create_routes_has_a_probe() -> None:
    """Every message a route's validator can answer with is a declared rule with its probe
    (the probes are checked against the validator as the list is made)."""
    from sora_mock.routes import common, sora_pro, sora_video  # noqa: PLC0415

    image = _messages(_function(common, "check_image_data"))
    url = _messages(_function(common, "check_http_url"))
    for route, module, shared in (
        ("create", sora_pro, image),
        ("sora_video", sora_video, image | url),
    ):
        own = _messages(ast.parse(Path(str(module.__file__)).read_text())) | shared
        declared = {rule.message for rule in module.BREAKING}
        assert own - UNPROBED - UNPROBED_BY_ROUTE[route] == declared, route
    for strict in (False, True):
        probes = free_probes(strict=strict, max_image_bytes=1024)
        names = [p.name for p in probes]
        assert len(names) == len(set(names))
        assert {f"create.{r.name}" for r in sora_pro.BREAKING} <= set(names)
        assert {f"sora_video.{r.name}" for r in sora_video.BREAKING} <= set(names)
        fields = {p.field for p in probes if p.name.startswith("create.")}
        assert sora_pro.KNOWN_FIELDS <= fields
        assert sora_video.KNOWN_FIELDS <= {
            p.field for p in probes if p.name.startswith("sora_video.")
        }
        # the balance, each probe, the balance after each one that could charge: < 100
        assert 1 + len(probes) + sum(p.watched for p in probes) < 100


@pytest.mark.parametrize("flag", [["--key", KEY], [f"--key={KEY}"]])
async def test_a_key_given_as_a_flag_is_refused(
    upstream_key: str, flag: list[str], capsys: Any
) -> None:
    assert 2 == await run_cli("verify", "--upstream", "https://example.invalid", *flag)
    err = capsys.readouterr().err
    assert "SORA_MOCK_UPSTREAM_KEY" in err
    assert "--key is refused" in err
    assert KEY not in err


async def test_the_key_is_never_printed_whole(
    upstream_key: str, upstream_mock: Callable[..., Awaitable[str]], tmp_path: Path, capsys: Any
) -> None:
    url = await upstream_mock(auto_provision=False, accounts={"sk-other": {}})
    out = tmp_path / "report.json"
    await run_cli("verify", "--upstream", url, *FAST, "--json", str(out))
    shown = capsys.readouterr()
    assert KEY not in shown.out + shown.err
    assert KEY not in out.read_text()
    assert mask_key(KEY) in shown.out


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--upstream", "http://127.0.0.1:9"], "--allow-http"),
        (["--upstream", "ftp://x"], "http(s) URL"),
        (["--upstream", "https://x", "--rate", "0"], "greater than 0"),
        ([], "--upstream"),
    ],
)
async def test_usage_errors_exit_2_with_one_line(
    upstream_key: str, argv: list[str], says: str, capsys: Any
) -> None:
    assert 2 == await run_cli("verify", *argv)
    err = capsys.readouterr().err
    assert says in err
    assert "Traceback" not in err


async def test_no_key_in_the_environment_is_a_usage_error(
    upstream_key: str, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.delenv("SORA_MOCK_UPSTREAM_KEY")
    assert 2 == await run_cli("verify", "--upstream", "https://example.invalid")
    assert "SORA_MOCK_UPSTREAM_KEY is not set" in capsys.readouterr().err


async def test_an_unreachable_upstream_is_reported_once_per_probe_never_retried(
    upstream_key: str, tmp_path: Path, capsys: Any
) -> None:
    out = tmp_path / "report.json"
    code = await run_cli("verify", "--upstream", "http://127.0.0.1:9", *FAST, "--json", str(out))
    found = report(out)
    assert 1 == code
    assert 1 == found["requests"]  # the balance read failed: no create probe was sent
    assert ["error"] == [d["aspect"] for d in found["differences"]]


async def verify_on_a_fake_clock(argv: list[str]) -> tuple[int, list[float]]:
    """`sora-mock verify argv` on an injected clock that only its sleeps move (no test time
    passes): its exit status and every wait, in order."""
    now = [0.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    code = await asyncio.to_thread(verify_command.main, argv, clock=lambda: now[0], sleep=sleep)
    return code, waits


async def test_requests_are_paced_at_the_rate(
    upstream_key: str, upstream_mock: Callable[..., Awaitable[str]], tmp_path: Path
) -> None:
    """`--rate 2`: each request waits until half a second after the one before, on the
    injected clock (no test time passes)."""
    url = await upstream_mock()
    argv = ["--upstream", url, "--allow-http", "--rate", "2", "--max-requests", "5"]
    code, waits = await verify_on_a_fake_clock([*argv, "--json", str(tmp_path / "r.json")])
    assert 1 == code  # stopped by --max-requests before the end
    assert [0.5, 0.5, 0.5, 0.5] == waits


async def test_the_spending_probes_polls_are_spaced_by_poll_every(
    upstream_key: str, upstream_mock: Callable[..., Awaitable[str]], tmp_path: Path
) -> None:
    """`--poll-every 7` at `--rate 2`: the upstream's task is polled 7 s apart (on the injected
    clock), every other request half a second after the one before."""
    url = await upstream_mock(queue_seconds=1, run_seconds=1, poll_step_seconds=1)
    argv = ["--upstream", url, "--allow-http", "--rate", "2", "--poll-every", "7"]
    argv += ["--spend", "100", "--max-requests", "200", "--json", str(tmp_path / "r.json")]
    code, waits = await verify_on_a_fake_clock(argv)
    assert 0 == code
    assert 2 == waits.count(7.0)  # pending -> running -> succeeded: two waits between polls
    assert {0.5, 7.0} == set(waits)


async def test_a_result_file_on_another_host_is_not_fetched(
    upstream_key: str, upstream_mock: Callable[..., Awaitable[str]], tmp_path: Path
) -> None:
    url = await upstream_mock(public_base_url="https://cdn.example")
    out = tmp_path / "report.json"
    spend = ("--spend", "100", "--max-requests", "200")  # the free probes take 95 of 100
    await run_cli("verify", "--upstream", url, *FAST, *spend, "--json", str(out))
    notes = report(out)["notes"]
    assert any("cdn.example" in n and "not on the upstream's host" in n for n in notes)


async def test_spending_more_than_allowed_stops_with_exit_3(
    upstream_key: str, upstream_mock: Callable[..., Awaitable[str]], tmp_path: Path
) -> None:
    doubled = {"sora-2": {10: 200, 15: 300}, "sora-2-stable": {10: 200, 15: 300}}
    url = await upstream_mock(pricing={**doubled, "sora-2-text-to-video": {10: 200, 15: 300}})
    out = tmp_path / "report.json"
    code = await run_cli("verify", "--upstream", url, *FAST, "--spend", "150", "--json", str(out))
    assert 3 == code
    assert "more than --spend 150" in report(out)["stopped"]


async def test_a_key_echoed_in_a_long_message_is_masked_before_the_cell_is_cut(
    upstream_key: str, serve: Callable[[web.Application], Awaitable[str]], capsys: Any
) -> None:
    """The key starts inside the table's cell width and ends past it: masked, then cut."""

    async def handler(request: web.Request) -> web.Response:
        if request.path == "/api/get-user-credits" and "Bearer " + KEY in str(
            request.headers.get("Authorization")
        ):
            data = {"left_credits": 1000, "is_vip": False}
            return web.json_response({"code": 0, "message": "ok", "data": data})
        message = "The key you sent is wrong: " + KEY
        return web.json_response({"code": 401, "message": message, "data": None})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    await run_cli("verify", "--upstream", await serve(app), *FAST)
    shown = capsys.readouterr().out
    assert "The key you sent is wrong: " in shown
    assert KEY[:6] not in shown


async def test_a_fault_rule_in_the_users_settings_is_no_difference(
    upstream_key: str, upstream_mock: Callable[..., Awaitable[str]], tmp_path: Path
) -> None:
    config = tmp_path / "sora-mock.toml"
    config.write_text(
        'default_balance = 0\n\n[[faults]]\nroute = "credits"\naction = "error"\n'
        'code = 503\nmessage = "down"\n'
    )
    out = tmp_path / "report.json"
    url = await upstream_mock()
    code = await run_cli(
        "verify", "--upstream", url, *FAST, "--config", str(config), "--json", str(out)
    )
    assert [] == report(out)["differences"]
    assert 0 == code


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--rate", "nan"], "finite number greater than 0"),
        (["--rate", "inf"], "finite number greater than 0"),
        (["--max-wait", "nan"], "finite number greater than 0"),
        (["--max-wait", "-1"], "finite number greater than 0"),
        (["--spend", "1.5"], "must be a whole number of credits"),
        (["--max-requests", "2.5"], "whole number"),
        (["--upstream", "https://freesoragenerator.com/api"], "without a path"),
    ],
)
async def test_numbers_and_urls_are_refused_clearly(
    upstream_key: str, argv: list[str], says: str, capsys: Any
) -> None:
    assert 2 == await run_cli("verify", "--upstream", "https://example.invalid", *argv)
    err = capsys.readouterr().err
    assert says in err
    assert 1 == len(err.splitlines())


async def test_a_json_report_in_a_missing_folder_is_refused_before_any_request(
    upstream_key: str,
    serve: Callable[[web.Application], Awaitable[str]],
    tmp_path: Path,
    capsys: Any,
) -> None:
    seen: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(request.path)
        return web.json_response({})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handler)
    out = tmp_path / "missing" / "report.json"
    assert 2 == await run_cli("verify", "--upstream", await serve(app), *FAST, "--json", str(out))
    assert [] == seen
    assert "does not exist" in capsys.readouterr().err


async def test_spend_with_too_few_requests_for_the_free_probes_is_refused_before_any_request(
    upstream_key: str, upstream_mock: Callable[..., Awaitable[str]], capsys: Any
) -> None:
    """The free probes send up to 95 requests and go first: a `--spend` run needs room for a
    create, a poll, the result file and the balance after them (99 in all)."""
    url = await upstream_mock()
    argv = ["--upstream", url, *FAST, "--spend", "1000", "--max-requests", "98"]
    assert 2 == await run_cli("verify", *argv)
    captured = capsys.readouterr()
    assert "--spend needs --max-requests 99 or more: the free probes send up to 95 requests" in (
        captured.err
    )
    assert "" == captured.out  # no probe was sent, so no report


async def test_polling_stopped_before_the_upstream_task_ended_is_a_note_not_a_difference(
    upstream_key: str, upstream_mock: Callable[..., Awaitable[str]], capsys: Any
) -> None:
    """Room for one poll only: the upstream's task is still pending when polling stops. Its
    answer is compared with the mock's pending one, not with the mock's final one."""
    url = await upstream_mock()
    argv = ["--upstream", url, *FAST, "--spend", "1000", "--max-requests", "99"]
    assert 0 == await run_cli("verify", *argv)
    out = capsys.readouterr().out
    assert "polling stopped" in out
    assert "0 differences (exit 0)" in out


@pytest.mark.parametrize("command", ["verify", "proxy"])
async def test_an_unknown_flag_is_named_without_its_value(
    upstream_key: str, command: str, capsys: Any
) -> None:
    argv = ["--upstream", "https://example.invalid", "--api-key", KEY, f"--token={KEY}"]
    assert 2 == await run_cli(command, *argv)
    err = capsys.readouterr().err
    assert "--api-key" in err
    assert "--token" in err
    assert KEY[:6] not in err


async def test_a_stub_that_charges_on_check_result_is_stopped_and_blamed_at_once(
    upstream_key: str, serve: Callable[[web.Application], Awaitable[str]], tmp_path: Path
) -> None:
    app, seen = charging_stub("/api/video-generations/check-result", 1)
    out = tmp_path / "report.json"
    assert 3 == await run_cli("verify", "--upstream", await serve(app), *FAST, "--json", str(out))
    checks = [i for i, path in enumerate(seen) if path.endswith("check-result")]
    assert 1 == len(checks)
    assert ["/api/get-user-credits"] == seen[checks[0] + 1 :]
    assert "after check_result." in report(out)["stopped"]
