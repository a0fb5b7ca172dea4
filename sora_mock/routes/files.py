"""A4: `GET /files/{taskId}.mp4`, the result video: one shipped MP4, whole or a byte range."""

from __future__ import annotations

from pathlib import Path
from typing import Final

VIDEO: Final = (Path(__file__).parent.parent / "assets" / "result.mp4").read_bytes()
CONTENT_TYPE: Final = "video/mp4"
SERVED: Final = frozenset((200, 206))  # the statuses that carry the file (or a part of it)


def answer(wanted: slice, range_text: str | None) -> tuple[int, bytes, dict[str, str]]:
    """(status, body, headers) for a succeeded task's file; `wanted` is the `Range` header as
    the server read it (start and stop both None: the whole file)."""
    size = len(VIDEO)
    headers = {"Accept-Ranges": "bytes"}
    if wanted.start is None and wanted.stop is None:
        return 200, VIDEO, headers
    start, stop = wanted.start, wanted.stop
    if range_text is not None and range_text.replace(" ", "").lower() == "bytes=-0":
        start = size  # aiohttp reads a suffix of no bytes as 0-: it cannot be served
    elif start is None or start < 0:  # a suffix range: the last N bytes
        start, stop = max(size + (start or 0), 0), size
    stop = size if stop is None else min(stop, size)
    if start >= size or start >= stop:
        headers["Content-Range"] = f"bytes */{size}"
        return 416, b"", headers
    headers["Content-Range"] = f"bytes {start}-{stop - 1}/{size}"
    return 206, VIDEO[start:stop], headers
