"""The entities Telegram finds in any message text by itself: commands, mentions, links.

Telegram marks ``/commands``, ``@usernames``, ``#hashtags``, ``$CASHTAGS``, URLs and e-mail
addresses in every message, whether or not it was formatted, except inside code, pre-formatted
text and explicit links. This module reproduces the common cases of that detection.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .telegram_html import utf16_len

__all__ = ["detect_entities", "with_detected_entities"]

_PATTERNS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    # Order matters: a later match overlapping an earlier one is dropped. The middle field is
    # a character every match contains: a text without it is not searched at all.
    ("url", "", re.compile(r"(?<![\w@/.])(?:https?://|www\.)[^\s<>\"]+", re.IGNORECASE)),
    ("email", "@",
     re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")),
    ("bot_command", "/",
     re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")),
    ("mention", "@", re.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}(?!\w)")),
    ("hashtag", "#", re.compile(r"(?<![\w#])#\w*[^\W\d]\w*")),
    ("cashtag", "$", re.compile(r"(?<![\w$])\$[A-Z]{1,8}(?![\w])")),
)
#: Every URL match contains one of these (case-insensitively).
_URL_MARKS = ("://", "www.")
_OPAQUE = frozenset({"code", "pre", "text_link", "text_mention", "custom_emoji"})
_TRAILING = ".,;:!?'\")]}"


def _trim_url(text: str) -> str:
    """Drop punctuation that ends a sentence rather than the URL, as Telegram does."""
    while text and text[-1] in _TRAILING:
        if text[-1] == ")" and text.count("(") >= text.count(")"):
            break
        text = text[:-1]
    return text


def detect_entities(text: str, existing: Sequence[dict[str, Any]] = ()) -> list[dict[str, Any]]:
    """Entities Telegram would add to *text*, not overlapping opaque *existing* ones."""
    taken = [(e["offset"], e["offset"] + e["length"]) for e in existing if e["type"] in _OPAQUE]
    found: list[dict[str, Any]] = []
    lowered = text.lower()
    for entity_type, mark, pattern in _PATTERNS:
        if mark and mark not in text:
            continue
        if not mark and not any(url_mark in lowered for url_mark in _URL_MARKS):
            continue
        for match in pattern.finditer(text):
            piece = _trim_url(match.group()) if entity_type == "url" else match.group()
            start = utf16_len(text[: match.start()])
            end = start + utf16_len(piece)
            if not piece or any(start < stop and begin < end for begin, stop in taken):
                continue
            taken.append((start, end))
            found.append({"type": entity_type, "offset": start, "length": end - start})
    return sorted(found, key=lambda e: e["offset"])


def with_detected_entities(text: str, entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """*entities* plus the detected ones, ordered by offset, outer before inner."""
    merged = [*entities, *detect_entities(text, entities)]
    return sorted(merged, key=lambda e: (e["offset"], -e["length"]))
