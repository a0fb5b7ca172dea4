"""What the mock's front (`front.py`) reads and writes of HTTP/1.1, as aiohttp would.

Reading: which heads are plain requests of the four JSON routes, read exactly as aiohttp's
parser reads them (`plain_head`), and which beginnings of a head can still become one
(`may_be_plain`). Writing: an answer's status line and headers in aiohttp's order (`head`), the
`Date` value as aiohttp formats it (`http_date`), and aiohttp's own 500 page (`server_error`).
"""

from __future__ import annotations

import re
import time
from http import HTTPStatus
from typing import Final, NamedTuple

from aiohttp import hdrs, http_parser
from aiohttp.http import SERVER_SOFTWARE
from multidict import CIMultiDict, CIMultiDictProxy, istr

from .api import CHECK_PATH, CREATE_PATH, CREDITS_PATH, SORA_VIDEO_PATH

ROUTE_PATHS: Final = {
    "create": CREATE_PATH,
    "sora_video": SORA_VIDEO_PATH,
    "check_result": CHECK_PATH,
    "credits": CREDITS_PATH,
}
ROUTES: Final = {f"POST {path} HTTP/1.1": route for route, path in ROUTE_PATHS.items()}
HEAD_LIMIT: Final = 8190  # aiohttp's max_line_size and max_field_size: a longer head is its own
FIELDS_LIMIT: Final = 100  # aiohttp refuses more than 128 fields
# a field: a token, a colon, optional blanks and a value of printable ASCII, not empty, that
# neither starts nor ends with a blank (so llhttp and the front read the same value), up to the
# end of its line; a head is plain when each of its lines after the first is one
_NAME_CHAR: Final = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]"
_FIELD_TEXT: Final = rf"({_NAME_CHAR}+):[ \t]*([!-~](?:[ -~\t]*[!-~])?)"
_FIELD: Final = re.compile(rf"\r\n{_FIELD_TEXT}(?=\r\n|\Z)")
# one whole field line alone, and what an unfinished line may be the start of
_FIELD_LINE: Final = re.compile(_FIELD_TEXT)
_FIELD_START: Final = re.compile(rf"{_NAME_CHAR}*(?::[ -~\t]*)?\r?")
# fields the front leaves to aiohttp whenever one is present: aiohttp's parser acts on each
# (a body's framing or encoding, the end of the connection, a protocol switch, an old
# WebSocket handshake it refuses)
_LEFT_TO_AIOHTTP: Final = (
    hdrs.TRANSFER_ENCODING,
    hdrs.CONTENT_ENCODING,
    hdrs.EXPECT,
    hdrs.UPGRADE,
    "Proxy-Connection",
    hdrs.SEC_WEBSOCKET_KEY1,
)
# aiohttp's C parser names a field it knows as `hdrs` spells it ("content-type" arrives as
# "Content-Type"), and the journal shows the names as aiohttp gave them; its Python parser
# (AIOHTTP_NO_EXTENSIONS) keeps every name as it was sent
_KNOWN_NAMES: Final[dict[str, str]] = (
    {name.lower(): name for name in vars(hdrs).values() if isinstance(name, istr)}
    if http_parser.HttpRequestParser.__module__ == "aiohttp._http_parser"
    else {}
)
_LENGTH: Final = re.compile(r"0|[1-9][0-9]{0,15}")
_LEFT_LOWER: Final = frozenset(name.lower() for name in _LEFT_TO_AIOHTTP)
_LENGTH_SO_FAR: Final = re.compile(r"[ \t]*[0-9]*\r?")
_REQUEST_LINES: Final = tuple(line.encode() + b"\r\n" for line in ROUTES)
_LONGEST_LINE: Final = max(map(len, _REQUEST_LINES))
HEADS_KEPT: Final = 256  # distinct plain heads a server remembers (`Heads`)


class Head(NamedTuple):
    """A plain request's head: its route, its fields as aiohttp names them, what follows."""

    route: str
    headers: CIMultiDictProxy[str]
    length: int  # of the body
    close: bool  # `Connection: close`


def plain_head(data: bytes, start: int, end: int) -> Head | None:
    """The head from `start` to `end` (its blank line) as a plain request, or None: a POST to
    one of the routes in HTTP/1.1, one Host, one Content-Length, every field a plain one, no
    Transfer-Encoding, Expect or Upgrade, `Connection` absent, `keep-alive` or `close`."""
    if end - start > HEAD_LIMIT:
        return None
    try:
        head = data[start:end].decode("ascii")
    except UnicodeDecodeError:
        return None
    line_end = head.find("\r\n")
    route = ROUTES.get(head[:line_end])
    if route is None or line_end < 0:
        return None
    fields = _FIELD.findall(head, line_end)
    if len(fields) != head.count("\r\n") or len(fields) > FIELDS_LIMIT:
        return None  # a line that is not a plain field (each field starts with a \r\n)
    known = _KNOWN_NAMES
    headers = CIMultiDictProxy(CIMultiDict([(known.get(n.lower(), n), v) for n, v in fields]))
    if (
        len(headers.keys() & headers.keys()) != len(fields)  # a name twice: aiohttp may refuse it
        or "Content-Length" not in headers
        or "Host" not in headers
        or any(name in headers for name in _LEFT_TO_AIOHTTP)
    ):
        return None
    length = headers["Content-Length"]
    if _LENGTH.fullmatch(length) is None:
        return None
    connection = headers.get("Connection")
    if connection is None:
        return Head(route, headers, int(length), False)
    connection = connection.lower()
    if connection not in {"close", "keep-alive"}:
        return None
    return Head(route, headers, int(length), connection == "close")


