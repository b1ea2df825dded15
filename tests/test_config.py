"""Settings: defaults, parsing, one clear line per bad variable, and no secret in any output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from config import ConfigError, load_settings

TOKEN = "123456789:AAEabcdefghijklmnopqrstuvwxyz012345"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_URL", "DATABASE_URL", "ADMIN_IDS",
                 "TIMEZONE", "ARTICLES_DIR", "EDITIONS", "LOG_LEVEL", "TEMPLATES_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_are_local_mode_on_sqlite() -> None:
    settings = load_settings()
    assert settings.local_mode
    assert settings.database_url_value.startswith("sqlite+aiosqlite:///")
    assert settings.timezone == "UTC"
    assert [e.name for e in settings.editions] == ["morning"]


def test_compact_editions_and_admins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDITIONS", "morning=0 8 * * *; evening=30 18 * * 1-5|digest.html|3")
    monkeypatch.setenv("ADMIN_IDS", "12, 34")
    settings = load_settings()
    assert [(e.name, e.cron, e.articles) for e in settings.editions] == [
        ("morning", "0 8 * * *", 5), ("evening", "30 18 * * 1-5", 3)]
    assert settings.admin_ids == [12, 34]


def test_json_editions_from_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        'EDITIONS=[{"name": "kyiv", "cron": "0 7 * * *", "timezone": "Europe/Kyiv"}]\n'
    )
    edition = load_settings().editions[0]
    assert (edition.name, edition.timezone) == ("kyiv", "Europe/Kyiv")


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("TIMEZONE", "Mars/Olympus", "TIMEZONE: unknown time zone 'Mars/Olympus'"),
        ("EDITIONS", "morning=8 * *", "EDITIONS[0].cron: cron expression"),
        ("EDITIONS", "morning=0 25 * * *", "EDITIONS[0].cron: cron expression '0 25 * * *'"),
        ("EDITIONS", "morning=0 8 * * 9", "EDITIONS[0].cron: cron expression"),
        ("EDITIONS", "[{", "EDITIONS: is not valid JSON"),
        ("ADMIN_IDS", "alice", "ADMIN_IDS: must be Telegram user ids"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL: must be a sqlite"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL: must be DEBUG"),
        ("TELEGRAM_API_URL", "ftp://x", "TELEGRAM_API_URL: must be an http(s) URL"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value).startswith(expected)
    assert len(str(info.value).splitlines()) == 1


def test_token_is_never_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("DATABASE_URL", "postgresql://bot:hunter2secret@127.0.0.1/db")
    settings = load_settings()
    assert not settings.local_mode
    for text in (repr(settings), str(settings), settings.redacted_database_url()):
        assert TOKEN not in text and "hunter2secret" not in text
    assert settings.database_url_value.startswith("postgresql+asyncpg://")


def test_malformed_token_is_refused_without_echo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "oops-" + TOKEN)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "TELEGRAM_BOT_TOKEN" in str(info.value) and TOKEN not in str(info.value)


def test_worker_stops_with_one_line_and_no_secret(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "TELEGRAM_BOT_TOKEN": "x" + TOKEN, "TIMEZONE": "Nowhere/Land"}
    result = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("Configuration error: TELEGRAM_BOT_TOKEN")
    assert "TIMEZONE: unknown time zone" in result.stderr
    assert TOKEN not in result.stderr + result.stdout


def test_blank_folders_mean_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARTICLES_DIR", "")
    monkeypatch.setenv("TEMPLATES_DIR", "  ")
    settings = load_settings()
    assert settings.articles_dir is None and settings.templates_dir is None


def test_unreachable_bot_api_ends_with_one_clear_line(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "TELEGRAM_BOT_TOKEN": TOKEN,
           "TELEGRAM_API_URL": "http://127.0.0.1:9/bot",
           "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"}
    result = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=120,
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Cannot reach the Telegram Bot API at http://127.0.0.1:9/bot")
    # python-telegram-bot logs its own traceback of the failed getMe before that line.
    assert TOKEN not in result.stderr + result.stdout
