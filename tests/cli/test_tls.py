"""H2: with `tls = true` the mock speaks HTTPS with a certificate from a CA of its own, kept in
`tls_ca_dir` and reused across restarts; its key stays in that folder. Loopback only."""

from __future__ import annotations

import os
import re
import socket
import ssl
import stat
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import pytest
import requests

from sora_mock import MockServer, Settings
from sora_mock.config import ConfigError
from sora_mock.http.tls import CA_FILE, KEY_FILE, PROVIDER_NAMES, default_ca_dir, server_context
from sora_mock.testing.client import SoraMock

from ..helpers import CREATE, KEY, TEXT_BODY
from .test_cli import (
    LOOPBACK,
    MOCK,
    START_TIMEOUT,
    STOP_TIMEOUT,
    StartServer,
    environment,
    read_line,
    run,
    start_server,
    stop,
)

__all__ = ["start_server"]  # the fixture, imported from test_cli

CHECK: Final = "/api/video-generations/check-result"
CREDITS: Final = "/api/get-user-credits"


class TlsServer:
    """`sora-mock --tls true` on a loopback port: its two start-up lines and its process."""

    def __init__(self, ca_dir: Path, *args: str) -> None:
        flags = ["--tls", "true", "--tls-ca-dir", str(ca_dir), "--clock", "manual", *args]
        self.proc = subprocess.Popen(
            [*MOCK, "--host", LOOPBACK, "--port", "0", *flags],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=environment(),
        )
        assert self.proc.stdout is not None
        self.lines = [read_line(self.proc.stdout, START_TIMEOUT) or "" for _ in range(2)]
        if not self.lines[1].startswith("sora-mock listening on https://"):
            self.proc.kill()
            _, err = self.proc.communicate(timeout=STOP_TIMEOUT)
            pytest.fail(f"no https listening line: {self.lines}; stderr:\n{err}")
        self.url = self.lines[1].split()[-1]
        self.port = int(self.url.rsplit(":", 1)[1])

    def stop(self) -> str:
        """Stop it; everything it wrote, both streams."""
        out, err = stop(self.proc)
        return "".join(self.lines) + out + err


@pytest.fixture
def tls_server() -> Iterator[Any]:
    started: list[TlsServer] = []

    def start(ca_dir: Path, *args: str) -> TlsServer:
        started.append(TlsServer(ca_dir, *args))
        return started[-1]

    yield start
    for server in started:
        if server.proc.poll() is None:
            server.proc.kill()
        server.proc.communicate(timeout=STOP_TIMEOUT)


def the_round(base: str, ca_file: Path, advance: Any) -> str:
    """create -> check-result until succeeded -> balance -> download, trusting only ca.pem."""
    # verify on each call: a REQUESTS_CA_BUNDLE in the environment beats a Session's own
    trust: dict[str, Any] = {"verify": str(ca_file), "timeout": 5}
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {KEY}"
    created = session.post(base + CREATE, json=TEXT_BODY, **trust).json()
    assert 0 == created["code"], created
    task_id = created["data"]["taskId"]
    advance()
    data = session.post(base + CHECK, json={"taskId": task_id}, **trust).json()["data"]
    assert "succeeded" == data["status"], data
    balance = session.post(base + CREDITS, json={}, **trust).json()
    assert 0 == balance["code"], balance
    video = session.get(data["result_url"], **trust)
    assert (200, "video/mp4") == (video.status_code, video.headers["Content-Type"])
    result_url: str = data["result_url"]
    return result_url


