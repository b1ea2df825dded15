"""Secrets stay secret: the bot token and database password never reach a log line."""

from __future__ import annotations

import logging

import pytest

from bot.logs import configure_logging

TOKEN = "123456789:AAEabcdefghijklmnopqrstuvwxyz012345"
PASSWORD = "correct-horse-battery"


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_token_and_password_are_masked_in_messages_and_tracebacks(
    restore_logging: None, capfd: pytest.CaptureFixture[str]
) -> None:
    configure_logging("DEBUG", [TOKEN, PASSWORD])
    log = logging.getLogger("telegram.ext.Updater")
    log.warning("POST https://api.telegram.org/bot%s/getUpdates failed", TOKEN)
    try:
        raise ConnectionError(f"could not connect to postgresql://bot:{PASSWORD}@db/bot")
    except ConnectionError:
        log.exception("database unreachable")
    err = capfd.readouterr().err
    assert "getUpdates failed" in err and "database unreachable" in err
    assert "ConnectionError" in err
    assert TOKEN not in err and PASSWORD not in err
    assert err.count("***") >= 2


def test_request_urls_are_not_logged_at_info(restore_logging: None) -> None:
    configure_logging("INFO", [TOKEN])
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
