"""Figures: values with scale, units and what they count; dates and numbering left out."""

from __future__ import annotations

from digests.extract.figures import extract_figures
from digests.extract.text import split_body
from digests.models import Figure


def _figures(body: str) -> list[Figure]:
    return extract_figures(split_body(body)[1])


def _by_text(body: str) -> dict[str, Figure]:
    return {f.text: f for f in _figures(body)}


def test_money_with_symbols_codes_and_scales() -> None:
    figs = _by_text(
        "Profit rose to $1.13bn (£600m), while costs hit EUR 45 million and 3.5bn euros."
    )
    assert (figs["$1.13bn"].number, figs["$1.13bn"].unit) == (1_130_000_000, "USD")
    assert (figs["£600m"].number, figs["£600m"].unit) == (600_000_000, "GBP")
    assert (figs["EUR 45 million"].number, figs["EUR 45 million"].unit) == (45_000_000, "EUR")
    assert (figs["3.5bn euros"].number, figs["3.5bn euros"].unit) == (3_500_000_000, "EUR")


def test_percentages() -> None:
    figs = _by_text("Sales grew 6.4% and the firm holds 12 per cent of the market.")
    assert (figs["6.4%"].number, figs["6.4%"].unit) == (6.4, "%")
    assert figs["12 per cent"].number == 12
    assert figs["12 per cent"].counts == "market"


def test_counts_keep_their_noun_phrase_and_sentence() -> None:
    sentence = "Rebels seized 12 armoured trucks and 300 rifles near the border."
    figs = {f.number: f for f in _figures(sentence)}
    assert figs[12].counts == "armoured trucks"
    assert figs[300].counts == "rifles"
    assert figs[12].sentence == sentence


def test_distances_durations_and_written_numbers() -> None:
    figs = _by_text(
        "The convoy drove 1,200 miles in two hours. The three-year deal ends soon. "
        "Thousands of fans waited."
    )
    assert (figs["1,200 miles"].number, figs["1,200 miles"].unit) == (1200, "miles")
    assert (figs["two hours"].number, figs["two hours"].unit) == (2, "hours")
    assert (figs["three-year"].number, figs["three-year"].counts) == (3, "deal")
    assert figs["Thousands"].counts == "fans"


def test_dates_years_ages_times_and_numbering_are_not_figures() -> None:
    body = (
        "On March 3, 2004, the 45-year-old striker, aged 45, left at 1200 GMT. "
        "Article 5 of the treaty dates from 1949."
    )
    assert _figures(body) == []


def test_bare_m_is_metres_in_races_and_millions_of_things() -> None:
    figs = _by_text("The 100m champion won; 2.5m people watched the 60m hurdles.")
    assert (figs["100m"].number, figs["100m"].unit) == (100, "m")
    assert (figs["60m"].number, figs["60m"].unit) == (60, "m")
    assert figs["2.5m"].number == 2_500_000
    assert figs["2.5m"].counts == "people"


def test_numbers_in_names_and_written_millions() -> None:
    figs = _by_text("He left 10 Downing Street as seven million Britons voted.")
    assert "10" not in figs
    assert (figs["seven million"].number, figs["seven million"].counts) == (7_000_000, "Britons")


def test_scaled_decimals_are_exact() -> None:
    assert _by_text("It is worth 8.2bn euros.")["8.2bn euros"].number == 8_200_000_000


def test_what_a_sum_pays_for_and_regional_scales() -> None:
    figs = _by_text("They must repay a $900m (£479m) loan and Rs 500 crore, or $5m a year.")
    assert figs["$900m"].counts == "loan"
    assert figs["£479m"].counts == "loan"
    assert (figs["Rs 500 crore"].number, figs["Rs 500 crore"].unit) == (5_000_000_000, "INR")
    assert figs["$5m"].counts is None


def test_a_scaled_number_is_a_figure_even_without_a_noun() -> None:
    assert _by_text("The album sold 2.5 million.")["2.5 million"].number == 2_500_000


def test_singular_unit_after_a_written_number() -> None:
    figs = _by_text("It was a three-decade feud and a one-hour meeting ended it.")
    assert (figs["three-decade"].number, figs["three-decade"].unit) == (3, "decades")
    assert (figs["one-hour"].number, figs["one-hour"].unit) == (1, "hours")
