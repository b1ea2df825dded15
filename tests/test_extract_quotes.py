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


def test_according_to_and_organisation_named_for_the_company() -> None:
    body = (
        'The deal is "close to done", according to Acme Corp.\n'
        '"Talks continue," the company said.'
    )
    assert [q.speaker for q in _quotes(body)] == ["Acme Corp", "Acme Corp"]


def test_the_firm_is_the_organisation_last_named_as_subject() -> None:
    body = (
        "Rival Globex was not available for comment.\n"
        "Initech said profits rose in the spring.\n"
        '"We are pleased with the results," the firm said in a statement.\n'
        '"Margins were strong," a spokesman for the firm said.'
    )
    assert [q.speaker for q in _quotes(body)] == ["Initech", "a spokesman for the firm"]


def test_unattributed_continuation_takes_the_previous_speaker() -> None:
    body = (
        'Union leader Sam Reyes said: "Our members are angry."\n'
        '"They have waited three years for a fair offer and they will not wait longer."'
    )
    assert [q.speaker for q in _quotes(body)] == ["Sam Reyes", "Sam Reyes"]


def test_second_partial_in_a_sentence_shares_the_speaker() -> None:
    body = 'Finance chief Nora Hale said the merger was "a fair deal" and "long overdue".'
    assert _pairs(body) == [("a fair deal", "Nora Hale"), ("long overdue", "Nora Hale")]


def test_pronoun_follows_a_new_subject_not_the_last_speaker() -> None:
    body = (
        'Mayor Tom Reed said: "The roads are clear."\n'
        "Councillor Dan Pike disagreed with Mr Reed on the gritting budget.\n"
        '"We ran out of salt twice," he said.'
    )
    assert _pairs(body) == [
        ("The roads are clear.", "Tom Reed"),
        ("We ran out of salt twice", "Dan Pike"),
    ]


def test_pronoun_sentence_subject_beats_a_name_in_reported_speech() -> None:
    body = (
        'Analyst Joe Marsh said: "Demand is weak."\n'
        'He says Paul Grant was wrong to expect "a quick rebound".'
    )
    assert [q.speaker for q in _quotes(body)] == ["Joe Marsh", "Joe Marsh"]


def test_relative_clause_after_the_speaker() -> None:
    body = (
        "The airline body Iata, which has attacked the rules as a "
        '"bad piece of legislation", will appeal.'
    )
    (quote,) = _quotes(body)
    assert quote.text == "bad piece of legislation"
    assert quote.speaker is not None and "Iata" in quote.speaker


def test_words_after_a_partial_quote_are_not_an_attribution() -> None:
    body = (
        'Minister Ray Cole said he had "good relations" with Ms Fry, who he described as '
        '"very able".'
    )
    assert _pairs(body) == [("good relations", "Ray Cole"), ("very able", "Ray Cole")]


def test_headline_like_title_in_quotes_is_not_a_quote() -> None:
    body = 'Critics praised the album "Songs Of The Long Night" on Monday.'
    assert _quotes(body) == []


def test_attribution_in_the_middle_and_single_speech_marks() -> None:
    body = (
        "'We are devastated,' said Mary Brown, 54, whose shop flooded.\n"
        'Council leader Alan Price agreed. "We will win this fight," he said, '
        '"and we will do it together."'
    )
    quotes = _quotes(body)
    assert [(q.text, q.speaker) for q in quotes] == [
        ("We are devastated", "Mary Brown"),
        ("We will win this fight", "Alan Price"),
        ("and we will do it together.", "Alan Price"),
    ]
    assert quotes[0].speaker_role is None  # an age is not a role
    assert quotes[1].speaker_role == "Council leader"


def test_office_named_after_its_institution() -> None:
    body = '"We are not in a hurry," Fed Chair Jerome Powell said on Wednesday.'
    (quote,) = _quotes(body)
    assert (quote.speaker, quote.speaker_role) == ("Jerome Powell", "Fed Chair")


def test_anonymous_official_agency_and_dotted_acronym_title() -> None:
    body = (
        "A senior U.S. official, speaking on condition of anonymity, said the talks had been "
        "“constructive” but gaps remained.\n"
        "The International Atomic Energy Agency said in a report that it had lost "
        "“continuity of knowledge” over the programme.\n"
        "U.S. President Donald Trump wrote: “We want a deal.”"
    )
    assert [(q.speaker, q.speaker_role) for q in _quotes(body)] == [
        ("A senior U.S. official", None),
        ("International Atomic Energy Agency", None),
        ("Donald Trump", "U.S. President"),
    ]


def test_the_agency_is_the_body_whose_name_says_so() -> None:
    body = (
        "Acme Corp said output fell.\n"
        "The Food Standards Agency said it was checking the plant.\n"
        "Acme Corp declined to comment further.\n"
        '"Tests will take a week," the agency said.'
    )
    (quote,) = _quotes(body)
    assert quote.speaker == "Food Standards Agency"


def test_colon_at_the_end_of_the_paragraph_before() -> None:
    body = (
        "In a statement, health minister Lara Voss said:\n"
        "“We will publish the full report next week.”"
    )
    (quote,) = _quotes(body)
    assert (quote.speaker, quote.paragraph) == ("Lara Voss", 1)
