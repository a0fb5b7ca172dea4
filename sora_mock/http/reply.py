"""What the pipeline reads of a request (`RequestView`) and what it answers (`Reply`), whatever
server received the request: the HTTP adapters (`provider.py`) translate both."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final, Literal, Protocol

if TYPE_CHECKING:
    from ..tasks import Task

JSON: Final = "application/json"


class Undecodable(Exception):
    """The body's content coding did not decode (A1): a 400 that names the coding."""

    def __init__(self, coding: str) -> None:
        super().__init__(coding)
        self.coding = coding


class RequestView(Protocol):
    """What the pipeline reads of a request, whatever server received it."""

    @property
    def method(self) -> str: ...

    @property
    def path(self) -> str: ...

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def origin(self) -> str:
        """`scheme://host` of the request: the base of its result URLs (A3)."""
        ...

    def byte_range(self) -> slice:
        """The `Range` header as read by the server (start and stop; both None when absent
        or malformed, which is then ignored, RFC 9110 14.2)."""
        ...

    async def read(self, limit: int) -> bytes | None:
        """The whole body; over `limit`, read to its end and discarded: None (A1's 413).

        Raises `Undecodable` when its content coding does not decode, `ConnectionError` when
        the client went away mid-body."""
        ...


@dataclass(frozen=True, slots=True)
class Stream:
    """A8: what the adapter streams once the create is answered."""

    task: Task
    base_url: str
    shut: bool


@dataclass(slots=True)
class Reply:
    """What to answer: a status, a body and its headers; or to drop the connection without an
    answer (`drop`: "close" sends FIN, "reset" RST, "gone" means the client already went);
    or an event stream (`stream`)."""

    status: int = 200
    body: bytes = b""
    content_type: str | None = JSON
    headers: dict[str, str] | None = None
    drop: Literal["close", "reset", "gone"] | None = None
    stream: Stream | None = None
    charset: str | None = None
