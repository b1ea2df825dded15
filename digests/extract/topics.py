"""Topics: what an article is about, and the people, places and organisations it names.

Two kinds of topic, both for following and filtering:

* subject labels in lower case ("politics", "sport", "health"), from a lexicon of words
  reporters use for each subject (:mod:`.lexicon`): a subject counts when the article keeps
  using its words, headline words counting more;
* names the article returns to or its headline carries, as written ("Volodymyr Zelenskyy",
  "Ukraine", "Acme Corp").

Names come from the article's :class:`~digests.extract.speakers.Cast` (found by shape, a later
"Mr Kyslytsya" counting towards the full name) and are sorted into people, places and
organisations by general evidence: titles, pronouns and speech make people; a country list,
demonyms ("Ukrainian") and locative prepositions ("in Riverton") make places; organisation
words ("Council", "Bank", "plc") and acronyms make organisations.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from digests.extract.lexicon import COUNTRIES, DEMONYMS, REGIONS, SUBJECTS
from digests.extract.speakers import ORG_WORDS, Cast, build_cast
from digests.extract.text import Segment

__all__ = ["Entities", "extract_entities", "extract_topics", "subject_labels"]

_MAX_SUBJECTS = 3
_MAX_TOPICS = 8
_MIN_NAMES = 3

_WORD = re.compile(r"[a-z]+(?:-[a-z]+)?")
# Subject words in the headline count this many times over.
_HEADLINE_WEIGHT = 3
# A subject needs this many hits, and this share of the strongest subject's hits.
_MIN_HITS = 3
_MIN_SHARE = 0.5


def _fold(word: str) -> str:
    """'elections' -> 'election', 'policies' -> 'policy': plurals meet their lexicon entry."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


# Which subjects each lexicon word signals.
_TOPICS_OF: dict[str, tuple[str, ...]] = {}
for _topic, _words in SUBJECTS.items():
    for _w in _words:
        _TOPICS_OF[_w] = (*_TOPICS_OF.get(_w, ()), _topic)


def _hits(text: str, weight: int, counts: Counter[str], distinct: dict[str, set[str]]) -> None:
    for word in _WORD.findall(text.lower()):
        topics = _TOPICS_OF.get(word)
        if topics is None:
            if not word.endswith("s"):
                continue
            word = _fold(word)
            topics = _TOPICS_OF.get(word)
            if topics is None:
                continue
        for topic in topics:
            counts[topic] += weight
            distinct.setdefault(topic, set()).add(_fold(word))


def subject_labels(title: str, sents: list[Segment]) -> list[str]:
    """Up to three lower-case subject labels, strongest first (none for an article too short
    or too mixed to tell).

    A subject needs at least two different words of its own: one word ("wins", "court") can
    be a figure of speech.
    """
    counts: Counter[str] = Counter()
    distinct: dict[str, set[str]] = {}
    _hits(" ".join(s.text for s in sents), 1, counts, distinct)
    _hits(title, _HEADLINE_WEIGHT, counts, distinct)
    if not counts:
        return []
    best = max(counts.values())
    ranked = sorted(counts, key=lambda t: (-counts[t], t))
    return [
        t for t in ranked
        if counts[t] >= _MIN_HITS and counts[t] >= _MIN_SHARE * best and len(distinct[t]) >= 2
    ][:_MAX_SUBJECTS]


@dataclass
class Entities:
    """People, places and organisations an article names, most mentioned first."""

    people: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)
    # Names that are none of these for sure ("Glasgow" said twice, with nothing around it).
    others: list[str] = field(default_factory=list)
    # How often each name is mentioned, and where first (for ranking topics).
    counts: Counter[str] = field(default_factory=Counter)
    first: dict[str, int] = field(default_factory=dict)


# Words before a name that place it: "in Riverton", "the city of Riverton".
_LOCATIVE = re.compile(
    r"(?:\b(?:in|at|near|from|across|outside|inside|around|into|to|towards|throughout|visited|"
    r"visiting|"
    r"city|town|village|region|province|county|state|capital|island|port)\s+(?:the\s+)?"
    r"|\b(?:city|town|village|region|province|county|state|capital|island)\s+of\s+"
    r"(?:the\s+)?)$",
    re.IGNORECASE,
)
_ACRONYM = re.compile(r"[A-Z][A-Z&]{1,5}")
_CAPITALISED = re.compile(r"\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+){0,2}")
# Words written in capitals that are not names: sentence openers, months, days.
_NOT_NAMES = {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
    "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december", "i", "mr", "mrs", "ms", "dr",
}
# News outlets named as the interviewer ("told the BBC") are not what the story is about.
_INTERVIEWER = re.compile(
    r"\b(?:told|telling|tells|tell|interview with|speaking to|spoke to|wrote in|writing in|"
    r"according to)\s+(?:the\s+)?$",
    re.IGNORECASE,
)


