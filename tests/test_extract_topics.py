"""Topics: subject labels, then names the article returns to or its headline carries; and the
people, places and organisations it names."""

from __future__ import annotations

from digests.extract import extract_article
from digests.extract.text import split_body
from digests.extract.topics import extract_topics, subject_labels
from digests.models import Article

BODY = (
    "Prime Minister Helen Marsh visited Glasgow on Monday.\n"
    "Ms Marsh met workers at the Clyde Shipyard.\n"
    "The Clyde Shipyard employs 2,000 people, and Marsh promised new orders.\n"
    "A union official said Glasgow needed the work."
)


def test_repeated_and_headline_names_rank_first_and_surnames_merge() -> None:
    topics = extract_topics("Marsh pledges shipyard orders", split_body(BODY)[1])
    names = [t for t in topics if not t.islower()]
    assert names[0] == "Helen Marsh"
    assert "Clyde Shipyard" in names
    assert "Glasgow" in names
    assert "Marsh" not in topics
    assert "Monday" not in topics


def _extract(title: str, body: str) -> Article:
    return extract_article(Article(id="t", title=title, body=body))


def test_subject_labels_are_lower_case_and_come_first() -> None:
    article = _extract(
        "Striker's late goal wins the cup final",
        "Rovers won the cup final on Saturday after a late goal from striker Luis Mendoza.\n"
        '"The team never gave up," said manager Karen Holt after the match.\n'
        "The club's fans celebrated in the stadium long after the final whistle.",
    )
    assert article.topics[0] == "sport"
    assert all(t == t.lower() for t in article.topics[:1])
    assert "Luis Mendoza" in article.people and "Karen Holt" in article.people


def test_one_stray_word_does_not_make_a_subject() -> None:
    # "wins" is a sport word, but a prize for a novel is a culture story.
    labels = subject_labels(
        "Novelist wins prize",
        split_body(
            "The novelist has won a prize for her book.\n"
            "The judges called the novel a masterpiece; the book will be reprinted."
        )[1],
    )
    assert labels == ["culture"]


def test_no_subject_for_a_body_without_its_words() -> None:
    assert subject_labels("Hello", split_body("Nothing much happened today.")[1]) == []


def test_people_places_and_organisations() -> None:
    article = _extract(
        "Ukraine and Russia hold talks in Istanbul",
        "Ukrainian and Russian delegations met in Istanbul on Friday.\n"
        "Ukrainian President Volodymyr Zelenskyy said the talks were a first step.\n"
        '"We want peace," Mr Zelenskyy told the BBC.\n'
        "The United Nations welcomed the meeting, and NATO said it was watching closely.\n"
        "Turkey hosted the talks at a palace in Istanbul.",
    )
    assert article.people == ["Volodymyr Zelenskyy"]
    assert {"Ukraine", "Russia", "Istanbul", "Turkey"} <= set(article.places)
    assert "Ukrainian" not in article.places  # a demonym counts for its country
    assert {"United Nations", "NATO"} <= set(article.organisations)
    assert "BBC" not in article.organisations  # the interviewer, not the story
    assert "Ukraine" in article.topics and "Volodymyr Zelenskyy" in article.topics


def test_places_by_preposition_and_name_shape() -> None:
    article = _extract(
        "Senator to run for governor",
        "Sen. Maria Delgado will run for governor of New Mexico, she said in Albuquerque.\n"
        '"New Mexico deserves better," Delgado said.\n'
        "West Yorkshire Police and the Springfield Transit Authority were not involved.",
    )
    assert "New Mexico" in article.places and "Mexico" not in article.places
    assert "Albuquerque" in article.places
    assert "New Mexico" not in article.people
    assert "West Yorkshire Police" in article.organisations
    assert "Springfield Transit Authority" in article.organisations


def test_a_bare_organisation_word_or_code_is_no_name() -> None:
    article = _extract(
        "Council approves budget",
        "Council leaders approved a USD 2 billion budget at 10:00 GMT.\n"
        "Hospital managers welcomed it.",
    )
    assert not {"Council", "Hospital", "USD", "GMT"} & set(article.organisations)
