"""Extractive summary and key points: whole sentences taken from the article.

News puts its news first, so the lead sentence opens the summary; the rest are the sentences
that best carry the article's recurring words and its headline, each new sentence adding words
the summary does not have yet.  Nothing is rewritten, so nothing is invented.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from digests.extract.text import Segment

__all__ = ["key_points", "rank_sentences", "summarize", "without_dateline"]

_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
_STOP_WORDS = """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each few for
    from further had has have having he her here hers herself him himself his how i if in into
    is it its itself just me more most my myself no nor not now of off on once only or other our
    ours out over own same she should so some such than that the their theirs them themselves
    then there these they this those through to too under until up very was we were what when
    where which while who whom why will with would you your said says say told mr mrs ms its
    it's would could one two new year years last week also like get got make made us may
"""
_STOP = frozenset(_STOP_WORDS.split())
# Summary length: enough sentences to reach this many words, within 2-3 sentences.
_WORD_BUDGET = 55
# How much a sentence's score owes to the headline's words, to coming early, and how much a
# long sentence is discounted (its words counted to this power).
_HEADLINE_WEIGHT = 1.0
_POSITION_WEIGHT = 0.8
_LENGTH_POWER = 0.4


# "WASHINGTON (AP) — ", "KYIV, Ukraine (Reuters) - ": where and by whom, not the news.
_DATELINE = re.compile(
    r"^[A-Z][A-Z .'’-]{2,}(?:,\s*[A-Z][\w .]*?)?\s*(?:\([A-Za-z .]+\))?\s*[—–-]{1,2}\s+"
)


def without_dateline(text: str) -> str:
    """A sentence without the dateline wire copy opens its first paragraph with."""
    return _DATELINE.sub("", text, count=1)


def _content(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1]


def rank_sentences(title: str, sents: list[Segment]) -> list[float]:
    """Score each sentence by how central it is: frequent article words, headline words, place.

    Sentences too short to stand alone (under six words) score nothing.
    """
    doc = Counter(w for s in sents for w in set(_content(s.text)))
    head = set(_content(title))
    n = len(sents)
    scores: list[float] = []
    for i, sent in enumerate(sents):
        words = _content(sent.text)
        if len(sent.text.split()) < 6 or not words:
            scores.append(0.0)
            continue
        unique = set(words)
        centrality = sum(math.log1p(doc[w] - 1) for w in unique) / (len(unique) ** _LENGTH_POWER)
        headline = len(unique & head) / (len(head) or 1)
        position = 1.0 - i / max(n, 1)
        score = centrality + _HEADLINE_WEIGHT * headline + _POSITION_WEIGHT * position
        scores.append(score)
    return scores


def _overlap(a: list[str], b: set[str]) -> float:
    sa = set(a)
    return len(sa & b) / (len(sa) or 1)


def summarize(
    title: str, sents: list[Segment], scores: list[float] | None = None
) -> list[Segment]:
    """Two or three whole sentences, in article order, opening with the lead.

    ``scores`` may pass :func:`rank_sentences`'s result when the caller has it already.
    """
    if not sents:
        return []
    scores = scores if scores is not None else rank_sentences(title, sents)
    chosen: list[int] = []
    lead = next((i for i, s in enumerate(sents) if scores[i] > 0), 0)
    chosen.append(lead)
    covered = set(_content(sents[lead].text))
    words = len(sents[lead].text.split())
    order = sorted(range(len(sents)), key=lambda i: (-scores[i], i))
    for i in order:
        if len(chosen) >= 3 or (len(chosen) >= 2 and words >= _WORD_BUDGET):
            break
        if i in chosen or scores[i] <= 0:
            continue
        if _overlap(_content(sents[i].text), covered) > 0.6:
            continue
        chosen.append(i)
        covered |= set(_content(sents[i].text))
        words += len(sents[i].text.split())
    return [sents[i] for i in sorted(chosen)]


def _stands_alone(text: str) -> bool:
    """Whether a sentence makes a point read on its own: long enough, and not a bare quote
    whose speaker is named in another sentence."""
    bare_quote = text[:1] in "\"“‘'" and text.rstrip()[-1:] in "\"”’'"
    return len(text.split()) >= 8 and not bare_quote


def key_points(
    title: str,
    sents: list[Segment],
    summary: list[Segment],
    scores: list[float] | None = None,
) -> list[str]:
    """Three to five sentences a reader should not miss, beyond those in the summary when the
    article has enough of them, in article order.  Short sentences and bare quotes make a
    point only when nothing better is left.  ``scores`` may pass :func:`rank_sentences`'s
    result when the caller has it already."""
    if not sents:
        return []
    scores = scores if scores is not None else rank_sentences(title, sents)
    in_summary = {s.start for s in summary}
    order = sorted(range(len(sents)), key=lambda i: (-scores[i], i))
    picked: list[int] = []
    covered: set[str] = set()
    for i in order:
        if len(picked) >= 5:
            break
        if sents[i].start in in_summary or scores[i] <= 0 or not _stands_alone(sents[i].text):
            continue
        words = _content(sents[i].text)
        if _overlap(words, covered) > 0.6:
            continue
        picked.append(i)
        covered |= set(words)
    if len(picked) < 3:
        for i in order:
            if len(picked) >= 3:
                break
            if i not in picked:
                picked.append(i)
    return [without_dateline(sents[i].text) for i in sorted(picked)]
