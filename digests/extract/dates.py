"""Dates an article mentions, resolved to the calendar when it says enough.

Absolute dates ("May 16", "16 May 2025", "February 2022", "in 2003") resolve on their own, a
day without a year taking the publication's year.  Relative ones ("Monday", "last week",
"yesterday") resolve against the publication time: news copy speaks of the past, so a bare
weekday is the latest such day on or before publication.  Without a publication time they are
kept as written, with no date.
"""

from __future__ import annotations

import datetime as dt
import re

from digests.extract.text import Segment
from digests.models import DateRef

__all__ = ["extract_dates"]

_MONTH_NAMES = {
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
    "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
_WEEKDAYS = {
    "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
    "sunday": 6,
}
_MONTH = (
    r"(?:(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December)|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?)(?![a-z])"
)
_DAY = r"(?:[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?"
_YEAR = r"(?:1[89]\d\d|20\d\d)"

_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    # 2025-05-16
    ("iso", re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>0[1-9]|1[0-2])-(?P<day>[0-3]\d)\b")),
    # May 16, 2025 / May 16
    ("mdy", re.compile(rf"\b(?P<month>{_MONTH})\s+(?P<day>{_DAY})\b(?:,?\s+(?P<year>{_YEAR})\b)?")),
    # 16 May 2025 / 16 May
    ("dmy", re.compile(rf"\b(?P<day>{_DAY})\s+(?P<month>{_MONTH})(?:,?\s+(?P<year>{_YEAR})\b)?")),
    # February 2022
    ("my", re.compile(rf"\b(?P<month>{_MONTH})\s+(?P<year>{_YEAR})\b")),
    # in May, since March (a month alone needs a preposition: "May" is also a verb and a name)
    ("m", re.compile(
        rf"\b(?:in|since|until|by|from|during|last|next|this|early|late|mid-|end of)\s*"
        rf"(?P<month>{_MONTH})(?![\w-])"
    )),
    ("weekday", re.compile(
        r"\b(?:(?P<rel>last|next|this|on|by|until|since|from)\s+)?"
        r"(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
    )),
    ("relative", re.compile(
        r"\b(?P<rel>yesterday|today|tomorrow|(?:last|next|this)\s+(?:week|month|year))\b",
        re.IGNORECASE,
    )),
    ("year", re.compile(
        rf"(?<![\w$£€.,])(?P<year>{_YEAR})(?![\w.,]\d)(?!['’]?s\b)"
        r"(?!\s*(?:%|per cent|km|miles|people|jobs|workers|staff|troops|votes|times)\b)"
    )),
]


# Whether a sentence can hold a date at all (a cheap test before the patterns above).
# A set lookup per word is much cheaper than a regex with many branches.
_LETTERS = re.compile(r"[a-z]+")
_DIGIT = re.compile(r"\d")


_MONTH_WORDS = frozenset(_MONTH_NAMES)
_WEEKDAY_WORDS = frozenset(_WEEKDAYS)
_RELATIVE_WORDS = frozenset({"yesterday", "today", "tomorrow", "week", "month", "year"})


def _possible_kinds(text: str) -> set[str]:
    """Which of the patterns could match ``text`` at all: most sentences hold no date."""
    words = set(_LETTERS.findall(text.lower()))
    digit = _DIGIT.search(text) is not None
    month = not words.isdisjoint(_MONTH_WORDS)
    kinds = set()
    if digit:
        kinds |= {"iso", "year"}
        if month:
            kinds |= {"mdy", "dmy", "my"}
    if month:
        kinds.add("m")
    if not words.isdisjoint(_WEEKDAY_WORDS):
        kinds.add("weekday")
    if not words.isdisjoint(_RELATIVE_WORDS):
        kinds.add("relative")
    return kinds


def _published_date(published: dt.datetime | None) -> dt.date | None:
    return published.date() if published else None


