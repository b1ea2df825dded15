"""A watched folder: good files are ingested, each bad one is named once with its reason."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from digests.sources.config import SourceSpec
from digests.sources.pipeline import Limits
from digests.sources.poller import PollOptions, SourcePoller
from digests.store import Store

MB = 1024 * 1024
STORY = (
    "Riverton's Harbour Bridge reopened on Monday after a two-year repair.\n\n"
    "Mayor Ana Lopez said “this bridge connects our families again” at the ceremony.\n"
)


def good_and_bad_folder(folder: Path) -> dict[str, str]:
    """Write the good files, then the bad ones; return each bad file's expected reason."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bridge.txt").write_text("Harbour Bridge Reopens\n\n" + STORY)
    (folder / "notes.md").write_text("# Library Opens Late\n\nThe **library** stays open.\n")
    (folder / "record.json").write_text(json.dumps({
        "title": "Solar Farm Approved", "body": "The council approved it.",
        "summary": "Approved.", "quotes": [{"text": "on track", "speaker": "Priya Shah"}],
    }))
    (folder / "list.yaml").write_text("- title: Ferry Returns\n  text: The ferry is back.\n")
    (folder / "page.html").write_text(
        "<html><head><title>Market Day</title><script>alert('SCRIPT-SHOULD-NOT-APPEAR')"
        "</script></head><body><h1>Market Day Returns</h1><p>Stalls are back.</p>"
        "<script>var x = 'SCRIPT-SHOULD-NOT-APPEAR';</script></body></html>"
    )
    nested = folder / "more"
    nested.mkdir()
    (nested / "school.txt").write_text("New School Opens\n\nPupils arrived on Monday.\n")
    (folder / ".partial.txt").write_text("an editor's temporary file, ignored")

    bad = {
        "broken.json": "invalid JSON",
        "broken.yaml": "invalid YAML",
        "untitled.json": "article has no title",
        "baddate.yaml": "field published_at",
        "latin1.txt": "not UTF-8 text",
        "huge.txt": "over the 2,000,000 limit",
        "photo.jpg": "not an article file (.jpg)",
        "blob.txt": "binary file, not text",
    }
    (folder / "broken.json").write_text('{"title": "Oops", "body": ')
    (folder / "broken.yaml").write_text("title: [unclosed\nbody: x\n")
    (folder / "untitled.json").write_text('{"body": "no headline here"}')
    (folder / "baddate.yaml").write_text("title: Dated\npublished_at: next tuesday-ish\n")
    (folder / "latin1.txt").write_bytes("Café Reopens\n\nCrème brûlée for all.\n".encode("latin-1"))
    with open(folder / "huge.txt", "wb") as huge:
        huge.truncate(50 * MB)  # sparse: 50 MB on paper, no disk used
    (folder / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(64))
    (folder / "blob.txt").write_bytes(b"Headline\n\x00\x01\x02\x03binary")
    return bad


def poller_for(store: Store, folder: Path, processes: int = 0, **extra: object) -> SourcePoller:
    spec = SourceSpec(name="Inbox", kind="folder", location=str(folder), **extra)
    options = PollOptions(limits=Limits(max_article_bytes=2_000_000), processes=processes)
    return SourcePoller(store, [spec], options)


async def test_good_files_are_stored_and_each_bad_file_is_named_once(
    store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "inbox"
    bad = good_and_bad_folder(folder)
    # Reading and extraction run in a real worker process here, as in the worker's default.
    poller = poller_for(store, folder, processes=1, topics=["city"])
    try:
        with caplog.at_level(logging.WARNING):
            outcome = await poller.poll("Inbox")
    finally:
        await poller.aclose()

    assert outcome.ok and outcome.added == 6 and outcome.skipped == len(bad)
    articles = {a.title: a for a in await store.recent_articles(20)}
    assert set(articles) == {
        "Harbour Bridge Reopens", "Library Opens Late", "Solar Farm Approved", "Ferry Returns",
        "Market Day Returns", "New School Opens",
    }
    bridge = articles["Harbour Bridge Reopens"]
    assert bridge.source == "Inbox" and "city" in bridge.topics
    assert any("this bridge connects our families again" in q.text for q in bridge.quotes)
    assert articles["Solar Farm Approved"].summary == "Approved."  # taken as it is
    assert "SCRIPT-SHOULD-NOT-APPEAR" not in articles["Market Day Returns"].body
    assert articles["Market Day Returns"].paragraphs == ["Stalls are back."]

    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    for name, reason in bad.items():
        path = str(folder / name)
        assert sum(path in line and reason in line for line in lines) == 1, (name, lines)
    assert len(lines) == len(bad)


async def test_only_new_and_changed_files_are_read_again(
    sqlite_store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "inbox"
    good_and_bad_folder(folder)
    poller = poller_for(sqlite_store, folder)
    try:
        await poller.poll("Inbox")
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            again = await poller.poll("Inbox")
        assert (again.added, again.updated, again.skipped) == (0, 0, 0)
        assert caplog.records == []  # bad files are not reported on every poll

        bridge = folder / "bridge.txt"
        bridge.write_text("Harbour Bridge Reopens\n\n" + STORY + "\nTraffic is back to normal.\n")
        os.utime(bridge, ns=(bridge.stat().st_atime_ns, bridge.stat().st_mtime_ns + 10**9))
        (folder / "broken.json").write_text('{"title": "Oops Fixed", "body": "Now valid."}')
        (folder / "late.txt").write_text("Late Arrival\n\nA new file appears.\n")
        changed = await poller.poll("Inbox")
    finally:
        await poller.aclose()
    assert (changed.added, changed.updated, changed.skipped) == (2, 1, 0)
    titles = [a.title for a in await sqlite_store.recent_articles(20)]
    assert titles.count("Harbour Bridge Reopens") == 1
    assert {"Oops Fixed", "Late Arrival"} <= set(titles)
    state = await sqlite_store.source_state("Inbox")
    assert state is not None and state.articles == 6 + 3


async def test_a_missing_folder_fails_the_source(sqlite_store: Store, tmp_path: Path) -> None:
    poller = poller_for(sqlite_store, tmp_path / "nowhere")
    try:
        outcome = await poller.poll("Inbox")
    finally:
        await poller.aclose()
    assert not outcome.ok and outcome.error == f"{tmp_path / 'nowhere'}: no such folder"
    state = await sqlite_store.source_state("Inbox")
    assert state is not None and state.status == "failing"
