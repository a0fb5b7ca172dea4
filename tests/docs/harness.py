"""Runs a page's shell examples against a live mock and compares what they print with the
output block the page shows after them.

Each page gets a fresh mock as `make run` starts it (`sora-mock`, defaults: the real clock). A
block whose every line starts a server (`make run ARGS="..."`, `.venv/bin/sora-mock` with
flags only, `.venv/bin/python -m sora_mock.testing.receiver ...`) is not run as written: the
harness starts that server afresh on a free loopback port, and the documented port (8000, the
receiver's 9100) is read as that port in the commands and in the output shown. `console`
blocks are `$ command` lines, each followed by what it prints. In output shown, a line `...`
stands for any lines.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Final

from .pages import ROOT, SHELL, Block

LOOPBACK: Final = "127.0.0.1"
MOCK_PORT: Final = 8000  # what the pages write: `make run`'s default
RECEIVER_PORT: Final = 9100
START_TIMEOUT: Final = 20.0
RUN_TIMEOUT: Final = 60.0
LISTENING: Final = re.compile(r"https?://127\.0\.0\.1:(\d+)")
MAKE_RUN: Final = re.compile(r'^make run(?: ARGS="(.*)")?$')
# the server itself: flags only (a subcommand, `sora-mock verify ...`, is run as a command)
MOCK_COMMAND: Final = re.compile(r"^(?:\.venv/bin/)?sora-mock(?: (-.*))?$")
RECEIVER: Final = re.compile(
    r"^(?:\.venv/bin/)?python3? -m sora_mock\.testing\.receiver(?: (.*))?$"
)
DURATION: Final = re.compile(r" in \d+(?:\.\d+)?s ")


class ExampleError(AssertionError):
    pass


def environment() -> dict[str, str]:
    """This run's environment without SORA_MOCK_* settings, with the checkout's tools first."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SORA_MOCK_")}
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "80"  # pytest's rules are as wide as the pages show them
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("PYTEST_XDIST_WORKER", None)
    return env


def _commands(text: str) -> list[str]:
    """The block's lines without comments and blank lines."""
    rows = [re.sub(r"\s+#.*$", "", row).strip() for row in text.splitlines()]
    return [row for row in rows if row and not row.startswith("#")]


def starts(block: Block) -> list[tuple[str, list[str]]] | None:
    """("mock" | "receiver", its arguments) per line, when every line of the block starts a
    server; else None."""
    if block.lang not in SHELL:
        return None
    found: list[tuple[str, list[str]]] = []
    for row in _commands(block.text):
        make, mock, receiver = MAKE_RUN.match(row), MOCK_COMMAND.match(row), RECEIVER.match(row)
        if make:
            found.append(("mock", shlex.split(make.group(1) or "")))
        elif mock and "--help" not in row and "--version" not in row and ";" not in row:
            found.append(("mock", shlex.split(mock.group(1) or "")))
        elif receiver:
            found.append(("receiver", shlex.split(receiver.group(1) or "")))
        else:
            return None
    return found or None


def _port_of(args: list[str], default: int) -> int:
    if "--port" in args:
        return int(args[args.index("--port") + 1])
    return default


class Session:
    """The servers one page has started, and the ports it names, with what they are now."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.env = environment()
        self.servers: dict[str, subprocess.Popen[str]] = {}
        self.ports: dict[int, int] = {}
        self._logs: list[IO[str]] = []

    def start(self, kind: str, args: list[str]) -> None:
        old = self.servers.pop(kind, None)
        if old is not None:
            _end(old)
        if kind == "mock":
            documented = _port_of(args, MOCK_PORT)
            command = ["sora-mock", *args, "--host", LOOPBACK, "--port", "0"]
        else:
            documented = _port_of(args, RECEIVER_PORT)
            command = ["python", "-m", "sora_mock.testing.receiver", *args, "--port", "0"]
        log = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed in stop)
        self._logs.append(log)
        proc = subprocess.Popen(  # the first stdout line is the listening line
            command,
            cwd=self.workdir,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        self.servers[kind] = proc
        assert proc.stdout is not None
        line = proc.stdout.readline()  # bounded: the server prints it or exits (closes stdout)
        found = LISTENING.search(line)
        if not found:
            _end(proc)
            log.seek(0)
            raise ExampleError(f"{' '.join(command)} did not start: {line!r} {log.read()!r}")
        self.ports[documented] = int(found.group(1))

    def local(self, text: str) -> str:
        """The text with each documented port read as the one its server listens on now."""
        for documented, actual in self.ports.items():
            text = text.replace(f"{LOOPBACK}:{documented}", f"{LOOPBACK}:{actual}")
        return text

    def run(self, script: str) -> str:
        """Run the commands with bash as a user would; their stdout and stderr together."""
        done = subprocess.run(
            ["bash", "-c", self.local(script)],  # noqa: S607
            cwd=self.workdir,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=RUN_TIMEOUT,
            check=False,
        )
        return done.stdout

    def stop(self) -> None:
        for proc in self.servers.values():
            _end(proc)
        self.servers.clear()
        for log in self._logs:
            log.close()


def _end(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()


@contextmanager
def session() -> Iterator[Session]:
    """A work folder that sees the checkout's `.venv` and `examples`; the page's first example
    that is not a server start gets a fresh default mock, unless a start came before it."""
    with tempfile.TemporaryDirectory(prefix="docs-examples-") as folder:
        workdir = Path(folder)
        for name in (".venv", "examples"):
            (workdir / name).symlink_to(ROOT / name)
        live = Session(workdir)
        try:
            yield live
        finally:
            live.stop()


def matches(expected: str, actual: str) -> bool:
    """Line by line, exactly, but a line `...` stands for any lines (none included)."""
    want = [DURATION.sub(" in <t>s ", row) for row in expected.rstrip("\n").split("\n")]
    got = [DURATION.sub(" in <t>s ", row) for row in actual.rstrip("\n").split("\n")]
    return _match(want, got)


def _match(want: list[str], got: list[str]) -> bool:
    if not want:
        return not got
    if want[0] == "...":
        return any(_match(want[1:], got[at:]) for at in range(len(got) + 1))
    return bool(got) and want[0] == got[0] and _match(want[1:], got[1:])


def console(text: str) -> list[tuple[str, str]]:
    """A console block's `$ command` lines, each with the lines it shows after it."""
    steps: list[tuple[str, str]] = []
    for chunk in re.split(r"^\$ ", text, flags=re.M)[1:]:
        command, _, output = chunk.partition("\n")
        steps.append((command, output))
    return steps


def check(live: Session, block: Block) -> None:
    """Run one shell or console block (or start the servers it starts) and compare."""
    servers = starts(block)
    if servers is not None:
        for kind, args in servers:
            live.start(kind, args)
        return
    if "mock" not in live.servers:
        live.start("mock", [])  # what `make run` starts
    if block.lang == "console":
        for command, shown in console(block.text):
            got = live.run(command)
            if not matches(live.local(shown), got):
                raise ExampleError(_diff(block, command, shown, got))
        return
    got = live.run(block.text)
    if block.output is not None and not matches(live.local(block.output.text), got):
        raise ExampleError(_diff(block, block.text, block.output.text, got))


def _diff(block: Block, command: str, shown: str, got: str) -> str:
    return (
        f"{block.where}: the example prints something else\n$ {command}\n"
        f"--- the page shows:\n{shown}--- it printed:\n{got}"
    )
