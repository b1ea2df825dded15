"""The local Bot API server in a process of its own, logging every send it answers.

For the multi-worker tests and ``bench/scale.py``: the workers under test should not share a
process (or a CPU's worth of event loop) with the server judging them::

    python bench/api_server.py --token 123:abc --limit 50 --log sends.jsonl

prints ``listening <base_url>`` once it accepts calls, appends one JSON line per
``sendMessage`` answered (``{"t": unix_time, "chat": id, "status": 200, "text": "..."}``) to
``--log`` (flushed every 0.2 s), and stops cleanly on SIGTERM or SIGINT. ``--chats FIRST COUNT``
makes that many private chats known, as if their users had started the bot. ``--limit`` makes it
enforce a global rate limit of that many messages a second the way Telegram does (429 with
``retry_after``); per-chat limits are off, since each chat gets one message in these runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import time
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.local.faults import FloodControl  # noqa: E402
from bot.local.server import BotAPIServer  # noqa: E402


async def serve(args: argparse.Namespace, log: TextIO) -> None:
    server = BotAPIServer(token=args.token, port=args.port)
    if args.limit:
        server.interceptors.append(
            FloodControl(per_chat=(1_000_000, 1.0), per_group=(1_000_000, 60.0),
                         overall=(args.limit, 1.0))
        )
    first, count = args.chats
    for chat_id in range(first, first + count):
        server.add_chat(chat_id, type="private")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    # RecordedRequest.at is monotonic; the log is read by other processes, so use wall time.
    offset = time.time() - time.monotonic()
    written = 0

    def flush() -> None:
        nonlocal written
        requests = server.requests
        for request in requests[written:]:
            if request.method == "sendMessage":
                text = str(request.params.get("text", ""))
                line = {"t": request.at + offset, "chat": request.params.get("chat_id"),
                        "status": request.status, "text": text[:60]}
                log.write(json.dumps(line) + "\n")
        written = len(requests)
        log.flush()

    async with server:
        print(f"listening {server.base_url}", flush=True)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.2)
            flush()
            # Keep memory flat on long runs: what is written need not be kept.
            if written > 50_000:
                del server.requests[:written]
                written = 0
                server.world.sent.clear()
                server.world.sent_index.clear()
                server.world.messages.clear()
    flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--token", default=None, help="accept only this token")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--limit", type=int, default=0, help="messages/s; 0: unlimited")
    parser.add_argument("--log", required=True, help="JSON-lines file of answered sends")
    parser.add_argument("--chats", type=int, nargs=2, default=(0, 0), metavar=("FIRST", "COUNT"),
                        help="private chats FIRST.. that exist (started the bot)")
    args = parser.parse_args()
    with open(args.log, "a", encoding="utf-8") as log:
        asyncio.run(serve(args, log))


if __name__ == "__main__":
    main()
