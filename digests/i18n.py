"""The bot's own texts in several languages, from gettext catalogs; article content is never
translated.

Catalogs live in ``digests/locale/<lang>/LC_MESSAGES/messages.po`` (``babel.cfg`` at the
repository root says where ``pybabel extract`` finds the strings). A compiled ``messages.mo``
beside a catalog is used when it is at least as new as the ``.po``; otherwise the ``.po`` is
compiled in memory on first use, so a fresh checkout needs no build step.

Which language a chat gets: the language stored for the subscriber (their ``/settings``
choice) when the bot has it, else the Telegram client's language, else English::

    >>> choose_language("uk", "en-US")
    'uk'
    >>> choose_language(None, "uk-UA")
    'uk'
    >>> choose_language("de", None)
    'en'

Updating the catalogs after changing texts::

    pybabel extract -F babel.cfg -k N_ -o messages.pot .
    pybabel update -i messages.pot -d digests/locale
    # translate, then optionally: python -m digests.i18n compile
"""

from __future__ import annotations

import functools
import gettext
import io
import sys
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

__all__ = [
    "DEFAULT_LANGUAGE",
    "LOCALE_DIR",
    "N_",
    "T_",
    "Translatable",
    "choose_language",
    "compile_catalogs",
    "normalize_language",
    "supported_languages",
    "translations",
]

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "en"
#: What each language calls itself, for language pickers.
LANGUAGE_NAMES = {"en": "English", "uk": "Українська"}


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now (it is translated on use)."""
    return message


class Translatable(str):
    """Text built in Python that a template shows in the reader's language.

    It *is* the English text (a ``str``), so code that does not care about languages keeps
    working; a localized renderer translates it when a template outputs it (see
    :meth:`translate`). Parameters are filled in after translation, as ``%(name)s``.
    """

    msgid: str
    params: dict[str, object]

    def __new__(cls, msgid: str, params: dict[str, object]) -> Translatable:
        text = super().__new__(cls, msgid % params if params else msgid)
        text.msgid = msgid
        text.params = params
        return text

    def translate(self, language: str) -> str:
        """The text in ``language`` (plain text: the template escapes it)."""
        translated = translations(language).gettext(self.msgid)
        return translated % self.params if self.params else translated


def T_(msgid: str, **params: object) -> Translatable:
    """Text to be shown in the reader's language: ``T_("No edition “%(name)s”.", name=n)``."""
    return Translatable(msgid, params)


#: Edition titles the catalogs translate (``morning`` is shown as ``Morning``); an operator's
#: other edition names are shown as they are.
EDITION_TITLES = (
    N_("Morning"), N_("Midday"), N_("Afternoon"), N_("Evening"), N_("Night"), N_("Daily"),
    N_("Weekly"), N_("Weekend"), N_("Breaking"), N_("Flash"),
)


#: Words the admin screens show from the store (``{{ status|translate }}``): subscriber and
#: delivery counts, chat types, source states.
STATE_WORDS = (
    N_("active"), N_("inactive"), N_("total"), N_("queued"), N_("sent"), N_("failed"),
    N_("blocked"), N_("private"), N_("group"), N_("supergroup"), N_("channel"),
    N_("never polled"), N_("ok"), N_("failing"),
)


def _catalog(language: str, suffix: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.{suffix}"


@functools.cache
def supported_languages() -> tuple[str, ...]:
    """English (the source language) and every language with a catalog, sorted."""
    found = {p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")}
    return tuple(sorted(found | {DEFAULT_LANGUAGE}))


def normalize_language(code: str | None) -> str | None:
    """``"uk-UA"``, ``"uk_ua"``, ``"UK"`` -> ``"uk"``; ``None`` for languages without a catalog."""
    if not code:
        return None
    primary = code.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in supported_languages() else None


def choose_language(*candidates: str | None) -> str:
    """The first candidate the bot speaks, in order of preference; English if none."""
    for candidate in candidates:
        language = normalize_language(candidate)
        if language is not None:
            return language
    return DEFAULT_LANGUAGE


@functools.cache
def translations(language: str) -> gettext.NullTranslations:
    """The translations for ``language`` (English and unknown languages: the msgids as they are).

    Fuzzy entries are left out, as ``msgfmt`` does: a guess is not a translation.
    """
    language = normalize_language(language) or DEFAULT_LANGUAGE
    if language == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    po, mo = _catalog(language, "po"), _catalog(language, "mo")
    if mo.is_file() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    return gettext.GNUTranslations(io.BytesIO(_compile(po)))


def _compile(po: Path) -> bytes:
    with po.open("rb") as handle:
        catalog = read_po(handle)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def compile_catalogs() -> list[Path]:
    """Write ``messages.mo`` beside every ``messages.po``; returns the files written."""
    written = []
    for language in supported_languages():
        if language == DEFAULT_LANGUAGE:
            continue
        target = _catalog(language, "mo")
        target.write_bytes(_compile(_catalog(language, "po")))
        written.append(target)
    translations.cache_clear()
    return written


def main(argv: list[str] | None = None) -> int:
    """``python -m digests.i18n compile``: compile the catalogs (an optional build step)."""
    args = sys.argv[1:] if argv is None else argv
    if args != ["compile"]:
        print("usage: python -m digests.i18n compile", file=sys.stderr)
        return 2
    for path in compile_catalogs():
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
