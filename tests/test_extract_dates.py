"""Dates: absolute ones resolved on their own, relative ones against publication."""

from __future__ import annotations

import datetime as dt

from digests.extract.dates import extract_dates
from digests.extract.text import split_body
from digests.models import DateRef

PUBLISHED = dt.datetime(2025, 3, 12, 9, 30)  # a Wednesday


def _dates(body: str, published: dt.datetime | None = None) -> dict[str, DateRef]:
    return {d.text: d for d in extract_dates(split_body(body)[1], published)}


def test_absolute_dates_and_granularity() -> None:
    dates = _dates("Talks on May 16, 2024 followed a truce in February 2022 and a vote in 2019.")
    assert dates["May 16, 2024"].date == dt.date(2024, 5, 16)
    assert dates["May 16, 2024"].granularity == "day"
    assert (dates["February 2022"].date, dates["February 2022"].granularity) == (
        dt.date(2022, 2, 1), "month",
    )
    assert (dates["2019"].date, dates["2019"].granularity) == (dt.date(2019, 1, 1), "year")


def test_day_without_year_takes_publication_year_or_stays_unresolved() -> None:
    assert _dates("It met on 4 March.", PUBLISHED)["4 March"].date == dt.date(2025, 3, 4)
    assert _dates("It met on 4 March.")["4 March"].date is None
    # Late December read in March is last year's.
    assert _dates("It met on December 28.", PUBLISHED)["December 28"].date == dt.date(2024, 12, 28)


def test_relative_dates_resolve_against_publication() -> None:
    dates = _dates("He spoke on Monday, yesterday and last week; more next Friday.", PUBLISHED)
    assert dates["Monday"].date == dt.date(2025, 3, 10)
    assert dates["yesterday"].date == dt.date(2025, 3, 11)
    assert dates["last week"].date == dt.date(2025, 3, 3)
    assert dates["next Friday"].date == dt.date(2025, 3, 14)


def test_relative_dates_without_publication_are_kept_as_written() -> None:
    dates = _dates("The vote was held on Sunday.")
    assert dates["Sunday"].date is None


def test_may_the_verb_is_not_a_date() -> None:
    assert _dates("Prices May rise, the bank may say.") == {}


def test_capitalised_today_mid_sentence_is_a_name() -> None:
    text = "She told BBC Radio 4's Today programme she was happy. Today it rained."
    dates = _dates(text, PUBLISHED)
    assert list(dates) == ["Today"]
    assert dates["Today"].date == dt.date(2025, 3, 12)


def test_decades_are_not_years() -> None:
    assert _dates("Rates were higher in the 1990s and in 2001.").keys() == {"2001"}


def test_iso_dates() -> None:
    dates = _dates("The ruling of 2024-11-05 stands; 2024-13-40 is no date.")
    assert dates["2024-11-05"].date == dt.date(2024, 11, 5)
    assert "2024-13-40" not in dates
