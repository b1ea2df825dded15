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

__all__ = ["key_points", "rank_sentences", "summarize"]

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


def _content(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1]


def rank_sentences(title: str, sents: list[Segment]) -> list[float]:
    """Score each sentence by how central it is: frequent article words, headline words, place.

    Sentences too short to stand alone, or that are mostly someone's quoted words, score low:
    a summary reads as the article's voice.
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
        centrality = sum(math.log1p(doc[w] - 1) for w in unique) / (len(unique) ** 0.6)
        headline = len(unique & head) / (len(head) or 1)
        position = 1.0 - i / max(n, 1)
        score = centrality + 1.5 * headline + 0.8 * position
        if _mostly_quoted(sent.text):
            score *= 0.6
        scores.append(score)
    return scores


def _mostly_quoted(text: str) -> bool:
    inside = sum(len(m) for m in re.findall(r"[“\"][^”\"]*[”\"]", text))
    return inside > 0.5 * len(text)


def _overlap(a: list[str], b: set[str]) -> float:
    sa = set(a)
    return len(sa & b) / (len(sa) or 1)


def summarize(title: str, sents: list[Segment]) -> list[Segment]:
    """Two or three whole sentences, in article order, opening with the lead."""
    if not sents:
        return []
    scores = rank_sentences(title, sents)
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


def key_points(title: str, sents: list[Segment], summary: list[Segment]) -> list[str]:
    """Three to five sentences a reader should not miss, beyond those in the summary when the
    article has enough of them, in article order."""
    if not sents:
        return []
    scores = rank_sentences(title, sents)
    in_summary = {s.start for s in summary}
    order = sorted(range(len(sents)), key=lambda i: (-scores[i], i))
    picked: list[int] = []
    covered: set[str] = set()
    for i in order:
        if len(picked) >= 5:
            break
        if sents[i].start in in_summary or scores[i] <= 0:
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
    return [sents[i].text for i in sorted(picked)]
