"""Telegram's HTML parse mode, as the Bot API applies it to ``parse_mode=HTML`` text.

The parser follows the rules Telegram documents (and its reference implementation applies):
only a small set of tags is understood, ``&lt; &gt; &amp; &quot;`` and numeric character
references are decoded, an ``&`` that starts no known entity stays literal, and any other
markup is refused with the same error text Telegram answers. Offsets and lengths of the
resulting entities are counted in UTF-16 code units, like every offset in the Bot API.

    >>> parse_html("<b>Hi</b> &amp; bye")
    ('Hi & bye', [{'type': 'bold', 'offset': 0, 'length': 2}])
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "MAX_MESSAGE_LENGTH",
    "TelegramHTMLError",
    "check_message_text",
    "parse_html",
    "utf16_len",
]

MAX_MESSAGE_LENGTH = 4096

#: What ends a run of plain text: a tag, a character reference, or the trailing NUL.
_MARKUP = re.compile(rb"[<&\0]")

_SPACES = b" \t\r\n\v\0"
# Byte values compared in the parser's loops, named once rather than ``ord()``-ed each time.
_AMP, _SLASH, _LT, _EQ, _GT = b"&/<=>"
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_SUPPORTED_TAGS = {*_SIMPLE_TAGS, "a", "code", "pre", "blockquote", "tg-emoji"}
_NAMED_ENTITIES = {b"lt": "<", b"gt": ">", b"amp": "&", b"quot": '"'}
_LINK_SCHEMES = {"http", "https", "ftp", "tg", "ton", "tonsite"}


class TelegramHTMLError(ValueError):
    """Text that Telegram would refuse, with the description Telegram would answer.

    ``description`` is the full Bot API text, e.g. ``"Bad Request: can't parse entities:
    Unexpected end tag at byte offset 4"``.
    """

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


def utf16_len(text: str) -> int:
    """Length of *text* in UTF-16 code units, the unit of every Bot API offset."""
    if text.isascii():
        return len(text)
    # The codec counts in C; "surrogatepass" counts a lone surrogate as the one unit it is.
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


@dataclass
class _OpenTag:
    name: str
    argument: str
    utf16_offset: int
    result_pos: int


def _decode_entity(data: bytes, pos: int) -> tuple[str, int] | None:
    """Decode the character reference at ``data[pos] == '&'``; ``None`` keeps the ``&``."""
    end = pos + 1
    if data[end : end + 1] == b"#":
        end += 1
        hexadecimal = data[end : end + 1] == b"x"
        if hexadecimal:
            end += 1
        start = end
        digits = b"0123456789abcdefABCDEF" if hexadecimal else b"0123456789"
        while data[end] in digits:
            end += 1
        if end == start or end - pos >= 10:
            return None
        code = int(data[start:end], 16 if hexadecimal else 10)
        if code == 0 or code >= 0x10FFFF or 0xD800 <= code < 0xE000:
            return None
        char = chr(code)
    else:
        while chr(data[end]).isascii() and chr(data[end]).isalpha():
            end += 1
        named = _NAMED_ENTITIES.get(data[pos + 1 : end])
        if named is None:
            return None
        char = named
    if data[end : end + 1] == b";":
        end += 1
    return char, end


def _check_link(url: str) -> str | None:
    """The URL Telegram keeps for ``<a href>``, or ``None`` when it drops the link."""
    url = url.strip()
    if not url:
        return None
    if "://" not in url and not url.startswith("tg:"):
        url = "http://" + url
    parts = urlsplit(url)
    if parts.scheme.lower() not in _LINK_SCHEMES:
        return None
    if parts.scheme.lower() in {"http", "https", "ftp"} and "." not in parts.netloc:
        return None
    return url


def _user_id_from_link(url: str) -> int | None:
    prefix = "tg://user?id="
    if url.lower().startswith(prefix) and url[len(prefix) :].isdigit():
        return int(url[len(prefix) :])
    return None


def _error(message: str) -> TelegramHTMLError:
    return TelegramHTMLError(f"Bad Request: can't parse entities: {message}")


def _parse_start_tag(data: bytes, i: int, begin: int) -> tuple[str, str, int]:
    """Parse ``<name attr=...>`` from ``data[i]`` (just after ``<``): name, argument, end."""
    name_start = i
    while data[i] not in _SPACES and data[i] != _GT:
        i += 1
    if data[i] == 0:
        raise _error(f"Unclosed start tag at byte offset {begin}")
    name = data[name_start:i].decode("utf-8", "replace").lower()
    if name not in _SUPPORTED_TAGS:
        raise _error(f'Unsupported start tag "{name}" at byte offset {begin}')

    argument = ""
    while data[i] != _GT:
        while data[i] != 0 and data[i] in _SPACES:
            i += 1
        if data[i] == _GT:
            break
        attr_start = i
        while data[i] not in _SPACES and data[i] not in b"=>":
            i += 1
        attribute = data[attr_start:i].decode("utf-8", "replace").lower()
        if not attribute:
            raise _error(f'Empty attribute name in the tag "{name}" at byte offset {begin}')
        while data[i] != 0 and data[i] in _SPACES:
            i += 1
        if data[i] != _EQ:
            if data[i] == 0:
                raise _error(f'Unclosed start tag "{name}" at byte offset {begin}')
            if name == "blockquote" and attribute == "expandable":
                argument = "1"
            continue
        i += 1
        while data[i] != 0 and data[i] in _SPACES:
            i += 1
        if data[i] == 0:
            raise _error(f"Unclosed start tag at byte offset {begin}")

        if data[i] not in b"'\"":
            # An unquoted value is an SGML name token: letters, digits, periods, hyphens.
            token_start = i
            while chr(data[i]).isascii() and (chr(data[i]).isalnum() or data[i] in b".-"):
                i += 1
            value = data[token_start:i].decode("ascii").lower()
            if data[i] not in _SPACES and data[i] != _GT:
                raise _error(f"Unexpected end of name token at byte offset {token_start}")
        else:
            quote = data[i]
            i += 1
            raw = bytearray()
            while data[i] != quote and data[i] != 0:
                if data[i] == _AMP:
                    decoded = _decode_entity(data, i)
                    if decoded is not None:
                        raw += decoded[0].encode()
                        i = decoded[1]
                        continue
                raw.append(data[i])
                i += 1
            if data[i] == 0:
                raise _error(f"Unclosed start tag at byte offset {begin}")
            i += 1
            value = raw.decode("utf-8", "replace")

        if name == "a" and attribute == "href":
            argument = value
        elif name == "code" and attribute == "class" and value.startswith("language-"):
            argument = value[len("language-") :]
        elif name == "span" and attribute == "class" and value.startswith("tg-"):
            argument = value[len("tg-") :]
        elif name == "tg-emoji" and attribute == "emoji-id":
            argument = value
        elif name == "blockquote" and attribute == "expandable":
            argument = "1"

    if name == "span" and argument != "spoiler":
        raise _error(f'Tag "span" must have class "tg-spoiler" at byte offset {begin}')
    return name, argument, i


def _make_entity(tag: _OpenTag, length: int, result: bytearray) -> dict[str, Any] | None:
    base: dict[str, Any] = {"offset": tag.utf16_offset, "length": length}
    if tag.name in _SIMPLE_TAGS:
        return {"type": _SIMPLE_TAGS[tag.name], **base}
    if tag.name == "a":
        url = tag.argument or result[tag.result_pos :].decode("utf-8", "replace")
        user_id = _user_id_from_link(url)
        if user_id is not None:
            user = {"id": user_id, "is_bot": False, "first_name": ""}
            return {"type": "text_mention", **base, "user": user}
        checked = _check_link(url)
        return None if checked is None else {"type": "text_link", **base, "url": checked}
    if tag.name == "code":
        entity = {"type": "code", **base}
        if tag.argument:
            entity["language"] = tag.argument  # only kept when wrapped in <pre>
        return entity
    if tag.name == "blockquote":
        kind = "expandable_blockquote" if tag.argument == "1" else "blockquote"
        return {"type": kind, **base}
    if tag.name == "tg-emoji":
        if not tag.argument.isdigit():
            return None
        return {"type": "custom_emoji", **base, "custom_emoji_id": tag.argument}
    return None  # "pre" is handled by the caller, it may absorb an inner <code>


def _close_pre(entities: list[dict[str, Any]], tag: _OpenTag, length: int) -> None:
    last = entities[-1] if entities else None
    if (
        last is not None
        and last["type"] == "code"
        and last["offset"] == tag.utf16_offset
        and last["length"] == length
        and last.get("language")
    ):
        entities[-1] = {**last, "type": "pre"}
    else:
        entities.append({"type": "pre", "offset": tag.utf16_offset, "length": length})


def _parse(data: bytes) -> tuple[str, list[dict[str, Any]]]:
    result = bytearray()
    entities: list[dict[str, Any]] = []
    open_tags: list[_OpenTag] = []
    utf16_offset = 0
    end = len(data) - 1  # data carries a trailing NUL sentinel
    i = 0
    while i < end:
        byte = data[i]
        if byte == _AMP:
            decoded = _decode_entity(data, i)
            if decoded is not None:
                char, i = decoded
                result += char.encode()
                utf16_offset += utf16_len(char)
                continue
        if byte != _LT:
            # Plain text runs up to the next markup byte: copy it in one piece. The run ends
            # on an ASCII byte (or the sentinel), so it holds whole UTF-8 characters.
            found = _MARKUP.search(data, i + 1)
            stop = end if found is None else found.start()
            run = data[i:stop]
            result += run
            utf16_offset += len(run) if run.isascii() else utf16_len(run.decode("utf-8"))
            i = stop
            continue

        begin = i
        i += 1
        if data[i] != _SLASH:
            name, argument, i = _parse_start_tag(data, i, begin)
            open_tags.append(_OpenTag(name, argument, utf16_offset, len(result)))
            i += 1
            continue

        if not open_tags:
            raise _error(f"Unexpected end tag at byte offset {begin}")
        while data[i] not in _SPACES and data[i] != _GT:
            i += 1
        end_name = data[begin + 2 : i].decode("utf-8", "replace").lower()
        while data[i] != 0 and data[i] in _SPACES:
            i += 1
        if data[i] != _GT:
            raise _error(f"Unclosed end tag at byte offset {begin}")
        tag = open_tags.pop()
        if end_name and end_name != tag.name:
            raise _error(
                f'Unmatched end tag at byte offset {begin}, expected "</{tag.name}>", '
                f'found "</{end_name}>"'
            )
        length = utf16_offset - tag.utf16_offset
        if length > 0:
            if tag.name == "pre":
                _close_pre(entities, tag, length)
            else:
                entity = _make_entity(tag, length, result)
                if entity is not None:
                    entities.append(entity)
        i += 1

    if open_tags:
        raise _error(f'Can\'t find end tag corresponding to start tag "{open_tags[-1].name}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return result.decode("utf-8"), entities


def _strip(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Trim surrounding whitespace as Telegram does, clipping entities to what remains."""
    stripped = text.strip()
    if not stripped:
        return "", []
    left = utf16_len(text[: len(text) - len(text.lstrip())])
    right = left + utf16_len(stripped)
    kept: list[dict[str, Any]] = []
    for entity in entities:
        start = max(entity["offset"], left)
        stop = min(entity["offset"] + entity["length"], right)
        if stop > start:
            kept.append({**entity, "offset": start - left, "length": stop - start})
    return stripped, kept


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into plain text and Bot API ``MessageEntity`` dicts.

    Surrounding whitespace is trimmed as Telegram trims message text. Entities are ordered by
    offset, outer before inner. Length limits are not checked here: see
    :func:`check_message_text`.

    Raises:
        TelegramHTMLError: the markup is not what Telegram accepts.
    """
    try:
        data = text.encode("utf-8") + b"\0"
    except UnicodeEncodeError:
        raise TelegramHTMLError("Bad Request: text must be encoded in UTF-8") from None
    plain, entities = _parse(data)
    plain, entities = _strip(plain, entities)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return plain, entities


def check_message_text(text: str) -> None:
    """Refuse parsed message text that is empty or over 4096 UTF-16 code units.

    Raises:
        TelegramHTMLError: with ``message text is empty`` or ``message is too long``.
    """
    if not text:
        raise TelegramHTMLError("Bad Request: message text is empty")
    if utf16_len(text) > MAX_MESSAGE_LENGTH:
        raise TelegramHTMLError("Bad Request: message is too long")
