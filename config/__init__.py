"""Configuration: one :class:`Settings` object read from the environment and ``.env``."""

from config.settings import (
    ConfigError,
    Edition,
    Settings,
    check_timezone,
    load_settings,
    redact_url,
)

__all__ = ["ConfigError", "Edition", "Settings", "check_timezone", "load_settings", "redact_url"]
