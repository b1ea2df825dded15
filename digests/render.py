"""Digests and replies as Telegram HTML, cut into messages Telegram accepts.

Templates are Jinja2 files in ``digests/templates``. An operator folder, when given, is searched
first, so any template (or the ``_macros.html`` they share) is replaced by dropping a file of the
same name there. Every template is autoescaped whatever its extension: article text always reaches
Telegram as text, never as markup. Rendered HTML is then split between items into messages of at
most 4,096 characters as Telegram counts them.

    >>> renderer = Renderer()
    >>> parts = renderer.render_messages("latest.html", articles=articles)
    >>> renderer.render_message("unknown_command", command="/frobnicate")
    'I don’t know /frobnicate. Send /help for the list of commands.'

Short replies live as macros in ``messages.html``; :meth:`Renderer.render_message` calls one by
name with keyword arguments, and :meth:`Renderer.message_names` lists them.

The bot's own words go through gettext (:mod:`digests.i18n`): templates write them as
``{{ _("…") }}`` or ``{% trans %}`` blocks, Python passes ``T_("…")`` texts, and
``renderer.localized("uk")`` renders the same templates in Ukrainian (dates and edition titles
too). Article content is never translated.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import html as html_lib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from babel import dates as babel_dates
from jinja2 import (
    ChoiceLoader,
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateNotFound,
)
from jinja2.runtime import Macro

from digests.i18n import DEFAULT_LANGUAGE, Translatable, normalize_language, translations
from digests.models import Article, Quote, QuoteKind

__all__ = [
    "MAX_MESSAGE_LENGTH",
    "PACKAGE_TEMPLATES",
    "Renderer",
    "split_html",
    "split_plain_text",
    "telegram_length",
    "to_plain_text",
]

MAX_MESSAGE_LENGTH = 4096
PACKAGE_TEMPLATES = Path(__file__).resolve().parent / "templates"
MESSAGES_TEMPLATE = "messages.html"


# --------------------------------------------------------------------------------------------
# The environment


class Renderer:
    """Renders the package templates, with an optional operator folder that takes precedence.

    ``template_dir`` is searched before the package templates; a file there replaces the package
    template of the same name, and may also add new templates (e.g. another edition layout).
    """

    def __init__(
        self, template_dir: Path | None = None, *, language: str = DEFAULT_LANGUAGE
    ) -> None:
        loaders = []
        if template_dir is not None:
            template_dir = Path(template_dir)
            if not template_dir.is_dir():
                raise NotADirectoryError(f"template folder {str(template_dir)!r} does not exist")
            loaders.append(FileSystemLoader(template_dir))
        loaders.append(FileSystemLoader(PACKAGE_TEMPLATES))
        self.template_dir = template_dir
        #: The language of the bot's own words in what this renderer produces.
        self.language = normalize_language(language) or DEFAULT_LANGUAGE
        self.env = Environment(
            loader=ChoiceLoader(loaders),
            # True rather than select_autoescape(): an operator's "digest.txt" is escaped too.
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=StrictUndefined,
            keep_trailing_newline=False,
            extensions=["jinja2.ext.i18n"],
            # Text built in Python with T_() is shown in this renderer's language.
            finalize=functools.partial(_finalize, self.language),
        )
        # {% trans %} blocks may be wrapped over lines in templates; the msgid is one line.
        self.env.policies["ext.i18n.trimmed"] = True
        # newstyle: %(name)s placeholders are escaped, the translated text is trusted markup.
        self.env.install_gettext_translations(  # type: ignore[attr-defined]
            translations(self.language), newstyle=True
        )
        self.env.filters.update(FILTERS)
        self.env.filters.update(_language_filters(self.language))
        self.env.globals["ui_language"] = self.language
        self._localized: dict[str, Renderer] = {self.language: self}

    def localized(self, language: str | None) -> Renderer:
        """This renderer speaking ``language`` (English when the bot has no such catalog).

        Renderers for each language are made once and kept; they share the template folders.
        """
        wanted = normalize_language(language) or DEFAULT_LANGUAGE
        renderer = self._localized.get(wanted)
        if renderer is None:
            renderer = Renderer(self.template_dir, language=wanted)
            renderer._localized = self._localized
            self._localized[wanted] = renderer
        return renderer

    def render(self, template: str, **context: Any) -> str:
        """Render ``template`` into one Telegram-HTML string, however long.

        Whitespace is tidied: spaces at line ends go, runs of blank lines become one, and the
        edges are stripped, so templates can be laid out for reading.
        """
        return _tidy(self.env.get_template(template).render(**context))

    def render_messages(self, template: str, **context: Any) -> list[str]:
        """Render ``template`` and split it into messages of at most 4,096 Telegram characters."""
        return split_html(self.render(template, **context))

    def render_message(self, key: str, **context: Any) -> str:
        """Render the short reply ``key``: a macro of ``messages.html`` called with ``context``.

        Raises ``KeyError`` for a key the messages template does not define, and ``TypeError``
        when ``context`` names an argument the macro does not take.
        """
        macro = self._messages().get(key)
        if macro is None:
            raise KeyError(f"no message {key!r} in {MESSAGES_TEMPLATE}")
        return _tidy(str(macro(**context)))

    def message_names(self) -> list[str]:
        """The keys :meth:`render_message` accepts."""
        return sorted(self._messages())

    def template_names(self) -> list[str]:
        """Every template reachable: the package's and the operator folder's, without duplicates."""
        return sorted(self.env.list_templates(filter_func=lambda name: not name.startswith(".")))

    def check_templates(self) -> list[str]:
        """Compile every template, raising ``TemplateSyntaxError`` on the first broken one.

        Meant for start-up, so an operator's typo stops the bot before the first edition is due.
        Returns the names checked.
        """
        names = self.template_names()
        for name in names:
            self.env.get_template(name)
        return names

    def _messages(self) -> dict[str, Macro]:
        try:
            module = self.env.get_template(MESSAGES_TEMPLATE).module
        except TemplateNotFound:  # pragma: no cover - the package always ships it
            return {}
        return {
            name: value
            for name, value in vars(module).items()
            if isinstance(value, Macro) and not name.startswith("_")
        }


def _tidy(text: str) -> str:
    # Templates are easier to read with generous whitespace; messages are not. Spaces at line
    # ends are invisible, and more than one blank line in a row looks like a rendering slip.
    lines = [line.rstrip(" \t") for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --------------------------------------------------------------------------------------------
# Filters: all return plain strings (or values), escaping happens once, at output.


def format_date(value: dt.date | dt.datetime | None, fmt: str | None = None) -> str:
    """``26 Nov 2026`` by default, or any ``strftime`` format; ``""`` for no date."""
    if value is None:
        return ""
    if fmt:
        return value.strftime(fmt)
    return f"{value.day} {value:%b %Y}"


def format_datetime(value: dt.datetime | None, fmt: str | None = None) -> str:
    """``26 Nov 2026, 08:00 UTC``: naive values are taken to be UTC already."""
    if value is None:
        return ""
    if fmt:
        return value.strftime(fmt)
    zone = value.tzname() or "UTC"
    return f"{value.day} {value:%b %Y, %H:%M} {zone}"


def format_time(value: dt.datetime | dt.time | None) -> str:
    """``08:00 UTC``."""
    if value is None:
        return ""
    zone = value.tzname() or "UTC"
    return f"{value:%H:%M} {zone}"


def truncate_words(text: str | None, count: int = 30, end: str = "…") -> str:
    """The first ``count`` words of ``text``, with ``end`` appended when words were dropped."""
    words = (text or "").split()
    if len(words) <= count:
        return " ".join(words)
    return " ".join(words[:count]).rstrip(",;:—–-") + end


_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’»)]*\s+(?=[\"'“‘«(\[]?[A-Z0-9А-ЯЁІЇЄҐ])")


_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "gen",
        "sen",
        "rep",
        "gov",
        "lt",
        "col",
        "sgt",
        "capt",
        "jr",
        "sr",
        "inc",
        "ltd",
        "co",
        "corp",
        "vs",
        "no",
        "fig",
    ]
)


def first_sentence(text: str | None, max_words: int = 35) -> str:
    """The first sentence of ``text``, cut to ``max_words`` words if it runs on."""
    text = " ".join((text or "").split())
    for match in _SENTENCE_END.finditer(text):
        word = re.split(r"[\s(\[\"'“‘«]", text[: match.start()])[-1].rstrip(".")
        # "Mr. Smith" and "J. K. Rowling" do not end sentences.
        if word.lower() in _ABBREVIATIONS or (len(word) == 1 and word.isupper()):
            continue
        # Cut after the whitespace: a closing quotation mark belongs to the sentence.
        return truncate_words(text[: match.end()].rstrip(), max_words)
    return truncate_words(text, max_words)


def host(url: str | None) -> str:
    """The site a URL points to, without ``www.``: ``https://www.bbc.co.uk/x`` -> ``bbc.co.uk``."""
    if not url:
        return ""
    name = urlsplit(url).hostname or ""
    return name.removeprefix("www.")


