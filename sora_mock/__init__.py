"""sora_mock: an offline simulator of the Sora 2 Pro video-generation task API."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .config import ConfigError, Settings
    from .core.errors import ApiError
    from .http.app import create_app
    from .sim.simulator import Simulator
    from .testing.apphandle import AppHandle
    from .testing.client import SoraMock
    from .testing.intercept import InterceptBlocked, intercept
    from .testing.server import MockServer

# Each name is imported on first use (PEP 562): `python -m sora_mock` imports this package
# first, and the command line needs neither the fixture's handle nor its HTTP client.
_HOMES = {
    "ApiError": ".core.errors",
    "AppHandle": ".testing.apphandle",
    "MockServer": ".testing.server",
    "SoraMock": ".testing.client",
    "ConfigError": ".config",
    "InterceptBlocked": ".testing.intercept",
    "Settings": ".config",
    "Simulator": ".sim.simulator",
    "create_app": ".http.app",
    "intercept": ".testing.intercept",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(home, __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "ApiError",
    "AppHandle",
    "ConfigError",
    "InterceptBlocked",
    "MockServer",
    "Settings",
    "Simulator",
    "SoraMock",
    "__version__",
    "create_app",
    "intercept",
]
