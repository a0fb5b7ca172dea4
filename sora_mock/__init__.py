"""sora_mock: an offline simulator of the Sora 2 Pro video-generation task API."""

from .app import create_app
from .config import ConfigError, Settings
from .errors import ApiError
from .simulator import Simulator

__all__ = ["ApiError", "ConfigError", "Settings", "Simulator", "create_app"]
__version__ = "0.1.0"