def _place_names(text: str) -> Counter[str]:
    """Countries, regions and demonyms in ``text``, counted under the country's name."""
    found: Counter[str] = Counter()
    for m in _CAPITALISED.finditer(text):
        words = m.group(0).split()
        if _PLACE_FIRST.isdisjoint(words) and not any(w.rstrip("s") in DEMONYMS for w in words):
            continue
        i = 0
        while i < len(words):
            if words[i].lower() in _PLACE_STARTS and i + 1 < len(words) and " ".join(
                words[i : i + 2]
            ) not in COUNTRIES and " ".join(words[i : i + 3]) not in COUNTRIES:
                i += 2  # "New Mexico" is not Mexico
                continue
            for size in (3, 2, 1):
                name = " ".join(words[i : i + size])
                place = DEMONYMS.get(name) or DEMONYMS.get(name.rstrip("s")) or (
                    name if name in COUNTRIES or name in REGIONS else None
                )
                if place and len(words[i : i + size]) == size:
                    found[place] += 1
                    i += size
                    break
            else:
                i += 1
    for m in re.finditer(r"\b(?:UK|US|USA|UAE)\b", text):
        found[{"USA": "US", "UAE": "United Arab Emirates"}.get(m.group(0), m.group(0))] += 1
    return found


def extract_entities(
    title: str, body: str, cast: Cast, common: set[str], speakers: Iterable[str] = ()
) -> Entities:
    """Sort the names of ``cast`` (built over ``body``) into people, places and organisations.

    ``common`` holds words the article also writes in lower case: a capital on one of them
    comes from the start of a sentence ("Opponents had argued"), not from a name.
    ``speakers`` are the names quotes are attributed to: whoever speaks is a person.
    """
    out = Entities()
    kinds: dict[str, str] = {}
    speakers_or_titled = {name for name in speakers if name}
    for mention in cast.mentions:
        person = mention.person
        name = person.name
        if name.lower() in _NOT_NAMES or name.split()[0].lower() in common:
            continue
        if not person.is_person:
            continue  # counted with the bodies below
        if not _is_place_name(name) and not _has_org_word(name):
            kinds.setdefault(name, "person")
            if person.role or person.gender or person.titled or person.single:
                speakers_or_titled.add(name)
        out.counts[name] += 1
        out.first.setdefault(name, mention.offset)
    for pos, name, _ in cast.bodies:
        person = cast.lookup(name)
        if person is not None and kinds.get(person.name) == "person":
            continue  # already counted as a mention of that person
        low = name.lower()
        if low in _NOT_NAMES or low in common or low.split()[0] in common:
            continue
        if _INTERVIEWER.search(body[max(0, pos - 30) : pos]):
            continue
        if name in DEMONYMS or name in _CURRENCY_CODES or (
            " " not in name and low in _ORGANISATION_WORDS | _PLACE_WORDS
        ):
            continue  # "Ukrainian" counts for Ukraine; "USD", a bare "Council" name nothing
        if kinds.get(name, "other") == "other":
            if _is_place_name(name):
                kinds[name] = "place"
            elif _has_org_word(name) or _ACRONYM.fullmatch(name):
                kinds[name] = "organisation"
            elif _LOCATIVE.search(body[max(0, pos - 30) : pos]):
                kinds[name] = "place"
        if person is None or not person.is_person:
            kinds.setdefault(name, "other")
            out.counts[name] += 1
            out.first.setdefault(name, pos)
    for place, n in _place_names(body).items():
        kinds[place] = "place"
        if n > out.counts[place]:
            out.counts[place] = n
        out.first.setdefault(place, body.find(place) if place in body else len(body))
    for name, kind in kinds.items():
        # A two-word name with no title, role, pronoun or quote is no proven person: a
        # place or thing written like one ("Green Valley") is left out of people.
        if kind == "person" and name not in speakers_or_titled and out.counts[name] < 2:
            continue
        if name in title and kind != "person":
            out.counts[name] += 1
        bucket = {"person": out.people, "place": out.places, "organisation": out.organisations,
                  "other": out.others}
        bucket[kind].append(name)
    for bucket in (out.people, out.places, out.organisations, out.others):
        bucket.sort(key=lambda n: (-out.counts[n], out.first.get(n, 0)))
    return out


