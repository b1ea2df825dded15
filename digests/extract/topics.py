"""Topics: the people, places, organisations and subjects an article is about.

Without a gazetteer or a model, names are recognised by shape (capitalised runs, as in
:mod:`digests.extract.speakers`) and ranked by how often the article returns to them and
whether the headline names them.  A later "Mr Kyslytsya" or "Zelenskyy" counts towards the full
name first mentioned.
"""

from __future__ import annotations

import re
from collections import Counter

from digests.extract.speakers import NAME_RUN, TITLE_WORDS, split_title
from digests.extract.text import Segment

__all__ = ["extract_topics"]

_MAX_TOPICS = 6
_NOT_TOPICS = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
    "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "bbc", "i",
}


def _names(text: str) -> list[str]:
    out = []
    for m in NAME_RUN.finditer(text):
        _, name = split_title(m.group(0))
        name = re.sub(r"['’]s$", "", name).strip(" .")
        if not name or name.lower() in _NOT_TOPICS:
            continue
        if all(t.lower() in TITLE_WORDS for t in name.split()):
            continue
        out.append(name)
    return out


def extract_topics(title: str, sents: list[Segment]) -> list[str]:
    """Up to six names the article is about, most prominent first."""
    counts: Counter[str] = Counter()
    first_seen: dict[str, int] = {}
    for i, sent in enumerate(sents):
        for name in _names(sent.text):
            key = _canonical(name, first_seen)
            counts[key] += 1
            first_seen.setdefault(key, i)
    headline = " ".join(_names(title)).lower()
    ranked = sorted(
        counts,
        key=lambda k: (-(counts[k] + (2 if k.split()[-1].lower() in headline else 0)),
                       first_seen[k]),
    )
    return [k for k in ranked if counts[k] >= 2 or k.split()[-1].lower() in headline][
        :_MAX_TOPICS
    ]


def _canonical(name: str, known: dict[str, int]) -> str:
    """Map a surname-only mention to the fuller name seen before it."""
    if len(name.split()) == 1:
        for full in known:
            if len(full.split()) > 1 and full.split()[-1] == name:
                return full
    return name
