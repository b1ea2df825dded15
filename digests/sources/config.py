"""Source definitions: which feeds, pages and folders to poll, how often, with which topics.

Sources come from the ``SOURCES`` setting (a JSON list) and from the file ``SOURCES_FILE``
names (YAML, TOML or JSON)::

    # sources.yaml
    sources:
      - name: Riverton Herald
        kind: feed
        location: https://herald.example/rss.xml
        interval: 15m
        topics: [local]
      - name: Inbox
        kind: folder
        location: ./articles

A folder's relative location is taken from the sources file's own folder.
"""

from __future__ import annotations

import json
import re
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from config import Settings
from config.settings import redact_url
from digests.errors import DigestsError


class SourceConfigError(DigestsError):
    """The source definitions are unusable; the message names the place and the problem."""


class SourceKind(StrEnum):
    """What a source is: a folder of article files, an RSS/Atom feed, or one web page."""

    FOLDER = "folder"
    FEED = "feed"
    PAGE = "page"


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|hr|d)?\s*$", re.I)
_UNIT_SECONDS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400}


def parse_interval(value: Any) -> int:
    """Seconds from ``900``, ``"900"``, ``"15m"``, ``"1h"`` or ``"1d"``."""
    if isinstance(value, bool):
        raise ValueError("must be a number of seconds or a duration like 15m")
    if isinstance(value, int | float):
        return int(value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"{value!r} is not a duration (use seconds, or 30s, 15m, 2h, 1d)")
    number, unit = float(match.group(1)), (match.group(2) or "s").lower()
    return int(number * _UNIT_SECONDS[unit])


class SourceSpec(BaseModel):
    """One source as an operator defines it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=100, description="Shown to readers as the outlet.")
    kind: SourceKind
    location: str = Field(min_length=1, description="Folder path, or the feed's or page's URL.")
    interval: int | None = Field(
        default=None, ge=10, le=7 * 24 * 3600, description="Seconds between polls."
    )
    topics: list[str] = Field(default_factory=list, description="Added to every article.")

    @field_validator("name")
    @classmethod
    def _tidy_name(cls, value: str) -> str:
        name = " ".join(value.split())
        if not name:
            raise ValueError("must not be blank")
        return name

    @field_validator("interval", mode="before")
    @classmethod
    def _interval(cls, value: Any) -> Any:
        return None if value is None else parse_interval(value)

    @field_validator("topics", mode="before")
    @classmethod
    def _topics(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [t.strip() for t in value.split(",") if t.strip()]
        return value

    def check_location(self) -> SourceSpec:
        """Refuse a feed or page that is not an http(s) URL."""
        if self.kind is not SourceKind.FOLDER:
            parts = urlsplit(self.location)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                shown = redact_url(self.location)
                raise ValueError(f"a {self.kind.value} needs an http(s) URL, not {shown!r}")
        return self

    @property
    def shown_location(self) -> str:
        """The location fit for logs and listings: a password in a URL is masked."""
        return self.location if self.kind is SourceKind.FOLDER else redact_url(self.location)

    @property
    def host(self) -> str:
        """The web host polled (``""`` for folders): politeness limits are per host."""
        return "" if self.kind is SourceKind.FOLDER else urlsplit(self.location).netloc.lower()


def parse_sources(data: Any, origin: str, base_dir: Path | None = None) -> list[SourceSpec]:
    """Validate a list of source objects (or ``{"sources": [...]}``) read from ``origin``."""
    if isinstance(data, dict) and "sources" in data:
        data = data["sources"]
    if data is None:
        return []
    if not isinstance(data, list):
        raise SourceConfigError(f"{origin}: expected a list of sources")
    specs = []
    for index, item in enumerate(data):
        where = f"{origin}[{index}]"
        if not isinstance(item, dict):
            raise SourceConfigError(f"{where}: expected a source object, got {type(item).__name__}")
        if isinstance(item.get("name"), str):
            where = f"{origin}: source {item['name']!r}"
        try:
            spec = SourceSpec.model_validate(item).check_location()
        except ValidationError as exc:
            problem = exc.errors(include_input=False, include_url=False)[0]
            field = ".".join(str(p) for p in problem["loc"]) or "source"
            message = problem["msg"].removeprefix("Value error, ")
            raise SourceConfigError(f"{where}: {field}: {message}") from None
        except ValueError as exc:
            raise SourceConfigError(f"{where}: {exc}") from None
        if spec.kind is SourceKind.FOLDER and base_dir is not None:
            folder = Path(spec.location).expanduser()
            if not folder.is_absolute():
                spec = spec.model_copy(update={"location": str(base_dir / folder)})
        specs.append(spec)
    return specs


def read_sources_file(path: Path) -> list[SourceSpec]:
    """Read source definitions from a YAML, TOML or JSON file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SourceConfigError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise SourceConfigError(f"{path}: not UTF-8 text") from None
    suffix = path.suffix.lower()
    try:
        if suffix == ".toml":
            data: Any = tomllib.loads(text)
        elif suffix == ".json":
            data = json.loads(text)
        else:
            data = yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        kind = {".toml": "TOML", ".json": "JSON"}.get(suffix, "YAML")
        raise SourceConfigError(f"{path}: invalid {kind}: {first}") from None
    return parse_sources(data, str(path), base_dir=path.resolve().parent)


def load_sources(settings: Settings) -> list[SourceSpec]:
    """Every source the settings define: ``SOURCES`` first, then ``SOURCES_FILE``.

    Raises :class:`SourceConfigError` naming the setting or file and the problem; names must
    be unique, because a source's state and its articles' outlet are keyed by name.
    """
    specs = parse_sources(settings.sources, "SOURCES")
    if settings.sources_file is not None:
        specs += read_sources_file(settings.sources_file)
    seen: set[str] = set()
    for spec in specs:
        if spec.name.casefold() in seen:
            raise SourceConfigError(f"source name {spec.name!r} is used twice")
        seen.add(spec.name.casefold())
    return specs
