"""Webhook mode: PTB's webhook server on 127.0.0.1 behind the secret-token check.

The application registers its webhook with the embedded Bot API server (``setWebhook``), then
the test plays Telegram and posts updates to it, with and without the secret header.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.app import build_application, running
from bot.local.server import BotAPIServer
from bot.webhook import WebhookNotConfigured, WebhookOptions
from config import ConfigError, Settings, load_settings

pytest.importorskip("tornado", reason="webhook mode needs python-telegram-bot[webhooks]")

TOKEN = "4343:webhook-test-token"
SECRET = "s3cret_Token-42"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
PUBLIC_URL = "https://bot.example.test/telegram/updates"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_settings(tmp_path: Path, port: int) -> Settings:
    return load_settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
        webhook_url=PUBLIC_URL,
        webhook_secret=SECRET,
        webhook_listen="127.0.0.1",
        port=port,
    )


@pytest.fixture
async def server() -> AsyncIterator[BotAPIServer]:
    async with BotAPIServer(token=TOKEN) as api:
        yield api


async def test_webhook_accepts_only_requests_with_the_secret(
    server: BotAPIServer, tmp_path: Path
) -> None:
    port = free_port()
    settings = make_settings(tmp_path, port)
    options = WebhookOptions.from_settings(settings)
    app = build_application(settings, token=TOKEN, base_url=server.base_url)
    endpoint = f"http://127.0.0.1:{port}/telegram/updates"
    async with running(app, webhook=options) as services, httpx.AsyncClient() as client:
        [registered] = [r for r in server.requests if r.method == "setWebhook"]
        assert registered.ok
        assert registered.params["url"] == PUBLIC_URL
        assert registered.params["secret_token"] == SECRET
        _, info = await server.call("getWebhookInfo")
        assert info["result"]["url"] == PUBLIC_URL

        # The chat becomes known to the local cloud; the update itself is posted by the test.
        update = server.user_sends(77, "/start")
        server.world.updates.clear()
        body = json.dumps(update)
        headers = {"Content-Type": "application/json"}

        missing = await client.post(endpoint, content=body, headers=headers)
        wrong = await client.post(endpoint, content=body, headers={**headers, HEADER: "guess"})
        assert (missing.status_code, wrong.status_code) == (403, 403)
        with pytest.raises(TimeoutError):
            await server.wait_for_messages(77, 1, timeout=0.5)
        assert await services.store.get_subscriber(77) is None

        accepted = await client.post(endpoint, content=body, headers={**headers, HEADER: SECRET})
        assert accepted.status_code == 200
        [greeting] = await server.wait_for_messages(77, 1, timeout=5)
        assert "subscribed" in greeting.text
        subscriber = await services.store.get_subscriber(77)
        assert subscriber is not None and subscriber.active

        # Nothing else answers on other paths.
        elsewhere = await client.post(
            f"http://127.0.0.1:{port}/other", content=body, headers={**headers, HEADER: SECRET}
        )
        assert elsewhere.status_code == 404
    assert [r.method for r in server.requests if r.method == "getUpdates"] == []


def test_webhook_settings_are_checked_by_name() -> None:
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET: is required"):
        load_settings(_env_file=None, webhook_url=PUBLIC_URL)
    with pytest.raises(ConfigError, match="WEBHOOK_URL: must be the public https://"):
        load_settings(_env_file=None, webhook_url="http://bot.example.test/x", webhook_secret="a")
    with pytest.raises(ConfigError, match="WEBHOOK_SECRET: must be") as bad:
        load_settings(_env_file=None, webhook_url=PUBLIC_URL, webhook_secret="no spaces!")
    assert "no spaces" not in str(bad.value)
    with pytest.raises(WebhookNotConfigured):
        WebhookOptions.from_settings(load_settings(_env_file=None))


def test_webhook_secret_never_shows() -> None:
    settings = load_settings(_env_file=None, webhook_url=PUBLIC_URL, webhook_secret=SECRET)
    options = WebhookOptions.from_settings(settings)
    assert SECRET not in repr(options) and SECRET not in repr(settings)
    assert SECRET in settings.secrets()  # so the log filter redacts it
    assert options.url_path == "telegram/updates"


def test_web_process_without_webhook_settings_explains(tmp_path: Path) -> None:
    env = {
        key: value for key, value in os.environ.items()
        if not key.upper().startswith(("WEBHOOK_", "TELEGRAM_"))
    }
    env["TELEGRAM_BOT_TOKEN"] = "4343:abcdefghijklmnopqrstuvwxyz"
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--webhook"], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    assert "WEBHOOK_URL" in result.stderr
    assert "abcdefghijklmnopqrstuvwxyz" not in result.stderr


def test_procfile_has_a_web_process() -> None:
    procfile = (Path(__file__).resolve().parents[1] / "Procfile").read_text().splitlines()
    processes = dict(line.split(":", 1) for line in procfile if ":" in line)
    assert processes["worker"].strip() == "python -m bot"
    assert processes["web"].strip() == "python -m bot --webhook"
