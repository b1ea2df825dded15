"""What a subscriber chose, and the pure rules that follow from it.

No I/O here: the store loads :class:`Preferences`, the scheduler asks :func:`due_instants` when
a local time of day falls, the composer asks :meth:`Filters.matches` which articles to keep.

Local times are *wall-clock* times in the subscriber's IANA time zone. A wall time means the
instant :pep:`495` gives it with ``fold=0``: on the night clocks go back, 03:30 happens twice
and is delivered at its first occurrence only; on the night they jump forward, 03:30 does not
exist and is delivered one gap later (04:30), never skipped. Every other day it is exactly the
chosen time, summer or winter.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from digests.models import Article

#: Digest lengths: headlines with one line each, or summary, a quote and figures.
LENGTHS = ("full", "brief")
#: How often a subscriber with their own times receives the digest.
FREQUENCIES = ("daily", "twice", "weekdays")
MINUTES_PER_DAY = 24 * 60
#: Each subscriber follows at most this many topics and words (keeps filters and rows small).
MAX_FOLLOWS = 50
MAX_FOLLOW_CHARS = 48

__all__ = [
    "FREQUENCIES",
    "LENGTHS",
    "Filters",
    "Preferences",
    "Slot",
    "due_instants",
    "find_timezones",
    "fold",
    "format_minute",
    "latest_due",
    "parse_time_of_day",
    "parse_utc_offset",
    "quiet_hours_end",
    "select_articles",
    "short_key",
    "wall_to_utc",
]


# --------------------------------------------------------------------------------------------
# Text folding and matching


def fold(text: str) -> str:
    """Case- and accent-insensitive form: ``"Zelenskýy"`` and ``"ZELENSKYY"`` fold alike."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


_WORD = re.compile(r"\w+")


def _words(text: str) -> str:
    """Folded words joined by single spaces, padded so phrase tests match whole words."""
    return " " + " ".join(_WORD.findall(fold(text))) + " "


def short_key(text: str) -> str:
    """Eight hex digits naming ``text`` (folded) in callback data, whatever its length."""
    return hashlib.sha1(fold(" ".join(text.split())).encode()).hexdigest()[:8]


@dataclass(frozen=True)
class Filters:
    """Which articles a subscriber wants.

    With no follows, every article matches; with some, an article matches when it carries a
    followed topic or mentions a followed word (a keyword or a person: ``"Zelenskyy"`` matches
    ``"Volodymyr Zelenskyy"``). A muted topic excludes an article whatever else it matches.
    """

    topics: tuple[str, ...] = ()
    muted: tuple[str, ...] = ()
    words: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.topics or self.muted or self.words)

    def signature(self) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
        """Equal for filters that keep the same articles, to compute each variant once."""
        return (
            frozenset(fold(t) for t in self.topics),
            frozenset(fold(t) for t in self.muted),
            frozenset(_words(w).strip() for w in self.words),
        )

    def matches(self, article: Article) -> bool:
        topics = {fold(t) for t in article.topics}
        if any(fold(t) in topics for t in self.muted):
            return False
        if not (self.topics or self.words):
            return True
        if any(fold(t) in topics for t in self.topics):
            return True
        if not self.words:
            return False
        haystack = _haystack(article)
        return any(
            phrase in haystack for phrase in map(_words, self.words) if phrase.strip()
        )


def _haystack(article: Article) -> str:
    speakers = " ".join(q.speaker or "" for q in article.quotes)
    return _folded_words(article.title, article.summary, article.body, *article.topics, speakers)


# A run matches the same pool of articles against every distinct filter of its chats; folding
# an article's text once, not once per filter, keeps that linear in articles plus filters.
# The size holds the largest pool (50 articles an edition, eight candidates each).
@lru_cache(maxsize=512)
def _folded_words(*texts: str) -> str:
    return _words(" ".join(texts))


def select_articles(pool: Sequence[Article], filters: Filters, count: int) -> list[Article]:
    """The first ``count`` articles of ``pool`` (newest first) that ``filters`` keep."""
    return [a for a in pool if filters.matches(a)][: max(count, 0)]


def search_articles(pool: Sequence[Article], query: str) -> list[Article]:
    """Articles of ``pool`` mentioning every word of ``query`` (any case, any accents)."""
    wanted = _WORD.findall(fold(query))
    if not wanted:
        return []
    phrases = [f" {w} " for w in wanted]
    found = []
    for article in pool:
        haystack = _haystack(article)  # once per article, not once per word
        if all(phrase in haystack for phrase in phrases):
            found.append(article)
    return found


# --------------------------------------------------------------------------------------------
# Preferences


