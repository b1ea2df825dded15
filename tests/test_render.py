"""Rendering: escaping, every template, Telegram's length rules and message splitting.

Each message is checked by a strict Telegram-HTML checker written here, independent of the
renderer's own tokenizer: only the tags Telegram understands, properly nested, ``&`` only as an
entity Telegram decodes, and the text length counted in UTF-16 code units.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import UndefinedError

from digests.models import Article, Figure, Quote, QuoteKind
from digests.preferences import Preferences
from digests.render import (
    MAX_MESSAGE_LENGTH,
    Renderer,
    split_html,
    split_plain_text,
    telegram_length,
    to_plain_text,
)
from digests.store import Subscriber

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
NOW = dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC)

# --------------------------------------------------------------------------------------------
# A strict checker of Telegram HTML

ALLOWED_TAGS = {"b", "i", "u", "s", "a", "code", "pre", "blockquote", "tg-spoiler"}
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);")


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.text: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}> is not Telegram HTML")
        if tag == "a" and not dict(attrs).get("href", "").startswith(("http://", "https://")):
            self.problems.append("<a> without an http(s) href")
        if tag != "a" and attrs:
            self.problems.append(f"<{tag}> has attributes")
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.problems.append(f"self-closing <{tag}/>")

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        self.text.append({"lt": "<", "gt": ">", "amp": "&", "quot": '"'}.get(name, "?"))

    def handle_charref(self, name: str) -> None:
        code = int(name[1:], 16) if name[0] in "xX" else int(name)
        self.text.append(chr(code))


def check_telegram_html(html: str) -> str:
    """Fail unless ``html`` is Telegram HTML we are willing to send; return its visible text."""
    outside_tags = re.sub(r"<[^<>]*>", "", html)
    assert "<" not in outside_tags and ">" not in outside_tags, "bare < or > in text"
    assert "&" not in _ENTITY.sub("", outside_tags), "an & that is not a Telegram entity"
    assert not re.search(r"&(?!#\d+;|#x[0-9a-f]+;|lt;|gt;|amp;|quot;)", html, re.I)
    checker = _Checker()
    checker.feed(html)
    checker.close()
    assert not checker.problems, checker.problems
    assert not checker.stack, f"unclosed {checker.stack}"
    return "".join(checker.text)


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def check_message(html: str) -> str:
    text = check_telegram_html(html)
    assert text.strip(), "an empty message"
    assert utf16(text) <= MAX_MESSAGE_LENGTH, f"{utf16(text)} characters"
    assert telegram_length(html) == utf16(text)
    return text


# --------------------------------------------------------------------------------------------
# Realistic articles


def istanbul() -> Article:
    return Article(
        id="istanbul",
        title="Russia Rejects ‘Unconditional Ceasefire’ With Ukraine As Istanbul Peace Talks End",
        url="https://www.example.com/world/istanbul-talks?src=rss&utm=1",
        source="Example News",
        published_at=dt.datetime(2026, 6, 2, 17, 30, tzinfo=dt.UTC),
        summary=(
            "Russia refused to agree to an unconditional ceasefire at talks with Ukraine in "
            "Istanbul, Ukrainian negotiators said. The second round ended after about an hour."
        ),
        key_points=[
            "No unconditional ceasefire was agreed.",
            "Both sides are preparing a fresh prisoner exchange.",
        ],
        quotes=[
            Quote(
                text=(
                    "the Russian side continued to reject the motion of an unconditional ceasefire"
                ),
                speaker="Sergiy Kyslytsya",
                speaker_role="Ukrainian negotiator",
                kind=QuoteKind.PARTIAL,
            ),
            Quote(
                text="We are working on a new exchange of prisoners",
                speaker="Volodymyr Zelenskyy",
                speaker_role="President of Ukraine",
            ),
        ],
        figures=[
            Figure(text="41", number=41, counts="Russian aircraft hit"),
            Figure(text="USD 7 billion", number=7e9, unit="USD", counts="estimated damage"),
            Figure(text="two hours", counts="length of the first round"),
            Figure(text="1,000", number=1000, counts="prisoners exchanged in May"),
        ],
    )


def hostile() -> Article:
    """Markup, ampersands and quotes in every field a template prints."""
    return Article(
        id="hostile",
        title='AT&T <b>buys</b> "Tom & Jerry\'s" <script>alert(1)</script>',
        url='https://example.org/a?x=1&y="2"',
        source="Wire <i>Service</i>",
        summary="Shares rose 5% & <fell> after the deal; analysts said it was <a href=x>odd</a>.",
        key_points=["Profit < forecast & costs > plan"],
        quotes=[
            Quote(
                text='Deals like <this> & "that" are rare',
                speaker="Ann O'Neil <CEO>",
                speaker_role="Chief & executive",
            ),
        ],
        figures=[Figure(text="<USD> 5 & 6", counts="<shares>")],
    )


def bare() -> Article:
    return Article(
        id="bare",
        title="Council approves budget",
        body="The council approved the budget on Tuesday. It passed 7 to 2.",
    )


def generated(n: int) -> Article:
    """A plausible article of ~600 characters, with emoji and an astral character or two."""
    return Article(
        id=f"gen-{n}",
        title=f"Story {n}: markets 📈 move as talks on trade & tariffs resume",
        url=f"https://news.example.net/{n}",
        source="Example Wire",
        published_at=NOW - dt.timedelta(hours=n),
        summary=(
            f"Negotiators met for the {n}th time on Monday. Officials said progress was slow but "
            "real, and that a draft could be ready within weeks. Exporters welcomed the news, "
            "while unions warned that jobs in steel and cars were still at risk 𝔁."
        ),
        quotes=[
            Quote(
                text=f"We are closer than ever, round {n}",
                speaker="Maria Lopez",
                speaker_role="trade minister",
            )
        ],
        figures=[
            Figure(text=f"{n}%", counts="rise in exports"),
            Figure(text="EUR 3 billion", counts="tariffs at stake"),
        ],
    )


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def all_contexts() -> dict[str, dict]:
    articles = [istanbul(), hostile(), bare()]
    items = [(n, a, q) for n, a in enumerate(articles, 1) for q in a.quotes]
    return {
        "digest.html": dict(edition="morning", articles=articles, generated_at=NOW, length="full"),
        "digest_brief.html": dict(edition="evening", articles=articles, generated_at=NOW),
        "summary.html": dict(article=istanbul(), number=1),
        "summaries.html": dict(articles=articles),
        "latest.html": dict(articles=articles),
        "quotes.html": dict(items=items, speaker=None),
        "figures.html": dict(items=list(enumerate(articles, 1))),
        "help.html": dict(
            commands=[("/start", "subscribe to the digest"), ("summary", "one article in full")],
            admin_commands=[("/stats", "subscribers and deliveries")],
            examples=[("/summary 2", "the second article"), "/quotes Zelenskyy"],
        ),
        "start.html": dict(
            first_name="Olena", editions=[("morning", "every day at 08:00 UTC")], already=False
        ),
        "stats.html": dict(
            subscribers={"active": 3, "inactive": 1}, articles=12,
            deliveries={"sent": 40, "failed": 1},
        ),
        "subscribers.html": dict(
            counts={"active": 2, "inactive": 1, "total": 3}, by_type={"private": 1, "channel": 1},
            page=[
                Subscriber(chat_id=-1001, chat_type="channel", title="News <room>", language=None,
                           timezone="UTC", active=True, subscribed_at=NOW, unsubscribed_at=None),
                Subscriber(chat_id=7, chat_type="private", title=None, language="uk",
                           timezone=None, active=True, subscribed_at=NOW, unsubscribed_at=None),
            ],
            first=1, total=2,
        ),
        # Subscriber preferences (bot/handlers/settings.py, topics.py, quotes.py).
        "settings_menu.html": dict(
            screen="zone_results", prefs=Preferences(chat_id=1, times=(480, 1080),
                                                     frequency="twice", quiet=(1320, 420)),
            subscribed=True, editions=[("morning", "every day at 08:00 (UTC)")],
            local_times=["08:00", "18:00"], offset="UTC+00:00", language_name="English",
            quiet_text="22:00–07:00", which=0, hour=8, query="<Atlantis>", zones=[],
            problem="stale",
        ),
        "topics.html": dict(topics=["Riverton", "<b>"], followed=["Energy"], muted=["Sport"],
                            words=["Zelenskyy"]),
        "search.html": dict(query="ceasefire <talks>", articles=articles, total=5),
        "quote_of_the_day.html": dict(article=istanbul(), quote=istanbul().quotes[0]),
    }


# --------------------------------------------------------------------------------------------
# Escaping


def test_markup_and_ampersands_in_articles_arrive_as_text(renderer: Renderer) -> None:
    article = hostile()
    for name in ("digest.html", "summary.html", "quotes.html", "figures.html", "latest.html"):
        context = all_contexts()[name]
        if name == "summary.html":
            context = dict(article=article, number=2)
        html = renderer.render(name, **context)
        text = check_telegram_html(html)
        assert article.title in text, name
        assert "<script>" not in html and "<b>buys</b>" not in html
    digest = renderer.render("digest.html", **all_contexts()["digest.html"])
    digest_text = check_telegram_html(digest)
    assert article.summary in digest_text
    assert 'Deals like <this> & "that" are rare' in digest_text
    assert "Ann O'Neil <CEO>, Chief & executive" in digest_text


def test_escaping_emits_only_entities_telegram_decodes(renderer: Renderer) -> None:
    html = renderer.render("summary.html", article=hostile(), number=1)
    entities = set(re.findall(r"&[^;\s]*;", html))
    assert entities, "the hostile article should need escaping"
    assert all(_ENTITY.fullmatch(e) for e in entities), entities
    # markupsafe writes quotes as numeric references, which Telegram accepts.
    assert "&#39;" in html and "&#34;" in html
    assert 'href="https://example.org/a?x=1&amp;y=&#34;2&#34;"' in html


def test_links_only_for_http_urls(renderer: Renderer) -> None:
    article = istanbul().model_copy(update={"url": "javascript:alert(1)"})
    html = renderer.render("summary.html", article=article, number=1)
    assert "<a " not in html and "javascript" not in html


def test_operator_templates_are_autoescaped_whatever_their_extension(tmp_path: Path) -> None:
    (tmp_path / "note.txt").write_text("{{ title }}")
    assert Renderer(tmp_path).render("note.txt", title="<b>&</b>") == "&lt;b&gt;&amp;&lt;/b&gt;"


# --------------------------------------------------------------------------------------------
# Templates


def test_every_package_template_is_exercised_and_compiles(renderer: Renderer) -> None:
    helpers = {"_macros.html", "messages.html", "buttons.html"}
    assert set(renderer.check_templates()) == set(all_contexts()) | helpers


@pytest.mark.parametrize("name", sorted(all_contexts()))
def test_every_template_renders_well_formed_messages(renderer: Renderer, name: str) -> None:
    parts = renderer.render_messages(name, **all_contexts()[name])
    assert len(parts) == 1
    text = check_message(parts[0])
    assert "\n\n\n" not in text and text == text.strip()
    assert "{" not in text and "None" not in text


def test_full_digest_has_summary_notable_quote_and_three_figures(renderer: Renderer) -> None:
    context = all_contexts()["digest.html"]
    text = check_telegram_html(renderer.render("digest.html", **context))
    assert text.startswith("📰 Morning digest")
    assert "1. " + istanbul().title in text and "3. Council approves budget" in text
    assert "Istanbul, Ukrainian negotiators said." in text
    # The attributed direct quote wins over the partial one, with its speaker and role.
    assert "“We are working on a new exchange of prisoners”" in text
    assert "— Volodymyr Zelenskyy, President of Ukraine" in text
    assert "41 — Russian aircraft hit" in text and "two hours" in text
    assert "1,000" not in text, "only three figures per article"
    # Without a summary, the body's opening stands in.
    assert "The council approved the budget on Tuesday." in text


def test_brief_digest_is_headline_and_one_line(renderer: Renderer) -> None:
    context = {**all_contexts()["digest.html"], "length": "brief"}
    brief = check_telegram_html(renderer.render("digest.html", **context))
    full = check_telegram_html(renderer.render("digest.html", **{**context, "length": "full"}))
    assert len(brief) < len(full)
    lines = brief.split("\n")
    first = lines.index("1. " + istanbul().title)
    assert lines[first + 1].startswith("Russia refused to agree")
    assert lines[first + 1].endswith("Ukrainian negotiators said.")
    assert lines[first + 2] == ""
    assert "Zelenskyy" not in brief and "Russian aircraft" not in brief
    assert brief == check_telegram_html(renderer.render("digest_brief.html", **context))


def test_brief_line_is_not_cut_at_abbreviations_or_initials(renderer: Renderer) -> None:
    article = bare().model_copy(
        update={"summary": "Mr. Ortiz and J. K. Rowling met on Monday. They talked for hours."}
    )
    html = renderer.render("summaries.html", articles=[article])
    assert "\nMr. Ortiz and J. K. Rowling met on Monday.\n" in to_plain_text(html)


def test_empty_digest_says_so(renderer: Renderer) -> None:
    text = renderer.render("digest.html", edition="morning", articles=[], generated_at=NOW)
    assert "Nothing new since the last edition." in text


def test_summary_lists_key_points_and_link(renderer: Renderer) -> None:
    html = renderer.render("summary.html", article=istanbul(), number=3)
    text = to_plain_text(html)
    assert text.startswith("3. " + istanbul().title)
    assert "Example News · 2 Jun 2026" in text
    assert "• No unconditional ceasefire was agreed.\n• Both sides are preparing" in text
    assert '<a href="https://www.example.com/world/istanbul-talks?src=rss&amp;utm=1">' in html
    assert "Read on example.com" in text


def test_latest_numbers_headlines_and_hints_summary(renderer: Renderer) -> None:
    text = check_telegram_html(renderer.render("latest.html", articles=[istanbul(), bare()]))
    assert "1. Russia Rejects" in text and "\n2. Council approves budget" in text
    assert "/summary N" in text


def test_quotes_grouped_by_speaker_with_partial_marked(renderer: Renderer) -> None:
    a, b = istanbul(), generated(1)
    extra = Quote(text="Talks will continue", speaker="Sergiy  Kyslytsya")
    items = [(1, a, a.quotes[0]), (2, b, b.quotes[0]), (1, a, extra)]
    text = check_telegram_html(renderer.render("quotes.html", items=items, speaker=None))
    kyslytsya = text.index("Sergiy Kyslytsya, Ukrainian negotiator")
    assert text.count("Sergiy Kyslytsya") == 1, "one heading per speaker"
    partial = text.index("“the Russian side continued")
    later = text.index("“Talks will continue”")
    lopez = text.index("Maria Lopez, trade minister")
    assert kyslytsya < partial < later < lopez
    assert "(partial quote)" in text[partial:later]
    assert "(partial" not in text[later:]
    assert "↳ 2. " + b.title in text


@pytest.mark.parametrize(
    ("speaker", "expected"),
    [
        ("Putin", "No quotes from Putin in recent articles."),
        (None, "No quotes in recent articles."),
    ],
)
def test_no_quotes_is_a_clear_sentence(
    renderer: Renderer, speaker: str | None, expected: str
) -> None:
    assert renderer.render("quotes.html", items=[], speaker=speaker) == expected


def test_figures_per_article_and_articles_without_any(renderer: Renderer) -> None:
    html = renderer.render("figures.html", items=[(1, istanbul()), (4, bare())])
    text = check_telegram_html(html)
    assert "<b>USD 7 billion</b> — estimated damage" in html
    assert "• 1,000 — prisoners exchanged in May" in text, "all figures, not three"
    assert "4. Council approves budget\nNo figures in this article." in text


def test_help_shows_admin_section_only_when_given(renderer: Renderer) -> None:
    context = all_contexts()["help.html"]
    with_admin = check_telegram_html(renderer.render("help.html", **context))
    assert "/summary — one article in full" in with_admin
    assert "For admins\n/stats — subscribers and deliveries" in with_admin
    assert "/summary 2 — the second article" in with_admin
    without = renderer.render("help.html", commands=context["commands"], admin_commands=[])
    assert "admin" not in without.lower() and "/stats" not in without


def test_start_greets_and_lists_editions(renderer: Renderer) -> None:
    new = renderer.render("start.html", **all_contexts()["start.html"])
    assert "Hello, Olena!" in new and "You’re subscribed" in new
    assert "Morning — every day at 08:00 UTC" in new
    again = renderer.render("start.html", first_name=None, editions=[], already=True)
    assert "Hello!" in again and "already subscribed" in again and "Morning" not in again


def test_missing_context_is_an_error_not_a_blank(renderer: Renderer) -> None:
    with pytest.raises(UndefinedError):
        renderer.render("summary.html", article=istanbul())


def test_short_messages_by_key(renderer: Renderer) -> None:
    assert {"stopped", "not_subscribed", "unknown_command", "usage", "nothing_yet"} <= set(
        renderer.message_names()
    )
    reply = renderer.render_message("unknown_command", command="/x<b>")
    assert "/x&lt;b&gt;" in reply
    usage = renderer.render_message("usage", usage="/summary N", problem="N must be a number")
    assert usage == "N must be a number\nUsage: <code>/summary N</code>"
    for key in renderer.message_names():
        assert key not in {"headline"}
    with pytest.raises(KeyError):
        renderer.render_message("no_such_message")
    with pytest.raises(TypeError):
        renderer.render_message("stopped", surprise=1)


def test_operator_folder_wins_and_the_rest_falls_back(tmp_path: Path) -> None:
    (tmp_path / "latest.html").write_text(
        "OPERATOR: {{ articles|length|plural('story', 'stories') }}"
    )
    (tmp_path / "_macros.html").write_text(
        (Path(__file__).resolve().parents[1] / "digests/templates/_macros.html")
        .read_text()
        .replace("• <b>", "▸ <b>")
    )
    custom = Renderer(tmp_path)
    assert custom.render("latest.html", articles=[bare(), bare()]) == "OPERATOR: 2 stories"
    figures = custom.render("figures.html", items=[(1, istanbul())])
    assert "▸ <b>41</b>" in figures, "shared macros can be overridden too"
    assert Renderer().render("latest.html", articles=[bare()]).startswith("🗞")
    with pytest.raises(NotADirectoryError):
        Renderer(tmp_path / "missing")


# --------------------------------------------------------------------------------------------
# Length and splitting


@pytest.mark.parametrize(
    ("html", "length"),
    [
        ("plain", 5),
        ("😀", 2),
        ("<b>é😀</b>&amp;", 4),
        ("&#128512;&#x1F600;", 4),
        ('<a href="https://x.org/&amp;">a&lt;b</a>', 3),
        ("𝔁\n", 3),
        ("AT&T", 4),
    ],
)
def test_telegram_length_counts_utf16_units_of_visible_text(html: str, length: int) -> None:
    assert telegram_length(html) == length


def test_plain_text_shows_link_targets_and_decodes_entities() -> None:
    html = '<b>1. <a href="https://x.org/?a=1&amp;b=2">Tom &amp; Jerry</a></b>\n&lt;ok&gt; &#39;'
    assert to_plain_text(html) == "1. Tom & Jerry (https://x.org/?a=1&b=2)\n<ok> '"
    assert to_plain_text('<a href="https://x.org">https://x.org</a>') == "https://x.org"


def test_plain_text_fallback_splits_too(renderer: Renderer) -> None:
    articles = [generated(n) for n in range(1, 51)]
    html = renderer.render("latest.html", articles=articles)
    plain = to_plain_text(html)
    assert "1. Story 1: markets 📈 move as talks on trade & tariffs resume (https://news" in plain
    parts = split_plain_text(plain, limit=1000)
    assert len(parts) > 1
    assert all(utf16(part) <= 1000 for part in parts)
    assert "\n".join(parts) == plain, "lines kept whole and in order"


def test_fifty_article_digest_splits_between_items(renderer: Renderer) -> None:
    articles = [generated(n) for n in range(1, 51)]
    context = dict(edition="morning", articles=articles, generated_at=NOW, length="full")
    whole = renderer.render("digest.html", **context)
    parts = renderer.render_messages("digest.html", **context)
    assert telegram_length(whole) > 3 * MAX_MESSAGE_LENGTH
    assert len(parts) >= 4
    texts = [check_message(part) for part in parts]
    for text in texts[1:]:
        assert re.match(r"\d+\. Story \d+:", text), text[:60]
    for n, article in enumerate(articles, 1):
        holders = [t for t in texts if f"{n}. {article.title}" in t]
        assert len(holders) == 1
        assert f"{n}. {article.title}\nExample Wire" in holders[0]
        assert "EUR 3 billion" in holders[0][holders[0].index(article.title) :]
    # Nothing lost or duplicated: the parts read as the whole.
    assert "\n\n".join(texts) == check_telegram_html(whole)
    # Full parts: splitting is not needlessly eager.
    assert all(utf16(t) > MAX_MESSAGE_LENGTH * 0.75 for t in texts[:-1])


def test_brief_digest_of_fifty_also_splits(renderer: Renderer) -> None:
    articles = [generated(n) for n in range(1, 51)]
    parts = renderer.render_messages(
        "digest.html", edition="m", articles=articles, generated_at=NOW, length="brief"
    )
    assert len(parts) >= 2
    for part in parts:
        check_message(part)


def test_single_huge_item_is_split_with_tags_closed_and_reopened() -> None:
    sentence = "Officials said the talks & the «ceasefire» plan would go on 😀. "
    body = (sentence * 150).strip()
    html = (
        '<blockquote><b>Long read</b>\n<a href="https://x.org/?q=1&amp;r=2"><i>'
        + body.replace("&", "&amp;")
        + "</i></a></blockquote>\n\nAfter."
    )
    parts = split_html(html)
    assert len(parts) >= 3
    texts = [check_message(part) for part in parts]
    for part in parts[:-1]:
        assert part.endswith("</i></a></blockquote>")
    for part in parts[1:]:
        assert part.startswith('<blockquote><a href="https://x.org/?q=1&amp;r=2"><i>')
    for text in texts[:-1]:
        assert text.endswith("go on 😀."), "splits fall at sentence ends"
    assert parts[-1].endswith("</i></a></blockquote>\n\nAfter.")
    assert " ".join(texts) == "Long read\n" + body + "\n\nAfter."


def test_split_prefers_blank_lines_then_line_ends() -> None:
    paragraph = "\n".join(["word " * 60] * 3)  # three 300-character lines
    html = "\n\n".join(f"<b>{n}</b> {paragraph}" for n in range(12))
    parts = split_html(html, limit=2000)
    for part in parts:
        assert telegram_length(part) <= 2000
        assert re.match(r"<b>\d+</b> word", part), "each message starts at an item"
    lines = split_html("\n".join(["line " * 50] * 30), limit=1000)
    assert all(part.startswith("line") and part.endswith("line") for part in lines)
    assert all(telegram_length(part) <= 1000 for part in lines)


def test_split_never_cuts_entities_or_joined_characters() -> None:
    family = "👨\u200d👩\u200d👧"  # one visible emoji, 8 UTF-16 units
    parts = split_html(family * 100, limit=50)
    assert all(part and set(part.split(family)) == {""} for part in parts)
    assert sum(part.count(family) for part in parts) == 100
    assert all(telegram_length(part) <= 50 for part in parts)
    entities = split_html("<i>" + "&amp;&#128512;" * 500 + "</i>", limit=101)
    assert sum(telegram_length(p) for p in entities) == 1500
    for part in entities:
        check_telegram_html(part)
        assert telegram_length(part) <= 101


def test_astral_characters_fill_a_message_to_exactly_the_limit() -> None:
    parts = split_html("😀" * 5000)
    assert [telegram_length(p) for p in parts] == [4096, 4096, 1808]


def test_short_html_is_one_message_unchanged() -> None:
    html = "<b>Hi</b> &amp; welcome"
    assert split_html(html) == [html]
    assert split_html("  \n\n ") == []


# --------------------------------------------------------------------------------------------
# The real corpus, when it is beside the project


def corpus_articles() -> list[Article]:
    path = SHARED / "corpus/dev/articles.jsonl"
    if not path.exists():
        pytest.skip(f"shared corpus not found at {path}")
    articles = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        articles.append(
            Article(
                id=record["id"],
                title=record["title"],
                source="BBC News",
                body=record["text"].replace("\n\n", "\n"),
                summary=" ".join(record.get("summary_sentences") or []),
                quotes=[
                    Quote(
                        text=q["text"],
                        speaker=q.get("speaker"),
                        speaker_role=q.get("role"),
                        kind=q.get("kind") or "direct",
                    )
                    for q in record.get("quotes") or []
                ],
            )
        )
    return articles


def test_real_articles_render_into_valid_messages(renderer: Renderer) -> None:
    articles = corpus_articles()
    digest = renderer.render_messages(
        "digest.html", edition="morning", articles=articles, generated_at=NOW, length="full"
    )
    items = [(n, a, q) for n, a in enumerate(articles, 1) for q in a.quotes]
    quotes = renderer.render_messages("quotes.html", items=items, speaker=None)
    assert len(digest) > 1 and len(quotes) > 1
    for part in digest + quotes:
        check_message(part)
    joined = "\n".join(to_plain_text(p) for p in quotes)
    assert sum(len(a.quotes) for a in articles) == joined.count("\n↳ ")
