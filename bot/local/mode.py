"""Local mode: the real bot against an embedded Bot API server, chatted with from a console.

The Bot API server runs in a thread of its own with its own event loop, the bot runs
``run_polling`` exactly as in production, and the console reads lines from stdin (a terminal or
a script) and prints what the bot sends back. Only the Bot API address differs from production.
"""

from __future__ import annotations

import asyncio
import getpass
import sys
import threading
from collections.abc import Callable

from telegram.ext import Application

from bot.app import build_application
from bot.local.server import BotAPIServer
from config import Settings
from digests.ingest import SAMPLES_DIR
from digests.render import to_plain_text

LOCAL_USER_ID = 1001
LOCAL_TOKEN = "7000000001:local-mode-token-not-a-secret"
REPLY_WAIT = 15.0  # first reply to a scripted command
REPLY_IDLE = 0.6  # silence that ends a multi-part reply


class ServerThread:
    """Runs a :class:`BotAPIServer` on its own event loop in a daemon thread."""

    def __init__(self, server: BotAPIServer) -> None:
        self.server = server
        self.loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bot-api-server", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._started.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self.server.start())
        self._started.set()
        self.loop.run_forever()

    def call(self, fn: Callable[..., object], *args: object, **kwargs: object) -> None:
        self.loop.call_soon_threadsafe(lambda: fn(*args, **kwargs))

    def stop(self) -> None:
        future = asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop)
        future.result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)


class Console:
    """A chat window in the terminal: your lines go to the bot, its messages come back."""

    def __init__(self, server: ServerThread, *, chat_id: int, first_name: str) -> None:
        self.server = server
        self.chat_id = chat_id
        self.first_name = first_name
        self.interactive = sys.stdin.isatty()
        self._arrived = threading.Condition()
        self._count = 0

    def show(self, message: object) -> None:
        """Print a message the bot sent (called on the server's thread)."""
        chat_id = getattr(message, "chat_id", None)
        if chat_id != self.chat_id:
            return
        text = to_plain_text(getattr(message, "text", "") or "")
        edited = " (edited)" if getattr(message, "edited", False) else ""
        print(f"\nbot{edited}>\n{text}\n", flush=True)
        with self._arrived:
            self._count += 1
            self._arrived.notify_all()

    def _wait_for_reply(self, before: int) -> None:
        with self._arrived:
            self._arrived.wait_for(lambda: self._count > before, REPLY_WAIT)
            while True:
                seen = self._count
                self._arrived.wait(REPLY_IDLE)
                if self._count == seen:
                    return

    def run(self) -> None:
        """Read lines until end of input; scripted input waits for each reply before the next."""
        if self.interactive:
            print("Local mode: chatting with your bot. Try /start, /latest, /summary 1, /quotes.")
            print("End with Ctrl-D.\n", flush=True)
        while True:
            try:
                line = input("you> " if self.interactive else "")
            except EOFError:
                break
            text = line.strip()
            if not text:
                continue
            if not self.interactive:
                print(f"you> {text}", flush=True)
            before = self._count
            self.server.call(
                self.server.server.user_sends, self.chat_id, text,
                user_id=self.chat_id, first_name=self.first_name,
            )
            if not self.interactive:
                self._wait_for_reply(before)


def run_local(settings: Settings) -> None:
    """Start the embedded server, the bot and the console; return when input ends."""
    server = BotAPIServer(token=LOCAL_TOKEN)
    thread = ServerThread(server)
    thread.start()
    name = (getpass.getuser() or "you").capitalize()
    console = Console(thread, chat_id=LOCAL_USER_ID, first_name=name)
    server.on_bot_message = console.show

    application = build_application(
        settings, token=LOCAL_TOKEN, base_url=server.base_url,
        ingest=[SAMPLES_DIR], extra_admin_ids={LOCAL_USER_ID},
    )
    _start_console_when_ready(application, console)
    try:
        application.run_polling(poll_interval=0.0, timeout=10, close_loop=False)
    finally:
        thread.stop()


def _start_console_when_ready(application: Application, console: Console) -> None:
    """Chain onto ``post_init`` so the console opens once the bot is ready, and closes it."""
    original = application.post_init

    async def post_init(app: Application) -> None:
        if original is not None:
            await original(app)
        loop = asyncio.get_running_loop()

        def chat() -> None:
            console.run()
            loop.call_soon_threadsafe(app.stop_running)

        threading.Thread(target=chat, name="console", daemon=True).start()

    application.post_init = post_init
