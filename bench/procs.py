"""Server processes for the bench: pinned to a core, port 0, the listening line, RSS, stop."""

from __future__ import annotations

import compileall
import io
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

ROOT: Final = Path(__file__).resolve().parent.parent
BENCH: Final = ROOT / "bench"
PYTHON: Final = sys.executable
API_KEY: Final = "sk-bench"
LISTENING: Final = " listening on "
START_TIMEOUT: Final = 30.0


@dataclass(frozen=True)
class Cores:
    """Where the server and the load generator run; None when there is nothing to pin to."""

    server: int | None
    load: int | None

    @classmethod
    def plan(cls) -> Cores:
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2 or shutil.which("taskset") is None:
            return cls(None, None)
        return cls(cpus[0], cpus[1])

    def describe(self) -> str:
        if self.server is None:
            return "not pinned (fewer than 2 cores or no taskset)"
        return f"server on CPU {self.server}, load generator on CPU {self.load} (taskset)"


def export_package(ref: str, into: Path) -> Path:
    """`sora_mock/` as it is at git `ref`, unpacked under `into`: an older revision to measure
    beside the working tree in one run."""
    archive = subprocess.run(  # noqa: S603 (git with our own arguments)
        ["git", "archive", "--format=tar", ref, "sora_mock"],  # noqa: S607 (git on PATH)
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def byte_compile(package: Path = ROOT / "sora_mock") -> None:
    """Compile `package` as pip compiles an installed wheel. PYTHONDONTWRITEBYTECODE (set in
    this environment and the container) stops Python from caching what it compiles, so a tree
    run from source would otherwise compile every module at every start: what a start-up time
    measured that way shows is the compiler, not what a user of the installed package waits."""
    if not compileall.compile_dir(package, quiet=1):
        raise RuntimeError(f"{package} does not compile")


def pinned(cpu: int | None, argv: list[str]) -> list[str]:
    """`taskset` execs the command, so the child's pid is the server's own."""
    return argv if cpu is None else ["taskset", "-c", str(cpu), *argv]


# the folder whose `sora_mock/` the servers run (`run.py --ref`); None: the working tree
PACKAGE_ROOT: list[Path] = []


def use_package(root: Path) -> None:
    """Run every sora_mock of this process from `root/sora_mock` (an exported older revision)."""
    PACKAGE_ROOT[:] = [root]
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(root), *filter(None, [os.environ.get("PYTHONPATH")])]
    )


def sora_mock_argv(*flags: str) -> list[str]:
    if not PACKAGE_ROOT:
        return [PYTHON, "-m", "sora_mock", "--port", "0", *flags]
    # `-m` would put the checkout first on sys.path (the servers' cwd): the ref's package first
    boot = (
        f"import sys; sys.path.insert(0, {str(PACKAGE_ROOT[0])!r}); "
        "from sora_mock.cli import main; raise SystemExit(main(sys.argv[1:]))"
    )
    return [PYTHON, "-c", boot, "--port", "0", *flags]


def package_dir() -> Path:
    """The `sora_mock/` that the servers run."""
    return (PACKAGE_ROOT[0] if PACKAGE_ROOT else ROOT) / "sora_mock"


def baseline_argv(loop: str, reads: str = "nothing") -> list[str]:
    return [PYTHON, str(BENCH / "baseline_app.py"), "--port", "0", "--loop", loop, "--reads", reads]


class Server:
    """One server process; its stderr (sora_mock's per-request log lines) goes to /dev/null."""

    def __init__(self, argv: list[str], cpu: int | None) -> None:
        self.argv = pinned(cpu, argv)
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> Server:
        return self.spawn().wait()

    def spawn(self) -> Server:
        """Exec the server without waiting for it, so that several can start side by side."""
        self.proc = subprocess.Popen(  # noqa: S603 (our own argv, no shell)
            self.argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT
        )
        return self

    def wait(self) -> Server:
        self.url = self._listening_url()
        return self

    def _listening_url(self) -> str:
        assert self.proc is not None
        assert self.proc.stdout is not None
        deadline = time.monotonic() + START_TIMEOUT
        with selectors.DefaultSelector() as selector:
            selector.register(self.proc.stdout, selectors.EVENT_READ)
            while time.monotonic() < deadline:
                if selector.select(timeout=0.5):
                    line = self.proc.stdout.readline().decode()
                    if LISTENING in line:
                        return line.split(LISTENING, 1)[1].strip()
                    if not line:
                        break
                if self.proc.poll() is not None:
                    break
        self.stop()
        raise RuntimeError(f"{' '.join(self.argv)} printed no listening line")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def status(self) -> dict[str, int]:
        """VmRSS and VmHWM (peak RSS) in KiB, from /proc/PID/status."""
        fields: dict[str, int] = {}
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                fields[name] = int(value.split()[0])
        return fields

    def cpu_seconds(self) -> float:
        """User + system CPU time the server has used so far (/proc/PID/stat)."""
        stat = Path(f"/proc/{self.pid}/stat").read_text()
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def uses_uvloop(self) -> bool:
        """Whether uvloop's extension is mapped into the server: the loop to mirror."""
        return "uvloop" in Path(f"/proc/{self.pid}/maps").read_text()

    def signal(self, sig: signal.Signals) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def get(self, path: str) -> Any:
        return call(self.url + path)

    def post(self, path: str, body: Any) -> Any:
        return call(self.url + path, body)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.proc = None

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def call(url: str, body: Any = None) -> Any:
    """One JSON request with the bench's API key: GET without a body, POST with one."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    request = urllib.request.Request(url, data=data, headers=headers)  # noqa: S310 (loopback)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())


def start_up_seconds(argv: list[str], cpu: int | None) -> float:
    """Exec to the first 200 on /__mock/health (the port is known from the listening line)."""
    started = time.perf_counter()
    with Server(argv, cpu) as server:
        while time.perf_counter() - started < START_TIMEOUT:
            try:
                with urllib.request.urlopen(server.url + "/__mock/health", timeout=5) as reply:  # noqa: S310
                    if reply.status == 200:
                        return time.perf_counter() - started
            except OSError:
                time.sleep(0.001)
    raise RuntimeError(f"{' '.join(argv)} never answered 200 on /__mock/health")
