"""The extraction pipeline as the rest of the product calls it."""

from __future__ import annotations

import datetime as dt

from digests.extract import extract_article
from digests.models import Article

BODY = (
    "LONDON (Reuters) — Acme Corp cut 1,200 jobs on Monday after profits fell 40% to £80m.\n\n"
    'Chief executive Jo Baker said: "These are hard choices for a proud company."\n\n'
    "The firm said it would close two factories in the north by March 2026.\n\n"
    "Unions said the cuts were a blow to the region and called for talks with ministers.\n"
)


def _article(**extra: object) -> Article:
    return Article(id="a1", title="Acme cuts 1,200 jobs", body=BODY, **extra)


def test_fills_every_part_of_the_structure() -> None:
    out = extract_article(_article(published_at=dt.datetime(2025, 9, 24, 8, 0)))
    assert out.summary.startswith("Acme Corp cut 1,200 jobs")
    assert 3 <= len(out.key_points) <= 5
    (quote,) = out.quotes
    assert (quote.speaker, quote.speaker_role) == ("Jo Baker", "Chief executive")
    assert {(f.number, f.unit, f.counts) for f in out.figures} >= {
        (1200, None, "jobs"), (40, "%", None), (80_000_000, "GBP", None),
    }
    dates = {d.text: d.date for d in out.dates}
    assert dates["Monday"] == dt.date(2025, 9, 22)
    assert dates["March 2026"] == dt.date(2026, 3, 1)
    assert "Acme Corp" in out.topics


def test_returns_a_copy_and_is_deterministic() -> None:
    article = _article()
    first = extract_article(article)
    assert article.summary == "" and article.quotes == []
    assert extract_article(article) == first
    assert first.id == article.id and first.body == article.body


def test_empty_body() -> None:
    out = extract_article(Article(id="e", title="Nothing here"))
    assert (out.summary, out.key_points, out.quotes, out.figures, out.dates) == ("", [], [], [], [])