# Words that end the name of a place: "Downing Street", "Green Valley", "Lake Como".
_PLACE_WORDS = {
    "street", "road", "square", "avenue", "lane", "city", "county", "valley", "river", "lake",
    "mountain", "mountains", "hills", "island", "islands", "bay", "coast", "beach", "bridge",
    "park", "airport", "station", "harbour", "harbor", "port", "sea", "ocean", "province",
    "district", "borough", "heights", "forest", "desert", "peninsula", "strait",
}
_ORGANISATION_WORDS = ORG_WORDS - _PLACE_WORDS - {
    "scotland", "england", "wales", "ireland", "britain", "america", "europe", "africa",
    "asia", "state", "states", "kingdom", "republic", "war", "day", "year", "house",
}


# Capitalised codes that name no organisation: currencies and time zones.
_CURRENCY_CODES = {
    "USD", "GBP", "EUR", "JPY", "CHF", "CNY", "RUB", "UAH", "INR", "AUD", "CAD", "GMT", "BST",
    "UTC", "CET", "EST", "EDT", "PST", "PDT",
}
# How place names often begin: "New Mexico", "North Yorkshire", "San Diego", "Port Talbot".
_PLACE_STARTS = {
    "new", "north", "south", "east", "west", "northern", "southern", "eastern", "western",
    "san", "santa", "los", "las", "port", "fort", "mount", "lake", "st", "saint", "upper",
    "lower", "greater", "little",
}


# First words of known places (and place-name openers): a cheap test before the full one.
_PLACE_FIRST = frozenset(
    name.split()[0] for name in (*COUNTRIES, *REGIONS, *DEMONYMS)
) | {w.capitalize() for w in _PLACE_STARTS}


def _is_place_name(name: str) -> bool:
    if name in COUNTRIES or name in REGIONS or name in DEMONYMS:
        return True
    if _has_org_word(name):
        return False  # "West Yorkshire Police"
    words = name.split()
    return len(words) > 1 and (
        words[-1].lower() in _PLACE_WORDS or words[0].lower().rstrip(".") in _PLACE_STARTS
    )


def _has_org_word(name: str) -> bool:
    return any(t.lower().rstrip(".") in _ORGANISATION_WORDS for t in name.split()) or bool(
        _ACRONYM.fullmatch(name)
    )


def _in_headline(name: str, headline: str) -> bool:
    return name.split()[-1].lower() in headline


def extract_topics(
    title: str,
    sents: list[Segment],
    cast: Cast | None = None,
    entities: Entities | None = None,
) -> list[str]:
    """Subject labels first, then up to eight names the article is about, most prominent first:
    those it returns to or its headline carries, then (to make three names) the first
    multi-word names it gives.

    ``cast`` and ``entities`` may pass what the caller has already computed.
    """
    if entities is None:
        body = "\n".join(s.text for s in sents)
        cast = cast or build_cast(body, [], sentence_starts=_starts(sents))
        entities = extract_entities(title, body, cast, common_words(sents))
    labels = subject_labels(title, sents)
    headline = title.lower()
    names = [*entities.people, *entities.places, *entities.organisations, *entities.others]
    weight = {
        n: entities.counts[n] + (2 if _in_headline(n, headline) else 0) for n in names
    }
    ranked = sorted(names, key=lambda n: (-weight[n], entities.first.get(n, 0)))
    chosen = [n for n in ranked if entities.counts[n] >= 2 or _in_headline(n, headline)]
    for n in sorted(names, key=lambda n: entities.first.get(n, 0)):
        if len(chosen) >= _MIN_NAMES:
            break
        if n not in chosen and len(n.split()) > 1:
            chosen.append(n)
    return [*labels, *chosen][:_MAX_TOPICS]


def common_words(sents: list[Segment]) -> set[str]:
    """Words the article writes in lower case somewhere."""
    return {w for s in sents for w in re.findall(r"\b[a-z][a-z'’-]*\b", s.text)}


def _starts(sents: list[Segment]) -> list[int]:
    starts, pos = [], 0
    for s in sents:
        starts.append(pos)
        pos += len(s.text) + 1
    return starts
