"""A webhook receiver on loopback: the fixture's `.webhook_receiver()`, and a one-command
receiver for trying A7 by hand (`python -m sora_mock.testing.receiver --port 9100`).

For a mock in a container (F1) it listens on another address (`host`, e.g. 0.0.0.0) and puts
another host name into its URL (`advertise`, e.g. host.docker.internal): the name under which
the container reaches the machine the tests run on.

It is the standard library's threaded HTTP server, so it runs beside any test, sync or async,
without an event loop of its own. A request is recorded before it is answered: when the mock's
clock advance returns (it waits for the attempt's answer), the delivery is already in `.received`.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Final

PATH: Final = "/webhook"
MAX_BODY: Final = 16 * 1024 * 1024
LOOPBACK: Final = "127.0.0.1"
ENV_ADVERTISE: Final = "SORA_MOCK_RECEIVER_ADVERTISE"
MSG_OTHER_PLACE: Final = (
    "this test's webhook receiver already listens on {host!r} as {url}; "
    "give host and advertise on its first call"
)


class _Server4(ThreadingHTTPServer):
    daemon_threads = True


class _Server6(ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True


def _bare(host: str) -> str:
    """A host without the brackets an IPv6 literal wears in a URL."""
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def _is_ipv6(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).version == 6
    except ValueError:
        return False


def url_host(host: str) -> str:
    """A host as a URL's authority writes it: an IPv6 literal in brackets."""
    host = _bare(host)
    return f"[{host}]" if _is_ipv6(host) else host


def default_advertise() -> str | None:
    """SORA_MOCK_RECEIVER_ADVERTISE, set once for a run (the container's name for this host)."""
    return os.environ.get(ENV_ADVERTISE) or None


@dataclass(frozen=True, slots=True)
class Received:
    """One request the receiver got."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class WebhookReceiver:
    """Records every POST it gets and answers `status` (settable while it runs).

    `host` is the address it listens on (loopback unless told); `advertise` the host name its
    `url` names instead of that address. Without `advertise`, a wildcard address (0.0.0.0,
    ::) is named as loopback in the URL, since no client can send to a wildcard.
    """

    def __init__(
        self,
        status: int = 200,
        *,
        host: str = LOOPBACK,
        port: int = 0,
        advertise: str | None = None,
        on_receive: Callable[[Received], None] | None = None,
    ) -> None:
        self.status = status
        self._received: list[Received] = []
        self._lock = threading.Condition()
        self._on_receive = on_receive
        self.host = _bare(host)
        self.advertise = advertise
        server = _Server6 if _is_ipv6(self.host) else _Server4
        self._server = server((self.host, port), self._handler())
        self._thread: threading.Thread | None = None
        bound_host, bound_port = self._server.server_address[:2]
        if advertise is not None:
            named = advertise
        elif bound_host in ("0.0.0.0", "::"):  # noqa: S104 (a wildcard named as loopback)
            named = "::1" if bound_host == "::" else LOOPBACK
        else:
            named = str(bound_host)
        self.port: int = bound_port
        self.base_url = f"http://{url_host(named)}:{bound_port}"
        self.url = self.base_url + PATH

    def placed(self, host: str | None, advertise: str | None) -> bool:
        """Whether a call's `host` and `advertise` (None: any) are this receiver's."""
        return (host is None or _bare(host) == self.host) and (
            advertise is None or advertise == self.advertise
        )

    def __repr__(self) -> str:
        return f"WebhookReceiver(url={self.url!r}, status={self.status}, received={len(self)})"

    @property
    def received(self) -> list[Received]:
        """What arrived, in arrival order (a copy)."""
        with self._lock:
            return list(self._received)

    def __len__(self) -> int:
        with self._lock:
            return len(self._received)

    def clear(self) -> None:
        with self._lock:
            self._received.clear()

    def wait(self, count: int = 1, timeout: float = 5.0) -> bool:
        """Wait, at most `timeout` seconds, until `count` requests have arrived (the real clock)."""
        with self._lock:
            return self._lock.wait_for(lambda: len(self._received) >= count, timeout)

    def start(self) -> WebhookReceiver:
        # a short poll interval: `stop()` waits for one, and a test stops its receiver
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            args=(0.02,),
            name="sora-mock-receiver",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _record(self, received: Received) -> int:
        with self._lock:
            self._received.append(received)
            self._lock.notify_all()
            status = self.status
        if self._on_receive is not None:
            self._on_receive(received)
        return status

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
                body = self.rfile.read(length) if length > 0 else b""
                received = Received(self.command, self.path, dict(self.headers.items()), body)
                status = receiver._record(received)
                self.send_response(status)
                if status in (204, 304):  # statuses that carry no body
                    self.end_headers()
                    return
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


def handle_receiver(
    current: WebhookReceiver | None,
    status: int | None = None,
    host: str | None = None,
    advertise: str | None = None,
) -> WebhookReceiver:
    """What a handle's `.webhook_receiver(...)` gives (F, F1): a receiver started on the first
    call (200 unless `status`; `advertise` defaulting to SORA_MOCK_RECEIVER_ADVERTISE), and
    the same one on a later call, whose status changes only when `status` is given. A later
    call cannot move it: another `host` or `advertise` is a ValueError."""
    if current is None:
        return WebhookReceiver(
            200 if status is None else status,
            host=host or LOOPBACK,
            advertise=advertise or default_advertise(),
        ).start()
    if not current.placed(host, advertise or None):
        raise ValueError(MSG_OTHER_PLACE.format(host=current.host, url=current.url))
    if status is not None:
        current.status = status
    return current


def _print(received: Received) -> None:
    delivery = received.headers.get("X-Sora-Mock-Delivery", "-")
    text = received.body.decode("utf-8", "replace")
    print(f"{received.method} {received.path} delivery={delivery} {text}", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m sora_mock.testing.receiver",
        description="A loopback webhook receiver: prints every POST it gets and answers it.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--status", type=int, default=200, help="the HTTP status to answer")
    args = parser.parse_args(argv)
    try:
        receiver = WebhookReceiver(args.status, host=args.host, port=args.port, on_receive=_print)
    except OSError as exc:
        print(f"receiver: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    print(f"receiver listening on {receiver.url}", flush=True)
    try:
        receiver._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        receiver._server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
