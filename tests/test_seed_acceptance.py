"""Acceptance: the seed article's extraction, as the product's first issue states it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from digests.extract import extract_article, sentences
from digests.models import Article, QuoteKind

SEED = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "seed" / (
    "istanbul-talks.txt"
)

pytestmark = pytest.mark.skipif(
    not SEED.exists(), reason=f"shared corpus not found at {SEED} (../shared beside the repo)"
)


@pytest.fixture(scope="module")
def seed() -> Article:
    title, _, body = SEED.read_text(encoding="utf-8").partition("\n")
    article = Article(id="seed", title=title.strip(), body=body.strip())
    return extract_article(article)


def _quote_by(article: Article, speaker: str):
    found = [q for q in article.quotes if q.speaker == speaker]
    assert found, f"no quote by {speaker}: {[(q.speaker, q.text) for q in article.quotes]}"
    return found


def test_kyslytsya_direct_quote_with_role(seed: Article) -> None:
    (quote,) = _quote_by(seed, "Sergiy Kyslytsya")
    assert quote.text == (
        "the Russian side continued to reject the motion of an unconditional ceasefire"
    )
    assert quote.speaker_role == "Ukrainian negotiator"
    assert quote.kind is QuoteKind.DIRECT
    assert quote.paragraph == 1
    assert seed.body[quote.offset : quote.offset + len(quote.text)] == quote.text


def test_rudik_quote_whole_with_both_sentences(seed: Article) -> None:
    (quote,) = _quote_by(seed, "Kira Rudik")
    assert quote.text == (
        "Destruction of 40 Russian jets isn’t random. Russia keeps launching 500 drones and "
        "missiles at us—it’s only a matter of time before things start shifting on their end."
    )
    assert quote.speaker_role == "member of the Ukrainian Parliament"
    assert quote.kind is QuoteKind.DIRECT


def test_zelenskyy_partial_quote_resolves_to_full_name(seed: Article) -> None:
    (quote,) = _quote_by(seed, "Volodymyr Zelenskyy")
    assert quote.text == "brilliant"
    assert quote.kind is QuoteKind.PARTIAL
    assert quote.speaker_role == "Ukrainian President"


def test_only_the_three_quotes_and_none_from_the_headline(seed: Article) -> None:
    assert "Unconditional Ceasefire" in seed.title
    assert all("Unconditional Ceasefire" not in q.text for q in seed.quotes)
    assert sorted(q.speaker or "" for q in seed.quotes) == [
        "Kira Rudik", "Sergiy Kyslytsya", "Volodymyr Zelenskyy",
    ]


def _figure(article: Article, number: float):
    found = [f for f in article.figures if f.number == number]
    assert found, f"no figure {number}: {[(f.text, f.number) for f in article.figures]}"
    return found[0]


def test_figures(seed: Article) -> None:
    distance = _figure(seed, 7000)
    assert (distance.text, distance.unit) == ("7,000 kilometers", "km")
    jets = _figure(seed, 40)
    assert jets.counts == "Russian jets"
    assert "40 Russian jets" in (jets.sentence or "")
    drones = _figure(seed, 500)
    assert drones.counts == "drones and missiles"
    money = _figure(seed, 2_000_000_000)
    assert (money.text, money.unit) == ("USD 2 billion", "USD")


def test_dates_are_dates_not_figures(seed: Article) -> None:
    texts = {d.text: d for d in seed.dates}
    assert "May 16" in texts
    assert texts["May 16"].granularity == "day"
    assert texts["February 2022"].date == dt.date(2022, 2, 1)
    assert texts["February 2022"].granularity == "month"
    assert not [f for f in seed.figures if f.number in {16, 2022}]


def test_relative_dates_resolve_against_publication(seed: Article) -> None:
    published = seed.model_copy(update={"published_at": dt.datetime(2025, 6, 2, 18, 0)})
    dated = {d.text: d.date for d in extract_article(published).dates}
    assert dated["Monday"] == dt.date(2025, 6, 2)
    assert dated["Sunday"] == dt.date(2025, 6, 1)
    assert dated["May 16"] == dt.date(2025, 5, 16)


def test_summary_two_sentences_opening_with_refused_ceasefire(seed: Article) -> None:
    summary_sentences = [s.text for s in sentences(seed.summary)]
    assert len(summary_sentences) == 2
    first_paragraph = seed.paragraphs[0]
    assert summary_sentences[0] == first_paragraph
    assert summary_sentences[0].startswith("Russia refused to agree to an unconditional ceasefire")
    body_sentences = {s.text for p in seed.paragraphs for s in sentences(p)}
    assert all(s in body_sentences for s in summary_sentences)
    assert 3 <= len(seed.key_points) <= 5
    assert not set(seed.key_points) & set(summary_sentences)