def http_url(url: str | None) -> str:
    """``url`` when it is an absolute http(s) link Telegram will accept, else ``""``."""
    if not url:
        return ""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() in ("http", "https") and parts.hostname:
        return url.strip()
    return ""


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``1 article``, ``3 articles``; pass ``plural_form`` for irregular words (story/stories)."""
    word = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {word}"


_QUOTE_MARKS = {
    "en": ("“", "”"),
    "de": ("„", "“"),
    **{lang: ("«", "»") for lang in ("ru", "uk", "be", "fr", "es", "it", "pt", "kk", "tr")},
}


def quoted(text: str, language: str = "en") -> str:
    """``text`` between the quotation marks usual in ``language``."""
    opening, closing = _QUOTE_MARKS.get((language or "en")[:2].lower(), _QUOTE_MARKS["en"])
    return f"{opening}{text.strip()}{closing}"


def notable_quote(article: Article, max_words: int = 45) -> Quote | None:
    """The quote most worth a reader's glance: direct and attributed, then long but not rambling."""

    def rank(quote: Quote) -> tuple[int, int, int]:
        words = len(quote.text.split())
        return (
            quote.speaker is not None,
            quote.kind == QuoteKind.DIRECT,
            words if words <= max_words else max_words - words,
        )

    return max(article.quotes, key=rank, default=None)


