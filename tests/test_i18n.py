"""The bot's texts in English and Ukrainian: catalogs complete, languages chosen right, and a
Ukrainian user answered in Ukrainian end to end through the real PTB stack.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from pathlib import Path

import conversation
import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from bot.local.server import BotAPIServer
from config import Edition, load_settings
from digests.i18n import (
    LOCALE_DIR,
    T_,
    choose_language,
    compile_catalogs,
    normalize_language,
    supported_languages,
    translations,
)
from digests.render import PACKAGE_TEMPLATES, Renderer

ROOT = Path(__file__).resolve().parents[1]
UK_PO = LOCALE_DIR / "uk" / "LC_MESSAGES" / "messages.po"
KEYWORDS = {**DEFAULT_KEYWORDS, "T_": None}
TOKEN = "4949:i18n-test-token"
CYRILLIC = set("абвгґдеєжзиіїйклмнопрстуфхцчшщьюяАБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯ")


def uk_catalog():  # type: ignore[no-untyped-def]
    with UK_PO.open("rb") as handle:
        return read_po(handle, locale="uk")


def source_messages() -> set[str]:
    """Every msgid ``pybabel extract -F babel.cfg`` finds in the sources."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found: set[str] = set()
    for _, _, message, _, _ in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def cyrillic_share(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    return sum(ch in CYRILLIC for ch in letters) / max(len(letters), 1)


# -- catalogs ----------------------------------------------------------------------------


def test_ukrainian_is_supported() -> None:
    assert supported_languages() == ("en", "uk")


def test_every_message_in_the_sources_has_a_ukrainian_translation() -> None:
    catalog = uk_catalog()
    extracted = source_messages()
    assert len(extracted) > 100
    in_catalog = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog if m.id}
    missing = sorted(extracted - in_catalog)
    assert missing == [], "run pybabel extract/update (see digests/i18n.py) and translate"
    untranslated = [
        m.id for m in catalog
        if m.id and (m.fuzzy or not all(m.string if isinstance(m.string, tuple) else [m.string]))
    ]
    assert untranslated == []
    problems = [(m.id, [str(e) for e in errors]) for m, errors in catalog.check()]
    assert problems == []  # placeholders match, plural forms complete


def test_plural_forms_follow_ukrainian_grammar() -> None:
    uk = translations("uk")
    forms = [uk.ngettext("Send to %(count)s chat", "Send to %(count)s chats", n) % {"count": n}
             for n in (1, 2, 5, 11, 14, 21, 22, 25, 112)]
    assert [form.removeprefix("Надіслати в ") for form in forms] == [
        "1 чат", "2 чати", "5 чатів", "11 чатів", "14 чатів", "21 чат", "22 чати", "25 чатів",
        "112 чатів",
    ]


TRANS_BLOCK = re.compile(r"{%-?\s*trans\b(?P<args>[^%]*)%}(?P<body>.*?){%-?\s*endtrans", re.S)


def test_plural_blocks_are_counted_by_their_count() -> None:
    # Jinja picks the plural form by a trans block's first variable unless {% pluralize X %}
    # names one: a block that lists its edition before its count would count a word.
    miscounted = []
    for path in sorted(PACKAGE_TEMPLATES.glob("*.html")):
        for block in TRANS_BLOCK.finditer(path.read_text(encoding="utf-8")):
            if "pluralize" not in block["body"]:
                continue
            named = re.search(r"{%-?\s*pluralize\s+(\w+)", block["body"])
            counted = named[1] if named else block["args"].split("=")[0].strip()
            if counted != "count":
                miscounted.append(f"{path.name}: {block['body'][:50]}")
    assert miscounted == []


def test_the_publish_reply_agrees_with_its_number_in_both_languages() -> None:
    english, ukrainian = Renderer(), Renderer().localized("uk")
    assert [english.render_message("published", edition="morning", queued=n)
            for n in (1, 2)] == ["✅ Morning edition queued for 1 chat.",
                                 "✅ Morning edition queued for 2 chats."]
    assert [ukrainian.render_message("published", edition="morning", queued=n).split()[-2:]
            for n in (1, 3, 5, 21)] == [["1", "чату."], ["3", "чатів."], ["5", "чатів."],
                                        ["21", "чату."]]


