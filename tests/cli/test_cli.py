"""The command line (CONTRACT E), run as a user runs it: a subprocess on a loopback port.

Every wait is bounded: the listening line is read with a timeout, and a stopped server is
waited for with `proc.wait(timeout=...)`.
"""

from __future__ import annotations

import http.client
import importlib.util
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, Final
from urllib.parse import urlsplit

import pytest

from sora_mock import Settings, __version__
from sora_mock.cli import MSG_PORT_IN_USE

from ..helpers import CREATE, TEXT_BODY

# the health answer (E1): what a start-up test asks first
HEALTH: Final = {"status": "ok", "service": "sora-mock", "version": __version__}

MOCK: Final = [sys.executable, "-m", "sora_mock"]
LOOPBACK: Final = "127.0.0.1"
START_TIMEOUT: Final = 10.0
STOP_TIMEOUT: Final = 5.0
SECRET_KEY: Final = "sk-live-abcdefgh-9876"
MASKED_KEY: Final = "*" * (len(SECRET_KEY) - 4) + "9876"
LISTENING: Final = re.compile(r"http://127\.0\.0\.1:(\d+)")

Server = tuple[subprocess.Popen[str], str]
StartServer = Callable[..., Server]


def environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The test run's environment without any SORA_MOCK_* setting, and without
    PYTHONUNBUFFERED, so that the listening line arrives only if the server flushes it."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("SORA_MOCK_") and name != "PYTHONUNBUFFERED"
    }
    env.update(extra or {})
    return env


def read_line(stream: IO[str], timeout: float) -> str | None:
    """The next line of `stream`, or None when none arrives within `timeout` seconds."""
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        return None


def stop(proc: subprocess.Popen[str], sig: signal.Signals = signal.SIGTERM) -> tuple[str, str]:
    """Signal the server, wait (bounded) for it to exit; returns the rest of stdout and stderr."""
    proc.send_signal(sig)
    proc.wait(timeout=STOP_TIMEOUT)
    assert proc.stdout is not None
    assert proc.stderr is not None
    return proc.stdout.read(), proc.stderr.read()


def call(
    url: str, method: str, path: str, body: Any = None, headers: Mapping[str, str] | None = None
) -> tuple[int, Any]:
    """One HTTP request to the loopback server; returns (status, decoded JSON body)."""
    parts = urlsplit(url)
    assert LOOPBACK == parts.hostname
    conn = http.client.HTTPConnection(LOOPBACK, parts.port, timeout=5)
    try:
        payload = None if body is None else json.dumps(body).encode()
        sent = {"Content-Type": "application/json", **(headers or {})}
        conn.request(method, path, body=payload, headers=sent)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


@pytest.fixture
def start_server() -> Iterator[StartServer]:
    """Start `sora-mock --port 0` with extra flags; returns (proc, url). Always killed after."""
    started: list[subprocess.Popen[str]] = []

    def start(*args: str, env: Mapping[str, str] | None = None) -> Server:
        proc = subprocess.Popen(
            [*MOCK, "--host", LOOPBACK, "--port", "0", *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment(env),
        )
        started.append(proc)
        assert proc.stdout is not None
        line = read_line(proc.stdout, START_TIMEOUT)
        if not line:
            proc.kill()
            _, err = proc.communicate(timeout=STOP_TIMEOUT)
            pytest.fail(f"no listening line within {START_TIMEOUT} s; stderr:\n{err}")
        found = LISTENING.search(line)
        assert found is not None, line
        return proc, found.group(0)

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=STOP_TIMEOUT)