def summary_of(article: Article, max_words: int = 90) -> str:
    """The article's summary, or when extraction left none, the opening of its body."""
    if article.summary.strip():
        return article.summary.strip()
    paragraphs = article.paragraphs
    return truncate_words(paragraphs[0], max_words) if paragraphs else ""


def one_line(article: Article) -> str:
    """A single line that says what the article is about: the summary's opening sentence."""
    line = first_sentence(summary_of(article))
    if not line and article.key_points:
        line = truncate_words(article.key_points[0], 35)
    return line


def byline(article: Article, with_year: bool = True) -> str:
    """``BBC News · 26 Nov 2026``: where the article is from and when, whichever is known."""
    source = article.source or host(article.url)
    when = ""
    if article.published_at is not None:
        when = (
            format_date(article.published_at)
            if with_year
            else format_date(article.published_at, "%d %b").lstrip("0")
        )
    return " · ".join(part for part in (source, when) if part)


def command(name: str) -> str:
    """A command name with exactly one leading slash."""
    return "/" + name.strip().lstrip("/")


def edition_title(name: str) -> str:
    """``morning`` -> ``Morning``; ``late_night`` -> ``Late night``."""
    return name.replace("_", " ").replace("-", " ").strip().capitalize()


@dataclass
class QuoteGroup:
    """Quotes by one speaker, in the order they were found."""

    speaker: str | None
    role: str | None = None
    entries: list[tuple[int, Article, Quote]] = field(default_factory=list)


