"""A request body on its way through the proxy (I2), and an answer's as the client reads it.

The comparison needs a request body only up to the mock's `max_body_bytes`: past it, the mock's
verdict is its size (A1's 413), whatever the bytes. So the proxy reads a body up to that limit
and passes the rest on to the upstream as the client sends it: a body of any size is forwarded,
and none costs the proxy more than about the limit in memory, read and decoded.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
from aiohttp import hdrs, web


def decoded(raw: bytes, encoding: str | None, limit: int | None = None) -> bytes:
    """A body as its reader sees it: gzip or deflate undone (the shadow and the journal see a
    request as a mock behind aiohttp's server would; the comparison and the recording see an
    answer as the client does); any other, a broken one or one cut short left as is. With a
    `limit`, no more than `limit` + 1 bytes are made: enough to tell that a body is over it (a
    few kilobytes of gzip can stand for gigabytes)."""
    if not raw or encoding is None:
        return raw
    wbits = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}.get(encoding.strip().lower())
    if wbits is None:
        return raw
    inflate = zlib.decompressobj(wbits)
    try:
        plain = inflate.decompress(raw, 0 if limit is None else limit + 1)
    except zlib.error:
        return raw
    if inflate.eof or (limit is not None and len(plain) > limit):
        return plain
    return raw


@dataclass(frozen=True, slots=True)
class Incoming:
    """A request's body: what goes upstream, and what the comparison reads of it."""

    data: bytes | AsyncIterator[bytes] | None  # an async iterator: passed on as it comes
    plain: bytes  # as the mock would read it (decoded); past the limit, its first bytes only
    within: bool  # within the comparison mock's max_body_bytes: else its verdict is the 413

    @property
    def streamed(self) -> bool:
        return not isinstance(self.data, bytes | None)


async def incoming(request: web.Request, limit: int) -> Incoming:
    """The body read up to `limit`; the rest, if any, is left for the upstream to take as the
    client sends it."""
    try:
        raw, whole = await take(request.content, limit)
    except web.RequestPayloadError:
        raw, whole = b"", True
    plain = decoded(raw, request.headers.get(hdrs.CONTENT_ENCODING), limit)
    data: bytes | AsyncIterator[bytes] | None = raw
    if not whole:
        data = passed_on(raw, request.content)
    elif not raw and request.method in ("GET", "HEAD"):
        data = None
    return Incoming(data, plain, whole and len(plain) <= limit)


async def take(content: aiohttp.StreamReader, limit: int) -> tuple[bytes, bool]:
    """A request body as far as the comparison needs it: all of it and True when it ends within
    `limit` bytes; else its first chunks, just past `limit`, and False, the rest left unread for
    `passed_on`."""
    parts: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = await content.readany()
        if not chunk:
            return b"".join(parts), True
        parts.append(chunk)
        size += len(chunk)
    return b"".join(parts), False


async def passed_on(head: bytes, content: aiohttp.StreamReader) -> AsyncIterator[bytes]:
    """A body over the limit, for the upstream: the bytes `take` read, then the rest chunk by
    chunk as the client sends it (the upstream's pace holds the client back; nothing piles up)."""
    yield head
    while chunk := await content.readany():
        yield chunk
