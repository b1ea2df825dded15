"""Decoding request parameters the way the Bot API does.

Telegram accepts the same call as a JSON body, a URL-encoded or multipart form, or a query
string. In forms every value is text: numbers and booleans arrive as their JSON spelling and
objects or arrays as JSON documents (this is what python-telegram-bot sends). Values are turned
into Python values according to the parameter types declared in :mod:`bot.local.methods`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from .errors import APIError, bad_request
from .methods import Method, Param

__all__ = ["decode_params"]

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", ""}


def _missing(param: Param) -> APIError:
    if param.name == "text":
        return bad_request("message text is empty")
    return bad_request(f"{param.name} is empty")


def _invalid(param: Param) -> APIError:
    return bad_request(f'invalid parameter "{param.name}": expected {" or ".join(param.types)}')


def _as_integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text[:1] in "+-" else text
        if digits.isdigit():
            return int(text)
    return None


def _as_float(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _as_boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    return None


def _as_structured(value: Any, *, array: bool) -> Any:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    expected = list if array else dict
    return value if isinstance(value, expected) else None


def _decode_one(param: Param, value: Any) -> Any:
    """Convert *value* to the first of the parameter's types it fits, else refuse it."""
    for type_name in param.types:
        decoded: Any
        if type_name == "Integer":
            decoded = _as_integer(value)
        elif type_name == "Float":
            decoded = _as_float(value)
        elif type_name == "Boolean":
            decoded = _as_boolean(value)
        elif type_name == "String":
            # Telegram takes numbers where text is expected, e.g. callback_query_id=123.
            is_scalar = isinstance(value, str | int | float) and not isinstance(value, bool)
            decoded = str(value) if is_scalar else None
        elif type_name == "InputFile":
            decoded = value
        else:
            decoded = _as_structured(value, array=type_name.startswith("Array of "))
        if decoded is not None:
            return decoded
    if param.name == "chat_id":
        raise bad_request("chat not found")
    raise _invalid(param)


def decode_params(method: Method, raw: Mapping[str, Any]) -> dict[str, Any]:
    """Typed parameters for a call of *method* from the *raw* values received.

    Parameters the method does not declare are kept as received (Telegram ignores them).

    Raises:
        APIError: 400 for a missing required parameter or a value of the wrong type.
    """
    params: dict[str, Any] = {}
    for name, value in raw.items():
        param = method.param(name)
        params[name] = value if param is None else _decode_one(param, value)
    for param in method.params:
        if param.required and params.get(param.name) in (None, ""):
            raise _missing(param)
    return params
