"""Fault injectors for the local Bot API server: flood control, random errors, slow answers.

Each injector is an interceptor: append it to :attr:`BotAPIServer.interceptors` and it sees
every call before it is served, answering instead with Telegram's error when it decides so::

    server.interceptors.append(FloodControl())
    server.interceptors.append(RandomFailures(rate=0.1, seed=7))
    server.interceptors.append(Timeouts(rate=0.02, seconds=3.0))
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import deque
from collections.abc import Callable, Collection
from dataclasses import dataclass, field

from .errors import APIError
from .world import JSON

__all__ = ["Delay", "FloodControl", "RandomFailures", "Timeouts"]

SENDING_METHODS = frozenset({"sendMessage", "editMessageText", "editMessageReplyMarkup"})


@dataclass
class FloodControl:
    """Telegram's broadcast limits, answered with 429 ``retry_after`` when exceeded.

    Each limit is ``(messages, seconds)``. The defaults are the limits Telegram documents:
    about one message per second in a chat, 20 per minute in a group, 30 per second overall.
    Group chats are recognised by their negative ids.
    """

    per_chat: tuple[int, float] = (1, 1.0)
    per_group: tuple[int, float] = (20, 60.0)
    overall: tuple[int, float] = (30, 1.0)
    methods: Collection[str] = SENDING_METHODS
    clock: Callable[[], float] = time.monotonic
    refused: int = 0
    _windows: dict[object, deque[float]] = field(default_factory=dict, repr=False)

    def __call__(self, method: str, params: JSON) -> None:
        if method not in self.methods:
            return
        chat_id = params.get("chat_id")
        limits: list[tuple[object, tuple[int, float]]] = [("*", self.overall)]
        if chat_id is not None:
            limits.append((("chat", chat_id), self.per_chat))
            if isinstance(chat_id, int) and chat_id < 0:
                limits.append((("group", chat_id), self.per_group))
        now = self.clock()
        waits = [self._wait(key, limit, now) for key, limit in limits]
        if max(waits) > 0:
            self.refused += 1
            raise APIError.too_many_requests(max(1, math.ceil(max(waits))))
        for key, _ in limits:
            self._windows.setdefault(key, deque()).append(now)

    def _wait(self, key: object, limit: tuple[int, float], now: float) -> float:
        """Seconds until one more message fits in the window of *key* (0 when it fits)."""
        count, period = limit
        window = self._windows.setdefault(key, deque())
        while window and window[0] <= now - period:
            window.popleft()
        if len(window) < count:
            return 0.0
        return window[0] + period - now


@dataclass
class RandomFailures:
    """Answer a fraction *rate* of calls with a server error, reproducibly with *seed*.

    ``getUpdates`` is spared by default so updates keep flowing while sends fail.
    """

    rate: float = 0.1
    seed: int | None = None
    error_codes: tuple[int, ...] = (500, 502)
    methods: Collection[str] | None = SENDING_METHODS
    failed: int = 0
    _random: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def __call__(self, method: str, params: JSON) -> None:
        if self.methods is not None and method not in self.methods:
            return
        if self._random.random() < self.rate:
            self.failed += 1
            code = self._random.choice(self.error_codes)
            raise APIError(code, "Bad Gateway" if code == 502 else "Internal Server Error")


@dataclass
class Delay:
    """Hold calls of *methods* for *seconds* before serving them (they still succeed).

    A delay longer than the client's read timeout reproduces Telegram's worst case: the client
    sees a timeout although the message was sent.
    """

    seconds: float
    methods: Collection[str] = SENDING_METHODS
    times: int | None = None

    async def __call__(self, method: str, params: JSON) -> None:
        if method not in self.methods or self.times == 0:
            return
        if self.times is not None:
            self.times -= 1
        await asyncio.sleep(self.seconds)


@dataclass
class Timeouts:
    """Hold a fraction *rate* of calls for *seconds*, past the client's read time-out.

    With ``deliver=False`` (the default) a held call is then refused with 502, so the message
    was never sent: the client's time-out hides a plain failure, and a retry sends it once.
    With ``deliver=True`` it is served after the hold, Telegram's ambiguous case: the message
    arrives although the client gave up on it, and a retry sends it twice.
    """

    rate: float = 0.05
    seconds: float = 3.0
    deliver: bool = False
    seed: int | None = None
    methods: Collection[str] = SENDING_METHODS
    held: int = 0
    _random: random.Random = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    async def __call__(self, method: str, params: JSON) -> None:
        if method not in self.methods or self._random.random() >= self.rate:
            return
        self.held += 1
        await asyncio.sleep(self.seconds)
        if not self.deliver:
            raise APIError(502, "Bad Gateway")
