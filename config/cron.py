"""Cron expressions as operators write them, turned into APScheduler triggers."""

from __future__ import annotations

from datetime import tzinfo
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger


def cron_trigger(expression: str, timezone: tzinfo) -> CronTrigger:
    """A trigger for a 5-field crontab expression, or 6 fields with seconds first.

    Raises ValueError with APScheduler's explanation when a field is out of range.
    """
    # Imported here so that reading settings stays quick for the command-line tools.
    from apscheduler.triggers.cron import CronTrigger

    fields = expression.split()
    if len(fields) not in (5, 6):
        raise ValueError(f"cron expression {expression!r} needs 5 fields (or 6 with seconds first)")
    second = fields.pop(0) if len(fields) == 6 else "0"
    minute, hour, day, month, day_of_week = fields
    return CronTrigger(
        second=second, minute=minute, hour=hour, day=day, month=month,
        day_of_week=crontab_weekdays(day_of_week), timezone=timezone,
    )


_DAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


def crontab_weekdays(field: str) -> str:
    """Translate a crontab day-of-week field (0 or 7 is Sunday) into day names.

    APScheduler numbers weekdays from Monday = 0, so a crontab's ``1-5`` would silently mean
    Tuesday to Saturday; names mean the same thing to both.
    """
    if field in ("*", "?") or not any(ch.isdigit() for ch in field):
        return field
    days: set[int] = set()
    for item in field.split(","):
        span, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if span in ("*", "?"):
            low, high = 0, 6
        elif "-" in span:
            low_text, high_text = span.split("-", 1)
            low, high = _day_number(low_text), _day_number(high_text)
            if high == 0 and low > 0:
                high = 7  # "5-7" or "mon-sun" runs through Sunday
        else:
            low = high = _day_number(span)
        days.update(d % 7 for d in range(low, high + 1, step))
    return ",".join(_DAY_NAMES[d] for d in sorted(days))


def _day_number(text: str) -> int:
    text = text.strip().lower()
    if text.isdigit():
        number = int(text)
        if number > 7:
            raise ValueError(f"day of week {number} is out of range 0-7")
        return number % 7
    return _DAY_NAMES.index(text[:3])