def test_compiled_catalogs_match_the_in_memory_ones(tmp_path: Path) -> None:
    written = compile_catalogs()
    try:
        assert [p.name for p in written] == ["messages.mo"]
        assert translations("uk").gettext("Cancel") == "Скасувати"
    finally:
        for path in written:
            path.unlink()
        translations.cache_clear()


# -- choosing a language -----------------------------------------------------------------


def test_stored_choice_wins_then_telegram_language_then_english() -> None:
    assert normalize_language("uk-UA") == "uk" and normalize_language("UK") == "uk"
    assert normalize_language("de") is None and normalize_language(None) is None
    assert choose_language("uk", "en") == "uk"
    assert choose_language("en", "uk") == "en"
    assert choose_language(None, "uk") == "uk"
    assert choose_language("de", "uk-UA") == "uk"
    assert choose_language("de", "fr") == "en"


def test_templates_speak_the_renderers_language() -> None:
    english, ukrainian = Renderer(), Renderer().localized("uk")
    assert english.render_message("stopped").startswith("You’re unsubscribed")
    stopped = ukrainian.render_message("stopped")
    assert cyrillic_share(stopped) > 0.8 and "/start" in stopped
    usage = ukrainian.render_message("usage", usage="/summary N", problem=T_(
        "“%(given)s” is not an article number.", given="<b>два</b>"
    ))
    assert "&lt;b&gt;два&lt;/b&gt;" in usage and "<code>/summary N</code>" in usage
    assert "номер" in usage
    when = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)
    assert "лист" in ukrainian.env.filters["date"](when)
    assert ukrainian.env.filters["edition_title"]("morning") == "Ранковий"


# -- end to end --------------------------------------------------------------------------


@pytest.fixture
async def server() -> AsyncIterator[BotAPIServer]:
    async with BotAPIServer(token=TOKEN) as api:
        yield api


async def test_a_ukrainian_user_is_answered_in_ukrainian(
    server: BotAPIServer, tmp_path: Path
) -> None:
    settings = load_settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
        admin_ids=[300],
        editions=[Edition(name="morning", cron="0 8 * * *", timezone="Europe/Kyiv")],
    )

    async def ask(chat: int, text: str, language: str | None) -> str:
        return (await conversation.ask(server, chat, text, language_code=language)).text

    async with conversation.running_bot(server, TOKEN, settings) as services:
        greeting = await ask(1, "/start", "uk")
        assert "Ранковий" in greeting and "08:00" in greeting and cyrillic_share(greeting) > 0.7
        for text in ("/help", "/latest", "/summary два", "/frobnicate", "/stats", "hello"):
            reply = await ask(1, text, "uk")
            assert cyrillic_share(reply.split("\n")[0] + reply[-60:]) > 0.5, (text, reply)
        assert "номер" in await ask(1, "/summary два", "uk")

        # The same commands from an English client are answered in English.
        assert "subscribed" in await ask(2, "/start", "en")
        assert "don’t know /frobnicate" in await ask(2, "/frobnicate", "en")

        # The stored choice (as /settings makes it) wins over the Telegram language.
        await services.store.subscribe(3, language="en")
        assert "don’t know" in await ask(3, "/frobnicate", "uk")
        await services.store.subscribe(4, language="uk")
        assert "не знаю" in (await ask(4, "/frobnicate", "en")).lower()

        # An admin with a Ukrainian client: admin replies too.
        stats = await ask(300, "/stats", "uk")
        assert cyrillic_share(stats) > 0.5

    uk_commands = {c["command"]: c["description"] for c in server.commands(language_code="uk")}
    en_commands = {c["command"]: c["description"] for c in server.commands()}
    assert uk_commands.keys() == en_commands.keys() and "start" in uk_commands
    for name, description in uk_commands.items():
        assert description != en_commands[name] and cyrillic_share(description) > 0.3, name
    assert server.failed_requests() == []
