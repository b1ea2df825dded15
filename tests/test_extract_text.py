"""Sentence and paragraph splitting on the shapes news copy takes."""

from __future__ import annotations

from digests.extract.text import paragraphs, sentences, split_body


def _texts(text: str) -> list[str]:
    return [s.text for s in sentences(text)]


def test_titles_initials_and_acronyms_do_not_end_sentences() -> None:
    text = "Mr. Black met J. R. Ortiz at the U.S. Embassy. Dr. White was not there."
    assert _texts(text) == [
        "Mr. Black met J. R. Ortiz at the U.S. Embassy.",
        "Dr. White was not there.",
    ]


def test_acronym_at_sentence_end_before_an_opener() -> None:
    assert _texts("Sales fell in the U.S. The firm blamed the weather.") == [
        "Sales fell in the U.S.",
        "The firm blamed the weather.",
    ]


def test_abbreviated_month_and_decimals() -> None:
    assert _texts("Prices rose 3.4% on Jan. 12 to a record. Traders cheered.") == [
        "Prices rose 3.4% on Jan. 12 to a record.",
        "Traders cheered.",
    ]


def test_quotes_closing_sentences() -> None:
    text = '"We will not wait," she said. "Is it fair?" he asked. It was late.'
    assert _texts(text) == [
        '"We will not wait," she said.',
        '"Is it fair?" he asked.',
        "It was late.",
    ]


def test_curly_quote_and_em_dash() -> None:
    text = "“It is over.” The club—founded in 1901—said nothing. Fans left."
    assert _texts(text) == ["“It is over.”", "The club—founded in 1901—said nothing.", "Fans left."]


def test_offsets_point_into_the_body() -> None:
    body = "First one. Second one.\n\n  Third paragraph here.\n"
    paras, sents = split_body(body)
    assert [p.paragraph for p in paras] == [0, 1]
    assert [(s.paragraph, body[s.start : s.end]) for s in sents] == [
        (0, "First one."),
        (0, "Second one."),
        (1, "Third paragraph here."),
    ]


def test_paragraphs_skip_blank_lines() -> None:
    assert [p.text for p in paragraphs("a\n\n\nb\n")] == ["a", "b"]
