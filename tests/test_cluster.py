"""One story, many outlets: near duplicates cluster into one digest item."""

from __future__ import annotations

import datetime as dt

from sources_web import (
    OTHER_PARAGRAPHS,
    RSS_TYPE,
    WIRE_PARAGRAPHS,
    Answer,
    Web,
    page,
    rss,
)

from config import Edition
from digests.cluster import (
    build_story,
    cluster_articles,
    merge_quotes,
    near_duplicates,
    sketch_article,
    sketch_text,
)
from digests.editions import compose
from digests.models import Article, Quote
from digests.render import Renderer, to_plain_text
from digests.sources.config import SourceSpec
from digests.sources.poller import PollOptions, SourcePoller
from digests.store import Store

WIRE = "\n".join(WIRE_PARAGRAPHS)
OTHER = "\n".join(OTHER_PARAGRAPHS)
T0 = dt.datetime(2026, 11, 26, 6, 0, tzinfo=dt.UTC)


def article(id: str, source: str, body: str, *, title: str = "Bridge reopens", hours: float = 0,
            quotes: list[Quote] | None = None) -> Article:
    return Article(id=id, title=title, source=source, body=body, quotes=quotes or [],
                   url=f"https://{source.lower().replace(' ', '')}.example/{id}",
                   published_at=T0 + dt.timedelta(hours=hours))


# -- recognising the same story -----------------------------------------------------------------

def test_the_same_wire_story_under_another_headline_is_a_near_duplicate() -> None:
    herald = article("h", "Herald", WIRE, title="Harbour Bridge Reopens")
    metro = article("m", "Metro", "RIVERTON (Wire) — " + WIRE + "\nMore on this story later.",
                    title="Riverton bridge open again after repairs")
    assert near_duplicates(sketch_article(herald), sketch_article(metro))


def test_a_trimmed_copy_is_contained_in_the_full_story() -> None:
    full = sketch_text(WIRE)
    trimmed = sketch_text("\n".join(WIRE_PARAGRAPHS[:3]))
    assert near_duplicates(full, trimmed)


def test_different_stories_on_one_topic_are_not_duplicates() -> None:
    assert not near_duplicates(sketch_text(WIRE), sketch_text(OTHER))
    other_bridge = (
        "A different bridge in Millbrook will close for repairs next spring, the county said, "
        "and drivers should expect diversions through the town centre for about six months."
    )
    assert not near_duplicates(sketch_text(WIRE), sketch_text(other_bridge))


def test_clusters_are_named_after_their_first_report() -> None:
    stories = cluster_articles([
        article("a", "Herald", WIRE),
        article("b", "Council News", OTHER, title="Solar farm approved"),
        article("c", "Metro", WIRE + "\nUpdated with comments from residents."),
    ])
    assert stories == {"a": "a", "b": "b", "c": "a"}


# -- what the digest shows of a story -----------------------------------------------------------

def test_an_outlets_update_replaces_its_earlier_version() -> None:
    mayor = Quote(text="this bridge connects our families", speaker="Ana Lopez")
    first = article("h1", "Herald", WIRE, hours=0, quotes=[mayor])
    update = article("h2", "Herald", WIRE + "\nUpdated: traffic is flowing.", hours=2,
                     quotes=[mayor])
    metro = article("m1", "Metro", WIRE, hours=1)
    story = build_story("h1", [update, metro, first])  # newest first
    assert story.article.id == "h2"
    assert [a.id for a in story.members] == ["h2", "m1"]
    assert story.also_reported_by == ["Metro"]


def test_quotes_are_merged_without_repeats() -> None:
    herald = [
        Quote(text="This bridge connects our families, our shops and our schools again.",
              speaker="Ana Lopez", speaker_role="Mayor of Riverton"),
        Quote(text="We lost a third of our customers", speaker="Tom Baker"),
    ]
    metro = [
        Quote(text="this bridge connects our families, our shops and our schools again",
              speaker="Ana Lopez"),                      # same words, other punctuation
        Quote(text="our shops and our schools", speaker=None),  # a trimmed partial of it
        Quote(text="We lost a third of our customers while it was closed",
              speaker="Tom Baker", speaker_role="baker"),  # fuller version wins
        Quote(text="It was a long wait", speaker="Jo Reed"),
    ]
    merged = merge_quotes([herald, metro])
    assert [(q.text, q.speaker, q.speaker_role) for q in merged] == [
        ("This bridge connects our families, our shops and our schools again.", "Ana Lopez",
         "Mayor of Riverton"),
        ("We lost a third of our customers while it was closed", "Tom Baker", "baker"),
        ("It was a long wait", "Jo Reed", None),
    ]


def test_same_words_from_different_speakers_stay_apart() -> None:
    merged = merge_quotes([[Quote(text="We will rebuild", speaker="Ana Lopez")],
                           [Quote(text="We will rebuild", speaker="Priya Shah")]])
    assert [q.speaker for q in merged] == ["Ana Lopez", "Priya Shah"]


# -- through the store and the digest -----------------------------------------------------------

