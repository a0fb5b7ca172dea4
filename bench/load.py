"""Load generators: wrk (with Lua scripts for the POSTs) or, without wrk, an aiohttp client.

Both run pinned to the load core in a process of their own and report the same `Load`.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Final, Protocol

from procs import API_KEY, BENCH, PYTHON, pinned

CREATE_PATH: Final = "/api/v1/video/sora-pro"
CHECK_PATH: Final = "/api/video-generations/check-result"
_UNITS: Final = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


@dataclass(frozen=True)
class Load:
    """One measurement: completed responses, wall seconds, and latency percentiles in ms."""

    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    socket_errors: int = 0
    non_2xx: int = 0
    mix: dict[str, int] = field(default_factory=dict)
    server_cpu_s: float | None = None  # filled in by the caller, who knows the server

    @property
    def cpu_us_per_request(self) -> float | None:
        if self.server_cpu_s is None or not self.requests:
            return None
        return self.server_cpu_s / self.requests * 1e6


class LoadGenerator(Protocol):
    name: str
    saturates: bool  # whether it keeps a server on one core busy all the time

    def run(self, url: str, body: bytes, seconds: int) -> Load:
        """POST `body` to `url` with the bench's API key for `seconds`, as fast as it answers."""
        ...

    def run_count(self, url: str, body: bytes, count: int, seconds: int) -> Load:
        """POST `body` to `url` until `count` responses (a few more may be in flight)."""
        ...

    def run_mix(self, base_url: str, create_body: bytes, count: int, seconds: int) -> Load:
        """Creates and check-results of the latest created task, alternating, `count` in all."""
        ...


def choose(name: str, cpu: int | None, connections: int) -> LoadGenerator:
    """`auto` is wrk when installed, else the aiohttp load generator."""
    if name == "wrk" or (name == "auto" and shutil.which("wrk")):
        return Wrk(cpu, connections)
    why = "asked for" if name == "aiohttp" else "wrk is not installed"
    return AiohttpLoad(cpu, connections, why)


def _lua_string(text: str) -> str:
    level = "=" * 4
    assert f"]{level}]" not in text
    return f"[{level}[{text}]{level}]"


STATIC_LUA: Final = """\
wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer {key}"
"""

# the static request until `count` responses: a store filled with that many tasks
COUNT_LUA: Final = (
    STATIC_LUA
    + """\
completed = 0

function response(status, response_headers, body)
  completed = completed + 1
  if completed >= {count} then wrk.thread:stop() end
end
"""
)

# globals, not locals: done() reads them with thread:get()
MIX_LUA: Final = """\
local headers = {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {key}"}}
local create_request = nil
local threads = {{}}
target, completed, creates, checks, last_id = {count}, 0, 0, 0, nil

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  create_request = wrk.format("POST", "{create}", headers, {body})
end

function request()
  if last_id == nil or (creates + checks) % 2 == 0 then
    creates = creates + 1
    return create_request
  end
  checks = checks + 1
  return wrk.format("POST", "{check}", headers, '{{"taskId":"' .. last_id .. '"}}')
end

function response(status, response_headers, body)
  local id = string.match(body, '"taskId":"(%x+)"')
  if id then last_id = id end
  completed = completed + 1
  if completed >= target then wrk.thread:stop() end
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    local creates, checks = thread:get("creates"), thread:get("checks")
    io.write(string.format("MIX creates=%d checks=%d\\n", creates, checks))
  end
end
"""


