"""A7 at the edges of a server's life: stopping it while a delivery hangs, and the one-command
receiver the README starts (`python -m sora_mock.testing.receiver`)."""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator

import pytest

from sora_mock.testing.receiver import WebhookReceiver

from ..helpers import SORA_VIDEO, VIDEO_BODY, auth
from .test_cli import STOP_TIMEOUT, StartServer, call, environment, read_line, start_server, stop

__all__ = ["start_server"]  # the fixture, imported so that pytest finds it here


@pytest.fixture
def hanging() -> Iterator[tuple[str, threading.Event]]:
    """A loopback listener that accepts a connection and never answers it."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        try:
            conn, _ = listener.accept()
        except OSError:
            return
        held.append(conn)
        accepted.set()

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/hook", accepted
    for conn in held:
        conn.close()
    listener.close()


def test_stopping_the_server_during_a_hanging_delivery_is_clean(
    start_server: StartServer, hanging: tuple[str, threading.Event]
) -> None:
    url, accepted = hanging
    proc, base = start_server("--clock", "manual", "--webhook-timeout-seconds", "60")
    status, envelope = call(base, "POST", SORA_VIDEO, {**VIDEO_BODY, "webHook": url}, auth())
    assert (200, 0) == (status, envelope["code"])

    def advance() -> None:
        with contextlib.suppress(OSError, ValueError):  # the server stops under it
            call(base, "POST", "/__mock/clock/advance", {"seconds": 5})

    advancing = threading.Thread(target=advance, daemon=True)
    advancing.start()
    assert accepted.wait(STOP_TIMEOUT), "the delivery never connected"
    _, stderr = stop(proc, signal.SIGTERM)  # bounded: well before the 60 s attempt timeout
    advancing.join(STOP_TIMEOUT)
    assert 0 == proc.returncode
    for trace in ("Traceback", "was destroyed but it is pending", "Unclosed", "exception"):
        assert trace not in stderr


def test_the_receiver_command_prints_each_post_it_gets() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "sora_mock.testing.receiver", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
    )
    try:
        assert proc.stdout is not None
        line = read_line(proc.stdout, 10)
        assert line is not None
        assert line.startswith("receiver listening on http://127.0.0.1:")
        url = line.split()[-1]
        request = urllib.request.Request(
            url,
            data=json.dumps({"status": "succeeded"}).encode(),
            headers={"Content-Type": "application/json", "X-Sora-Mock-Delivery": "wh_00000001"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert 200 == response.status
        printed = read_line(proc.stdout, 5)
        assert 'POST /webhook delivery=wh_00000001 {"status": "succeeded"}\n' == printed
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=STOP_TIMEOUT)
    assert proc.stderr is not None
    assert "Traceback" not in proc.stderr.read()


def test_the_receiver_command_names_a_port_it_cannot_listen_on() -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "sora_mock.testing.receiver", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
            env=environment(),
        )
    assert 2 == done.returncode
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr


def test_a_post_to_any_path_is_recorded_and_answered_with_the_status() -> None:
    with WebhookReceiver(status=201) as receiver:
        request = urllib.request.Request(receiver.base_url + "/elsewhere?x=1", data=b"[]")
        with urllib.request.urlopen(request, timeout=5) as response:
            assert 201 == response.status
        [got] = receiver.received
        assert ("/elsewhere?x=1", []) == (got.path, got.json)


def test_each_delivery_attempt_is_a_log_line(start_server: StartServer) -> None:
    with WebhookReceiver(status=500) as receiver:
        proc, base = start_server("--clock", "manual")
        body = {**VIDEO_BODY, "webHook": receiver.url}
        task_id = call(base, "POST", SORA_VIDEO, body, auth())[1]["data"]["taskId"]
        call(base, "POST", "/__mock/clock/advance", {"seconds": 5})
        _, stderr = stop(proc)
    assert (
        f"webhook wh_00000001 taskId={task_id} key=************0001 attempt 1 -> 500; pending"
        in stderr
    )
