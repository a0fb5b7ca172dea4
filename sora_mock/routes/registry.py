"""The one route vocabulary (CONTRACT A, C, D): each provider route's name, method and path.

The journal's `route`, a fault rule's `route` and the HTTP router all read these names.
"""

from __future__ import annotations

from typing import Final

CREATE: Final = "create"
SORA_VIDEO: Final = "sora_video"
CHECK_RESULT: Final = "check_result"
CREDITS: Final = "credits"
FILES: Final = "files"
UNKNOWN: Final = "unknown"

# name -> (method, path) of each route the HTTP layer adds
ROUTES: Final[dict[str, tuple[str, str]]] = {
    CREATE: ("POST", "/api/v1/video/sora-pro"),
    SORA_VIDEO: ("POST", "/api/v1/video/sora-video"),
    CHECK_RESULT: ("POST", "/api/video-generations/check-result"),
    CREDITS: ("POST", "/api/get-user-credits"),
    FILES: ("GET", "/files/{taskId}.mp4"),
}
FILES_PREFIX: Final = "/files/"
FILES_SUFFIX: Final = ".mp4"
EVENT_STREAM: Final = "text/event-stream"
_BY_PATH: Final = {path: name for name, (_, path) in ROUTES.items() if name != FILES}


def route_of_path(path: str) -> str:
    """The route a path names exactly (a JSON route), else "unknown"."""
    return _BY_PATH.get(path, UNKNOWN)


def route_at(path: str) -> str:
    """The route that serves `path`: a JSON route's own path, a file link, else "unknown"."""
    if path.startswith(FILES_PREFIX) and path.endswith(FILES_SUFFIX):
        return FILES
    return route_of_path(path)


def methods(route: str) -> frozenset[str]:
    """The methods a route answers: its own, and HEAD beside a GET (as aiohttp's `add_get` adds
    it); any other is a 405."""
    method = ROUTES[route][0]
    return frozenset((method, "HEAD")) if method == "GET" else frozenset((method,))


def file_task_id(path: str) -> str:
    """The taskId of a file link's path (`/files/<taskId>.mp4`)."""
    return path[len(FILES_PREFIX) : -len(FILES_SUFFIX)]


def wants_stream(accept: str | None) -> bool:
    """A8: `Accept` is matched as a substring, whatever its q-values [mock decision]."""
    return accept is not None and EVENT_STREAM in accept.lower()
