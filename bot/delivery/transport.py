"""The HTTP side of the outbox: python-telegram-bot calls, carried cheaply.

A fan-out makes thousands of calls a minute, so each one's CPU counts. Measured per message on
this project's digests, python-telegram-bot's default transport (httpx) spends about a
millisecond, more as concurrency grows; URL-encoding a long non-ASCII text as a form costs
another 0.7 ms; building a :class:`~telegram.Message` (one object per entity) from the answer
as much again. So the outbox uses :class:`OutboxBot`: python-telegram-bot still builds each
call and turns Telegram's errors into its exceptions (``RetryAfter``, ``Forbidden``,
``ChatMigrated``...), but the body travels as JSON over aiohttp (:class:`AiohttpRequest`) and
the answer comes back as plain JSON. Command replies keep the default transport.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from telegram import Bot
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

__all__ = ["AiohttpRequest", "OutboxBot", "outbox_bot"]

_JSON = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    """A :class:`~telegram.request.BaseRequest` over one :class:`aiohttp.ClientSession`.

    Args:
        pool_size: most connections open at once (calls beyond wait for one).
        read_timeout: default seconds to wait for Telegram's answer.
        connect_timeout: default seconds to wait for a connection.
    """

    def __init__(
        self, *, pool_size: int = 32, read_timeout: float = 10.0, connect_timeout: float = 5.0
    ) -> None:
        self._pool_size = pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._pool_size)
            self._session = aiohttp.ClientSession(connector=connector)

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """See :meth:`telegram.request.BaseRequest.do_request`."""
        if self._session is None or self._session.closed:
            raise RuntimeError("this AiohttpRequest is not initialized")
        if request_data is not None and request_data.contains_files:
            raise NetworkError("the outbox transport does not upload files")
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = (
            self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        )
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect, sock_read=read)
        body = None
        if request_data is not None:
            body = json.dumps(request_data.parameters, ensure_ascii=False).encode()
        try:
            async with self._session.request(
                method, url, data=body, headers=_JSON, timeout=timeout
            ) as answer:
                return answer.status, await answer.read()
        except TimeoutError as exc:
            raise TimedOut("Telegram did not answer in time") from exc
        except aiohttp.ClientError as exc:
            # The exception text may hold the URL, and the URL holds the token.
            raise NetworkError(f"aiohttp.{type(exc).__name__}") from exc


class OutboxBot(Bot):
    """A :class:`~telegram.Bot` with one more method, for sending text cheaply."""

    async def send_text(
        self,
        chat_id: int,
        text: str,
        *,
        parse_mode: str | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> dict[str, Any]:
        """``sendMessage``, answered with Telegram's ``Message`` as plain JSON.

        Raises:
            telegram.error.TelegramError: as :meth:`~telegram.Bot.send_message` does.
        """
        data: dict[str, Any] = {"chat_id": chat_id, "text": text}
        if parse_mode is not None:
            data["parse_mode"] = parse_mode
        answer = await self._post("sendMessage", data, read_timeout=read_timeout)
        if not isinstance(answer, dict) or not isinstance(answer.get("message_id"), int):
            raise NetworkError(f"unexpected answer to sendMessage: {str(answer)[:100]}")
        return answer


def outbox_bot(token: str, base_url: str, *, pool_size: int, read_timeout: float) -> OutboxBot:
    """The outbox's own bot, on its own aiohttp connection pool.

    A separate bot keeps the fan-out's connections apart from the replies' and leaves it out
    of the application's reply rate limiter (the sender paces itself).
    """
    request = AiohttpRequest(pool_size=pool_size, read_timeout=read_timeout)
    return OutboxBot(
        token, base_url=base_url, request=request, get_updates_request=AiohttpRequest()
    )