class Wrk:
    name = "wrk"
    saturates = True

    def __init__(self, cpu: int | None, connections: int) -> None:
        self.cpu = cpu
        self.connections = connections
        self.version = _wrk_version()

    def run(self, url: str, body: bytes, seconds: int) -> Load:
        script = STATIC_LUA.format(body=_lua_string(body.decode()), key=API_KEY)
        return self._wrk(script, url, seconds)

    def run_count(self, url: str, body: bytes, count: int, seconds: int) -> Load:
        script = COUNT_LUA.format(body=_lua_string(body.decode()), key=API_KEY, count=count)
        return self._wrk(script, url, seconds)

    def run_mix(self, base_url: str, create_body: bytes, count: int, seconds: int) -> Load:
        script = MIX_LUA.format(
            key=API_KEY,
            count=count,
            create=CREATE_PATH,
            check=CHECK_PATH,
            body=_lua_string(create_body.decode()),
        )
        return self._wrk(script, base_url + CREATE_PATH, seconds)

    def _wrk(self, script: str, url: str, seconds: int) -> Load:
        with tempfile.TemporaryDirectory(prefix="sora-bench-") as tmp:
            lua = Path(tmp) / "load.lua"
            lua.write_text(script)
            argv = ["wrk", "-t1", f"-c{self.connections}", f"-d{seconds}s", "--latency"]
            argv += ["-s", str(lua), url]
            out = subprocess.run(  # noqa: S603 (wrk with our own script)
                pinned(self.cpu, argv), capture_output=True, text=True, check=True
            ).stdout
        return parse_wrk(out)


def _wrk_version() -> str:
    out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)  # noqa: S607
    first = (out.stdout or out.stderr).splitlines()[0]
    return first.split("[")[0].strip()


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match[1]) * _UNITS[match[2]]


def parse_wrk(out: str) -> Load:
    def find(pattern: str, default: str | None = None) -> str:
        match = re.search(pattern, out, re.MULTILINE)
        if match is None:
            if default is None:
                raise ValueError(f"wrk printed no {pattern!r}:\n{out}")
            return default
        return match[1]

    socket_errors = sum(
        int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", find(r"(Socket.*)", ""))
    )
    mix = {name: int(n) for name, n in re.findall(r"(creates|checks)=(\d+)", out)}
    requests = int(find(r"^\s*(\d+) requests in"))
    seconds = _ms(find(r"requests in ([\d.]+\w+),")) / 1e3
    return Load(
        requests=requests,
        seconds=seconds,
        rps=float(find(r"^Requests/sec:\s+([\d.]+)")),
        p50_ms=_ms(find(r"^\s+50%\s+(\S+)")),
        p99_ms=_ms(find(r"^\s+99%\s+(\S+)")),
        socket_errors=socket_errors,
        non_2xx=int(find(r"Non-2xx or 3xx responses: (\d+)", "0")),
        mix=mix,
    )


class AiohttpLoad:
    """The fallback: bench/aiohttp_load.py, one keep-alive connection per worker."""

    saturates = False

    def __init__(self, cpu: int | None, connections: int, why: str) -> None:
        self.cpu = cpu
        self.connections = connections
        self.name = f"bench/aiohttp_load.py, aiohttp {metadata.version('aiohttp')} ({why})"
        self.version = ""

    def run(self, url: str, body: bytes, seconds: int) -> Load:
        return self._run(["--url", url, "--seconds", str(seconds)], body)

    def run_count(self, url: str, body: bytes, count: int, seconds: int) -> Load:
        return self._run(["--url", url, "--seconds", str(seconds), "--count", str(count)], body)

    def run_mix(self, base_url: str, create_body: bytes, count: int, seconds: int) -> Load:
        argv = ["--url", base_url + CREATE_PATH, "--seconds", str(seconds)]
        argv += ["--check-url", base_url + CHECK_PATH, "--count", str(count)]
        return self._run(argv, create_body)

    def _run(self, argv: list[str], body: bytes) -> Load:
        command = [PYTHON, str(BENCH / "aiohttp_load.py"), "--key", API_KEY]
        command += ["--connections", str(self.connections), *argv]
        out = subprocess.run(  # noqa: S603 (our own script)
            pinned(self.cpu, command), input=body, capture_output=True, check=True
        ).stdout
        return Load(**json.loads(out))