def handshake(port: int, name: str, ca_file: Path) -> str:
    """The TLS handshake a client that asks for `name` makes with the loopback server."""
    context = ssl.create_default_context(cafile=str(ca_file))
    with (
        socket.create_connection((LOOPBACK, port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=name) as tls,
    ):
        return tls.version() or ""


def test_a_tls_start_makes_a_ca_serves_https_and_reuses_the_ca_after_a_restart(
    tls_server: Any, tmp_path: Path
) -> None:
    ca_dir = tmp_path / "ca"
    server = tls_server(ca_dir)
    ca_file, key_file = ca_dir / CA_FILE, ca_dir / KEY_FILE
    assert f"sora-mock TLS: clients trust the CA certificate {ca_file}\n" == server.lines[0]
    assert server.url == f"https://127.0.0.1:{server.port}"
    assert 0o700 == stat.S_IMODE(ca_dir.stat().st_mode)
    assert 0o600 == stat.S_IMODE(key_file.stat().st_mode)
    base = f"https://localhost:{server.port}"

    def advance() -> None:
        requests.post(
            base + "/__mock/clock/advance", json={"seconds": 60}, verify=str(ca_file), timeout=5
        ).raise_for_status()

    result_url = the_round(base, ca_file, advance)
    assert result_url.startswith(f"https://localhost:{server.port}/files/")
    journal = requests.get(base + "/__mock/requests", verify=str(ca_file), timeout=5).text
    for route in ('"route":"create"', '"route":"check_result"', '"route":"credits"'):
        assert route in journal.replace(" ", "")
    first_ca = ca_file.read_bytes()
    key = key_file.read_text().strip().splitlines()
    output = server.stop()
    assert "Traceback" not in output
    assert all(line not in output + journal for line in key[1:-1])
    assert "PRIVATE KEY" not in output + journal

    again = tls_server(ca_dir)
    assert first_ca == ca_file.read_bytes()
    assert [*key] == key_file.read_text().strip().splitlines()
    assert "TLSv1" in handshake(again.port, "localhost", ca_file)


def test_the_certificate_covers_the_providers_names_loopback_and_tls_names(
    tls_server: Any, tmp_path: Path
) -> None:
    server = tls_server(tmp_path / "ca", "--tls-names", '["mock.internal", "10.9.8.7"]')
    ca_file = tmp_path / "ca" / CA_FILE
    names = [*PROVIDER_NAMES, "FreeSoraGenerator.com", "localhost", "mock.internal"]
    for name in [*names, "127.0.0.1", "10.9.8.7"]:  # the addresses as IP entries
        assert handshake(server.port, name, ca_file).startswith("TLSv1"), name
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(server.port, "example.com", ca_file)


@pytest.mark.parametrize(
    "name", ["sora_mock", "a..b", "-bad-.com", "*", "*.*.com", "https://mock.test", "10.0.0.0/8"]
)
def test_a_name_no_certificate_can_carry_stops_start_up_with_one_line_naming_it(
    tmp_path: Path, name: str
) -> None:
    result = run(
        "--tls", "true", "--tls-ca-dir", str(tmp_path / "ca"), "--tls-names", f'["{name}"]'
    )
    assert 2 == result.returncode
    lines = result.stderr.splitlines()
    assert 1 == len(lines), result.stderr
    assert lines[0].startswith(f"sora-mock: --tls-names: '{name}' is not a host name")
    assert not (tmp_path / "ca").exists()  # refused before any CA is made


@pytest.mark.parametrize(
    ("files", "wording"),
    [
        ({CA_FILE: "my own certificate\n"}, "holds ca.pem but not ca-key.pem"),
        ({KEY_FILE: "my own key\n"}, "holds ca-key.pem but not ca.pem"),
        ({CA_FILE: "junk\n", KEY_FILE: "junk\n"}, "is not a PEM certificate"),
        (None, "is not a folder"),
    ],
)
def test_a_ca_folder_that_is_not_a_ca_of_ours_stops_start_up_with_one_line_and_is_kept(
    tmp_path: Path, files: dict[str, str] | None, wording: str
) -> None:
    ca_dir = tmp_path / "ca"
    if files is None:
        ca_dir.write_text("a file of the user's\n")
    else:
        ca_dir.mkdir()
        for name, text in files.items():
            (ca_dir / name).write_text(text)
    before = {p.name: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    result = run("--tls", "true", "--tls-ca-dir", str(ca_dir))
    assert 2 == result.returncode
    assert "" == result.stdout
    lines = result.stderr.splitlines()
    assert 1 == len(lines), result.stderr
    assert lines[0].startswith(f"sora-mock: setting 'tls_ca_dir': {ca_dir}")
    assert wording in lines[0]
    assert before == {p.name: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}


def test_a_start_without_tls_does_not_import_trustme(
    start_server: StartServer, tmp_path: Path
) -> None:
    (tmp_path / "trustme.py").write_text('raise RuntimeError("trustme imported")\n')
    proc, url = start_server(env={"PYTHONPATH": str(tmp_path)})
    assert url.startswith("http://127.0.0.1:")
    _, err = stop(proc)
    assert "trustme imported" not in err


def test_the_default_ca_folder_must_be_the_users_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its name is known to every user of the machine: one that others may write to is refused."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    default_ca_dir().mkdir()
    default_ca_dir().chmod(0o777)
    with pytest.raises(ConfigError, match="others may write to it"):
        server_context(Settings(tls=True))
    assert [] == list(default_ca_dir().iterdir())
    default_ca_dir().chmod(0o700)
    _, ca_file = server_context(Settings(tls=True))
    assert default_ca_dir() / CA_FILE == ca_file


def test_mock_server_and_a_handle_over_https_trusting_the_ca_by_ssl_cert_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(tls=True, tls_ca_dir=str(tmp_path / "ca"), clock="manual", port=0)
    with MockServer(settings) as server:
        assert server.url.startswith("https://127.0.0.1:")
        assert server.ca_file == tmp_path / "ca" / CA_FILE
        # the fixture's handle for --sora-mock-url https://... trusts the CA as Python does
        monkeypatch.setenv("SSL_CERT_FILE", str(server.ca_file))
        mock = SoraMock(server.url, api_key=KEY)
        try:
            result_url = the_round(server.url, server.ca_file, lambda: mock.advance(60))
            routes = [row["route"] for row in mock.requests()]
        finally:
            mock.close()
    assert result_url.startswith(server.url + "/files/")
    assert ["create", "check_result", "credits"] == routes[:3]


def test_a_mock_server_with_a_bad_ca_folder_raises_its_one_line_at_start(tmp_path: Path) -> None:
    (tmp_path / CA_FILE).write_text("not ours\n")
    server = MockServer(Settings(tls=True, tls_ca_dir=str(tmp_path), port=0))
    with pytest.raises(ConfigError, match=re.escape("holds ca.pem but not ca-key.pem")) as raised:
        server.start()
    server.stop()
    assert "\n" not in str(raised.value)
    assert os.listdir(tmp_path) == [CA_FILE]
