"""/topics, /follow, /unfollow, /search, /digest with filters, paginated /quotes and
/quote_of_the_day, through the real PTB stack and the local Bot API server."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import pytest
from conversation import ask, press, running_bot

from bot.handlers.quotes import paginate
from bot.local.server import BotAPIServer
from bot.services import Services
from config import Edition, load_settings
from digests.ingest import SAMPLES_DIR
from digests.preferences import short_key
from digests.render import QuoteGroup, to_plain_text

TOKEN = "4242:topics-test-token"


@pytest.fixture
async def server() -> AsyncIterator[BotAPIServer]:
    async with BotAPIServer(token=TOKEN) as api:
        yield api


def bot(
    server: BotAPIServer, tmp_path: Path, folders: list[Path]
) -> AbstractAsyncContextManager[Services]:
    settings = load_settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
        editions=[Edition(name="morning", cron="0 8 * * *")],
    )
    return running_bot(server, TOKEN, settings, folders)


async def said(server: BotAPIServer, chat_id: int, text: str) -> str:
    return to_plain_text((await ask(server, chat_id, text)).text)


async def test_topics_follow_mute_and_the_digest_follows(
    server: BotAPIServer, tmp_path: Path
) -> None:
    chat = 601
    async with bot(server, tmp_path, [SAMPLES_DIR]):
        await ask(server, chat, "/start")
        topics = await ask(server, chat, "/topics")
        labels = [b["text"] for row in topics.buttons for b in row]
        assert {"Riverton", "Green Valley", "culture"} <= set(labels)
        assert "Following: everything" in topics.text

        riverton = f"tp:{short_key('Riverton')}"
        topics = await press(server, topics, riverton)
        digest = await said(server, chat, "/digest")
        assert "Harbour Bridge" in digest and "Solar Farm" not in digest
        assert "Library" not in digest

        topics = await press(server, topics, riverton)  # followed -> muted
        assert "Muted: Riverton" in topics.text
        digest = await said(server, chat, "/digest")
        assert "Harbour Bridge" not in digest and "Solar Farm" in digest

        reply = await said(server, chat, "/follow Osei")
        assert "Following “Osei”" in reply
        assert "already follow" in await said(server, chat, "/follow OSEI")
        digest = await said(server, chat, "/digest")
        assert "Solar Farm" in digest and "Library" not in digest

        topics = await press(server, topics, "tp:r")
        assert "Following: Osei" in topics.text
        await press(server, topics, riverton)  # muted -> cleared
        assert "No longer following “osei”" in await said(server, chat, "/unfollow osei")
        assert "don’t follow" in await said(server, chat, "/unfollow osei")
        digest = await said(server, chat, "/digest")
        assert all(t in digest for t in ("Harbour Bridge", "Solar Farm", "Library"))

        for topic in ("Riverton", "Green Valley", "culture"):
            await said(server, chat, f"/follow {topic}")
        for topic in ("Riverton", "Green Valley", "culture"):
            await said(server, chat, f"/unfollow {topic}")
        await press(server, await ask(server, chat, "/topics"), riverton)
        topics = await ask(server, chat, "/topics")
        for topic in ("Riverton", "Green Valley", "culture"):
            key = f"tp:{short_key(topic)}"
            topics = await press(server, topics, key)
            if topic != "Riverton":
                topics = await press(server, topics, key)
        assert "Muted: " in topics.text
        assert "matches your topics" in await said(server, chat, "/digest")
    assert [r.method for r in server.failed_requests()] == []


async def test_follow_and_search_answer_bad_input_safely(
    server: BotAPIServer, tmp_path: Path
) -> None:
    chat = 602
    async with bot(server, tmp_path, [SAMPLES_DIR]):
        assert "Usage: /follow WORD" in await said(server, chat, "/follow")
        assert "too long" in await said(server, chat, "/follow " + "x" * 4000)
        assert "Usage: /unfollow WORD" in await said(server, chat, "/unfollow")
        assert "Usage: /search WORDS" in await said(server, chat, "/search")
        hostile = await said(server, chat, "/search <b>bridge</b>\u202e\x07")
        assert "Nothing in recent articles mentions" in hostile

        found = await said(server, chat, "/search harbour bridge")
        assert "1 article about “harbour bridge”" in found
        assert "Harbour Bridge Reopens" in found
        assert "Nothing" in await said(server, chat, "/search volcano")
        accents = await said(server, chat, "/search OSÉI")
        assert "Solar Farm" in accents
    assert [r.method for r in server.failed_requests()] == []


def many_quotes(folder: Path) -> Path:
    folder.mkdir()
    speakers = [("Olena Marchenko", "mayor"), ("Ivan Petrenko", "engineer"),
                ("Sofia Kowalczyk", "minister"), ("Jonas Berg", "analyst"),
                ("Marta Zelenska", "teacher")]
    for index in range(6):
        quotes = [
            {"text": f"Statement number {index} {n} from {name}, spoken clearly.",
             "speaker": name, "speaker_role": role, "kind": "direct"}
            for n, (name, role) in enumerate(speakers[index % 5:] + speakers[: index % 5])
        ][:2]
        record = {"id": f"quote-{index}", "title": f"Council Session {index}",
                  "url": f"https://example.org/{index}", "body": "Text.", "summary": "Text.",
                  "quotes": quotes, "published_at": f"2026-11-2{index}T09:00:00Z"}
        (folder / f"{index}.json").write_text(json.dumps(record))
    return folder


async def test_quotes_are_paginated_in_place_and_filter_by_name(
    server: BotAPIServer, tmp_path: Path
) -> None:
    chat = 603
    async with bot(server, tmp_path, [many_quotes(tmp_path / "quotes")]):
        first = await ask(server, chat, "/quotes")
        assert "page 1 of 2" in first.text
        assert first.button_data() == ["qp:2"]
        shown = to_plain_text(first.text)
        assert "Olena Marchenko, mayor" in shown and "↳ 1. Council Session" in shown
        assert first.entity_texts("text_link")  # headlines link to the article
        first_text = first.text  # the message object is edited in place: keep page 1
        second = await press(server, first, "qp:2")
        assert "page 2 of 2" in second.text and second.button_data() == ["qp:1"]
        speakers_1 = {line for line in first_text.splitlines() if line.endswith(
            ("mayor", "engineer", "minister", "analyst", "teacher"))}
        speakers_2 = {line for line in second.text.splitlines() if line.endswith(
            ("mayor", "engineer", "minister", "analyst", "teacher"))}
        assert speakers_1 and speakers_2 and not speakers_1 & speakers_2
        back = await press(server, second, "qp:1")
        assert back.text == first_text
        assert len(server.messages_in(chat)) == 1

        only = to_plain_text((await ask(server, chat, "/quotes ZELENSKÁ")).text)
        assert "Marta Zelenska, teacher" in only and "Olena" not in only
        assert "No quotes from Nobody" in await said(server, chat, "/quotes Nobody")

        qotd = await said(server, chat, "/quote_of_the_day")
        assert "Quote of the day" in qotd and "Statement number" in qotd
    assert [r.method for r in server.failed_requests()] == []


def test_pages_hold_whole_speakers() -> None:
    groups = [QuoteGroup(speaker=str(n), entries=[None] * size)  # type: ignore[list-item]
              for n, size in enumerate([4, 3, 9, 1, 1])]
    pages = paginate(groups, per_page=6)
    assert [[g.speaker for g in page] for page in pages] == [["0"], ["1"], ["2"], ["3", "4"]]


async def test_quote_of_the_day_rides_along_with_the_digest(
    server: BotAPIServer, tmp_path: Path
) -> None:
    chat = 604
    async with bot(server, tmp_path, [SAMPLES_DIR]) as svc:
        await ask(server, chat, "/start")
        await svc.store.update_preferences(chat, quote_of_the_day=True)
        record = await svc.scheduler.publish("morning", dt.datetime.now(dt.UTC))
        assert record is not None
        pushed = await server.wait_for_messages(chat, 2, 10)
        assert "Quote of the day" in to_plain_text(pushed[-1].text)


async def test_new_commands_are_registered(server: BotAPIServer, tmp_path: Path) -> None:
    async with bot(server, tmp_path, [SAMPLES_DIR]):
        names = [c["command"] for c in server.commands()]
    for name in ("settings", "topics", "follow", "unfollow", "search", "quote_of_the_day"):
        assert name in names