def run(*args: str, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the command to completion; a server that starts anyway is killed at the timeout."""
    try:
        return subprocess.run(
            [*MOCK, *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=environment({"SORA_MOCK_HOST": LOOPBACK, "SORA_MOCK_PORT": "0", **(env or {})}),
            timeout=START_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"sora-mock {' '.join(args)} did not stop: it started anyway ({exc})")


def test_help_lists_a_flag_for_every_setting_and_the_config_file() -> None:
    result = run("--help")
    assert 0 == result.returncode, result.stderr
    for flag in ["--config", *("--" + name.replace("_", "-") for name in Settings.model_fields)]:
        assert re.search(rf"(?<![\w-]){re.escape(flag)}(?![\w-])", result.stdout), flag
    text = " ".join(result.stdout.split())  # argparse wraps the epilog
    for command in ("verify", "proxy"):  # CONTRACT I: the two commands beside the server
        assert f"`sora-mock {command} --upstream URL`" in text


def test_the_console_script_is_installed() -> None:
    script = Path(sys.executable).with_name("sora-mock")
    result = subprocess.run(
        [str(script), "--help"], capture_output=True, text=True, timeout=START_TIMEOUT, check=False
    )
    assert 0 == result.returncode, result.stderr
    assert "--log-format" in result.stdout


def test_start_up_prints_one_flushed_line_with_the_bound_port(start_server: StartServer) -> None:
    proc, url = start_server()
    port = urlsplit(url).port
    assert port is not None
    assert 0 < port < 65536

    assert (200, HEALTH) == call(url, "GET", "/__mock/health")

    rest_of_stdout, stderr = stop(proc)
    assert "" == rest_of_stdout
    assert "Traceback" not in stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_a_signal_stops_the_server_with_status_0(
    start_server: StartServer, sig: signal.Signals
) -> None:
    proc, url = start_server()
    assert 200 == call(url, "GET", "/__mock/health")[0]
    _, stderr = stop(proc, sig)
    assert 0 == proc.returncode
    assert "Traceback" not in stderr


# `main()` with stdout wrapped so that the process signals itself the moment the listening
# line is out: what a supervisor does that stops the server as soon as it has seen the line.
SIGNAL_ON_LISTENING: Final = """
import os, signal, sys
from sora_mock.cli import main

class SignalOnListening:
    def __init__(self, stream, sig):
        self.stream, self.sig = stream, sig
    def write(self, text):
        written = self.stream.write(text)
        if "http://" in text:
            self.stream.flush()
            os.kill(os.getpid(), self.sig)
        return written
    def __getattr__(self, name):
        return getattr(self.stream, name)

sys.stdout = SignalOnListening(sys.stdout, signal.Signals[sys.argv[1]])
raise SystemExit(main(["--host", "127.0.0.1", "--port", "0"]))
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
def test_a_signal_sent_as_soon_as_the_line_is_out_stops_the_server_with_status_0(
    sig: signal.Signals,
) -> None:
    """The line promises a running server: a signal that follows it at once is handled."""
    result = subprocess.run(
        [sys.executable, "-c", SIGNAL_ON_LISTENING, sig.name],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=environment(),
        timeout=START_TIMEOUT,
        check=False,
    )
    assert LISTENING.search(result.stdout), result.stdout
    assert 0 == result.returncode, result.stderr
    assert "Traceback" not in result.stderr


def test_file_environment_and_flags_meet_in_a_running_server(
    start_server: StartServer, tmp_path: Path
) -> None:
    """SORA_MOCK_CONFIG names the file; the flag wins; SORA_MOCK_URL is not a setting."""
    config = tmp_path / "sora-mock.toml"
    config.write_text('default_balance = 5\n\n[accounts]\n"sk-from-file" = 77\n', "utf-8")
    _, url = start_server(
        "--default-balance",
        "9",
        env={
            "SORA_MOCK_CONFIG": str(config),
            "SORA_MOCK_DEFAULT_BALANCE": "7",
            "SORA_MOCK_URL": "http://127.0.0.1:1",
        },
    )
    assert 77 == call(url, "GET", "/__mock/accounts/sk-from-file")[1]["balance"]
    assert 9 == call(url, "POST", "/__mock/accounts/sk-opened")[1]["balance"]


BAD_VALUES: Final = [
    pytest.param((), {}, "colour = 'red'\n", "colour", id="unknown-setting-in-file"),
    pytest.param(("--colour", "red"), {}, None, "colour", id="unknown-flag"),
    pytest.param(("--port", "abc"), {}, None, "port", id="port-abc"),
    pytest.param((), {"SORA_MOCK_PORT": "70000"}, None, "SORA_MOCK_PORT:", id="port-70000-env"),
    pytest.param(("--clock", "sundial"), {}, None, "clock", id="clock"),
    pytest.param(("--strict", "maybe"), {}, None, "strict", id="bool-flag"),
    pytest.param(
        (), {"SORA_MOCK_FAULT_HEADER": "maybe"}, None, "SORA_MOCK_FAULT_HEADER:", id="bool-env"
    ),
    pytest.param((), {"SORA_MOCK_ACCOUNTS": "{oops"}, None, "SORA_MOCK_ACCOUNTS:", id="json-env"),
    pytest.param(("--faults", "["), {}, None, "faults", id="json-flag"),
    pytest.param((), {}, '[pricing."sora-3"]\n10 = 20\n', "pricing", id="pricing-unknown-model"),
    pytest.param(
        (),
        {},
        '[[faults]]\naction = "error"\ncolour = "red"\n',
        "faults",
        id="fault-unknown-field",
    ),
    pytest.param(
        ("--faults", '[{"action": "explode"}]'), {}, None, "faults", id="fault-unknown-action"
    ),
    pytest.param(
        ("--default-balance", "-5"), {}, None, "--default-balance:", id="negative-balance"
    ),
    pytest.param((), {}, "error_status = 201\n", "error_status", id="error-status-201"),
]


@pytest.mark.parametrize(("args", "env", "toml", "name"), BAD_VALUES)
def test_a_bad_value_stops_start_up_with_status_2_naming_the_setting_or_its_source(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], toml: str | None, name: str
) -> None:
    if toml is not None:
        config = tmp_path / "sora-mock.toml"
        config.write_text(toml, encoding="utf-8")
        args = ("--config", str(config), *args)
    result = run(*args, env=env)
    assert (2, "") == (result.returncode, result.stdout)
    assert name in result.stderr
    assert "Traceback" not in result.stderr
    assert 1 == len(result.stderr.splitlines()), result.stderr


