"""One story, many outlets: near-duplicate detection and story clusters.

Each article is reduced to a *sketch*: the smallest hashes of its word 5-gram shingles (a
bottom-k MinHash). Two sketches estimate the Jaccard resemblance of the articles' shingle sets
and, with the set sizes, how much of the shorter one the longer contains. Articles that resemble
each other enough (the same wire story, a republished update) join one story.

:class:`StoryIndex` assigns stories incrementally, article after article, finding candidates
through an inverted index of sketch values, so clustering stays near-linear in the number of
articles. :func:`build_story` turns a story's articles into what a digest shows: the newest
version per outlet, one representative, "also reported by" and quotes merged without repeats.
"""

from __future__ import annotations

import functools
import heapq
import re
import sys
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from digests.models import Article, Quote

#: Words per shingle: long enough that unrelated articles rarely share one.
SHINGLE_WORDS = 5
#: Hashes kept per sketch; the estimate's error shrinks as 1/sqrt(SKETCH_SIZE).
SKETCH_SIZE = 64
#: Estimated Jaccard resemblance at or above which two articles are one story.
SIMILAR = 0.5
#: Share of the shorter article found in the longer one at or above which they are one story
#: (an outlet that ran a trimmed copy of the wire text).
CONTAINED = 0.8
#: Texts with fewer shingles than this say too little to be matched by containment alone.
MIN_CONTAINED_SHINGLES = 20
# Sketch values shared by more articles than this are boilerplate (footers, bylines); skipping
# them keeps candidate lookup linear.
_MAX_POSTING = 64
# Candidates must share this many sketch values before their resemblance is estimated: two
# long texts that resemble each other share about ``SKETCH_SIZE * jaccard`` values, while a
# short text inside a long one may share only a few, so short texts get the lower bar.
_MIN_SHARED_LONG = 8
_MIN_SHARED_SHORT = 2

_WORD = re.compile(r"\w+")

#: Names how sketches were computed; a stored sketch with another version is computed again.
#: Tuple hashing is an interpreter detail, hence the Python version in it.
SKETCH_VERSION = f"w{SHINGLE_WORDS}k{SKETCH_SIZE}-py{sys.version_info[0]}.{sys.version_info[1]}"


@dataclass(frozen=True, slots=True)
class Sketch:
    """The bottom-k shingle hashes of a text (sorted) and how many distinct shingles it has."""

    values: tuple[int, ...]
    size: int


def shingles(text: str, width: int = SHINGLE_WORDS) -> set[int]:
    """Hashes of the text's overlapping ``width``-word runs, case and punctuation ignored.

    Words are hashed with CRC-32 (stable across processes, unlike ``hash`` of a string), and a
    run's hash is the tuple hash of its word hashes, which for integers is deterministic too and
    runs at C speed.
    """
    ids = list(map(_word_hash, _WORD.findall(text.casefold())))
    if len(ids) < width:
        return {hash(tuple(ids))} if ids else set()
    return set(map(hash, zip(*(ids[i:] for i in range(width)), strict=False)))


@functools.lru_cache(maxsize=200_000)
def _word_hash(word: str) -> int:
    return zlib.crc32(word.encode())


def sketch_text(text: str, size: int = SKETCH_SIZE) -> Sketch:
    """The sketch of ``text``."""
    hashes = shingles(text)
    return Sketch(tuple(heapq.nsmallest(size, hashes)), len(hashes))


def sketch_article(article: Article) -> Sketch:
    """The sketch of an article's headline and body together."""
    return sketch_text(f"{article.title}\n{article.body}")


def resemblance(a: Sketch, b: Sketch) -> tuple[float, float]:
    """Estimated ``(jaccard, containment)`` of two sketched texts.

    Jaccard is estimated on the smallest values of the union of both sketches; containment
    (the share of the shorter text inside the longer) follows from it and the set sizes.
    """
    if not a.values or not b.values:
        return 0.0, 0.0
    size = min(len(a.values), len(b.values))
    first = set(a.values)
    union = sorted(first.union(b.values))[:size]
    cutoff = union[-1]
    both = sum(1 for value in first.intersection(b.values) if value <= cutoff)
    jaccard = both / len(union)
    smaller = min(a.size, b.size)
    containment = min(1.0, jaccard * (a.size + b.size) / ((1 + jaccard) * smaller))
    return jaccard, containment


def near_duplicates(a: Sketch, b: Sketch) -> bool:
    """Whether two sketched articles tell the same story."""
    return _same_story(a, b, *resemblance(a, b))


def _same_story(a: Sketch, b: Sketch, jaccard: float, containment: float) -> bool:
    if jaccard >= SIMILAR:
        return True
    return containment >= CONTAINED and min(a.size, b.size) >= MIN_CONTAINED_SHINGLES


