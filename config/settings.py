"""The bot's settings: the only place that reads the environment and ``.env``."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from config.cron import cron_trigger

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/digestbot.sqlite3"
DEFAULT_API_URL = "https://api.telegram.org/bot"
_TOKEN_SHAPE = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{20,}$")
_WEBHOOK_SECRET_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,256}")


class ConfigError(Exception):
    """A setting has a bad value; the message names the variable and never echoes secrets."""


class Edition(BaseModel):
    """A digest published on a schedule: when, with which template, how many articles."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    cron: str
    template: str = "digest.html"
    articles: int = Field(default=5, ge=1, le=50)
    timezone: str | None = None

    @field_validator("cron")
    @classmethod
    def _check_cron(cls, value: str) -> str:
        # Five fields is standard crontab; six puts seconds first, as APScheduler allows.
        try:
            cron_trigger(value, dt.UTC)
        except ValueError as exc:
            raise ValueError(f"cron expression {value!r}: {exc}") from None
        return " ".join(value.split())

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str | None) -> str | None:
        return None if value is None else check_timezone(value)


def check_timezone(name: str) -> str:
    """Return ``name`` if it is an IANA time zone this machine knows, else raise ValueError."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name like Europe/Kyiv)"
        ) from None
    return name


def _secret_text(value: Any) -> str | None:
    """A secret setting's text, stripped; ``None`` when it is unset or blank."""
    raw = value.get_secret_value() if isinstance(value, SecretStr) else value
    if raw is None:
        return None
    return str(raw).strip() or None


def parse_editions(text: str) -> list[dict[str, Any]]:
    """Read editions from JSON or from the compact ``name=cron[|template[|count]]; ...`` form."""
    text = text.strip()
    if not text:
        return []
    if text.startswith("["):
        return json.loads(text)
    editions = []
    for chunk in filter(None, (c.strip() for c in text.split(";"))):
        name, sep, rest = chunk.partition("=")
        if not sep:
            raise ValueError(f"edition {chunk!r} should look like name=cron")
        cron, *extra = (part.strip() for part in rest.split("|"))
        item: dict[str, Any] = {"name": name.strip(), "cron": cron}
        if extra and extra[0]:
            item["template"] = extra[0]
        if len(extra) > 1 and extra[1]:
            item["articles"] = extra[1]
        editions.append(item)
    return editions