@pytest.mark.parametrize("named_by", ["flag", "SORA_MOCK_CONFIG"])
def test_a_missing_config_file_stops_start_up_with_status_2(tmp_path: Path, named_by: str) -> None:
    missing = str(tmp_path / "missing.toml")
    if named_by == "flag":
        result = run("--config", missing)
    else:
        result = run(env={"SORA_MOCK_CONFIG": missing})
    assert (2, "") == (result.returncode, result.stdout)
    assert "missing.toml" in result.stderr
    assert "Traceback" not in result.stderr


def create_and_stop(start_server: StartServer, log_format: str) -> tuple[str, list[str]]:
    """One successful create through a fresh server; returns (taskId, its stderr lines)."""
    proc, url = start_server("--log-format", log_format)
    status, envelope = call(
        url, "POST", CREATE, TEXT_BODY, {"Authorization": f"Bearer {SECRET_KEY}"}
    )
    assert (200, 0) == (status, envelope["code"]), envelope
    _, stderr = stop(proc)
    assert SECRET_KEY not in stderr
    return envelope["data"]["taskId"], stderr.splitlines()


def test_json_logging_writes_one_object_per_request_with_the_key_masked(
    start_server: StartServer,
) -> None:
    task_id, lines = create_and_stop(start_server, "json")
    records = [json.loads(line) for line in lines if line.strip()]
    assert all(isinstance(record, dict) for record in records), lines

    [request] = [r for r in records if r.get("path") == CREATE]
    expected = {"method": "POST", "path": CREATE, "status": 200, "code": 0, "key": MASKED_KEY}
    assert expected == {name: request[name] for name in expected}
    assert isinstance(request["ms"], int | float)
    assert request["ms"] >= 0
    assert task_id in json.dumps(request)


def test_text_logging_writes_one_line_per_request_with_the_key_masked(
    start_server: StartServer,
) -> None:
    task_id, lines = create_and_stop(start_server, "text")
    [request] = [line for line in lines if CREATE in line]
    for word in ["POST", "200", MASKED_KEY, task_id]:
        assert re.search(rf"(?<![\w*]){re.escape(word)}(?!\w)", request), (word, request)


