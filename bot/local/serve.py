"""Run the local Bot API server as a process of its own, logging every call to a file.

Crash tests and benchmarks need Telegram to outlive the worker they kill, and a record of what
"Telegram" received that does not depend on the worker's own bookkeeping::

    python -m bot.local.serve --port 8081 --log calls.jsonl --private 1-2000 --rate 30

It prints ``listening on http://127.0.0.1:PORT/bot`` once ready, serves until SIGTERM or
SIGINT, and writes one JSON line per call to ``--log``: ``t`` (Unix time, answered),
``method``, ``chat_id``, ``status``, ``message_id`` (sent messages), ``retry_after`` (429s)
and ``text`` (the first 60 characters sent). The token never appears in the log.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

from .faults import FloodControl, RandomFailures, Timeouts
from .server import BotAPIServer, RecordedRequest
from .world import JSON

__all__ = ["LoggingServer", "main", "parse_range"]

#: Only the start of a text is logged: enough to tell digests apart, small for 100,000 lines.
LOGGED_TEXT = 60


def parse_range(text: str) -> range:
    """``"1-2000"`` -> ``range(1, 2001)``; ``"7"`` -> ``range(7, 8)``.

    Raises:
        argparse.ArgumentTypeError: not one number or two ascending ones joined by ``-``.
    """
    first, sep, last = text.partition("-")
    try:
        start = int(first)
        stop = int(last) if sep else start
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a range like 1-2000") from None
    if start <= 0 or stop < start:
        raise argparse.ArgumentTypeError(f"{text!r}: ids are positive, the first no larger")
    return range(start, stop + 1)


def _ids(text: str) -> list[int]:
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of chat ids") from None


class LoggingServer(BotAPIServer):
    """A :class:`BotAPIServer` that appends each call it answers to a JSON-lines file.

    ``keep_requests=False`` forgets calls once logged, so a long benchmark does not grow the
    server's memory with them.
    """

    def __init__(self, log: IO[str] | None, *, keep_requests: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._log = log
        self._keep_requests = keep_requests

    def _recorded(self, record: RecordedRequest, body: JSON) -> None:
        if not self._keep_requests:
            self.requests.clear()
        if self._log is not None and record.method != "getUpdates":
            line = _log_line(record.method, record.params, record.status, body)
            self._log.write(json.dumps(line) + "\n")


def _log_line(method: str, params: JSON, status: int, body: JSON) -> JSON:
    line: JSON = {"t": round(time.time(), 6), "method": method, "status": status}
    chat_id = params.get("chat_id")
    if chat_id is not None:
        line["chat_id"] = chat_id
    if status == 200 and isinstance(body.get("result"), dict):
        line["message_id"] = body["result"].get("message_id")
    retry_after = (body.get("parameters") or {}).get("retry_after")
    if retry_after is not None:
        line["retry_after"] = retry_after
    text = params.get("text")
    if isinstance(text, str):
        line["text"] = text[:LOGGED_TEXT]
    return line


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bot.local.serve",
        description="Run the local Bot API server, optionally misbehaving like Telegram.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--token", default=None, help="accept only this token (default: any)")
    parser.add_argument("--log", type=Path, default=None, help="JSON-lines file of every call")
    parser.add_argument("--private", type=parse_range, action="append", default=[],
                        metavar="FIRST-LAST", help="known private chats with these ids")
    parser.add_argument("--groups", type=parse_range, action="append", default=[],
                        metavar="FIRST-LAST", help="known groups, with these ids made negative")
    parser.add_argument("--block", type=_ids, default=[], metavar="IDS",
                        help="chats that blocked the bot (403), comma separated")
    parser.add_argument("--rate", type=float, default=None,
                        help="overall messages per second; also enables per-chat limits")
    parser.add_argument("--no-chat-limits", action="store_true",
                        help="with --rate: enforce the overall limit only")
    parser.add_argument("--fail", type=float, default=0.0, metavar="FRACTION",
                        help="answer this fraction of sends with 500/502")
    parser.add_argument("--timeouts", type=float, default=0.0, metavar="FRACTION",
                        help="hold this fraction of sends past the client's time-out")
    parser.add_argument("--hang", type=float, default=3.0, metavar="SECONDS",
                        help="how long a timed-out send is held")
    parser.add_argument("--seed", type=int, default=None)
    return parser


def configure(server: BotAPIServer, options: argparse.Namespace) -> None:
    """Create the chats and install the fault injectors the options ask for."""
    for ids in options.private:
        for chat_id in ids:
            server.add_chat(chat_id, type="private", first_name=f"User {chat_id}")
    for ids in options.groups:
        for chat_id in ids:
            server.add_chat(-chat_id, type="group", title=f"Group {chat_id}")
    for chat_id in options.block:
        server.block_chat(chat_id)
    if options.rate is not None:
        rate = int(options.rate) if float(options.rate).is_integer() else options.rate
        limits: dict[str, Any] = {"overall": (rate, 1.0)}
        if options.no_chat_limits:
            # A limit no sender can reach switches the per-chat windows off.
            limits.update(per_chat=(10**9, 1.0), per_group=(10**9, 1.0))
        server.interceptors.append(FloodControl(**limits))
    if options.fail:
        server.interceptors.append(RandomFailures(rate=options.fail, seed=options.seed))
    if options.timeouts:
        seed = None if options.seed is None else options.seed + 1
        server.interceptors.append(
            Timeouts(rate=options.timeouts, seconds=options.hang, seed=seed)
        )


async def serve(options: argparse.Namespace) -> None:
    log: IO[str] | None = None
    if options.log is not None:
        # Line-buffered, so a watcher sees each call as it is answered.
        log = options.log.open("a", encoding="utf-8", buffering=1)
    try:
        server = LoggingServer(
            log, keep_requests=False, token=options.token, host=options.host, port=options.port
        )
        configure(server, options)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        async with server:
            print(f"listening on {server.base_url}", flush=True)
            await stop.wait()
    finally:
        if log is not None:
            log.close()


def main(argv: Sequence[str] | None = None) -> None:
    options = build_parser().parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(options))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
