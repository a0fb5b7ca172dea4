"""The inspector page at /__mock/ui in a real browser: Debian's chromium, driven by Playwright.

The mock runs on a background thread with a manual clock; the tests talk to it over HTTP as an
app would, and to the page as a person would. The last test saves docs/ui.png.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final

import pytest

from sora_mock.core.errors import INSUFFICIENT_CREDITS, NOT_FOUND, mask_key
from sora_mock.http.ui import REASONS
from sora_mock.testing.receiver import WebhookReceiver
from sora_mock.testing.server import MockServer

from ..helpers import CHECK, CREATE, KEY, OTHER_KEY, SORA_VIDEO, TEXT_BODY, auth

FAULT_HEADER: Final = "X-Sora-Mock-Fault"

CHROMIUM: Final = Path("/usr/bin/chromium")
CHROMIUM_ARGS: Final = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)",
)
pytest.importorskip(
    "playwright.sync_api",
    reason="browser tests need Playwright for Python (pip install -e '.[test]')",
)
# imported only once the skip above has made sure playwright is there
from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright  # noqa: E402

SCREEN: Final = ViewportSize(width=1280, height=800)  # the laptop screen of issue 23

SCREENSHOT: Final = Path(__file__).resolve().parents[2] / "docs" / "ui.png"
TOKEN: Final = "s3cret-admin-token"
TOKEN_HEADER: Final = "X-Sora-Mock-Admin-Token"
PRICE: Final = 100  # sora-2-text-to-video, 10 frames
START: Final = 10_000  # default_balance

OpenPage = Callable[..., Page]
SET_HIDDEN: Final = """hidden => {
    Object.defineProperty(document, "hidden", {configurable: true, get: () => hidden});
    document.dispatchEvent(new Event("visibilitychange"));
}"""


# -- HTTP, as the app under test would talk to the mock --------------------------------------


def call(
    mock: MockServer, method: str, path: str, body: Any = None, **headers: str
) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        mock.url + path,
        data=data,
        method=method,
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        with err:
            return err.code, json.loads(err.read())


def create(mock: MockServer, prompt: str, key: str = KEY, **fields: Any) -> dict[str, Any]:
    body = {**TEXT_BODY, "prompt": prompt, **fields}
    _, envelope = call(mock, "POST", CREATE, body, **auth(key))
    result: dict[str, Any] = envelope
    return result


def create_ok(mock: MockServer, prompt: str, key: str = KEY, **fields: Any) -> str:
    envelope = create(mock, prompt, key, **fields)
    assert 0 == envelope["code"], envelope
    task_id: str = envelope["data"]["taskId"]
    return task_id


# -- the browser -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def server() -> Iterator[MockServer]:
    with MockServer(clock="manual", port=0) as mock:
        yield mock


@pytest.fixture
def open_page(browser: Browser) -> Iterator[OpenPage]:
    """Opens the inspector of a mock in a fresh tab; fails the test on any script error."""
    problems: list[str] = []
    contexts = []

    def record(text: str, kind: str) -> None:
        # a 401 or 404 that the page handles is logged by the browser, not by the page
        if kind == "error" and not text.startswith("Failed to load resource"):
            problems.append(text)

    def open_(mock: MockServer, fake_timers: bool = False) -> Page:
        context = browser.new_context(viewport=SCREEN)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(5000)
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.on("console", lambda message: record(message.text, message.type))
        if fake_timers:
            page.clock.install()
        page.goto(f"{mock.url}/__mock/ui")
        return page

    yield open_
    for context in contexts:
        context.close()
    assert [] == problems


@pytest.fixture
def page(server: MockServer, open_page: OpenPage) -> Page:
    return open_page(server)


def task_row(page: Page, task_id: str) -> Any:
    return page.locator("#tasks > li").filter(has_text=task_id)


def balance_cell(page: Page, key: str = KEY) -> Any:
    return page.locator("#accounts tr").filter(has_text=mask_key(key)).locator(".balance")


def journal_filter(page: Page) -> Any:
    return page.get_by_role("search", name="Filter requests")


# -- what the page shows ---------------------------------------------------------------------


def test_tasks_created_over_http_appear_newest_first_with_their_params(
    server: MockServer, page: Page
) -> None:
    first = create_ok(server, "a fox in the snow")
    second = create_ok(server, "a heron at dawn", nFrames="15")
    tasks = page.locator("#tasks > li")
    expect(tasks).to_have_count(2)
    expect(tasks.nth(0)).to_contain_text(second)
    expect(tasks.nth(1)).to_contain_text(first)
    expect(tasks.nth(0)).to_contain_text("a heron at dawn")
    expect(tasks.nth(0).locator(".params")).to_contain_text("nFrames15")
    expect(tasks.nth(0).locator(".badge.status")).to_have_text("pending")
    expect(balance_cell(page)).to_have_text(str(START - PRICE - 150))


def test_advancing_the_clock_from_the_page_moves_status_and_progress(
    server: MockServer, page: Page
) -> None:
    task_id = create_ok(server, "a fox")
    row = task_row(page, task_id)
    expect(row.locator(".badge.status")).to_have_text("pending")
    page.get_by_label("Seconds").fill("3")
    page.get_by_label("Seconds").press("Enter")  # the keyboard submits the form
    expect(page.locator("#clock-now")).to_have_text("3 s")
    expect(row.locator(".badge.status")).to_have_text("running")
    expect(row.get_by_role("progressbar")).to_have_js_property("value", 50)
    expect(row).to_contain_text("50%")
    assert 3.0 == call(server, "GET", "/__mock/clock")[1]["now"]


def test_failing_a_task_from_the_page_refunds_its_balance(server: MockServer, page: Page) -> None:
    task_id = create_ok(server, "a fox")
    kept = create_ok(server, "a heron")
    expect(balance_cell(page)).to_have_text(str(START - 2 * PRICE))
    fail = page.get_by_role("button", name=f"Fail task {task_id}")
    fail.focus()
    page.keyboard.press("Enter")
    row = task_row(page, task_id)
    expect(row.locator(".badge.status")).to_have_text("failed")
    expect(row).to_contain_text("failed_by_admin")
    expect(fail).to_be_disabled()
    expect(balance_cell(page)).to_have_text(str(START - PRICE))
    expect(task_row(page, kept).locator(".badge.status")).to_have_text("pending")
    _, task = call(server, "GET", f"/__mock/tasks/{task_id}")
    assert ("failed", task["refund_trans_no"]) == (task["status"], task["refund_trans_no"])
    expect(row).to_contain_text(task["refund_trans_no"])


def test_cancelling_a_task_from_the_page_shows_it_cancelled_and_refunded(
    server: MockServer, page: Page
) -> None:
    task_id = create_ok(server, "a fox")
    cancel = page.get_by_role("button", name=f"Cancel task {task_id}")
    cancel.click()
    row = task_row(page, task_id)
    expect(row.locator(".badge.status")).to_have_text("cancelled")
    expect(row).to_contain_text("cancelled_by_admin")
    expect(cancel).to_be_disabled()
    expect(row.get_by_role("button", name=f"Fail task {task_id}")).to_be_disabled()
    expect(balance_cell(page)).to_have_text(str(START))
    _, task = call(server, "GET", f"/__mock/tasks/{task_id}")
    assert "cancelled" == task["status"]
    expect(row).to_contain_text(task["refund_trans_no"])


def test_a_task_cancelled_by_a_fault_shows_cancelled(server: MockServer, page: Page) -> None:
    _, envelope = call(
        server, "POST", CREATE, TEXT_BODY, **auth(), **{"X-Sora-Mock-Fault": "task_cancelled"}
    )
    task_id = envelope["data"]["taskId"]
    call(server, "POST", "/__mock/clock/advance", {"seconds": 1})
    row = task_row(page, task_id)
    expect(row.locator(".badge.status")).to_have_text("cancelled")
    expect(row).to_contain_text("injected_cancel")
    expect(row.get_by_role("progressbar")).to_have_js_property("value", 0)


def test_a_vip_account_is_marked_vip(server: MockServer, page: Page) -> None:
    create_ok(server, "a fox")
    create_ok(server, "a heron", key=OTHER_KEY)
    call(server, "PUT", f"/__mock/accounts/{KEY}", {"vip": True})
    vip = page.locator("#accounts tr").filter(has_text=mask_key(KEY)).locator(".badge.vip")
    expect(vip).to_have_text("VIP")
    other = page.locator("#accounts tr").filter(has_text=mask_key(OTHER_KEY))
    expect(other.locator(".badge.vip")).to_have_count(0)


def test_succeeding_a_task_from_the_page_finishes_it(server: MockServer, page: Page) -> None:
    task_id = create_ok(server, "a fox")
    page.get_by_role("button", name=f"Succeed task {task_id}").click()
    row = task_row(page, task_id)
    expect(row.locator(".badge.status")).to_have_text("succeeded")
    expect(row.get_by_role("progressbar")).to_have_js_property("value", 100)
    expect(balance_cell(page)).to_have_text(str(START - PRICE))


def test_the_ledger_of_a_typed_key_and_setting_its_balance(server: MockServer, page: Page) -> None:
    task_id = create_ok(server, "a fox")
    page.get_by_role("button", name=f"Fail task {task_id}").click()
    page.get_by_label("API key").fill(KEY)
    page.get_by_role("button", name="Show ledger").click()
    ledger = page.get_by_role("region", name=f"Ledger of {mask_key(KEY)}")
    rows = ledger.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(f"charge-{PRICE}{START - PRICE}")
    expect(rows.nth(1)).to_contain_text(f"refund+{PRICE}{START}")
    page.get_by_label("Balance").fill("250")
    page.get_by_role("button", name="Set balance").click()
    expect(balance_cell(page)).to_have_text("250")
    expect(rows).to_have_count(3)
    expect(rows.nth(2)).to_contain_text(f"set-{START - 250}250")
    assert 250 == call(server, "GET", f"/__mock/accounts/{KEY}")[1]["balance"]
    expect(ledger.locator(".folded")).to_have_count(0)  # nothing folded yet


def test_a_ledger_says_how_many_rows_were_folded(open_page: OpenPage) -> None:
    with MockServer(clock="manual", port=0, ledger_size=2) as mock:
        page = open_page(mock)
        for prompt in ("a fox", "a heron", "a crane"):
            create_ok(mock, prompt)
        page.get_by_label("API key").fill(KEY)
        page.get_by_role("button", name="Show ledger").click()
        ledger = page.get_by_role("region", name=f"Ledger of {mask_key(KEY)}")
        expect(ledger.locator("tbody tr")).to_have_count(2)
        expect(ledger.locator(".folded")).to_have_text(
            f"1 older transactions folded into the opening balance {START - PRICE}."
        )


def test_a_rejected_request_is_highlighted_with_every_violated_rule(
    server: MockServer, page: Page
) -> None:
    create_ok(server, "a fox")
    bad = {
        "model": "sora-2-text-to-video",
        "prompt": " ",
        "aspectRatio": "square",
        "nFrames": "ten",
    }
    _, envelope = call(server, "POST", CREATE, bad, **auth())
    assert 400 == envelope["code"]
    (row_json,) = call(server, "GET", "/__mock/requests?code=400")[1]["requests"]
    violations = row_json["violations"]
    assert 3 == len(violations)
    rejected = page.locator("#journal > li.rejected")
    expect(rejected).to_have_count(1)
    expect(rejected).to_contain_text("rejected: code 400")
    shown = rejected.get_by_role("list", name="violations").get_by_role("listitem")
    expect(shown).to_have_text([f"{v['field']} {v['message']}" for v in violations])
    expect(page.locator("#journal > li")).to_have_count(2)
    expect(page.locator("#journal > li.ok")).to_have_count(1)


def test_a_fault_added_from_a_preset_fires_and_is_counted(server: MockServer, page: Page) -> None:
    faults = page.get_by_role("region", name="Fault rules")
    faults.get_by_label("Preset").select_option("server_error")
    faults.get_by_label("Route").select_option("create")
    page.get_by_role("button", name="Add fault").click()
    rule = page.locator("#faults > li").filter(has_text="f1")
    expect(rule.locator("strong")).to_have_text("error")
    expect(rule).to_contain_text("route=create")
    expect(rule.locator(".fired")).to_have_text("fired 0")
    envelope = create(server, "a fox")
    assert 500 == envelope["code"]
    expect(rule.locator(".fired")).to_have_text("fired 1")
    injected = page.locator("#journal > li.fault")
    expect(injected.locator(".badge.outcome")).to_have_text("fault rule f1: code 500 · HTTP 200")
    expect(page.locator("#tasks > li")).to_have_count(0)
    page.get_by_role("button", name="Remove fault f1").click()
    expect(page.locator("#faults > li")).to_have_count(0)
    assert [] == call(server, "GET", "/__mock/faults")[1]["faults"]
    create_ok(server, "a fox, unharmed")
    expect(page.locator("#tasks > li")).to_have_count(1)


def test_clearing_the_journal_and_resetting_the_mock(server: MockServer, page: Page) -> None:
    create_ok(server, "a fox")
    create_ok(server, "a heron", key=OTHER_KEY)
    expect(page.locator("#journal > li")).to_have_count(2)
    page.get_by_role("button", name="Clear journal").click()
    expect(page.locator("#journal > li")).to_have_count(0)
    expect(page.locator("#tasks > li")).to_have_count(2)
    page.get_by_label("Seconds").fill("7.5")
    page.get_by_role("button", name="Advance clock").click()
    expect(page.locator("#clock-now")).to_have_text("7.5 s")
    page.get_by_role("button", name="Reset mock").click()
    expect(page.locator("#tasks > li")).to_have_count(0)
    expect(page.locator("#accounts tr")).to_have_count(0)
    expect(page.locator("#clock-now")).to_have_text("0 s")


def test_the_page_keeps_to_one_column_in_a_narrow_window(server: MockServer, page: Page) -> None:
    create_ok(server, "a fox " * 40)
    page.set_viewport_size({"width": 400, "height": 800})
    expect(page.locator("#tasks > li")).to_have_count(1)
    tasks, side = page.locator("#tasks-panel"), page.locator(".side")
    tasks_box, side_box = tasks.bounding_box(), side.bounding_box()
    assert tasks_box is not None
    assert side_box is not None
    assert side_box["y"] >= tasks_box["y"] + tasks_box["height"]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_data_is_shown_as_text_never_as_markup(server: MockServer, page: Page) -> None:
    prompt = '<img src=x onerror="document.title=1"><b>bold</b>'
    task_id = create_ok(server, prompt)
    expect(task_row(page, task_id)).to_contain_text(prompt)
    assert 0 == page.locator("#tasks img, #tasks b, #journal img").count()


def test_polling_runs_about_once_a_second_and_pauses_while_the_tab_is_hidden(
    server: MockServer, open_page: OpenPage
) -> None:
    page = open_page(server, fake_timers=True)
    status, tasks = page.get_by_role("status").first, page.locator("#tasks > li")
    expect(status).to_have_text("Live: refreshing every second.")
    create_ok(server, "a fox")
    page.clock.run_for(1100)
    expect(tasks).to_have_count(1)

    page.evaluate(SET_HIDDEN, True)
    expect(status).to_have_text("Paused while the tab is hidden.")
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    create_ok(server, "a heron")
    page.clock.run_for(10_000)
    page.evaluate("1")  # a round trip, so that any request made meanwhile has been reported
    assert [] == fetched
    expect(tasks).to_have_count(1)

    page.evaluate(SET_HIDDEN, False)
    expect(tasks).to_have_count(2)
    expect(status).to_have_text("Live: refreshing every second.")


# -- the journal: in view, its reasons, its faults, its filter (issue 23) ---------------------


def test_at_1280_by_800_the_newest_request_is_in_view_without_scrolling(
    server: MockServer, page: Page
) -> None:
    for prompt in ("a fox", "a heron", "a crane", "an owl"):
        create_ok(server, prompt)
    call(server, "POST", CREATE, {"model": "sora-2-text-to-video"}, **auth())
    rows = page.locator("#journal > li")
    expect(rows).to_have_count(5)
    expect(page.locator("#tasks > li")).to_have_count(4)
    assert 0 == page.evaluate("window.scrollY")
    box = rows.first.bounding_box()
    assert box is not None
    assert 0 <= box["y"]
    assert box["y"] + box["height"] <= SCREEN["height"]
    expect(rows.first).to_be_in_viewport(ratio=1)
    expect(page.locator("#tasks > li").first).to_be_in_viewport()
    for panel in ("Accounts", "Fault rules"):  # further down, still on the page
        region = page.get_by_role("region", name=panel)
        region.scroll_into_view_if_needed()
        expect(region).to_be_in_viewport()


def test_a_rejected_request_without_violations_shows_its_reason_in_the_row(
    server: MockServer, page: Page
) -> None:
    call(server, "PUT", f"/__mock/accounts/{KEY}", {"balance": 0})
    assert INSUFFICIENT_CREDITS == create(server, "a fox")["code"]
    (row_json,) = call(server, "GET", "/__mock/requests")[1]["requests"]
    assert [] == row_json["violations"]
    row = page.locator("#journal > li.rejected")
    expect(row.locator(".badge.outcome")).to_have_text("rejected: code 402 · HTTP 200")
    reason = row.locator(".reason")
    expect(reason).to_be_visible()
    expect(reason).to_have_text(REASONS[str(INSUFFICIENT_CREDITS)])


@pytest.mark.parametrize(
    ("how", "name", "code"),
    [("header", "preset server_error", 500), ("rule", "rule f1", 503)],
)
def test_a_request_answered_by_an_injected_fault_is_labelled_a_fault_not_rejected(
    server: MockServer, page: Page, how: str, name: str, code: int
) -> None:
    if how == "header":
        call(server, "POST", CREATE, TEXT_BODY, **auth(), **{FAULT_HEADER: "server_error"})
    else:
        call(server, "POST", "/__mock/faults", {"action": "error", "code": code})
        create(server, "a fox")
    row = page.locator("#journal > li")
    expect(row).to_have_count(1)
    expect(row).to_have_class("row req fault")
    expect(row.locator(".badge.outcome")).to_have_text(f"fault {name}: code {code} · HTTP 200")
    expect(row.locator(".reason")).to_contain_text(f"Injected by fault {name}")
    expect(row).not_to_contain_text("rejected")


def test_a_fault_that_lets_the_request_go_on_still_shows_the_requests_own_answer(
    server: MockServer, page: Page
) -> None:
    rule = {"action": "delay", "delay_ms": 1, "route": "check_result"}
    call(server, "POST", "/__mock/faults", rule)
    call(server, "POST", CHECK, {"taskId": "no-such-task"}, **auth())
    call(server, "POST", CREATE, TEXT_BODY, **auth(), **{FAULT_HEADER: "task_failed"})
    rows = page.locator("#journal > li.fault")
    expect(rows.locator(".badge.outcome")).to_have_text(
        ["fault preset task_failed: ok · HTTP 200", "fault rule f1: code 404 · HTTP 200"]
    )
    expect(rows.locator(".reason")).to_have_text(
        [
            "Fired fault preset task_failed (the X-Sora-Mock-Fault header); "
            "the request then went on as usual.",
            "Fired fault rule f1 (delay route=check_result delay_ms=1); "
            f"the request then went on as usual. {REASONS[str(NOT_FOUND)]}",
        ]
    )


def test_the_journal_filter_hides_the_rows_that_do_not_match(
    server: MockServer, page: Page
) -> None:
    task_id = create_ok(server, "a fox")
    create_ok(server, "a heron", key=OTHER_KEY)
    call(server, "POST", CHECK, {"taskId": task_id}, **auth())
    call(server, "POST", CREATE, TEXT_BODY, **auth(), **{FAULT_HEADER: "server_error"})
    call(server, "PUT", f"/__mock/accounts/{OTHER_KEY}", {"balance": 0})
    create(server, "a crane", key=OTHER_KEY)  # 402
    rows, count = page.locator("#journal > li"), page.locator("#journal-count")
    expect(rows).to_have_count(5)
    search = journal_filter(page)

    search.get_by_label("Route").select_option("check_result")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(CHECK)
    expect(count).to_have_text("(1 of 5)")
    search.get_by_label("Route").select_option("")

    search.get_by_label("Outcome").select_option("fault")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("preset server_error")
    search.get_by_label("Outcome").select_option("rejected")
    expect(rows).to_have_count(1)
    expect(rows.locator(".badge.outcome")).to_have_text("rejected: code 402 · HTTP 200")
    create_ok(server, "an owl")  # a new row that does not match stays hidden
    expect(count).to_have_text("(1 of 6)")
    expect(rows).to_have_count(1)
    search.get_by_label("Outcome").select_option("ok")
    expect(rows).to_have_count(4)
    search.get_by_label("Outcome").select_option("")

    text = search.get_by_label("Search")
    text.fill(OTHER_KEY)  # a full key finds its masked rows
    expect(rows).to_have_count(2)
    expect(rows.locator(".key")).to_have_text([mask_key(OTHER_KEY)] * 2)
    text.fill("insufficient credits")  # the reason shown in the row
    expect(rows).to_have_count(1)
    text.fill("check-result")  # the path
    expect(rows).to_have_count(1)
    text.fill("a heron")  # the body
    expect(rows).to_have_count(1)
    text.fill("no such thing")
    expect(rows).to_have_count(0)
    expect(page.locator("#journal-empty")).to_have_text("No request matches the filter.")
    search.get_by_role("button", name="Show all").click()
    expect(rows).to_have_count(6)
    expect(count).to_have_text("(6)")
    expect(text).to_have_value("")


# -- the admin token -------------------------------------------------------------------------


def test_with_an_admin_token_the_page_asks_for_it_and_refuses_until_given(
    open_page: OpenPage,
) -> None:
    with MockServer(clock="manual", port=0, admin_token=TOKEN) as mock:
        task_id = create_ok(mock, "a fox")
        page = open_page(mock)
        sent: list[tuple[str, str | None]] = []
        page.on("request", lambda r: sent.append((r.url, r.headers.get(TOKEN_HEADER.lower()))))

        token = page.get_by_role("textbox", name="Admin token")
        expect(token).to_be_visible()
        expect(page.get_by_role("button", name="Advance clock")).to_be_hidden()
        expect(page.locator("#tasks > li")).to_have_count(0)

        token.fill("not-the-token")
        token.press("Enter")
        expect(page.get_by_role("alert")).to_contain_text("refused")
        expect(token).to_be_visible()
        assert page.evaluate("sessionStorage.length") == 0

        token.fill(TOKEN)
        page.get_by_role("button", name="Unlock").click()
        expect(task_row(page, task_id)).to_be_visible()
        expect(page.get_by_role("alert")).to_be_hidden()
        page.get_by_label("Seconds").fill("2")
        page.get_by_role("button", name="Advance clock").click()
        expect(page.locator("#clock-now")).to_have_text("2 s")
        assert 2.0 == call(mock, "GET", "/__mock/clock", **{TOKEN_HEADER: TOKEN})[1]["now"]

        data_calls = [(url, header) for url, header in sent if "/__mock/ui" not in url]
        assert data_calls
        assert all(TOKEN not in url for url, _ in sent)
        assert {TOKEN} == {header for _, header in data_calls[-5:]}
        assert TOKEN in page.evaluate("Object.values(sessionStorage)")


def test_a_refused_stored_token_is_forgotten_and_asked_for_again(open_page: OpenPage) -> None:
    with MockServer(clock="manual", port=0, admin_token=TOKEN) as mock:
        page = open_page(mock)
        page.get_by_role("textbox", name="Admin token").fill(TOKEN)
        page.get_by_role("textbox", name="Admin token").press("Enter")
        expect(page.locator("#clock-now")).to_have_text("0 s")
        page.evaluate("k => sessionStorage.setItem(k, 'stale')", "sora-mock-admin-token")
        page.reload()
        expect(page.get_by_role("alert")).to_contain_text("refused")
        expect(page.get_by_role("textbox", name="Admin token")).to_be_visible()
        assert page.evaluate("sessionStorage.length") == 0
        page.get_by_role("textbox", name="Admin token").fill(TOKEN)
        page.get_by_role("textbox", name="Admin token").press("Enter")
        expect(page.locator("#clock-now")).to_have_text("0 s")
        page.get_by_role("button", name="Forget admin token").click()
        expect(page.get_by_role("textbox", name="Admin token")).to_be_visible()
        assert page.evaluate("sessionStorage.length") == 0


# -- the screenshot in the README ------------------------------------------------------------


def test_screenshot_of_the_page_with_real_data(server: MockServer, page: Page) -> None:
    """Saves docs/ui.png: the first screen at 1280x800, with data the mock really produced."""
    done = create_ok(server, "a red fox trotting through fresh snow at dawn, 35mm film")
    create_ok(server, "a heron lifting off a misty lake", aspectRatio="portrait", nFrames="15")
    call(server, "POST", "/__mock/clock/advance", {"seconds": 6})
    running = create_ok(server, "a lighthouse in a storm", key=OTHER_KEY, nFrames=12)
    failed = create_ok(server, "city lights from a night train window")
    call(server, "POST", "/__mock/clock/advance", {"seconds": 2.5})
    call(server, "POST", f"/__mock/tasks/{failed}/fail", {"error_message": "upstream timed out"})
    bad = {"model": "sora-2-pro-text-to-video", "prompt": "", "size": "4k", "aspectRatio": "wide"}
    call(server, "POST", CREATE, bad, **auth())
    call(server, "PUT", f"/__mock/accounts/{OTHER_KEY}", {"balance": 40})
    create(server, "a kite over the dunes", key=OTHER_KEY)  # 402
    call(server, "POST", "/__mock/faults", {"action": "error", "code": 503, "route": "create"})
    create(server, "a cat on a skateboard")
    call(server, "POST", CHECK, {"taskId": done}, **auth())
    page.get_by_label("API key").fill(KEY)
    page.get_by_role("button", name="Show ledger").click()
    expect(page.get_by_role("region", name=f"Ledger of {mask_key(KEY)}")).to_be_visible()
    expect(page.locator("#journal > li")).to_have_count(8)
    expect(task_row(page, running).locator(".badge.status")).to_have_text("running")
    expect(page.locator("#journal > li.fault .reason")).to_contain_text("(error route=create")
    page.get_by_label("API key").fill("")
    page.locator("body").click(position={"x": 1, "y": 1})  # no focus ring in the picture
    SCREENSHOT.parent.mkdir(exist_ok=True)
    picture = page.screenshot(animations="disabled")  # what a 1280x800 screen shows first
    if not SCREENSHOT.exists() or SCREENSHOT.read_bytes() != picture:
        SCREENSHOT.write_bytes(picture)


def test_a_sora_video_task_shows_its_route_and_its_webhook_delivery(
    server: MockServer, page: Page
) -> None:
    with WebhookReceiver(status=500) as receiver:
        body = {"model": "sora-2", "prompt": "an owl", "webHook": receiver.url}
        _, envelope = call(server, "POST", SORA_VIDEO, body, **auth())
        task_id = envelope["data"]["taskId"]
        row = task_row(page, task_id)
        expect(row.locator(".badge.route")).to_have_text("sora-video")
        expect(row.locator(".delivery")).to_have_count(0)  # nothing is due before it ends
        page.get_by_label("Seconds").fill("5")
        page.get_by_label("Seconds").press("Enter")
        delivery = row.locator(".delivery")
        expect(delivery.locator(".delivery-state")).to_have_text("pending")
        expect(delivery).to_contain_text("1 attempt")
        expect(delivery).to_contain_text("HTTP 500")
        receiver.status = 200
        page.get_by_label("Seconds").fill("1")
        page.get_by_label("Seconds").press("Enter")
        expect(delivery.locator(".delivery-state")).to_have_text("delivered")
        expect(delivery).to_contain_text("2 attempts")
        expect(delivery.locator(".attempt")).to_have_text(["5 s HTTP 500", "6 s HTTP 200"])
        assert 2 == len(receiver.received)
