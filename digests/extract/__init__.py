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
from digests.extract.quotes import extract_quotes
from digests.extract.summary import key_points, summarize
from digests.extract.text import Segment, paragraphs, sentences, split_body
from digests.extract.topics import extract_topics
from digests.models import Article

__all__ = [
    "Segment",
    "extract_article",
    "extract_dates",
    "extract_figures",
    "extract_quotes",
    "extract_topics",
    "key_points",
    "paragraphs",
    "sentences",
    "split_body",
    "summarize",
]


def extract_article(article: Article) -> Article:
    """Return a copy of ``article`` with summary, key points, quotes, figures, dates and topics
    filled in from its title and body.

    Paragraphs are separated by one or more newlines.  ``article.published_at``, when known,
    resolves relative dates ("on Monday").  The input is not modified.
    """
    body = article.body
    paras, sents = split_body(body)
    summary = summarize(article.title, sents)
    return article.model_copy(
        update={
            "summary": " ".join(s.text for s in summary),
            "key_points": key_points(article.title, sents, summary),
            "quotes": extract_quotes(body, paras, sents),
            "figures": extract_figures(sents),
            "dates": extract_dates(sents, article.published_at),
            "topics": extract_topics(article.title, sents),
        },
        deep=True,
    )
