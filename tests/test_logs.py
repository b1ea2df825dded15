"""Structured logs: ``LOG_FORMAT=json`` writes one JSON object per line, secrets masked."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.local.server import BotAPIServer
from bot.logs import configure_logging

TOKEN = "123456789:AAEabcdefghijklmnopqrstuvwxyz012345"
PASSWORD = "correct-horse-battery"
REDIS_PASSWORD = "redis-pw-7f3a"


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_json_lines_carry_level_logger_message_extra_and_traceback(
    restore_logging: None, capfd: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", [TOKEN, PASSWORD], "json")
    log = logging.getLogger("bot.delivery")
    log.info("sent %d messages", 3, extra={"chat_id": 42, "edition": "morning"})
    try:
        raise ConnectionError(f"could not connect to postgresql://bot:{PASSWORD}@db/bot")
    except ConnectionError:
        log.exception("database unreachable with token %s", TOKEN)
    log.warning("extra fields are masked too", extra={"url": f"https://x/bot{TOKEN}/getMe"})

    sent, failed, masked = json_lines(capfd.readouterr().err)
    assert sent["level"] == "INFO" and sent["logger"] == "bot.delivery"
    assert sent["message"] == "sent 3 messages"
    assert sent["chat_id"] == 42 and sent["edition"] == "morning"
    assert sent["time"].endswith("Z") and "T" in sent["time"]
    assert failed["level"] == "ERROR" and "ConnectionError" in failed["exception"]
    assert failed["message"] == "database unreachable with token ***"
    assert PASSWORD not in failed["exception"] and "***" in failed["exception"]
    assert masked["url"] == "https://x/bot***/getMe"


async def test_sender_worker_logs_json_without_secrets_and_never_polls(tmp_path: Path) -> None:
    """``WORKER_ROLE=sender LOG_FORMAT=json``: JSON lines only, no secret, no getUpdates."""
    async with BotAPIServer(token=TOKEN) as server:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("TELEGRAM", "DATABASE", "EDITIONS", "WORKER", "LOG_"))}
        env.update(
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=server.base_url,
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}",
            REDIS_URL=f"redis://:{REDIS_PASSWORD}@127.0.0.1:6379/0",
            WORKER_ROLE="sender",
            LOG_FORMAT="json",
            LOG_LEVEL="DEBUG",
        )
        worker = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=tmp_path, env=env,
            stderr=asyncio.subprocess.PIPE,
        )
        assert worker.stderr is not None
        lines: list[str] = []
        async with asyncio.timeout(60):
            while not any("ready" in line for line in lines):
                line = (await worker.stderr.readline()).decode()
                assert line, f"the worker ended early: {lines}"
                lines.append(line)
            await asyncio.sleep(0.5)  # a poller would have called getUpdates by now
            worker.send_signal(signal.SIGTERM)
            _, rest = await worker.communicate()
        text = "".join(lines) + (rest or b"").decode()
    assert worker.returncode == 0, text
    records = json_lines(text)
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    assert any(r["message"] == "scheduler leadership acquired" for r in records)
    assert TOKEN not in text and TOKEN.split(":")[1] not in text
    assert REDIS_PASSWORD not in text
    methods = {r.method for r in server.requests}
    assert "getMe" in methods and "getUpdates" not in methods


def test_request_urls_are_not_logged_at_info(restore_logging: None) -> None:
    """httpx logs every request URL at INFO, and Bot API URLs carry the token."""
    configure_logging("INFO", [TOKEN])
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)


def test_plain_text_lines_mask_secrets_in_messages_and_tracebacks(
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
    assert "getUpdates failed" in err and "ConnectionError" in err
    assert TOKEN not in err and PASSWORD not in err and err.count("***") >= 2
