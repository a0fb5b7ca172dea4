"""Which headers the proxy passes on (I2): the client's own go upstream, the upstream's come back,
less those that belong to one connection (RFC 9110 7.6.1) and those aiohttp writes itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from aiohttp import hdrs

# hop-by-hop (RFC 9110 7.6.1), and what aiohttp's client writes itself (Host, Content-Length)
HOP_BY_HOP: Final = frozenset(
    h.lower()
    for h in (
        hdrs.CONNECTION,
        hdrs.KEEP_ALIVE,
        hdrs.TE,
        hdrs.TRAILER,
        hdrs.TRANSFER_ENCODING,
        hdrs.UPGRADE,
    )
)
NOT_FORWARDED: Final = HOP_BY_HOP | {hdrs.HOST.lower(), hdrs.CONTENT_LENGTH.lower()}
# headers aiohttp's client would add of its own: only the client's own go upstream
AUTO_HEADERS: Final = (
    hdrs.ACCEPT,
    hdrs.ACCEPT_ENCODING,
    hdrs.USER_AGENT,
    hdrs.CONTENT_TYPE,
)
# aiohttp's server writes Date itself; an answer's Content-Length is the upstream's (kept on
# HEAD) and is the length of the bytes passed on
NOT_PASSED_BACK: Final = HOP_BY_HOP | {hdrs.DATE.lower()}


def forwarded_headers(
    headers: Mapping[str, str], *, streamed: bool = False
) -> list[tuple[str, str]]:
    """The client's own headers, less those that belong to one connection (the hop-by-hop ones,
    those the Connection header names, Proxy-*) and Host and Content-Length (aiohttp's client
    writes the upstream's and the body's). A body passed on as it comes (`streamed`) keeps the
    client's Content-Length, which aiohttp's client cannot know (without one it goes chunked)."""
    dropped = NOT_FORWARDED - {hdrs.CONTENT_LENGTH.lower()} if streamed else NOT_FORWARDED
    named = {token.strip().lower() for token in headers.get(hdrs.CONNECTION, "").split(",")}
    return [
        (name, value)
        for name, value in headers.items()
        if name.lower() not in dropped
        and name.lower() not in named
        and not name.lower().startswith("proxy-")
    ]


def answer_headers(headers: Mapping[str, str]) -> list[tuple[str, str]]:
    return [(n, v) for n, v in headers.items() if n.lower() not in NOT_PASSED_BACK]
