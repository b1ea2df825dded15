"""Any text gives a valid structured article, in bounded time: property-based tests.

Hypothesis writes bodies from any Unicode text, from news-like words with quotation marks in
any (unbalanced) order, and from runs without punctuation; every result must be a valid
:class:`Article` whose quotes, figures and offsets point into the body.  Huge inputs (2 MB) are
checked separately, each within a time bound that a slow shared machine still meets.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digests.extract import MAX_EXTRACT_CHARS, extract_article
from digests.models import Article

# Generous per-example deadline: the machine has two shared cores, and a miss would be a hang
# in the making, not noise.
_SETTINGS = settings(
    max_examples=60,
    deadline=dt.timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,
)

_NEWS_WORDS = [
    "the", "minister", "said", "told", "reporters", "that", "Mr", "Ms", "Dr.", "Smith",
    "Volodymyr", "Zelenskyy", "he", "she", "they", "according", "to", "company", "U.S.",
    "Jan.", "40", "1.5", "$2bn", "£600m", "USD", "2", "billion", "per", "cent", "%", "Monday",
    "last", "week", "May", "16", "2022", "two", "hours", "three-year", "thousands", "of",
    "\"", "“", "”", "‘", "’", "'", ",", ".", ":", ";", "—", "–", "-", "?", "!", "…", "(", ")",
    "\n", "\n\n", " ", "said:", "was", "quoted", "as", "saying",
]

news_like = st.lists(st.sampled_from(_NEWS_WORDS), max_size=300).map(" ".join)
no_punctuation = st.text(
    alphabet=st.characters(categories=("Lu", "Ll", "Nd", "Zs")), max_size=2000
)
unbalanced_quotes = st.lists(
    st.one_of(st.sampled_from(["\"", "“", "”", "‘", "’", "'"]), st.sampled_from(_NEWS_WORDS)),
    max_size=300,
).map(" ".join)


def _check(title: str, body: str) -> Article:
    published = dt.datetime(2025, 6, 2, 18, 0)
    out = extract_article(Article(id="p", title=title, body=body, published_at=published))
    # Valid by the model's own rules, through a JSON round trip (what the store does).
    again = Article.model_validate_json(out.model_dump_json())
    assert again == out
    assert out.body == body
    for quote in out.quotes:
        assert quote.text.strip()
        assert quote.offset is not None and 0 <= quote.offset < len(body)
        assert body[quote.offset : quote.offset + len(quote.text)] == quote.text
    for figure in out.figures:
        assert figure.sentence and figure.text in figure.sentence
    assert all(d.text for d in out.dates)
    assert len(out.summary) <= len(body) + 1
    assert all(t.strip() for t in out.topics)
    return out


@_SETTINGS
@given(title=st.text(max_size=200), body=st.text(max_size=3000))
def test_any_unicode_text(title: str, body: str) -> None:
    _check(title, body)


@_SETTINGS
@given(body=news_like)
def test_news_like_words_in_any_order(body: str) -> None:
    _check("Talks", body)


@_SETTINGS
@given(body=no_punctuation)
def test_text_without_punctuation(body: str) -> None:
    _check("Nothing", body)


@_SETTINGS
@given(body=unbalanced_quotes)
def test_quotation_marks_never_balanced(body: str) -> None:
    _check("Quotes", body)


def test_empty_and_blank_bodies() -> None:
    for body in ("", " ", "\n\n\n", "\"", "“", "’"):
        out = _check("", body)
        assert out.quotes == [] and out.figures == []


_TWO_MB = 2 * 1024 * 1024
# Far above what each takes here (about 3 s for the slowest), far below a hang.
_HUGE_SECONDS = 20.0


@pytest.mark.parametrize(
    "unit",
    [
        pytest.param("alpha Beta gamma ", id="no-punctuation"),
        pytest.param("\"He said ", id="unbalanced-quotes"),
        pytest.param('"We will win," said Mr Smith. Ms Jones said: "No.\n', id="quotes-galore"),
        pytest.param("1 ", id="numbers-only"),
        pytest.param("Mr Abc Def, ", id="names-only"),
    ],
)
def test_two_megabytes_in_bounded_time(unit: str) -> None:
    body = (unit * (_TWO_MB // len(unit) + 1))[:_TWO_MB]
    start = time.perf_counter()
    out = _check("Huge", body)
    assert time.perf_counter() - start < _HUGE_SECONDS
    # Only the first MAX_EXTRACT_CHARS are read; the body is kept whole.
    assert all(q.offset is not None and q.offset < MAX_EXTRACT_CHARS for q in out.quotes)
