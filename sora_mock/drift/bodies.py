"""A request body on its way through the proxy (I2), and an answer's as the client reads it.

The comparison needs a request body only up to the mock's `max_body_bytes`: past it, the mock's
verdict is its size (A1's 413), whatever the bytes. So the proxy reads a body up to that limit
and passes the rest on to the upstream as the client sends it: a body of any size is forwarded,
and none costs the proxy more than about the limit in memory, read and decoded.
"""

from __future__ import annotations

import sys
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Final

import aiohttp
import brotli  # type: ignore[import-untyped]
from aiohttp import hdrs, web

from ..http.reply import Undecodable

if sys.version_info >= (3, 14):
    from compression.zstd import ZstdDecompressor, ZstdError
else:
    from backports.zstd import ZstdDecompressor, ZstdError

# the codings aiohttp's server decodes a request body in (with Brotli and zstd, dependencies of
# the mock); a body in any other is read as it came
CODINGS: Final = frozenset({"gzip", "deflate", "br", "zstd"})


def decoded(raw: bytes, encoding: str | None) -> bytes:
    """An upstream's answer as the client reads it, for the comparison and the recording: gzip
    or deflate undone; any other coding, a broken one or one cut short left as is."""
    if not raw or encoding is None:
        return raw
    wbits = {"gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}.get(encoding.strip().lower())
    if wbits is None:
        return raw
    inflate = zlib.decompressobj(wbits)
    try:
        plain = inflate.decompress(raw)
    except zlib.error:
        return raw
    return plain if inflate.eof else raw


def request_plain(raw: bytes, header: str | None, limit: int) -> bytes:
    """A request body as the mock's server reads it: in a coding aiohttp knows (`CODINGS`, the
    header ASCII and matched in any letter case), decoded, at most `limit` + 1 bytes of it
    (enough to tell a body over the limit; a few kilobytes can stand for gigabytes); else as it
    came. Raises `Undecodable` naming the header when the coding does not decode, as the mock's
    read does (A1). As aiohttp: gzip members one after another are one body, a gzip cut short
    gives what there is, a deflate cut short does not decode, and a deflate without its zlib
    header is read as raw deflate."""
    if not raw or not header or not header.isascii() or header.lower() not in CODINGS:
        return raw
    try:
        return _decoded(raw, header.lower(), limit + 1)
    except (zlib.error, brotli.error, ZstdError):
        raise Undecodable(header) from None


def _decoded(raw: bytes, coding: str, room: int) -> bytes:
    if coding == "br":
        plain: bytes = brotli.Decompressor().process(raw, output_buffer_limit=room)
        return plain[:room]
    if coding == "zstd":
        return ZstdDecompressor().decompress(raw, room)
    if coding == "gzip":
        wbits = 16 + zlib.MAX_WBITS
    else:  # RFC 1950's header names method 8; without it, raw deflate (as aiohttp reads it)
        wbits = zlib.MAX_WBITS if raw[0] & 0xF == 8 else -zlib.MAX_WBITS
    parts: list[bytes] = []
    size = 0
    data = raw
    while True:
        inflate = zlib.decompressobj(wbits)
        part = inflate.decompress(data, room - size)
        parts.append(part)
        size += len(part)
        if size >= room:
            break
        if coding == "deflate" and not inflate.eof:
            raise zlib.error("deflate: the body ends before its stream does")
        if coding != "gzip" or not (inflate.eof and inflate.unused_data):
            break
        data = inflate.unused_data  # the next gzip member
    return b"".join(parts)


@dataclass(frozen=True, slots=True)
class Incoming:
    """A request's body: what goes upstream, and what the comparison reads of it."""

    data: bytes | AsyncIterator[bytes] | None  # an async iterator: passed on as it comes
    plain: bytes  # as the mock would read it (decoded); past the limit, its first bytes only
    within: bool  # within the comparison mock's max_body_bytes: else its verdict is the 413
    undecodable: str | None = None  # the Content-Encoding, when the body does not decode in it

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
    undecodable = None
    try:
        plain = request_plain(raw, request.headers.get(hdrs.CONTENT_ENCODING), limit)
    except Undecodable as exc:
        plain, undecodable = raw, exc.coding
    data: bytes | AsyncIterator[bytes] | None = raw
    if not whole:
        data = passed_on(raw, request.content)
    elif not raw and request.method in ("GET", "HEAD"):
        data = None
    within = whole and undecodable is None and len(plain) <= limit
    return Incoming(data, plain, within, undecodable)


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
