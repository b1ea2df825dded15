"""RSS and Atom feeds: their entries, each a link to a page worth reading.

feedparser reads both formats and survives most broken XML; this module turns its result into
:class:`FeedEntry` values and says, entry by entry, what could not be used and why. feedparser
is only ever given bytes already fetched, so it never opens a URL itself.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

import feedparser

from digests.errors import SourceError
from digests.sources.files import html_to_text

#: At most this many entries are read per poll; feeds list their newest first.
MAX_ENTRIES = 300


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One usable feed entry."""

    key: str
    url: str
    title: str
    published_at: dt.datetime | None
    #: The entry's own text (content or summary), used when its page cannot be read.
    text: str
    #: Changes when the entry does: a new version is fetched again.
    fingerprint: str


@dataclass
class ParsedFeed:
    """A feed's usable entries and one line per entry that was skipped or doubtful."""

    title: str
    entries: list[FeedEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def parse_feed(content: bytes, url: str) -> ParsedFeed:
    """Read a fetched RSS or Atom document; raise :class:`SourceError` if it is not a feed."""
    parsed: Any = feedparser.parse(content, sanitize_html=False, resolve_relative_uris=False)
    if not parsed.entries and (parsed.bozo or not parsed.version):
        reason = _describe(parsed.get("bozo_exception")) if parsed.bozo else "no entries"
        raise SourceError(f"{url}: not a readable RSS or Atom feed ({reason})")
    feed = ParsedFeed(title=str(parsed.feed.get("title") or ""))
    if parsed.bozo:
        # Recoverable damage: say so once, then use what feedparser could read.
        feed.problems.append(f"{url}: feed XML is damaged ({_describe(parsed.bozo_exception)});"
                             " reading what survives")
    for index, entry in enumerate(parsed.entries[:MAX_ENTRIES]):
        where = f"{url} entry {index + 1}"
        link = str(entry.get("link") or "").strip()
        title = " ".join(str(entry.get("title") or "").split())
        if not link.startswith(("http://", "https://")):
            label = f" “{title}”" if title else ""
            feed.problems.append(f"{where}{label}: no http(s) link, skipped")
            continue
        if not title:
            feed.problems.append(f"{where} ({link}): no title, skipped")
            continue
        published = _when(entry, "published") or _when(entry, "updated")
        raw_date = _field(entry, "published") or _field(entry, "updated")
        if raw_date and published is None:
            feed.problems.append(f"{where} ({link}): unreadable date {raw_date!r}, kept undated")
        text = _entry_text(entry)
        version = "|".join(
            str(part or "")
            for part in (_field(entry, "updated"), _field(entry, "published"), title)
        ) + "|" + hashlib.sha1(text.encode()).hexdigest()[:12]
        feed.entries.append(
            FeedEntry(
                key=str(entry.get("id") or link),
                url=link,
                title=title,
                published_at=published,
                text=text,
                fingerprint=hashlib.sha1(version.encode()).hexdigest(),
            )
        )
    if parsed.bozo and not feed.entries:
        reason = _describe(parsed.get("bozo_exception"))
        raise SourceError(f"{url}: not a readable RSS or Atom feed ({reason})")
    return feed


def _field(entry: Any, name: str) -> Any:
    # dict.get, not entry.get: feedparser maps a missing "updated" to "published" with a
    # deprecation warning, and here the two must stay apart.
    return dict.get(entry, name)


def _when(entry: Any, name: str) -> dt.datetime | None:
    value = _field(entry, f"{name}_parsed")
    if not value:
        return None
    try:
        return dt.datetime.fromtimestamp(calendar.timegm(value), dt.UTC)
    except (OverflowError, ValueError, TypeError):
        return None


def _entry_text(entry: Any) -> str:
    contents = entry.get("content") or []
    html = str(contents[0].get("value") or "") if contents else ""
    html = html or str(entry.get("summary") or "")
    if not html:
        return ""
    if "<" not in html:
        return " ".join(html.split())
    # A placeholder title keeps html_to_text from taking the first paragraph as the headline.
    return html_to_text(f"<title>-</title><body>{html}</body>")[1]


def _describe(exc: Any) -> str:
    if exc is None:
        return "unknown error"
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
