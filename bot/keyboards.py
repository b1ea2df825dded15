"""Inline keyboards for /settings, /topics and /quotes, and the callback data they carry.

Callback data is compact text, at most 64 bytes as Telegram requires, ``prefix:action[:arg...]``:

=================  ======================================================================
``st:m``           settings: main screen (``st:t`` time, ``st:z`` zone, ``st:f`` frequency,
                   ``st:q`` quiet hours, ``st:g`` language, ``st:x`` close)
``st:h:W:H``       hour ``H`` picked for time ``W`` (0 first, 1 second): choose the minutes
``st:s:W:M``       set time ``W`` to minute-of-day ``M``; ``st:s:x`` back to the editions' schedule
``st:zs:ZONE``     set the IANA time zone ``ZONE`` (the longest name fits)
``st:fs:F``        frequency ``daily``, ``twice`` or ``weekdays``; ``st:e:NAME`` toggles an edition
``st:qs:S-E``      quiet hours from minute ``S`` to ``E``; ``st:qs:off``
``st:l``           toggle brief/full; ``st:d`` toggle the quote of the day; ``st:gs:CODE`` language
``tp:KEY``         /topics: cycle the topic whose :func:`~digests.preferences.short_key` is KEY
``tp:r``           /topics: refresh
``qp:N[:NAME]``    /quotes page N, optionally only NAME's quotes
=================  ======================================================================

Button labels are macros of ``buttons.html``, so they are reworded (and translated) with the
other texts.
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from digests.preferences import FREQUENCIES, Preferences, format_minute, short_key, utc_offset_label
from digests.render import Renderer

MAX_CALLBACK_BYTES = 64
#: Languages offered for the bot's texts: (code, name in that language).
LANGUAGES: tuple[tuple[str, str], ...] = (("en", "English"), ("uk", "Українська"))
#: Quiet-hour choices, as (start, end) minutes.
QUIET_CHOICES: tuple[tuple[int, int], ...] = (
    (21 * 60, 6 * 60), (22 * 60, 7 * 60), (23 * 60, 8 * 60), (0, 9 * 60),
)
QUICK_ZONES = ("UTC", "Europe/London", "Europe/Kyiv", "America/New_York")
#: The times a personal schedule starts from (minutes of the day): the first, and a second one
#: once it goes out twice a day.
DEFAULT_FIRST, DEFAULT_SECOND = 8 * 60, 18 * 60


def quiet_label(quiet: tuple[int, int] | None) -> str:
    """Quiet hours as ``22:00–07:00``; empty when there are none."""
    if quiet is None:
        return ""
    return f"{format_minute(quiet[0])}–{format_minute(quiet[1])}"


def clip_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, never inside a character."""
    return text.encode()[:limit].decode(errors="ignore")


