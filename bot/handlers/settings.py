"""/settings: one message with inline buttons, edited in place as the subscriber taps.

Time zones can also be typed: after "🌍" the next plain message in a private chat is searched as
a city or a UTC offset, and the matches come back as buttons.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import ContextTypes

from bot.handlers import general
from bot.handlers.common import clean_arg, ensure_chat, refuse_press
from bot.keyboards import (
    DEFAULT_FIRST,
    DEFAULT_SECOND,
    LANGUAGES,
    QUIET_CHOICES,
    Keyboards,
    quiet_label,
)
from bot.language import renderer_for
from bot.services import Services, get_services, reply
from config.settings import check_timezone
from digests.preferences import (
    FREQUENCIES,
    Preferences,
    find_timezones,
    format_minute,
    utc_offset_label,
)
from digests.render import Renderer
from digests.schedule import describe_schedule

log = logging.getLogger(__name__)

PATTERN = r"^st:"


class Refused(ValueError):
    """A tap that cannot be applied; ``key`` names the explanation in settings_menu.html."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


#: How long after 🌍 plain text in the chat is still read as a time zone search.
ZONE_SEARCH_TTL = dt.timedelta(hours=1)


def zone_search_key(chat_id: int) -> str:
    """The pending-action key of an open time zone search (any worker may get the answer)."""
    return f"zone-search:{chat_id}"