@dataclass(frozen=True)
class Preferences:
    """One subscriber's choices; defaults describe a subscriber who never opened /settings.

    ``times`` are minutes after local midnight; empty means "on the editions' own schedule".
    ``editions`` empty means every edition. ``quiet`` is ``(start, end)`` in minutes, and may
    wrap past midnight (``(22 * 60, 7 * 60)``).
    """

    chat_id: int
    timezone: str = "UTC"
    language: str | None = None
    times: tuple[int, ...] = ()
    frequency: str = "daily"
    editions: tuple[str, ...] = ()
    quiet: tuple[int, int] | None = None
    length: str = "full"
    quote_of_the_day: bool = False
    filters: Filters = field(default_factory=Filters)

    @property
    def personal(self) -> bool:
        """True when the subscriber chose their own delivery times."""
        return bool(self.times)

    @property
    def active_times(self) -> tuple[int, ...]:
        """The times that deliver: both for twice daily, the first one otherwise."""
        return self.times[:2] if self.frequency == "twice" else self.times[:1]

    @property
    def weekdays_only(self) -> bool:
        return self.frequency == "weekdays"

    def follows_edition(self, name: str) -> bool:
        return not self.editions or name in self.editions

    def zone(self) -> ZoneInfo:
        return zone_or_utc(self.timezone)

    def wants_on(self, instant: dt.datetime) -> bool:
        """False on a local Saturday or Sunday for a weekdays-only subscriber."""
        if not self.weekdays_only:
            return True
        return instant.astimezone(self.zone()).weekday() < 5


@lru_cache(maxsize=1024)
def zone_or_utc(name: str | None) -> ZoneInfo:
    """The named zone, or UTC for a name this machine does not know (never raises)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


# --------------------------------------------------------------------------------------------
# Times of day


_TIME = re.compile(r"^\s*(\d{1,2})(?:[:.h](\d{2}))?\s*$")


def parse_time_of_day(text: str) -> int:
    """``"8"``, ``"08:00"``, ``"8.30"`` -> minutes after midnight; ValueError otherwise."""
    match = _TIME.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a time of day like 08:00")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        raise ValueError(f"{text!r} is not a time of day like 08:00")
    return hour * 60 + minute


def format_minute(minute: int) -> str:
    """``480`` -> ``"08:00"``."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


