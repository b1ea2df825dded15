"""Quotes and their speakers, on short passages written for the purpose."""

from __future__ import annotations

from digests.extract.quotes import extract_quotes
from digests.extract.text import split_body
from digests.models import Quote, QuoteKind


def _quotes(body: str) -> list[Quote]:
    paras, sents = split_body(body)
    return extract_quotes(body, paras, sents)


def _pairs(body: str) -> list[tuple[str, str | None]]:
    return [(q.text, q.speaker) for q in _quotes(body)]


def test_attribution_after_with_role_and_trailing_comma_dropped() -> None:
    body = '"The harvest was poor," farm minister Ana Lopes said on Tuesday.'
    (quote,) = _quotes(body)
    assert (quote.text, quote.speaker, quote.speaker_role) == (
        "The harvest was poor", "Ana Lopes", "farm minister",
    )
    assert quote.kind is QuoteKind.DIRECT
    assert body[quote.offset : quote.offset + len(quote.text)] == quote.text


def test_said_then_name_with_appositive() -> None:
    body = '"We expect more rain," said Tom Hale, chief forecaster at the agency.'
    (quote,) = _quotes(body)
    assert quote.speaker == "Tom Hale"


def test_colon_and_told_that_before_the_quote() -> None:
    body = (
        'Mayor Rita Bloom told reporters that "the bridge will reopen in spring".\n'
        'Engineer Paul Dunn said: "The repairs are on schedule."'
    )
    assert _pairs(body) == [
        ("the bridge will reopen in spring", "Rita Bloom"),
        ("The repairs are on schedule.", "Paul Dunn"),
    ]


def test_interrupted_quote_is_two_quotes_with_the_same_speaker() -> None:
    body = '"We will win," Ms Cole said. "It is certain."'
    body = "Jane Cole, the coach, spoke after the match.\n" + body
    assert _pairs(body) == [("We will win", "Jane Cole"), ("It is certain.", "Jane Cole")]


def test_surname_and_pronoun_resolve_to_the_full_name() -> None:
    body = (
        "Health secretary Maria Okafor visited the hospital on Friday.\n"
        "Later, Dr Ben Ito showed Ms Okafor the new ward.\n"
        '"This ward changes everything," she said.\n'
        '"We needed it," Ito added.'
    )
    assert _pairs(body) == [
        ("This ward changes everything", "Maria Okafor"),
        ("We needed it", "Ben Ito"),
    ]


def test_partial_quote_and_scare_quotes() -> None:
    body = (
        'The so-called "green deal" was debated.\n'
        'Opposition leader Karl Weiss called the plan "a disaster for farmers".\n'
        'The film "Long Road Home" opens today.'
    )
    (quote,) = _quotes(body)
    assert (quote.text, quote.speaker, quote.kind) == (
        "a disaster for farmers", "Karl Weiss", QuoteKind.PARTIAL,
    )


def test_quote_carried_over_paragraphs_keeps_its_speaker() -> None:
    body = (
        'Coach Lena Park said: "We trained hard all winter.\n'
        '"Now we are ready for the season."\n'
        "Her rival Mia Stone was not so sure."
    )
    quotes = _quotes(body)
    assert [(q.text, q.speaker, q.paragraph) for q in quotes] == [
        ("We trained hard all winter.", "Lena Park", 0),
        ("Now we are ready for the season.", "Lena Park", 1),
    ]


def test_missing_closing_mark_before_a_new_quote() -> None:
    body = (
        'Minister Omar Haddad said: "Prices are falling. "It is good news," he said.'
    )
    assert _pairs(body) == [
        ("Prices are falling.", "Omar Haddad"),
        ("It is good news", "Omar Haddad"),
    ]


def test_according_to_and_organisation() -> None:
    body = (
        'The deal is "close to done", according to Acme Corp.\n'
        '"Talks continue," the company said.'
    )
    quotes = _quotes(body)
    assert [q.speaker for q in quotes] == ["Acme Corp", "the company"]


def test_unattributed_continuation_takes_the_previous_speaker() -> None:
    body = (
        'Union leader Sam Reyes said: "Our members are angry."\n'
        '"They have waited three years for a fair offer and they will not wait longer."'
    )
    assert [q.speaker for q in _quotes(body)] == ["Sam Reyes", "Sam Reyes"]