def group_quotes(items: Iterable[tuple[int, Article, Quote]]) -> list[QuoteGroup]:
    """Group ``(number, article, quote)`` by speaker, first-seen order; unattributed come last."""
    groups: dict[str | None, QuoteGroup] = {}
    for number, article, quote in items:
        key = " ".join(quote.speaker.split()) if quote.speaker else None
        group = groups.setdefault(key, QuoteGroup(speaker=key))
        group.role = group.role or quote.speaker_role
        group.entries.append((number, article, quote))
    unattributed = groups.pop(None, None)
    return [*groups.values(), *([unattributed] if unattributed else [])]


FILTERS: dict[str, Any] = {
    "date": format_date,
    "datetime": format_datetime,
    "time": format_time,
    "truncate_words": truncate_words,
    "first_sentence": first_sentence,
    "host": host,
    "http_url": http_url,
    "plural": plural,
    "quoted": quoted,
    "notable_quote": notable_quote,
    "summary_of": summary_of,
    "one_line": one_line,
    "byline": byline,
    "command": command,
    "edition_title": edition_title,
    "group_quotes": group_quotes,
}


def _finalize(language: str, value: Any) -> Any:
    return value.translate(language) if isinstance(value, Translatable) else value


def _language_filters(language: str) -> dict[str, Any]:
    """Filters whose output depends on the language: dates, edition titles, catalog lookups.

    ``translate`` looks a text up in the catalog (``{{ description|translate }}``) and, unlike
    ``_()``, returns plain text that is escaped like any other value.
    """
    gettext = translations(language).gettext
    common: dict[str, Any] = {"translate": gettext}
    if language == DEFAULT_LANGUAGE:
        return common

    def localized_date(value: dt.date | dt.datetime | None, fmt: str | None = None) -> str:
        if value is None or fmt:
            return format_date(value, fmt)
        return babel_dates.format_date(value, "d MMM y", locale=language)

    def localized_datetime(value: dt.datetime | None, fmt: str | None = None) -> str:
        if value is None or fmt:
            return format_datetime(value, fmt)
        day = babel_dates.format_date(value, "d MMM y", locale=language)
        return f"{day}, {value:%H:%M} {value.tzname() or 'UTC'}"

    def localized_byline(article: Article, with_year: bool = True) -> str:
        source = article.source or host(article.url)
        when = ""
        if article.published_at is not None:
            pattern = "d MMM y" if with_year else "d MMM"
            when = babel_dates.format_date(article.published_at, pattern, locale=language)
        return " · ".join(part for part in (source, when) if part)

    return {
        **common,
        "date": localized_date,
        "datetime": localized_datetime,
        "byline": localized_byline,
        "edition_title": lambda name: gettext(edition_title(name)),
    }


# --------------------------------------------------------------------------------------------
# Telegram HTML: a small tokenizer, its length, its plain text, and the splitter.

