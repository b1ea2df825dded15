"""Hostile arguments to every command get a calm, well-formed answer.

Every command the application registers (whoever added it) is sent, by an admin so that admin
commands parse their arguments too, with arguments that have broken bots before: 4,000
characters, control characters, HTML, right-to-left marks, emoji sequences. Each must be
answered with at least one message Telegram accepts, none of them the apology for an internal
error, and nothing the user typed may come back as markup.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from telegram.ext import CommandHandler

from bot.app import build_application, running
from bot.local.server import BotAPIServer
from config import load_settings
from digests.ingest import SAMPLES_DIR

TOKEN = "4848:hostile-test-token"
FIRST_USER = 50_000

HOSTILE = {
    "long": "Ж" * 2000 + " " + "word " * 399,
    "control": "a\x00b\x07c\x1b[31mred\x08\x7f\u0085 d\ufeff",
    "html": '<b>bold</b> <a href="javascript:alert(1)">x</a> &amp; &lt; <script>1</script> <',
    "rtl": "\u202eevil\u202c \u200fשלום\u200e مرحبا \u2066x\u2069",
    "emoji": "👩‍👩‍👧‍👦 🇺🇦 👍🏽 ❤️‍🔥 \U0001fae0",
}
APOLOGY = "Something went wrong on our side"


@pytest.fixture
async def server() -> AsyncIterator[BotAPIServer]:
    async with BotAPIServer(token=TOKEN) as api:
        yield api


async def test_every_command_answers_hostile_arguments_safely(
    server: BotAPIServer, tmp_path: Path
) -> None:
    settings = load_settings(
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}",
        commands_per_minute=1000,
    )
    admins = set(range(FIRST_USER, FIRST_USER + 1000))
    app = build_application(
        settings, token=TOKEN, base_url=server.base_url, ingest=[SAMPLES_DIR],
        extra_admin_ids=admins,
    )
    commands = sorted(
        {c for h in app.handlers.get(0, []) if isinstance(h, CommandHandler) for c in h.commands}
    )
    assert {"start", "summary", "quotes", "broadcast", "publish_to", "subscribers"} <= set(commands)
    problems: list[str] = []
    async with running(app, poll_timeout=1):
        user = FIRST_USER
        for command in commands:
            for name, payload in HOSTILE.items():
                user += 1
                text = f"/{command} {payload}"
                assert len(text) <= 4096  # what a Telegram client lets anyone send
                server.user_sends(user, text, user_id=user)
                try:
                    [reply] = await server.wait_for_messages(user, 1, timeout=10)
                except TimeoutError:
                    problems.append(f"/{command} {name}: no answer")
                    continue
                if APOLOGY in reply.text:
                    problems.append(f"/{command} {name}: internal error")
                unsafe = [e for e in reply.entities if e["type"] == "text_link"
                          and "javascript" in e.get("url", "")]
                if unsafe or "<script>" in reply.html or "bold" in reply.entity_texts("bold"):
                    problems.append(f"/{command} {name}: user markup came back as markup")
                if any(ch in reply.text for ch in "\x00\x07\x1b\x08"):
                    problems.append(f"/{command} {name}: control characters echoed")
    refused = [(r.method, r.description) for r in server.failed_requests()]
    assert problems == [] and refused == []
