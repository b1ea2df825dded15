"""The error answers of the Bot API: an HTTP status, a description, optional parameters."""

from __future__ import annotations

from typing import Any

__all__ = ["APIError", "bad_request", "forbidden", "not_found", "unauthorized"]


class APIError(Exception):
    """A Bot API call that fails, carrying exactly what Telegram answers for it.

    Raised anywhere while a call is served; the server turns it into the response body
    ``{"ok": false, "error_code": ..., "description": ..., "parameters": ...}``.
    """

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def to_json(self) -> dict[str, Any]:
        """The response body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body

    @classmethod
    def too_many_requests(cls, retry_after: int) -> APIError:
        """A flood-control answer (429) asking the client to wait *retry_after* seconds."""
        return cls(
            429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
        )

    @classmethod
    def migrated(cls, new_chat_id: int) -> APIError:
        """The answer for a group that became a supergroup with id *new_chat_id*."""
        return cls(
            400,
            "Bad Request: group chat was upgraded to a supergroup chat",
            {"migrate_to_chat_id": new_chat_id},
        )


def bad_request(reason: str) -> APIError:
    """A 400 answer: ``bad_request("chat not found")`` -> ``Bad Request: chat not found``."""
    return APIError(400, f"Bad Request: {reason}")


def forbidden(reason: str) -> APIError:
    """A 403 answer: ``forbidden("bot was blocked by the user")``."""
    return APIError(403, f"Forbidden: {reason}")


def not_found() -> APIError:
    """The answer for an unknown method (or a malformed token)."""
    return APIError(404, "Not Found")


def unauthorized() -> APIError:
    """The answer for a well-formed token that is not the server's."""
    return APIError(401, "Unauthorized")