class Keyboards:
    """Builds keyboards with labels rendered from ``buttons.html``."""

    def __init__(self, renderer: Renderer) -> None:
        self.renderer = renderer

    def label(self, name: str, *args: object) -> str:
        module = self.renderer.env.get_template("buttons.html").module
        text = " ".join(str(getattr(module, name)(*args)).split())
        return text or name

    def button(self, name: str, data: str, *args: object) -> InlineKeyboardButton:
        if len(data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data {data!r} is longer than 64 bytes")
        return InlineKeyboardButton(self.label(name, *args), callback_data=data)

    # -- settings --------------------------------------------------------------------------

    def settings_main(self, prefs: Preferences, language_name: str) -> InlineKeyboardMarkup:
        times = ", ".join(format_minute(m) for m in prefs.active_times)
        return InlineKeyboardMarkup([
            [self.button("time", "st:t", times), self.button("zone", "st:z", prefs.timezone)],
            [self.button("frequency", "st:f", prefs.frequency),
             self.button("quiet", "st:q", quiet_label(prefs.quiet))],
            [self.button("length", "st:l", prefs.length),
             self.button("language", "st:g", language_name)],
            [self.button("quote_of_the_day", "st:d", prefs.quote_of_the_day)],
            [self.button("done", "st:x")],
        ])

    def settings_time(self, prefs: Preferences, which: int) -> InlineKeyboardMarkup:
        rows: list[list[InlineKeyboardButton]] = []
        if prefs.frequency == "twice":
            times = [*prefs.times, DEFAULT_FIRST, DEFAULT_SECOND][:2]
            rows.append([
                self.button("first_time", "st:t:0", ("● " if which == 0 else "")
                            + format_minute(times[0])),
                self.button("second_time", "st:t:1", ("● " if which == 1 else "")
                            + format_minute(times[1])),
            ])
        hours = [self.button("hour", f"st:h:{which}:{h}", h) for h in range(24)]
        rows += [hours[i:i + 6] for i in range(0, 24, 6)]
        if prefs.personal:
            rows.append([self.button("edition_schedule", "st:s:x")])
        rows.append([self.button("back", "st:m")])
        return InlineKeyboardMarkup(rows)

    def settings_minute(self, which: int, hour: int) -> InlineKeyboardMarkup:
        choices = [hour * 60 + m for m in (0, 15, 30, 45)]
        return InlineKeyboardMarkup([
            [self.button("clock", f"st:s:{which}:{m}", format_minute(m)) for m in choices],
            [self.button("back", f"st:t:{which}")],
        ])

    def settings_zones(self, zones: Sequence[str]) -> InlineKeyboardMarkup:
        rows = [[self.button("zone_choice", f"st:zs:{z}", z, utc_offset_label(z))]
                for z in zones]
        rows.append([self.button("back", "st:m")])
        return InlineKeyboardMarkup(rows)

    def settings_zone_prompt(self, current: str) -> InlineKeyboardMarkup:
        quick = list(dict.fromkeys([current, *QUICK_ZONES]))
        return self.settings_zones(quick)

    def settings_frequency(
        self, prefs: Preferences, editions: Sequence[str]
    ) -> InlineKeyboardMarkup:
        chosen = prefs.frequency if prefs.personal else None
        rows = [[self.button("frequency_choice", f"st:fs:{f}", f, f == chosen)
                 for f in FREQUENCIES]]
        if len(editions) > 1:
            rows += [[self.button("edition_choice", f"st:e:{name}", name,
                                  prefs.follows_edition(name))] for name in editions]
        rows.append([self.button("back", "st:m")])
        return InlineKeyboardMarkup(rows)

    def settings_quiet(self, prefs: Preferences) -> InlineKeyboardMarkup:
        rows = [[self.button("quiet_choice", "st:qs:off", "", prefs.quiet is None)]]
        for start, end in QUIET_CHOICES:
            rows.append([self.button("quiet_choice", f"st:qs:{start}-{end}",
                                     quiet_label((start, end)), prefs.quiet == (start, end))])
        rows.append([self.button("back", "st:m")])
        return InlineKeyboardMarkup(rows)

    def settings_language(self, current: str | None) -> InlineKeyboardMarkup:
        rows = [[self.button("language_choice", f"st:gs:{code}", name, code == current)]
                for code, name in LANGUAGES]
        rows.append([self.button("back", "st:m")])
        return InlineKeyboardMarkup(rows)

    # -- topics and quotes -----------------------------------------------------------------

    def topics(self, topics: Sequence[tuple[str, str | None]]) -> InlineKeyboardMarkup:
        """One button per ``(topic, state)``, two to a row; state is ``topic``, ``mute``, None."""
        buttons = [self.button("topic", f"tp:{short_key(name)}", name, state or "")
                   for name, state in topics]
        rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
        rows.append([self.button("refresh", "tp:r")])
        return InlineKeyboardMarkup(rows)

    def quote_pages(
        self, page: int, pages: int, speaker: str | None
    ) -> InlineKeyboardMarkup | None:
        if pages <= 1:
            return None
        row = []
        if page > 1:
            row.append(self.button("previous", _page_data(page - 1, speaker)))
        if page < pages:
            row.append(self.button("next", _page_data(page + 1, speaker)))
        return InlineKeyboardMarkup([row])


def _page_data(page: int, speaker: str | None) -> str:
    """``qp:N:NAME``, the name cut at a word boundary to fit 64 bytes (a full name usually
    fits whole; a cut one still matches its speaker, by fewer words)."""
    prefix = f"qp:{page}"
    if not speaker:
        return prefix
    budget = MAX_CALLBACK_BYTES - len(prefix.encode()) - 1
    name = " ".join(speaker.split())
    if len(name.encode()) > budget:
        cut = clip_bytes(name, budget + 1)
        name = cut.rsplit(" ", 1)[0] if " " in cut else clip_bytes(name, budget)
    return f"{prefix}:{name}"
