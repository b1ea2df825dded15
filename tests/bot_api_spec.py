"""The official Bot API description (``../shared/telegram/bot-api.json``) as test checks.

``check_request`` tells whether a call is one Telegram accepts (known method, required
parameters present, values of the declared types); ``check_object`` whether an object carries
every required field with values of the declared types, recursively. ``assert_conforms`` runs
both over all the traffic a :class:`~bot.local.server.BotAPIServer` recorded.

Only tests read the specification; product code has its own compact description in
:mod:`bot.local.methods`.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

SPEC_PATH = Path(__file__).resolve().parents[1].parent / "shared" / "telegram" / "bot-api.json"

_ARRAY = "Array of "
_ALWAYS = re.compile(r'always "([^"]+)"')
_MUST_BE = re.compile(r"must be ([a-z_]+)\s*$")
_QUOTED = re.compile(r'"([a-z_]+)"')


@cache
def load_spec() -> dict[str, Any]:
    """The parsed specification; skips the calling test when ``../shared`` is absent."""
    if not SPEC_PATH.exists():
        pytest.skip(f"Bot API specification not found at {SPEC_PATH} (../shared is absent)")
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


def _allowed_values(field: dict[str, Any]) -> set[str] | None:
    """Values a ``type``/``status`` string field may take, when its description says so."""
    if field["name"] not in ("type", "status") or field["types"] != ["String"]:
        return None
    description = field.get("description", "")
    for pattern in (_ALWAYS, _MUST_BE):
        match = pattern.search(description)
        if match:
            return {match.group(1)}
    if "can be" in description:
        values = set(_QUOTED.findall(description.split("can be", 1)[1]))
        return values or None
    return None


def _value_problems(type_name: str, value: Any, path: str) -> list[str]:
    """Problems of *value* read as the Bot API type *type_name* (``[]`` when it fits)."""
    if type_name.startswith(_ARRAY):
        if not isinstance(value, list):
            return [f"{path}: expected {type_name}, got {type(value).__name__}"]
        item_type = type_name[len(_ARRAY) :]
        problems: list[str] = []
        for index, item in enumerate(value):
            problems += _value_problems(item_type, item, f"{path}[{index}]")
        return problems
    is_bool = isinstance(value, bool)
    scalar_checks = {
        "Integer": isinstance(value, int) and not is_bool,
        "Float": isinstance(value, int | float) and not is_bool,
        "Boolean": is_bool,
        "True": value is True,
        "String": isinstance(value, str),
        "InputFile": True,
    }
    if type_name in scalar_checks:
        if scalar_checks[type_name]:
            return []
        return [f"{path}: expected {type_name}, got {type(value).__name__} {value!r}"]
    return check_object(type_name, value, path)


def _union_problems(types: list[str], value: Any, path: str) -> list[str]:
    """Problems of *value* against the best fitting of several alternative types."""
    best: list[str] | None = None
    for type_name in types:
        problems = _value_problems(type_name, value, path)
        if not problems:
            return []
        if best is None or len(problems) < len(best):
            best = problems
    return best or []


def check_object(type_name: str, obj: Any, path: str = "") -> list[str]:
    """Problems of *obj* as the Bot API type *type_name*: missing required fields, unknown
    fields, values of wrong types, fixed ``type``/``status`` values; nested objects included.
    """
    path = path or type_name
    spec = load_spec()["types"].get(type_name)
    if spec is None:
        return [f"{path}: unknown type {type_name}"]
    if spec.get("subtypes"):
        return _union_problems(spec["subtypes"], obj, path)
    if not isinstance(obj, dict):
        return [f"{path}: expected {type_name} object, got {type(obj).__name__}"]
    fields = {f["name"]: f for f in spec.get("fields", [])}
    problems = [
        f"{path}: missing required field {name!r}"
        for name, field in fields.items()
        if field["required"] and name not in obj
    ]
    for name, value in obj.items():
        field = fields.get(name)
        if field is None:
            problems.append(f"{path}: unknown field {name!r} for {type_name}")
            continue
        problems += _union_problems(field["types"], value, f"{path}.{name}")
        allowed = _allowed_values(field)
        if allowed is not None and value not in allowed:
            problems.append(f"{path}.{name}: {value!r} is not one of {sorted(allowed)}")
    return problems


def check_request(method: str, params: dict[str, Any]) -> list[str]:
    """Problems of a call of *method* with (decoded) *params* against the specification."""
    spec = load_spec()["methods"].get(method)
    if spec is None:
        return [f"unknown method {method!r}"]
    fields = {f["name"]: f for f in spec.get("fields", [])}
    problems = [
        f"{method}: missing required parameter {name!r}"
        for name, field in fields.items()
        if field["required"] and params.get(name) in (None, "")
    ]
    for name, value in params.items():
        field = fields.get(name)
        if field is None:
            problems.append(f"{method}: unknown parameter {name!r}")
            continue
        problems += _union_problems(field["types"], value, f"{method}.{name}")
    return problems


def check_result(method: str, result: Any) -> list[str]:
    """Problems of the ``result`` of a successful call against the method's return types."""
    spec = load_spec()["methods"].get(method)
    if spec is None:
        return [f"unknown method {method!r}"]
    return _union_problems(spec["returns"], result, f"{method}()")


def conformance_problems(server: Any, *, allow_errors: bool = False) -> list[str]:
    """Problems in every request a server recorded and every result it answered."""
    problems: list[str] = []
    for request in server.requests:
        if not request.ok:
            if not allow_errors:
                problems.append(
                    f"{request.method} answered {request.status}: {request.description}"
                )
            continue
        problems += check_request(request.method, request.params)
        problems += check_result(request.method, request.response["result"])
    return problems


def assert_conforms(server: Any, *, allow_errors: bool = False) -> None:
    """Fail unless all recorded traffic of *server* conforms to the official Bot API.

    Failed calls count as problems unless *allow_errors* (tests that provoke errors on
    purpose); their parameters are not checked since Telegram refused them anyway.
    """
    problems = conformance_problems(server, allow_errors=allow_errors)
    assert not problems, "Bot API conformance problems:\n" + "\n".join(problems)