class StoryIndex:
    """Assigns articles to stories one by one, remembering every sketch it has seen.

    Feed it articles oldest first: each joins the story of the article it resembles most, or
    starts a story named after its own key.
    """

    def __init__(self) -> None:
        self._keys: list[str] = []
        self._sketches: list[Sketch] = []
        self._stories: list[str] = []
        self._where: dict[str, int] = {}
        self._postings: dict[int, list[int]] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def story_of(self, key: str) -> str | None:
        slot = self._where.get(key)
        return None if slot is None else self._stories[slot]

    def best_match(self, sketch: Sketch, *, exclude: str | None = None) -> str | None:
        """The key of the indexed article most like ``sketch``, if any is a near duplicate."""
        shared: dict[int, int] = {}
        for value in sketch.values:
            posting = self._postings.get(value)
            if posting is None or len(posting) > _MAX_POSTING:
                continue
            for slot in posting:
                shared[slot] = shared.get(slot, 0) + 1
        long_text = 2 * SKETCH_SIZE
        best: tuple[float, int] | None = None
        for slot, count in shared.items():
            if count < _MIN_SHARED_SHORT or self._keys[slot] == exclude:
                continue
            other = self._sketches[slot]
            if count < _MIN_SHARED_LONG and min(sketch.size, other.size) >= long_text:
                continue
            score, containment = resemblance(sketch, other)
            if not _same_story(sketch, other, score, containment):
                continue
            # Ties go to the earlier article, so the result does not depend on dict order.
            if best is None or score > best[0] or (score == best[0] and slot < best[1]):
                best = (score, slot)
        return None if best is None else self._keys[best[1]]

    def add(self, key: str, sketch: Sketch, story: str | None = None) -> str:
        """Index ``key`` and return its story: ``story`` if given, else the best match's, else
        a new one named ``key``. Adding a key again re-assigns it (an updated article)."""
        if story is None:
            match = self.best_match(sketch, exclude=key)
            story = key if match is None else self.story_of(match) or match
        slot = self._where.get(key)
        if slot is not None:
            # A stale sketch of an updated article must stop matching; its slot keeps its key.
            for value in self._sketches[slot].values:
                posting = self._postings.get(value)
                if posting is not None and slot in posting:
                    posting.remove(slot)
            self._sketches[slot], self._stories[slot] = sketch, story
        else:
            slot = len(self._keys)
            self._keys.append(key)
            self._sketches.append(sketch)
            self._stories.append(story)
            self._where[key] = slot
        for value in sketch.values:
            self._postings.setdefault(value, []).append(slot)
        return story


def cluster(items: Iterable[tuple[str, Sketch]]) -> dict[str, str]:
    """Map each key to its story, taking ``items`` in the given (oldest first) order."""
    index = StoryIndex()
    return {key: index.add(key, sketch) for key, sketch in items}


def cluster_articles(articles: Sequence[Article]) -> dict[str, str]:
    """Stories of ``articles`` (oldest first), keyed and named by article id."""
    return cluster((a.id, sketch_article(a)) for a in articles)


# -- what a digest shows of a story ---------------------------------------------------------------


@dataclass(frozen=True)
class Story:
    """One story as a digest shows it.

    ``article`` is the representative (the newest version of the newest report) with the quotes
    of every outlet merged into it; ``also_reported_by`` names the other outlets.
    """

    id: str
    article: Article
    members: list[Article] = field(default_factory=list)
    also_reported_by: list[str] = field(default_factory=list)

    @property
    def article_ids(self) -> list[str]:
        return [a.id for a in self.members]


def outlet(article: Article) -> str:
    """Who published ``article``: its source, else its web host, else itself alone."""
    if article.source:
        return article.source
    if article.url:
        host = re.sub(r"^https?://(www\.)?", "", article.url).split("/", 1)[0]
        if host:
            return host
    return f"article:{article.id}"


def build_story(story_id: str, members: Sequence[Article]) -> Story:
    """Turn a story's articles, **newest first**, into one digest item.

    An outlet's older versions are dropped (an update replaces what it updates), the newest
    remaining report represents the story and carries every outlet's quotes, once each.
    """
    if not members:
        raise ValueError("a story needs at least one article")
    latest: dict[str, Article] = {}
    for article in members:
        latest.setdefault(outlet(article), article)
    current = list(latest.values())
    lead = current[0]
    quotes = merge_quotes(a.quotes for a in current)
    article = lead.model_copy(update={"quotes": quotes}) if quotes != lead.quotes else lead
    others = [name for name in latest if name != outlet(lead) and not name.startswith("article:")]
    return Story(story_id, article, current, others)


def _quote_key(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


def merge_quotes(groups: Iterable[Sequence[Quote]]) -> list[Quote]:
    """Every quote once, in first-seen order.

    Quotes match when their words match, ignoring case, punctuation and quotation marks; a quote
    whose words lie inside a longer one is the same quote trimmed. The fuller text wins, and a
    speaker or role missing from one report is taken from another.
    """
    kept: list[Quote] = []
    keys: list[str] = []
    for group in groups:
        for quote in group:
            key = _quote_key(quote.text)
            if not key:
                continue
            for i, seen in enumerate(keys):
                if _same_speaker(kept[i], quote) and (
                    f" {key} " in f" {seen} " or f" {seen} " in f" {key} "
                ):
                    kept[i] = _combine(kept[i], quote, prefer_new=len(key) > len(seen))
                    keys[i] = max(key, seen, key=len)
                    break
            else:
                kept.append(quote)
                keys.append(key)
    return kept


def _same_speaker(a: Quote, b: Quote) -> bool:
    # Two named speakers must agree; an unattributed report may be either.
    if a.speaker and b.speaker:
        return _quote_key(a.speaker) == _quote_key(b.speaker)
    return True


def _combine(old: Quote, new: Quote, *, prefer_new: bool) -> Quote:
    base, other = (new, old) if prefer_new else (old, new)
    return base.model_copy(
        update={
            "speaker": base.speaker or other.speaker,
            "speaker_role": base.speaker_role or other.speaker_role,
        }
    )