_TOKEN = re.compile(
    r"<(?P<close>/)?(?P<name>[a-zA-Z][a-zA-Z0-9-]*)(?P<attrs>[^<>]*)>"
    r"|&(?P<entity>#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,8}|lt|gt|amp|quot);"
    r"|(?P<text>[^<&]+|[<&])"
)
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HREF = re.compile(r"""href\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)

_TEXT, _OPEN, _CLOSE = 0, 1, 2


@dataclass(slots=True)
class _Atom:
    kind: int
    raw: str
    char: str = ""  # the decoded character, for visible atoms
    units: int = 0  # UTF-16 code units Telegram counts
    name: str = ""  # the tag name, for tags


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_entity(ref: str) -> str:
    if ref in _NAMED:
        return _NAMED[ref]
    code = int(ref[2:], 16) if ref[1] in "xX" else int(ref[1:])
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return "\ufffd"
    return chr(code)


def _atoms(html: str) -> list[_Atom]:
    """One atom per tag and per character Telegram will show (an entity is one character)."""
    atoms: list[_Atom] = []
    for match in _TOKEN.finditer(html):
        raw = match.group(0)
        if match.group("name"):
            kind = _CLOSE if match.group("close") else _OPEN
            if kind == _OPEN and match.group("attrs").rstrip().endswith("/"):
                kind = _TEXT  # a self-closing tag opens nothing: kept whole, zero width
            atoms.append(_Atom(kind, raw, name=match.group("name").lower()))
        elif match.group("entity"):
            char = _decode_entity(match.group("entity"))
            atoms.append(_Atom(_TEXT, raw, char, _units(char)))
        else:
            atoms.extend(_Atom(_TEXT, ch, ch, _units(ch)) for ch in raw)
    return atoms


def telegram_length(html: str) -> int:
    """The length Telegram gives ``html`` once parsed: tags dropped, entities one character,
    counted in UTF-16 code units (so most emoji count 2).

    Leading and trailing whitespace is counted although Telegram trims it, so the figure errs
    on the long side.
    """
    return sum(atom.units for atom in _atoms(html))


def split_plain_text(text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """Split plain text (no markup) into messages the way :func:`split_html` splits HTML.

    For sending :func:`to_plain_text` output, which can be longer than the HTML it came from
    because link targets are written out.
    """
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return [html_lib.unescape(part) for part in split_html(escaped, limit)]


def to_plain_text(html: str) -> str:
    """``html`` as readable plain text: tags dropped, entities decoded, link targets shown.

    A link reads ``text (https://…)`` unless its text already is the address.
    """
    out: list[str] = []
    links: list[tuple[str, int]] = []  # (href, where its text starts in out)
    for match in _TOKEN.finditer(html):
        name = (match.group("name") or "").lower()
        if name == "a" and not match.group("close"):
            href_match = _HREF.search(match.group("attrs"))
            href = next((g for g in href_match.groups() if g is not None), "") if href_match else ""
            links.append((html_lib.unescape(href), len(out)))
        elif name == "a":
            if links:
                href, begin = links.pop()
                text = "".join(out[begin:]).strip()
                if href and text != href and text != href.split("://", 1)[-1]:
                    out.append(f" ({href})")
        elif name:
            continue
        elif match.group("entity"):
            out.append(_decode_entity(match.group("entity")))
        else:
            out.append(match.group("text"))
    return "".join(out).strip()


# Break classes, best first. A split prefers the best class that still fills a fair share of the
# message; only a message with no better break falls back to the next class.
_PARAGRAPH, _LINE, _SENTENCE, _WORD, _ANYWHERE, _NEVER = range(6)
_MIN_FILL = 0.25
_CLOSERS = "\"'”’»)]"


def _break_class(chars: Sequence[str], j: int) -> int:
    """How good a place it is to end a message after visible character ``j``."""
    char = chars[j]
    if char == "\n":
        return _PARAGRAPH if j > 0 and chars[j - 1] == "\n" else _LINE
    if char.isspace():
        before = chars[j - 1] if j > 0 else ""
        if before in _CLOSERS and j > 1:
            before = chars[j - 2]
        return _SENTENCE if before in ".!?…" else _WORD
    following = chars[j + 1] if j + 1 < len(chars) else ""
    if _joined(char, following):
        return _NEVER
    return _ANYWHERE


def _joined(char: str, following: str) -> bool:
    # Splitting here would tear a visible character apart: an accent from its letter, an emoji
    # from its skin tone or variation selector, a ZWJ sequence, a flag's regional indicators.
    if not following:
        return False
    if char == "\u200d" or following in ("\u200d", "\ufe0f", "\ufe0e"):
        return True
    if unicodedata.combining(following) or "\U0001f3fb" <= following <= "\U0001f3ff":
        return True
    regional = "\U0001f1e6" <= char <= "\U0001f1ff" and "\U0001f1e6" <= following <= "\U0001f1ff"
    return regional


def split_html(html: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """Split Telegram HTML into messages of at most ``limit`` Telegram characters each.

    Splits fall between items (blank lines) when possible, then at line ends, sentence ends,
    spaces, and only as a last resort between two characters; never inside a tag, an entity, or
    a character made of several code points. Elements open at a split are closed at the end of
    one message and reopened, with their attributes, at the start of the next. Whitespace at the
    edges of each message is dropped; messages with nothing visible are left out.
    """
    if limit < 2:
        raise ValueError("limit must leave room for at least one character (2 UTF-16 units)")
    atoms = _atoms(html)
    # The elements open before each atom; tuples are shared until a tag changes them.
    stacks: list[tuple[tuple[str, str], ...]] = []
    stack: tuple[tuple[str, str], ...] = ()
    for atom in atoms:
        stacks.append(stack)
        if atom.kind == _OPEN:
            stack = (*stack, (atom.name, atom.raw))
        elif atom.kind == _CLOSE:
            names = [name for name, _ in stack]
            if atom.name in names:
                cut = len(names) - 1 - names[::-1].index(atom.name)
                stack = stack[:cut]
    stacks.append(stack)

    visible = [i for i, atom in enumerate(atoms) if atom.kind == _TEXT and atom.units]
    chars = [atoms[i].char for i in visible]
    cumulative = [0]
    for i in visible:
        cumulative.append(cumulative[-1] + atoms[i].units)

    parts: list[str] = []
    start, k = 0, 0  # the first atom of this message, and the first visible character in it
    while k < len(visible):
        while k < len(visible) and chars[k].isspace():
            k += 1
        if k == len(visible):
            break
        last = bisect.bisect_right(cumulative, cumulative[k] + limit) - 2
        if last >= len(visible) - 1:
            parts.append(_emit(atoms, stacks, start, len(atoms)))
            break
        j = _choose_break(chars, cumulative, k, max(last, k), limit)
        end = visible[j] + 1
        while end < len(atoms) and atoms[end].kind == _CLOSE:
            end += 1  # closing tags stay with the text they close
        parts.append(_emit(atoms, stacks, start, end))
        start, k = end, j + 1
    return [part for part in parts if part]


def _choose_break(
    chars: Sequence[str], cumulative: Sequence[int], k: int, last: int, limit: int
) -> int:
    """The visible character, between ``k`` and ``last``, after which to end the message."""
    best: dict[int, int] = {}
    for j in range(last, k - 1, -1):
        cls = _break_class(chars, j)
        if cls not in best:
            best[cls] = j
            if cls == _PARAGRAPH and cumulative[j + 1] - cumulative[k] >= limit * _MIN_FILL:
                return j
    for cls in range(_NEVER):
        if cls in best and cumulative[best[cls] + 1] - cumulative[k] >= limit * _MIN_FILL:
            return best[cls]
    for cls in range(_NEVER):
        if cls in best:
            return best[cls]
    return last


def _emit(
    atoms: Sequence[_Atom], stacks: Sequence[tuple[tuple[str, str], ...]], start: int, end: int
) -> str:
    """Atoms ``start:end`` as one message: open elements reopened, edges trimmed, all closed."""

    def blank(atom: _Atom) -> bool:
        return atom.kind == _TEXT and atom.units > 0 and atom.char.isspace()

    body = list(atoms[start:end])
    solid = [
        i
        for i, atom in enumerate(body)
        if atom.kind == _TEXT and atom.units and not atom.char.isspace()
    ]
    if not solid:
        return ""
    first, final = solid[0], solid[-1]
    kept = [atom for i, atom in enumerate(body) if not (blank(atom) and (i < first or i > final))]
    reopened = "".join(raw for _, raw in stacks[start])
    closing = "".join(f"</{name}>" for name, _ in reversed(stacks[end]))
    return reopened + "".join(atom.raw for atom in kept) + closing
