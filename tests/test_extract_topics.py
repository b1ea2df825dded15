"""Topics: names the article returns to or its headline carries."""

from __future__ import annotations

from digests.extract.text import split_body
from digests.extract.topics import extract_topics

BODY = (
    "Prime Minister Helen Marsh visited Glasgow on Monday.\n"
    "Ms Marsh met workers at the Clyde Shipyard.\n"
    "The Clyde Shipyard employs 2,000 people, and Marsh promised new orders.\n"
    "A union official said Glasgow needed the work."
)


def test_repeated_and_headline_names_rank_first_and_surnames_merge() -> None:
    topics = extract_topics("Marsh pledges shipyard orders", split_body(BODY)[1])
    assert topics[0] == "Helen Marsh"
    assert "Clyde Shipyard" in topics
    assert "Glasgow" in topics
    assert "Marsh" not in topics
    assert "Monday" not in topics
