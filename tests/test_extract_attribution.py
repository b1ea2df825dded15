"""Who said it, across the ways reporters attribute speech.

The articles here were written for these tests, in house styles unlike the dev corpus: wire copy,
features, court and police reports, science and culture pages.  Each case is a general
convention a journalist would recognise.
"""

from __future__ import annotations

import pytest

from digests.extract import extract_article
from digests.models import Article, QuoteKind


def _quotes(body: str, title: str = "Story") -> dict[str, tuple[str | None, QuoteKind]]:
    article = extract_article(Article(id="t", title=title, body=body))
    return {q.text: (q.speaker, q.kind) for q in article.quotes}


def _speaker(body: str, text: str) -> str | None:
    quotes = _quotes(body)
    assert text in quotes, f"quote {text!r} not found in {list(quotes)}"
    return quotes[text][0]


@pytest.mark.parametrize(
    ("body", "quote", "speaker"),
    [
        pytest.param(
            "Astronomers say they have found water vapour on a distant planet.\n"
            '"It is the clearest signal we have ever seen," said Professor Amara Singh of the '
            "University of Leeds, who led the study.",
            "It is the clearest signal we have ever seen",
            "Amara Singh",
            id="name-then-affiliation",
        ),
        pytest.param(
            "Talks on a ceasefire stalled on Wednesday.\n"
            '"There has been no progress," according to a senior diplomat familiar with the '
            "negotiations.",
            "There has been no progress",
            "a senior diplomat",
            id="according-to-an-unnamed-source",
        ),
        pytest.param(
            "The village pub faces closure.\n"
            'A spokeswoman for the brewery said: "Trading has been difficult for some time."',
            "Trading has been difficult for some time.",
            "A spokeswoman for the brewery",
            id="spokeswoman-for-a-body",
        ),
        pytest.param(
            "The village pub faces closure.\n"
            'The brewery that owns the pub said it had "no choice" but to sell.',
            "no choice",
            "The brewery",
            id="body-with-relative-clause",
        ),
        pytest.param(
            "Former chancellor James Whitfield promised tax cuts.\n"
            "Home Secretary Robert Asante called it fantasy economics.\n"
            'Mr Whitfield hit back, saying his opponent had "no plan at all".',
            "no plan at all",
            "James Whitfield",
            id="participle-clause-after-the-subject",
        ),
        pytest.param(
            "Actor Daniel Okafor has apologised after a video went viral.\n"
            'Writing on X, the 38-year-old said: "I was tired and I was wrong. I\'m sorry."',
            "I was tired and I was wrong. I'm sorry.",
            "Daniel Okafor",
            id="definite-description-of-the-person",
        ),
        pytest.param(
            "Landlady Bev Turner, 61, has run the pub for two decades.\n"
            "Her husband, Graham, is blunter. \"If it goes, the village dies,\" he says.",
            "If it goes, the village dies",
            "Graham",
            id="relative-named-by-first-name",
        ),
        pytest.param(
            "Chipmaker shares fell 18% on Thursday.\n"
            'Shares in Veltrix fell after a warning. "The market remains challenging," the '
            "company said in a statement.",
            "The market remains challenging",
            "Veltrix",
            id="the-company-is-the-firm-named",
        ),
        pytest.param(
            'Union leader Sharon Graham said workers had had enough. "Our members are angry,"'
            " she said.\nEmployers' representative Anne Rees said the offer was fair. "
            '"This is the best offer in a decade," said Ms Rees.\n'
            'Ms Graham said: "We will ballot for strike action if we have to."',
            "We will ballot for strike action if we have to.",
            "Sharon Graham",
            id="title-and-surname-among-two-women",
        ),
    ],
)
def test_speaker(body: str, quote: str, speaker: str) -> None:
    assert _speaker(body, quote) == speaker


def test_quote_running_over_paragraphs_keeps_its_speaker() -> None:
    body = (
        "When the ground began to shake, Elif Demir was asleep in her flat.\n"
        '"I woke up and the walls were moving," the 29-year-old nurse said. "I grabbed my '
        "daughter and ran.\n"
        '"There was dust everywhere. People were screaming.\n'
        '"When we reached the street, the building was gone."\n'
        "Rescue workers say at least 120 people are still missing."
    )
    quotes = _quotes(body)
    assert {text: who for text, (who, _) in quotes.items()} == {
        "I woke up and the walls were moving": "Elif Demir",
        "I grabbed my daughter and ran.": "Elif Demir",
        "There was dust everywhere. People were screaming.": "Elif Demir",
        "When we reached the street, the building was gone.": "Elif Demir",
    }


def test_action_after_a_name_is_not_their_role() -> None:
    body = (
        "The disaster agency said more than 3,000 rescuers had been deployed. "
        '"The search will continue day and night," its head, Orhan Tatar, told reporters.'
    )
    (quote,) = extract_article(Article(id="t", title="Quake", body=body)).quotes
    assert quote.speaker == "Orhan Tatar"
    assert quote.speaker_role != "told reporters"


def test_titles_and_scare_quotes_are_not_speech() -> None:
    body = (
        'The claims were made in a new book, "Wings of Silence", by former pilot Gareth Lloyd.\n'
        'The so-called "Lloyd files" have been circulating online for weeks.\n'
        'Mr Lloyd described the report as a "whitewash" in an interview.'
    )
    quotes = _quotes(body)
    assert quotes == {"whitewash": ("Gareth Lloyd", QuoteKind.PARTIAL)}


def test_statement_introduced_in_the_paragraph_before() -> None:
    body = (
        "The defence ministry has denied claims of a cover-up.\n"
        "In a statement on Tuesday, the ministry said:\n"
        '"These allegations are false. The inquiry was thorough and independent."'
    )
    speaker, kind = _quotes(body)[
        "These allegations are false. The inquiry was thorough and independent."
    ]
    assert speaker is not None and "ministry" in speaker.lower()
    assert kind is QuoteKind.DIRECT
