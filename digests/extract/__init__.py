"""Extraction: from an article's headline and body to its structure.

The pipeline splits the body into paragraphs and sentences once (:mod:`.text`), then each
concern reads those segments: quotes and speakers (:mod:`.quotes`, :mod:`.speakers`), the
summary and key points (:mod:`.summary`), figures (:mod:`.figures`), dates (:mod:`.dates`) and
topics (:mod:`.topics`).  Every step is a pure function, so the same article always gives the
same result.
"""

from __future__ import annotations

from digests.extract.dates import extract_dates
from digests.extract.figures import extract_figures
from digests.extract.quotes import extract_quotes, quotes_and_cast
from digests.extract.summary import key_points, rank_sentences, summarize, without_dateline
from digests.extract.text import Segment, paragraphs, sentences, split_body
from digests.extract.topics import common_words, extract_entities, extract_topics
from digests.models import Article

__all__ = [
    "MAX_EXTRACT_CHARS",
    "Segment",
    "extract_article",
    "extract_dates",
    "extract_entities",
    "extract_figures",
    "extract_quotes",
    "extract_topics",
    "key_points",
    "paragraphs",
    "sentences",
    "split_body",
    "summarize",
]


#: How much of a body extraction reads: about 15,000 words.
MAX_EXTRACT_CHARS = 100_000


def extract_article(article: Article) -> Article:
    """Return a copy of ``article`` with summary, key points, quotes, figures, dates, topics,
    people, places and organisations filled in from its title and body.

    Paragraphs are separated by one or more newlines.  ``article.published_at``, when known,
    resolves relative dates ("on Monday").  The input is not modified.  Only the first
    :data:`MAX_EXTRACT_CHARS` characters of a longer body are read (it is kept whole): far more
    than any news article, and a bound on the time a huge input can take.
    """
    body = article.body
    if len(body) > MAX_EXTRACT_CHARS:
        body = body[:MAX_EXTRACT_CHARS]
    paras, sents = split_body(body)
    scores = rank_sentences(article.title, sents)
    summary = summarize(article.title, sents, scores)
    quotes, cast = quotes_and_cast(body, paras, sents)
    entities = extract_entities(
        article.title, body, cast, common_words(sents), (q.speaker or "" for q in quotes)
    )
    return article.model_copy(
        update={
            "summary": " ".join(without_dateline(s.text) for s in summary),
            "key_points": key_points(article.title, sents, summary, scores),
            "quotes": quotes,
            "figures": extract_figures(sents),
            "dates": extract_dates(sents, article.published_at),
            "topics": extract_topics(article.title, sents, entities=entities),
            "people": entities.people,
            "places": entities.places,
            "organisations": entities.organisations,
        },
        deep=True,
    )
