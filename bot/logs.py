"""Logging set-up: plain or JSON lines, and no secret in any of them."""

from __future__ import annotations

import logging
import sys


class RedactSecrets(logging.Filter):
    """Replace every known secret in a record's final text before any handler writes it."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        text = message
        for secret in self.secrets:
            text = text.replace(secret, "***")
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            for secret in self.secrets:
                record.exc_text = record.exc_text.replace(secret, "***")
        if text != message:
            record.msg, record.args = text, None
        return True


def configure_logging(level: str, secrets: list[str]) -> None:
    """Log to stderr at ``level``; the token and database password are masked everywhere."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and Bot API URLs carry the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(max(logging.getLevelName(level), logging.WARNING))
    logging.getLogger("apscheduler").setLevel(max(logging.getLevelName(level), logging.WARNING))
