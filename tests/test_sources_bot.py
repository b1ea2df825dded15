"""The worker polls its sources: articles arrive by themselves; a failing one shows in /stats."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import database_url_for_run
from sources_web import WIRE_PARAGRAPHS, Answer, Web

from bot.app import build_application, running
from bot.local.server import BotAPIServer
from config import Edition, load_settings
from digests.render import to_plain_text

TOKEN = "4243:sources-test-token"
ADMIN = 901


@pytest.fixture
async def server() -> AsyncIterator[BotAPIServer]:
    async with BotAPIServer(token=TOKEN) as api:
        yield api


async def test_worker_polls_sources_and_stats_show_their_errors(
    server: BotAPIServer, web: Web, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "bridge.txt").write_text("Harbour Bridge Reopens\n\n" + "\n\n".join(WIRE_PARAGRAPHS))
    web.serve("/down.xml", Answer("maintenance", status=503, content_type="text/plain"))
    settings = load_settings(
        _env_file=None,
        database_url=database_url_for_run(tmp_path),
        admin_ids=[ADMIN],
        editions=[Edition(name="morning", cron="0 8 * * *")],
        sources=json.dumps([
            {"name": "Inbox", "kind": "folder", "location": str(inbox)},
            {"name": "Down Feed", "kind": "feed", "location": web.url("/down.xml")},
        ]),
        fetch_timeout=5,
        ingest_processes=0,  # a thread: worker processes are covered in test_sources_folder
    )
    app = build_application(settings, token=TOKEN, base_url=server.base_url)
    async with running(app, poll_timeout=1) as services:
        for _ in range(100):
            states = {s.name: s for s in await services.store.source_states()}
            if len(states) == 2 and states["Inbox"].articles == 1:
                break
            await asyncio.sleep(0.05)
        assert [a.title for a in await services.store.recent_articles(5)] == [
            "Harbour Bridge Reopens"]

        server.user_sends(ADMIN, "/stats")
        [reply] = [to_plain_text(m.text) for m in await server.wait_for_messages(ADMIN, 1, 10)]
    assert "Sources" in reply
    assert "Inbox: ok · 1 article" in reply
    assert "Down Feed: failing" in reply and f"{web.url('/down.xml')}: HTTP 503" in reply
