"""Summary and key points: whole sentences of the article, lead first, no repeats."""

from __future__ import annotations

from digests.extract.summary import key_points, summarize, without_dateline
from digests.extract.text import split_body

TITLE = "Storm floods coastal towns"
BODY = """A storm flooded three coastal towns on Sunday, forcing hundreds of families out.

Rescue teams worked through the night as the floods rose in the coastal towns of the east.
The weather was mild earlier in the month.
Officials said the storm was the worst to hit the coast in forty years.
Local football matches were postponed.
The floods damaged roads, bridges and homes in all three towns, officials said.
A council spokesman said repairs to the coastal flood defences would take months.
Residents thanked the volunteers who brought food and blankets.
"""


def test_summary_is_two_or_three_article_sentences_opening_with_the_lead() -> None:
    sents = split_body(BODY)[1]
    chosen = summarize(TITLE, sents)
    assert 2 <= len(chosen) <= 3
    assert chosen[0].text.startswith("A storm flooded three coastal towns")
    texts = [s.text for s in sents]
    assert all(c.text in texts for c in chosen)
    assert [c.start for c in chosen] == sorted(c.start for c in chosen)
    assert "Local football matches were postponed." not in [c.text for c in chosen]


def test_summary_is_deterministic() -> None:
    sents = split_body(BODY)[1]
    assert summarize(TITLE, sents) == summarize(TITLE, list(sents))


def test_key_points_add_to_the_summary_without_repeating_it() -> None:
    sents = split_body(BODY)[1]
    chosen = summarize(TITLE, sents)
    points = key_points(TITLE, sents, chosen)
    assert 3 <= len(points) <= 5
    assert len(set(points)) == len(points)
    assert not set(points) & {c.text for c in chosen}


def test_empty_body() -> None:
    assert summarize(TITLE, []) == []
    assert key_points(TITLE, [], []) == []


def test_wire_dateline_is_not_part_of_the_summary() -> None:
    body = (
        "LONDON (Reuters) — The central bank raised its main rate to 5% on Thursday.\n"
        "The bank said prices were still rising faster than wages across the country.\n"
        "Markets had expected the central bank rate move after weeks of strong data."
    )
    chosen = summarize("Bank raises rate", split_body(body)[1])
    assert without_dateline(chosen[0].text).startswith("The central bank raised")
    assert without_dateline("Prices rose.") == "Prices rose."


def test_key_points_prefer_sentences_that_stand_alone() -> None:
    body = BODY + '"We lost everything in one night and nobody came to help us at all."\n'
    sents = split_body(body)[1]
    points = key_points(TITLE, sents, summarize(TITLE, sents))
    assert "Local football matches were postponed." not in points
    assert not [p for p in points if p.startswith('"')]