@pytest.mark.parametrize("args", [("--str", "true"), ("--max-con", "1"), ("--queue", "7")])
def test_an_abbreviated_flag_is_an_unknown_name(args: tuple[str, ...]) -> None:
    result = run(*args)
    assert (2, "") == (result.returncode, result.stdout)
    assert args[0] in result.stderr


@pytest.mark.parametrize(
    ("args", "env", "line"),
    [
        (
            ("--accounts", '{"sk-a": 100, "sk-b": -5}'),
            {},
            "sora-mock: --accounts: entry 2 (key ****): balance: must be 0 or more, got -5",
        ),
        (
            ("--accounts", json.dumps({"sk-a": 100, SECRET_KEY: True})),
            {},
            f"sora-mock: --accounts: entry 2 (key {MASKED_KEY}): must be a whole number of "
            "credits or a table {balance, vip}, got True",
        ),
        (
            (),
            {"SORA_MOCK_ACCOUNTS": json.dumps({SECRET_KEY: "sk-live-other-1234"})},
            f"sora-mock: SORA_MOCK_ACCOUNTS: entry 1 (key {MASKED_KEY}): must be a whole number "
            "of credits or a table {balance, vip}, got text",
        ),
    ],
    ids=["negative", "boolean", "a-key-as-value"],
)
def test_a_bad_account_names_its_entry_and_masked_key_and_what_is_wrong(
    args: tuple[str, ...], env: dict[str, str], line: str
) -> None:
    result = run(*args, env=env)
    assert (2, "") == (result.returncode, result.stdout)
    assert [line] == result.stderr.splitlines()
    assert "sk-live" not in result.stderr


def test_a_port_in_use_stops_start_up_with_one_line_that_offers_port_0() -> None:
    with socket.socket() as taken:
        taken.bind((LOOPBACK, 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("--host", LOOPBACK, "--port", str(port))
    assert (2, "") == (result.returncode, result.stdout)
    [line] = result.stderr.splitlines()
    assert line == f"sora-mock: {MSG_PORT_IN_USE.format(where=f'{LOOPBACK}:{port}')}"
    assert "--port 0" in line


def test_a_host_that_cannot_be_listened_on_stops_start_up_naming_it() -> None:
    result = run("--host", "256.1.1.1")
    assert (2, "") == (result.returncode, result.stdout)
    assert "'host'" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_server_runs_on_uvloop_when_the_fast_extra_is_installed(
    start_server: StartServer,
) -> None:
    """`sora-mock[fast]` (the container installs it): the command line serves on uvloop."""
    proc, url = start_server()
    assert (200, HEALTH) == call(url, "GET", "/__mock/health")
    maps = Path(f"/proc/{proc.pid}/maps").read_text()
    assert ("uvloop" in maps) == (importlib.util.find_spec("uvloop") is not None)
    _, stderr = stop(proc)
    assert "Traceback" not in stderr


def test_without_uvloop_the_server_runs_on_asyncio(
    start_server: StartServer, tmp_path: Path
) -> None:
    """Without the extra (here: uvloop made unimportable) the same server starts on asyncio."""
    (tmp_path / "uvloop.py").write_text('raise ImportError("not installed (shadowed)")\n')
    path = os.pathsep.join(p for p in (str(tmp_path), os.environ.get("PYTHONPATH")) if p)
    proc, url = start_server(env={"PYTHONPATH": path})
    assert (200, HEALTH) == call(url, "GET", "/__mock/health")
    assert "uvloop" not in Path(f"/proc/{proc.pid}/maps").read_text()
    _, stderr = stop(proc)
    assert "Traceback" not in stderr


@pytest.mark.parametrize("where", ["flag", "file"])
def test_the_front_setting_is_gone(tmp_path: Path, where: str) -> None:
    """E1: one HTTP path; `front` (revision 2's hand-written front) is an unknown setting now,
    refused before the listening line like any other unknown name."""
    if where == "flag":
        result = run("--front", "aiohttp")
    else:
        config = tmp_path / "sora-mock.toml"
        config.write_text('front = "aiohttp"\n', encoding="utf-8")
        result = run("--config", str(config))
    assert (2, "") == (result.returncode, result.stdout)
    assert "front" in result.stderr