def wall_to_utc(day: dt.date, minute: int, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant local ``day`` at ``minute`` means (``fold=0``, see the module notes)."""
    local = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=zone)
    return local.astimezone(dt.UTC)


@dataclass(frozen=True, order=True)
class Slot:
    """Subscribers who share a time zone, a local delivery minute and a weekday rule."""

    timezone: str
    minute: int
    weekdays_only: bool = False


def due_instants(slot: Slot, after: dt.datetime, until: dt.datetime) -> list[dt.datetime]:
    """The UTC instants in ``(after, until]`` at which ``slot`` is due, oldest first."""
    zone = zone_or_utc(slot.timezone)
    first = after.astimezone(zone).date() - dt.timedelta(days=1)
    last = until.astimezone(zone).date() + dt.timedelta(days=1)
    found = []
    day = first
    while day <= last:
        if not (slot.weekdays_only and day.weekday() >= 5):
            instant = wall_to_utc(day, slot.minute, zone)
            if after < instant <= until:
                found.append(instant)
        day += dt.timedelta(days=1)
    return sorted(found)


def latest_due(slot: Slot, after: dt.datetime, until: dt.datetime) -> dt.datetime | None:
    """The newest instant in ``(after, until]`` at which ``slot`` is due, if any."""
    instants = due_instants(slot, after, until)
    return instants[-1] if instants else None


def in_quiet_hours(minute: int, quiet: tuple[int, int] | None) -> bool:
    """Whether local ``minute`` falls in ``[start, end)``, wrapping past midnight."""
    if quiet is None:
        return False
    start, end = quiet
    if start == end:
        return False
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end


def quiet_hours_end(
    instant: dt.datetime, timezone: str, quiet: tuple[int, int] | None
) -> dt.datetime | None:
    """When quiet hours that ``instant`` falls in end (UTC), or ``None`` if it is not in them."""
    zone = zone_or_utc(timezone)
    local = instant.astimezone(zone)
    minute = local.hour * 60 + local.minute
    if quiet is None or not in_quiet_hours(minute, quiet):
        return None
    end_day = local.date() if minute < quiet[1] else local.date() + dt.timedelta(days=1)
    return wall_to_utc(end_day, quiet[1], zone)


# --------------------------------------------------------------------------------------------
# Time zones by city or offset

_REGIONS = ("Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe",
            "Indian", "Pacific")
# Cities people type that are not the name of their zone.
_ALIASES = {
    "kiev": "Europe/Kyiv", "київ": "Europe/Kyiv", "kyiv": "Europe/Kyiv", "lviv": "Europe/Kyiv",
    "львів": "Europe/Kyiv", "odesa": "Europe/Kyiv", "odessa": "Europe/Kyiv",
    "одеса": "Europe/Kyiv", "kharkiv": "Europe/Kyiv", "харків": "Europe/Kyiv",
    "dnipro": "Europe/Kyiv", "washington": "America/New_York", "boston": "America/New_York",
    "san francisco": "America/Los_Angeles", "seattle": "America/Los_Angeles",
    "beijing": "Asia/Shanghai", "delhi": "Asia/Kolkata", "new delhi": "Asia/Kolkata",
    "mumbai": "Asia/Kolkata", "bangalore": "Asia/Kolkata", "munich": "Europe/Berlin",
    "frankfurt": "Europe/Berlin", "milan": "Europe/Rome", "barcelona": "Europe/Madrid",
    "geneva": "Europe/Zurich", "krakow": "Europe/Warsaw", "st petersburg": "Europe/Moscow",
    "washington dc": "America/New_York", "montreal": "America/Toronto",
}
_OFFSET = re.compile(r"^(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?:[:.]?(\d{2}))?$")


@lru_cache(maxsize=1)
def _city_zones() -> tuple[tuple[str, str], ...]:
    """``(folded city, zone)`` for the zones people live in, in a stable order."""
    zones = sorted(z for z in available_timezones() if z.split("/")[0] in _REGIONS)
    return tuple((fold(z.rsplit("/", 1)[-1].replace("_", " ")), z) for z in zones)


def parse_utc_offset(text: str) -> dt.timedelta | None:
    """``"+3"``, ``"UTC-5"``, ``"+05:30"``, ``"GMT"`` -> an offset; ``None`` if not one."""
    cleaned = fold(text).replace(" ", "")
    if cleaned in ("utc", "gmt", "z"):
        return dt.timedelta(0)
    match = _OFFSET.match(cleaned)
    if match is None:
        return None
    sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
    if hours > 14 or minutes >= 60:
        return None
    offset = dt.timedelta(hours=hours, minutes=minutes)
    return -offset if sign == "-" else offset


def find_timezones(text: str, now: dt.datetime | None = None, limit: int = 8) -> list[str]:
    """IANA zones for what a person typed: a city (``"Kyiv"``, ``"new york"``) or an offset.

    For an offset, zones observing it at ``now`` come first, then the fixed ``Etc/GMT±N``
    zone for whole hours (IANA writes its sign the other way round: UTC+3 is ``Etc/GMT-3``).
    """
    now = now or dt.datetime.now(dt.UTC)
    query = " ".join(fold(text).replace("_", " ").split())
    if not query:
        return []
    offset = parse_utc_offset(query)
    if offset is not None:
        return _zones_at_offset(offset, now, limit)
    found: list[str] = []
    alias = _ALIASES.get(query)
    if alias:
        found.append(alias)
    exact = [z for city, z in _city_zones() if city == query]
    prefix = [z for city, z in _city_zones() if city.startswith(query) and city != query]
    inside = [z for city, z in _city_zones() if query in fold(z) and not city.startswith(query)]
    for zone in (*exact, *prefix, *inside):
        if zone not in found:
            found.append(zone)
    return found[:limit]


def _zones_at_offset(offset: dt.timedelta, now: dt.datetime, limit: int) -> list[str]:
    if offset == dt.timedelta(0):
        fixed = ["UTC"]
    elif offset.total_seconds() % 3600 == 0:
        hours = int(offset.total_seconds() // 3600)
        fixed = [f"Etc/GMT{-hours:+d}"]
    else:
        fixed = []
    fixed = [z for z in fixed if z == "UTC" or z in available_timezones()]
    # A few well-known cities first, so "+2" offers Kyiv before Kaliningrad's neighbours.
    observed = [z for _, z in _city_zones() if now.astimezone(ZoneInfo(z)).utcoffset() == offset]
    popular = [z for z in _POPULAR if z in observed]
    ordered = list(dict.fromkeys([*popular, *observed]))
    return [*ordered[: max(limit - len(fixed), 0)], *fixed]


_POPULAR = (
    "Europe/London", "Europe/Lisbon", "Europe/Berlin", "Europe/Paris", "Europe/Warsaw",
    "Europe/Kyiv", "Europe/Istanbul", "Europe/Moscow", "Asia/Dubai", "Asia/Kolkata",
    "Asia/Shanghai", "Asia/Tokyo", "Australia/Sydney", "America/New_York", "America/Chicago",
    "America/Denver", "America/Los_Angeles", "America/Sao_Paulo", "Africa/Lagos",
    "Africa/Johannesburg",
)


def utc_offset_label(zone: str, now: dt.datetime | None = None) -> str:
    """``"UTC+02:00"``: the zone's offset at ``now``, for buttons and the settings screen."""
    offset = (now or dt.datetime.now(dt.UTC)).astimezone(zone_or_utc(zone)).utcoffset()
    total = int((offset or dt.timedelta(0)).total_seconds() // 60)
    sign = "+" if total >= 0 else "-"
    return f"UTC{sign}{abs(total) // 60:02d}:{abs(total) % 60:02d}"


def unique_folded(values: Iterable[str]) -> list[str]:
    """``values`` without repeats that differ only in case or accents, first spelling kept."""
    seen: set[str] = set()
    kept = []
    for value in values:
        key = fold(value)
        if key and key not in seen:
            seen.add(key)
            kept.append(value)
    return kept
