"""Telegram's HTML parse mode (tags, nesting, references, errors, UTF-16 lengths) and the
entities Telegram detects in any text."""

from __future__ import annotations

import pytest

from bot.local.autolink import detect_entities, with_detected_entities
from bot.local.telegram_html import (
    MAX_MESSAGE_LENGTH,
    TelegramHTMLError,
    check_message_text,
    parse_html,
    utf16_len,
)


@pytest.mark.parametrize(
    ("markup", "entity_type"),
    [
        ("<b>x</b>", "bold"),
        ("<strong>x</strong>", "bold"),
        ("<i>x</i>", "italic"),
        ("<em>x</em>", "italic"),
        ("<u>x</u>", "underline"),
        ("<ins>x</ins>", "underline"),
        ("<s>x</s>", "strikethrough"),
        ("<strike>x</strike>", "strikethrough"),
        ("<del>x</del>", "strikethrough"),
        ('<span class="tg-spoiler">x</span>', "spoiler"),
        ("<tg-spoiler>x</tg-spoiler>", "spoiler"),
        ("<code>x</code>", "code"),
        ("<pre>x</pre>", "pre"),
        ("<blockquote>x</blockquote>", "blockquote"),
        ("<blockquote expandable>x</blockquote>", "expandable_blockquote"),
        ("<B>x</B>", "bold"),
    ],
)
def test_each_supported_tag_gives_its_entity(markup: str, entity_type: str) -> None:
    assert parse_html(markup) == ("x", [{"type": entity_type, "offset": 0, "length": 1}])


def test_nested_tags_give_outer_entity_first() -> None:
    text, entities = parse_html("<b>bold <i>both</i></b> plain")
    assert text == "bold both plain"
    assert entities == [
        {"type": "bold", "offset": 0, "length": 9},
        {"type": "italic", "offset": 5, "length": 4},
    ]


def test_links_and_mentions() -> None:
    text, entities = parse_html(
        "<a href='https://example.org/a?b=1&amp;c=2'>site</a> <a href=\"tg://user?id=77\">Ada</a>"
    )
    assert text == "site Ada"
    assert entities[0] == {
        "type": "text_link",
        "offset": 0,
        "length": 4,
        "url": "https://example.org/a?b=1&c=2",
    }
    assert entities[1]["type"] == "text_mention"
    assert entities[1]["user"]["id"] == 77


def test_pre_with_code_language_and_bare_code_language() -> None:
    _, entities = parse_html('<pre><code class="language-python">x = 1</code></pre>')
    assert entities == [{"type": "pre", "offset": 0, "length": 5, "language": "python"}]
    _, entities = parse_html('<code class="language-python">x</code>')
    assert entities == [{"type": "code", "offset": 0, "length": 1}]


def test_custom_emoji() -> None:
    _, entities = parse_html('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>')
    assert entities == [
        {"type": "custom_emoji", "offset": 0, "length": 2, "custom_emoji_id": "5368324170671202286"}
    ]


def test_character_references() -> None:
    text, entities = parse_html("&lt;b&gt; &amp; &quot;q&quot; &#39;&#x27; &#8364;")
    assert text == "<b> & \"q\" '' €"
    assert entities == []


def test_unknown_entities_and_lone_ampersands_stay_literal() -> None:
    assert parse_html("Q&A &nbsp; AT&T")[0] == "Q&A &nbsp; AT&T"


def test_offsets_count_utf16_code_units() -> None:
    text, entities = parse_html("😀 é <b>x</b>")
    assert text == "😀 é x"
    assert entities == [{"type": "bold", "offset": 5, "length": 1}]


def test_surrounding_whitespace_is_trimmed_and_entities_clipped() -> None:
    assert parse_html("  \n<b> x </b>\n ") == ("x", [{"type": "bold", "offset": 0, "length": 1}])


def test_empty_tags_make_no_entity() -> None:
    assert parse_html("a<b></b>b") == ("ab", [])


@pytest.mark.parametrize(
    ("markup", "error"),
    [
        ("hello world <div>", 'Unsupported start tag "div" at byte offset 12'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("é<p>", 'Unsupported start tag "p" at byte offset 2'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("<b", "Unclosed start tag at byte offset 0"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ('<a href="x>y</a>', "Unclosed start tag at byte offset 0"),
        ("<a href=x/y>z</a>", "Unexpected end of name token at byte offset 8"),
    ],
)
def test_refused_markup_gives_telegram_error_text(markup: str, error: str) -> None:
    with pytest.raises(TelegramHTMLError) as caught:
        parse_html(markup)
    assert caught.value.description == f"Bad Request: can't parse entities: {error}"


def test_length_limit_counts_utf16_units_after_parsing() -> None:
    check_message_text(parse_html("<b>" + "x" * MAX_MESSAGE_LENGTH + "</b>")[0])
    check_message_text("😀" * (MAX_MESSAGE_LENGTH // 2))
    for too_long in ("x" * (MAX_MESSAGE_LENGTH + 1), "😀" * (MAX_MESSAGE_LENGTH // 2 + 1)):
        with pytest.raises(TelegramHTMLError, match="Bad Request: message is too long"):
            check_message_text(too_long)
    assert utf16_len("😀" * 3) == 6


def test_text_empty_after_parsing_is_refused() -> None:
    text, _ = parse_html("<b> </b>")
    with pytest.raises(TelegramHTMLError, match="Bad Request: message text is empty"):
        check_message_text(text)


def _pieces(text: str, entities: list[dict]) -> list[tuple[str, str]]:
    units = text.encode("utf-16-le")
    return [
        (e["type"], units[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le"))
        for e in entities
    ]


def test_telegram_adds_commands_links_mentions_and_tags() -> None:
    text, entities = parse_html(
        "😀 Read <b>more</b> at https://example.org/a. Ask @grace_h, /latest"
    )
    merged = with_detected_entities(text, entities)
    assert _pieces(text, merged) == [
        ("bold", "more"),
        ("url", "https://example.org/a"),
        ("mention", "@grace_h"),
        ("bot_command", "/latest"),
    ]


def test_detection_skips_code_and_explicit_links() -> None:
    text, entities = parse_html(
        '<code>/start https://x.org</code> <a href="https://y.org">/help</a>'
    )
    assert with_detected_entities(text, entities) == entities


def test_detection_of_tags_mail_and_addressed_commands() -> None:
    text = "/digest@digest_local_bot #news #2024 $USD mail a.b@ex.org path a/b"
    assert _pieces(text, detect_entities(text)) == [
        ("bot_command", "/digest@digest_local_bot"),
        ("hashtag", "#news"),
        ("cashtag", "$USD"),
        ("email", "a.b@ex.org"),
    ]