class Heads:
    """`plain_head`, remembered by the head's bytes, for one server.

    A client sends the same head again and again (every poll of one task, every create of one
    body length, with the same fields), and a head's reading depends on its bytes alone, so a
    head seen before is read once. At most `HEADS_KEPT` are kept; then it starts again.
    """

    def __init__(self) -> None:
        self._known: dict[bytes, Head] = {}

    def __call__(self, data: bytes, start: int, end: int) -> Head | None:
        if end - start > HEAD_LIMIT:
            return None  # plain_head's own first check, before the copy of a large head
        raw = data[start:end]
        found = self._known.get(raw)
        if found is None:
            found = plain_head(raw, 0, len(raw))
            if found is not None:
                if len(self._known) >= HEADS_KEPT:
                    self._known.clear()
                self._known[raw] = found
        return found


def may_be_plain(data: bytes, start: int) -> bool:
    """Whether the start of a head, from `start`, can still become a plain request: its request
    line one of the routes' (or the start of one), every line end a CRLF, within the limit.
    Anything else goes to aiohttp before the head ends, since aiohttp may refuse it at once
    (a TLS hello, a bare LF) rather than wait for more."""
    if len(data) - start > HEAD_LIMIT or data.count(b"\n", start) != data.count(b"\r\n", start):
        return False
    first = data[start : start + _LONGEST_LINE]
    line = next((line for line in _REQUEST_LINES if first.startswith(line)), None)
    if line is None:
        return any(line.startswith(first) for line in _REQUEST_LINES)
    try:
        *fields, last = data[start + len(line) :].decode("ascii").split("\r\n")
    except UnicodeDecodeError:
        return False
    names = set()
    for field in fields:  # what aiohttp's parser checks as each field ends
        found = _FIELD_LINE.fullmatch(field)
        if found is None:
            return False
        name = found.group(1).lower()
        if name in names or name in _LEFT_LOWER:
            return False
        if name == "content-length" and _LENGTH.fullmatch(found.group(2)) is None:
            return False  # llhttp refuses a length that is not digits at once
        names.add(name)
    if _FIELD_START.fullmatch(last) is None:
        return False
    name, colon, value = last.partition(":")
    if not colon:
        return True
    name = name.lower()
    if name in names or name in _LEFT_LOWER:
        return False
    # llhttp reads a length digit by digit, and refuses the first byte that is not one
    return name != "content-length" or _LENGTH_SO_FAR.fullmatch(value) is not None


# -- writing -------------------------------------------------------------------------------

_STATUS_LINES: Final = {s.value: f"HTTP/1.1 {s.value} {s.phrase}\r\n".encode() for s in HTTPStatus}
_OK_HEAD: Final = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
_TAIL: Final = f"\r\nServer: {SERVER_SOFTWARE}\r\n".encode()
_DAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS: Final = (
    *("Jan", "Feb", "Mar", "Apr", "May", "Jun"),
    *("Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
)


def head(status: int, extra: dict[str, str] | None, length: int, date: bytes, close: bool) -> bytes:
    """A JSON answer's status line and headers in aiohttp's order: the answer's own headers,
    Content-Type, Content-Length, Date, Server (and Connection: close)."""
    if status == 200 and extra is None:
        start = _OK_HEAD
    else:
        own = "".join(f"{name}: {value}\r\n" for name, value in (extra or {}).items())
        line = _STATUS_LINES.get(status) or f"HTTP/1.1 {status} \r\n".encode()
        start = line + own.encode() + b"Content-Type: application/json\r\nContent-Length: "
    end = b"Connection: close\r\n\r\n" if close else b"\r\n"
    return b"%s%d\r\nDate: %s%s%s" % (start, length, date, _TAIL, end)


def http_date(second: int) -> bytes:
    """The `Date` value of a second, as aiohttp writes it (RFC 9110's IMF-fixdate)."""
    t = time.gmtime(second)
    return (
        f"{_DAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year:04d} "
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    ).encode()


def server_error(accept: str, date: bytes) -> bytes:
    """aiohttp's answer to an exception in a handler (not in debug mode): its 500 page, as HTML
    when the client accepts HTML, and the connection closes."""
    error = HTTPStatus.INTERNAL_SERVER_ERROR
    title = f"{error.value} {error.phrase}"
    if "text/html" in accept:
        text = (
            f"<html><head><title>{title}</title></head><body>\n<h1>{title}</h1>"
            f"\n{error.description}\n</body></html>\n"
        )
        kind = "text/html"
    else:
        text, kind = f"{title}\n\n{error.description}", "text/plain"
    body = text.encode()
    return (
        f"HTTP/1.1 500 {error.phrase}\r\nContent-Type: {kind}; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nDate: {date.decode()}\r\nServer: {SERVER_SOFTWARE}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + body