class Settings(BaseSettings):
    """Everything an operator can set, from environment variables or a ``.env`` file."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = DEFAULT_API_URL
    database_url: SecretStr = SecretStr(DEFAULT_DATABASE_URL)
    admin_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    timezone: str = "UTC"
    articles_dir: Path | None = None
    templates_dir: Path | None = None
    editions: Annotated[list[Edition], NoDecode] = Field(
        default_factory=lambda: [Edition(name="morning", cron="0 8 * * *")]
    )
    log_level: str = "INFO"
    # -- delivery: Telegram's limits (0 disables the global one: local servers, benchmarks) --
    delivery_rate: float = Field(default=30.0, ge=0, le=1000)
    delivery_private_per_second: float = Field(default=1.0, gt=0, le=30)
    delivery_group_per_minute: float = Field(default=20.0, gt=0, le=1200)
    delivery_max_attempts: int = Field(default=5, ge=1, le=100)
    delivery_concurrency: int = Field(default=32, ge=1, le=256)
    # -- scale-out and operations (several workers on PostgreSQL) ----------------------------
    log_format: Literal["text", "json"] = "text"
    worker_role: Literal["all", "poller", "sender"] = "all"
    redis_url: SecretStr | None = None
    metrics_port: int | None = Field(default=None, ge=0, le=65535)  # 0: any free port
    metrics_host: str = "127.0.0.1"
    leader_retry: float = Field(default=5.0, gt=0, le=300)
    # -- sources (feeds, pages, folders) -----------------------------------------------------
    sources_file: Path | None = None
    # A JSON list of source objects; checked in full by digests.sources.config.
    sources: Annotated[list[dict[str, Any]], NoDecode] = Field(default_factory=list)
    poll_interval: int = Field(default=900, ge=10, le=7 * 24 * 3600)
    fetch_timeout: float = Field(default=20.0, gt=0, le=600)
    fetch_user_agent: str = Field(
        default="digestbot/0.1 (Telegram news digest bot; polite polling)", min_length=3
    )
    fetch_per_host: int = Field(default=2, ge=1, le=16)
    max_article_bytes: int = Field(default=2_000_000, ge=1024)
    max_feed_bytes: int = Field(default=10_000_000, ge=1024)
    ingest_processes: int = Field(default=2, ge=0, le=64)
    webhook_url: str | None = None
    # Checked even when unset, so a WEBHOOK_URL without a secret is refused by name.
    webhook_secret: SecretStr | None = Field(default=None, validate_default=True)
    webhook_listen: str = "0.0.0.0"
    port: int = Field(default=8443, ge=1, le=65535)
    commands_per_minute: int = Field(default=20, ge=1, le=10_000)
    # Days the outbox keeps finished deliveries and spent digests; 0 keeps everything.
    retention_days: int = Field(default=30, ge=0, le=3650)

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _check_token(cls, value: Any) -> Any:
        raw = _secret_text(value)
        if raw is not None and not _TOKEN_SHAPE.match(raw):
            # Never repeat the value: a near-miss token is still a secret.
            raise ValueError("does not look like a bot token (digits, a colon, then the secret)")
        return raw

    @field_validator("articles_dir", "templates_dir", "sources_file", mode="before")
    @classmethod
    def _blank_path_is_unset(cls, value: Any) -> Any:
        # `ARTICLES_DIR=` in .env means "none", not the current directory.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("telegram_api_url")
    @classmethod
    def _check_api_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL such as http://127.0.0.1:8081/bot")
        return value

    @field_validator("database_url", mode="before")
    @classmethod
    def _check_database_url(cls, value: Any) -> Any:
        raw = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        scheme = raw.split("://", 1)[0] if "://" in raw else ""
        if not scheme.startswith(("sqlite", "postgresql", "postgres")):
            raise ValueError("must be a sqlite+aiosqlite:// or postgresql+asyncpg:// URL")
        if scheme in ("postgres", "postgresql"):
            # Heroku-style URLs name no driver; the store is async, so pick asyncpg.
            raw = "postgresql+asyncpg://" + raw.split("://", 1)[1]
        return raw

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_admins(cls, value: Any) -> Any:
        if isinstance(value, str):
            items = [v for v in re.split(r"[,\s]+", value.strip()) if v]
            if not all(re.fullmatch(r"-?\d+", v) for v in items):
                raise ValueError("must be Telegram user ids separated by commas, like 123,456")
            return [int(v) for v in items]
        return value

    @field_validator("timezone")
    @classmethod
    def _check_tz(cls, value: str) -> str:
        return check_timezone(value)

    @field_validator("editions", mode="before")
    @classmethod
    def _parse_editions(cls, value: Any) -> Any:
        if isinstance(value, str):
            try:
                return parse_editions(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"is not valid JSON ({exc.msg})") from None
        return value

    @field_validator("editions")
    @classmethod
    def _unique_editions(cls, value: list[Edition]) -> list[Edition]:
        names = [e.name for e in value]
        if len(names) != len(set(names)):
            raise ValueError("edition names must be unique")
        return value

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        level = value.upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return level

    @field_validator("log_format", "worker_role", mode="before")
    @classmethod
    def _lower_choice(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("redis_url", mode="before")
    @classmethod
    def _check_redis_url(cls, value: Any) -> Any:
        raw = _secret_text(value)
        if raw is not None and not raw.startswith(("redis://", "rediss://", "unix://")):
            # The value may carry a password: never repeat it.
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return raw

    @field_validator("webhook_url", mode="before")
    @classmethod
    def _check_webhook_url(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        parts = urlsplit(str(value).strip())
        if parts.scheme != "https" or not parts.netloc:
            raise ValueError("must be the public https:// URL Telegram posts updates to")
        return str(value).strip()

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _check_webhook_secret(cls, value: Any, info: ValidationInfo) -> Any:
        raw = _secret_text(value)
        if raw is None:
            if info.data.get("webhook_url"):
                raise ValueError("is required when WEBHOOK_URL is set")
            return None
        # Telegram's rule for secret_token; the value itself is never repeated.
        if not _WEBHOOK_SECRET_SHAPE.fullmatch(raw):
            raise ValueError("must be 1-256 characters: letters, digits, _ and -")
        return raw

    @field_validator("sources", mode="before")
    @classmethod
    def _parse_sources(cls, value: Any) -> Any:
        if isinstance(value, str):
            if not value.strip():
                return []
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"is not valid JSON ({exc.msg})") from None
        if not isinstance(value, list):
            raise ValueError("must be a JSON list of sources")
        return value

    @property
    def local_mode(self) -> bool:
        """No token means the bot talks to its embedded Bot API server."""
        return self.telegram_bot_token is None

    @property
    def retention(self) -> dt.timedelta | None:
        """How long the outbox keeps its history (``RETENTION_DAYS``); ``None``: for ever."""
        return dt.timedelta(days=self.retention_days) if self.retention_days else None

    @property
    def database_url_value(self) -> str:
        return self.database_url.get_secret_value()

    def redacted_database_url(self) -> str:
        """The database URL with any password replaced, safe for logs."""
        return redact_url(self.database_url_value)

    def secrets(self) -> list[str]:
        """Values that must never reach a log line."""
        out = []
        if self.redis_url is not None:
            redis_password = urlsplit(self.redis_url.get_secret_value()).password
            if redis_password:
                out.append(redis_password)
        if self.telegram_bot_token is not None:
            out.append(self.telegram_bot_token.get_secret_value())
        password = urlsplit(self.database_url_value).password
        if password:
            out.append(password)
        if self.webhook_secret is not None:
            out.append(self.webhook_secret.get_secret_value())
        return out


def redact_url(url: str) -> str:
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def describe_error(error: ValidationError) -> str:
    """Turn a validation error into one line per bad variable, naming it and what is wrong."""
    lines = []
    for item in error.errors(include_input=False, include_url=False):
        loc = [str(p) for p in item["loc"]]
        variable = loc[0].upper() if loc else "SETTINGS"
        where = "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in loc[1:])
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{variable}{where}: {message}")
    return "\n".join(lines)


def load_settings(**overrides: Any) -> Settings:
    """Read settings, raising :class:`ConfigError` with a readable message if any is bad."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(describe_error(exc)) from None