def _day_date(year: int | None, month: int, day: int, pub: dt.date | None) -> dt.date | None:
    if year is None:
        if pub is None:
            return None
        year = pub.year
        # "December 30" in an article of January 2 is last year's.
        try:
            if dt.date(year, month, day) - pub > dt.timedelta(days=200):
                year -= 1
        except ValueError:
            return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _relative(rel: str, pub: dt.date) -> tuple[dt.date, str]:
    rel = " ".join(rel.lower().split())
    if rel == "yesterday":
        return pub - dt.timedelta(days=1), "day"
    if rel == "today":
        return pub, "day"
    if rel == "tomorrow":
        return pub + dt.timedelta(days=1), "day"
    when, unit = rel.split()
    step = {"last": -1, "this": 0, "next": 1}[when]
    if unit == "week":
        monday = pub - dt.timedelta(days=pub.weekday()) + dt.timedelta(weeks=step)
        return monday, "week"
    if unit == "month":
        month_index = pub.year * 12 + pub.month - 1 + step
        return dt.date(month_index // 12, month_index % 12 + 1, 1), "month"
    return dt.date(pub.year + step, 1, 1), "year"


def _weekday(rel: str | None, weekday: str, pub: dt.date) -> dt.date:
    target = _WEEKDAYS[weekday.lower()]
    back = (pub.weekday() - target) % 7
    if rel and rel.lower() == "next":
        return pub + dt.timedelta(days=(target - pub.weekday()) % 7 or 7)
    if rel and rel.lower() == "last" and back == 0:
        back = 7
    return pub - dt.timedelta(days=back)


def _month(name: str) -> int:
    return _MONTH_NAMES[name.lower().rstrip(".")]


def _day(text: str) -> int:
    return int(re.match(r"\d+", text).group(0))  # type: ignore[union-attr]


def extract_dates(sents: list[Segment], published: dt.datetime | None = None) -> list[DateRef]:
    """Every date the body mentions, in reading order, each distinct wording once."""
    pub = _published_date(published)
    found: list[tuple[int, DateRef]] = []
    seen: set[str] = set()
    for sent in sents:
        text = sent.text
        kinds = _possible_kinds(text)
        if not kinds:
            continue
        taken = bytearray(len(text))  # characters a pattern has already read
        for kind, pattern in _PATTERNS:
            if kind not in kinds:
                continue
            for m in pattern.finditer(text):
                if taken.find(1, m.start(), m.end()) != -1:
                    continue
                if kind == "relative" and m.group(0)[0].isupper() and m.start() > 0:
                    continue  # "Radio 4's Today programme" is a name, not a day
                ref = _make(kind, m, pub)
                if ref is None:
                    continue
                taken[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
                if ref.text in seen:
                    continue
                seen.add(ref.text)
                found.append((sent.start + m.start(), ref))
    found.sort(key=lambda item: item[0])
    return [ref for _, ref in found]


def _make(kind: str, m: re.Match[str], pub: dt.date | None) -> DateRef | None:
    groups = m.groupdict()
    if kind == "iso":
        date = _day_date(int(groups["year"]), int(groups["month"]), int(groups["day"]), pub)
        return DateRef(text=m.group(0), date=date, granularity="day") if date else None
    if kind in {"mdy", "dmy"}:
        year = int(groups["year"]) if groups.get("year") else None
        date = _day_date(year, _month(groups["month"]), _day(groups["day"]), pub)
        return DateRef(text=m.group(0), date=date, granularity="day")
    if kind == "my":
        return DateRef(
            text=m.group(0), date=dt.date(int(groups["year"]), _month(groups["month"]), 1),
            granularity="month",
        )
    if kind == "m":
        text = m.group("month")
        date = None
        if pub is not None:
            month = _month(text)
            year = pub.year if month <= pub.month or "next" in m.group(0).lower() else pub.year - 1
            date = dt.date(year, month, 1)
        return DateRef(text=text, date=date, granularity="month")
    if kind == "weekday":
        rel = groups.get("rel")
        text = m.group(0) if rel and rel.lower() in {"last", "next", "this"} else m.group(
            "weekday"
        )
        date = _weekday(rel, groups["weekday"], pub) if pub else None
        return DateRef(text=text, date=date, granularity="day")
    if kind == "relative":
        if pub is None:
            unit = m.group(0).split()[-1].lower()
            return DateRef(text=m.group(0), granularity=unit if unit in {"week", "month", "year"}
                           else "day")
        date, granularity = _relative(m.group(0), pub)
        return DateRef(text=m.group(0), date=date, granularity=granularity)
    if kind == "year":
        return DateRef(text=m.group(0), date=dt.date(int(groups["year"]), 1, 1),
                       granularity="year")
    return None