async def settings(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Send the settings message with its main keyboard."""
    chat = update.effective_chat
    if chat is None or update.effective_message is None:
        return
    services = get_services(context)
    text, markup = await render_screen(
        services, await renderer_for(update, context), chat.id, "main"
    )
    await reply(update, [text], markup)


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Apply one tap and edit the settings message to show the result."""
    query = update.callback_query
    chat = update.effective_chat
    if query is None or chat is None or query.data is None:
        return
    services = get_services(context)
    if not await may_change(update, context):
        await refuse_press(update, context, "group_admins_only")
        return
    await ensure_chat(update, context)
    parts = query.data.split(":")
    action, args = parts[1] if len(parts) > 1 else "m", parts[2:]
    try:
        screen, extra = await apply(services, chat.id, action, args)
    except Refused as exc:
        screen, extra = "main", {"problem": exc.key}
    except ValueError as exc:
        # A stale or hand-made button: show the settings as they are.
        log.info("settings tap %r refused: %s", query.data, exc)
        screen, extra = "main", {"problem": "stale"}
    # Rendered after applying the tap: a new language choice shows at once.
    renderer = await renderer_for(update, context)
    text, markup = await render_screen(services, renderer, chat.id, screen, **extra)
    await query.answer()
    await edit(query, text, markup)


async def may_change(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Anyone changes a private chat's settings; in groups only its admins (and bot admins)."""
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None:
        return False
    if chat.type == "private" or get_services(context).is_admin(user.id):
        return True
    if chat.type == "channel":
        return False  # a channel's editions are managed with /publish_to
    try:
        member = await context.bot.get_chat_member(chat.id, user.id)
    except TelegramError:
        return False
    return member.status in ("administrator", "creator")


async def apply(
    services: Services, chat_id: int, action: str, args: list[str]
) -> tuple[str, dict[str, Any]]:
    """Carry out ``action``; returns the screen to show next and its extra context."""
    store = services.store
    if action == "z":
        await store.put_pending(zone_search_key(chat_id), True, ZONE_SEARCH_TTL)
        return "zone", {}
    # Any other press closes a search left open.
    await store.drop_pending(zone_search_key(chat_id))
    tz = services.settings.timezone
    prefs = await store.get_preferences(chat_id, tz)
    if action == "t":
        return "time", {"which": _which(args)}
    if action == "h":
        return "minute", {"which": _which(args), "hour": _number(args[1:], 0, 23)}
    if action == "s":
        if args[:1] == ["x"]:
            await store.update_preferences(chat_id, default_timezone=tz, times=[])
            return "main", {}
        which, minute = _which(args), _number(args[1:], 0, 24 * 60 - 1)
        times = list(prefs.times) or [DEFAULT_FIRST]
        if which == 1:
            times = [times[0], minute]
        else:
            times[0] = minute
        await store.update_preferences(chat_id, default_timezone=tz, times=times)
        return "main", {}
    if action == "zs":
        try:
            zone = check_timezone(":".join(args))
        except ValueError:
            raise Refused("bad_zone") from None
        await store.set_timezone(chat_id, zone)
        return "main", {}
    if action == "f":
        return "frequency", {}
    if action == "fs":
        frequency = args[0] if args and args[0] in FREQUENCIES else "daily"
        times = list(prefs.times) or [DEFAULT_FIRST]
        if frequency == "twice" and len(times) < 2:
            times.append(DEFAULT_SECOND if times[0] != DEFAULT_SECOND else DEFAULT_FIRST)
        await store.update_preferences(
            chat_id, default_timezone=tz, frequency=frequency, times=times
        )
        return "frequency", {}
    if action == "e":
        names = [e.name for e in services.settings.editions]
        if not args or args[0] not in names:
            raise Refused("edition_gone")
        followed = [n for n in names if prefs.follows_edition(n)]
        followed = ([n for n in followed if n != args[0]] if args[0] in followed
                    else [n for n in names if n in followed or n == args[0]])
        if not followed:
            raise Refused("last_edition")
        await store.update_preferences(
            chat_id, default_timezone=tz,
            editions=[] if len(followed) == len(names) else followed,
        )
        return "frequency", {}
    if action == "q":
        return "quiet", {}
    if action == "qs":
        quiet = None
        if args and args[0] != "off":
            start, _, end = args[0].partition("-")
            quiet = (int(start), int(end))
            if quiet not in QUIET_CHOICES:
                raise Refused("stale")
        await store.update_preferences(chat_id, default_timezone=tz, quiet=quiet)
        return "main", {}
    if action == "l":
        await store.update_preferences(
            chat_id, default_timezone=tz, length="brief" if prefs.length == "full" else "full"
        )
        return "main", {}
    if action == "d":
        await store.update_preferences(
            chat_id, default_timezone=tz, quote_of_the_day=not prefs.quote_of_the_day
        )
        return "main", {}
    if action == "g":
        return "language", {}
    if action == "gs":
        codes = [code for code, _ in LANGUAGES]
        if not args or args[0] not in codes:
            raise Refused("stale")
        await store.set_language(chat_id, args[0])
        return "main", {}
    if action == "x":
        return "closed", {}
    return "main", {}


async def zone_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Plain text in a private chat: a time zone search if one was asked for, else a hint."""
    message, chat = update.effective_message, update.effective_chat
    services = get_services(context)
    if message is None or chat is None or not await services.store.peek_pending(
        zone_search_key(chat.id)
    ):
        await general.plain_text(update, context)
        return
    query = clean_arg(message.text or "")
    zones = find_timezones(query)
    if zones:
        # A miss leaves the search open for another try.
        await services.store.drop_pending(zone_search_key(chat.id))
    renderer = await renderer_for(update, context)
    text, markup = await render_screen(services, renderer, chat.id, "zone_results", query=query,
                                       zones=zones)
    await reply(update, [text], markup)


async def render_screen(
    services: Services, renderer: Renderer, chat_id: int, screen: str, **extra: Any
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and keyboard of one settings screen, from what is stored now."""
    store = services.store
    prefs = await store.get_preferences(chat_id, services.settings.timezone)
    subscriber = await store.get_subscriber(chat_id)
    keyboards = Keyboards(renderer)
    language_name = dict(LANGUAGES).get((prefs.language or "en")[:2], prefs.language or "en")
    editions = [
        (e.name, describe_schedule(e, services.settings.timezone))
        for e in services.settings.editions
    ]
    context: dict[str, Any] = {
        "screen": screen, "prefs": prefs, "subscribed": bool(subscriber and subscriber.active),
        "editions": editions, "local_times": [format_minute(m) for m in prefs.active_times],
        "offset": utc_offset_label(prefs.timezone), "language_name": language_name,
        "quiet_text": quiet_label(prefs.quiet), "which": 0, "hour": 0, "query": "", "zones": [],
        "problem": None,
    }
    context.update(extra)
    text = renderer.render("settings_menu.html", **context)
    markup = _keyboard(keyboards, screen, prefs, context, language_name,
                       [e.name for e in services.settings.editions])
    return text, markup


def _keyboard(
    keyboards: Keyboards, screen: str, prefs: Preferences, context: dict[str, Any],
    language_name: str, editions: list[str],
) -> InlineKeyboardMarkup | None:
    if screen == "closed":
        return None
    if screen == "time":
        return keyboards.settings_time(prefs, context["which"])
    if screen == "minute":
        return keyboards.settings_minute(context["which"], context["hour"])
    if screen == "zone":
        return keyboards.settings_zone_prompt(prefs.timezone)
    if screen == "zone_results":
        return keyboards.settings_zones(context["zones"])
    if screen == "frequency":
        return keyboards.settings_frequency(prefs, editions)
    if screen == "quiet":
        return keyboards.settings_quiet(prefs)
    if screen == "language":
        return keyboards.settings_language(prefs.language)
    return keyboards.settings_main(prefs, language_name)


async def edit(query: Any, text: str, markup: InlineKeyboardMarkup | None) -> None:
    """Edit the message the button is on; an identical result is not an error."""
    try:
        await query.edit_message_text(
            text, parse_mode=ParseMode.HTML, reply_markup=markup, disable_web_page_preview=True
        )
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


def _which(args: list[str]) -> int:
    return 1 if args[:1] == ["1"] else 0


def _number(args: list[str], low: int, high: int) -> int:
    if not args or not args[0].isdigit() or not low <= int(args[0]) <= high:
        raise Refused("stale")
    return int(args[0])
