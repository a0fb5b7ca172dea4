"""sora_mock: an offline simulator of the Sora 2 Pro video-generation task API."""

__version__ = "0.1.0"

from .app import create_app  # the version above comes first: openapi.py imports it
from .apphandle import AppHandle
from .config import ConfigError, Settings
from .errors import ApiError
from .simulator import Simulator

__all__ = [
    "ApiError",
    "AppHandle",
    "ConfigError",
    "Settings",
    "Simulator",
    "__version__",
    "create_app",
]