async def test_digest_shows_a_story_once_with_also_reported_by(store: Store) -> None:
    await store.upsert_article(article("h", "Herald", WIRE, hours=1, quotes=[
        Quote(text="this bridge connects our families", speaker="Ana Lopez",
              speaker_role="Mayor")]))
    await store.upsert_article(article("m", "Metro", "RIVERTON — " + WIRE, hours=2,
                                       title="Riverton bridge open again"))
    await store.upsert_article(article("s", "Council News", OTHER, hours=0,
                                       title="Solar farm approved"))
    stories = await store.recent_stories(5)
    assert [(s.article.id, s.also_reported_by) for s in stories] == [
        ("m", ["Herald"]), ("s", []),
    ]
    # The newest report leads and carries the quote only the other outlet printed.
    assert [q.speaker for q in stories[0].article.quotes] == ["Ana Lopez"]

    digest = await compose(store, Renderer(), Edition(name="morning", cron="0 8 * * *"),
                           now=T0 + dt.timedelta(hours=3))
    text = to_plain_text("\n".join(digest.parts))
    assert digest.article_ids == ["m", "s"]
    assert "Riverton bridge open again" in text and "Bridge reopens" not in text
    assert text.count("Also reported by") == 1 and "Also reported by Herald" in text
    assert "2 stories" in text

    # Chosen articles (a chat's filters) are grouped the same way.
    chosen = [a for a in await store.recent_articles(10)]
    assert [s.article.id for s in await store.stories_for(chosen)] == ["m", "s"]


async def test_an_updated_article_moves_to_the_story_it_now_tells(store: Store) -> None:
    await store.upsert_article(article("h", "Herald", WIRE, hours=0))
    await store.upsert_article(article("x", "Metro", OTHER, hours=1, title="Early version"))
    assert len(await store.recent_stories(5)) == 2
    # Metro rewrites its article into the wire story: same id, new content.
    await store.upsert_article(article("x", "Metro", WIRE, hours=1, title="Bridge open again"))
    [story] = await store.recent_stories(5)
    assert story.article.id == "x" and story.also_reported_by == ["Herald"]


async def test_an_outlets_republished_update_replaces_the_first_version(store: Store) -> None:
    await store.upsert_article(article("v1", "Herald", WIRE, hours=0, title="Bridge to reopen"))
    await store.upsert_article(article("v2", "Herald", WIRE + "\nUpdate: the first buses crossed.",
                                       hours=3, title="Bridge reopens"))
    [story] = await store.recent_stories(5)
    assert (story.article.id, story.article_ids, story.also_reported_by) == ("v2", ["v2"], [])
    digest = await compose(store, Renderer(), Edition(name="morning", cron="0 8 * * *"))
    text = to_plain_text("\n".join(digest.parts))
    assert "1 story" in text and "Bridge to reopen" not in text and "Also reported" not in text


# -- two outlets, two feeds, one story ----------------------------------------------------------

async def test_two_outlets_carrying_one_story_make_one_digest_item(
    sqlite_url: str, web: Web
) -> None:
    web.serve("/herald.xml", Answer(rss("Herald", [
        {"title": "Harbour Bridge Reopens", "link": web.url("/herald/bridge"),
         "pubDate": "Thu, 26 Nov 2026 07:00:00 GMT"},
        {"title": "Solar Farm Approved", "link": web.url("/herald/solar"),
         "pubDate": "Thu, 26 Nov 2026 06:00:00 GMT"},
    ]), content_type=RSS_TYPE))
    web.serve("/metro.xml", Answer(rss("Metro", [
        {"title": "Riverton Bridge Open Again", "link": web.url("/metro/bridge"),
         "pubDate": "Thu, 26 Nov 2026 07:30:00 GMT"},
    ]), content_type=RSS_TYPE))
    web.serve("/herald/bridge", page("Harbour Bridge Reopens", WIRE_PARAGRAPHS))
    web.serve("/herald/solar", page("Solar Farm Approved", OTHER_PARAGRAPHS))
    web.serve("/metro/bridge", page("Riverton Bridge Open Again",
                                    ["RIVERTON (Wire) — " + WIRE_PARAGRAPHS[0],
                                     *WIRE_PARAGRAPHS[1:]]))
    specs = [SourceSpec(name="Riverton Herald", kind="feed", location=web.url("/herald.xml")),
             SourceSpec(name="Metro Daily", kind="feed", location=web.url("/metro.xml"))]
    async with await Store.open(sqlite_url) as store:
        poller = SourcePoller(store, specs, PollOptions(timeout=5))
        try:
            assert all(o.ok for o in await poller.poll_all())
        finally:
            await poller.aclose()
        assert await store.count_articles() == 3
        digest = await compose(store, Renderer(), Edition(name="morning", cron="0 8 * * *"))
    text = to_plain_text("\n".join(digest.parts))
    assert "2 stories" in text and len(digest.article_ids) == 2
    assert "Riverton Bridge Open Again" in text and "Harbour Bridge Reopens" not in text
    assert "Also reported by Riverton Herald" in text
    assert text.count("— Ana Lopez") == 1 and "\n3. " not in text
