"""Running one `@on` handler for a received CALL, as `ocpp.charge_point.ChargePoint` does
(keys to snake_case, the handler, its dataclass answer to camelCase without the unset
fields, CALLRESULT or CALLERROR, then the `@after` handler), but without the library's
per-message costs: key conversion memoised per key, handler signatures looked at once, the
answer serialised field by field with each dataclass's wire names worked out once. And
`route_hot`: the few messages every station sends all the time, parsed once and handled in
wire form without the library's layers.

The wire form is exactly the library's: tests compare both on every answer type."""

from __future__ import annotations

import asyncio
import dataclasses
import decimal
import inspect
import json
from collections.abc import Awaitable, Callable, Mapping
from functools import cache
from typing import Any

from ocpp.charge_point import camel_to_snake_case, remove_nones, snake_to_camel_case
from ocpp.messages import Call

Hot = Mapping[str, Callable[[Any], Awaitable[dict[str, Any]]]]

_SNAKE: dict[str, str] = {}
_SNAKE_MAX = 4096  # keys come from stations: remember a bounded number of them


def snake(key: str) -> str:
    """One camelCase key in snake_case, by the library's own rules."""
    found = _SNAKE.get(key)
    if found is None:
        found = next(iter(camel_to_snake_case({key: None})))
        if len(_SNAKE) < _SNAKE_MAX:
            _SNAKE[key] = found
    return found


def snake_keys(data: Any) -> Any:
    """`camel_to_snake_case` with each key converted once per process (the hot loop of a
    MeterValues: plain loops and exact type checks, subclasses taking the slower way)."""
    kind = type(data)
    if kind is dict or (kind is not list and isinstance(data, dict)):
        out = {}
        get = _SNAKE.get
        for key, value in data.items():
            inner = type(value)
            out[get(key) or (snake(key) if isinstance(key, str) else key)] = (
                value if inner is str or inner is int else snake_keys(value)
            )
        return out
    if kind is list or isinstance(data, list):
        return [snake_keys(value) for value in data]
    return data


@cache
def _wire_names(cls: type) -> tuple[tuple[str, str], ...]:
    return tuple(
        (f.name, next(iter(snake_to_camel_case({f.name: None})))) for f in dataclasses.fields(cls)
    )


def to_wire(value: Any) -> Any:
    """A handler's answer in wire form: what `remove_nones(snake_to_camel_case(
    serialize_as_dict(answer)))` gives, field by field."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        for name, camel in _wire_names(type(value)):
            item = getattr(value, name)
            if item is not None:
                out[camel] = to_wire(item)
        return out
    if isinstance(value, list):
        return [to_wire(item) for item in value if item is not None]
    if isinstance(value, dict):
        return remove_nones(snake_to_camel_case(value))
    return value


def _default(value: Any) -> Any:
    """Like the library's encoder: a Decimal with one decimal, else the object's to_json()."""
    if isinstance(value, decimal.Decimal):
        return float(f"{value:.1f}")
    try:
        return value.to_json()
    except AttributeError:
        raise TypeError(f"{type(value).__name__} is not JSON serialisable") from None


_after_tasks: set[asyncio.Future[Any]] = set()
_ENCODER = json.JSONEncoder(separators=(",", ":"), default=_default)


def call_result(unique_id: str, payload: Any) -> str:
    return _ENCODER.encode([3, unique_id, payload])


@cache
def _wants_unique_id(function: Any) -> bool:
    return "call_unique_id" in inspect.signature(function).parameters


def _invoke(handler: Any, kwargs: dict[str, Any], unique_id: str) -> Any:
    function = getattr(handler, "__func__", handler)
    if _wants_unique_id(function):
        return handler(**kwargs, call_unique_id=unique_id)
    return handler(**kwargs)


async def handle(charge_point: Any, msg: Any, handlers: dict[str, Any]) -> None:
    """Run the CALL's handler and send its CALLRESULT (or CALLERROR), then `@after`."""
    kwargs = snake_keys(msg.payload)
    try:
        response = _invoke(handlers["_on_action"], kwargs, msg.unique_id)
        if inspect.isawaitable(response):
            response = await response
    except Exception as error:
        charge_point.logger.exception("Error while handling request '%s'", msg)
        await charge_point._send(msg.create_call_error(error).to_json())
        return
    await charge_point._send(call_result(msg.unique_id, to_wire(response)))
    after = handlers.get("_after_action")
    if after is not None:
        followed = _invoke(after, kwargs, msg.unique_id)
        if inspect.isawaitable(followed):  # its own task: it may call the station
            task = asyncio.ensure_future(followed)
            _after_tasks.add(task)
            task.add_done_callback(_after_tasks.discard)


async def route_hot(
    charge_point: Any, raw: Any, hot: Hot, check: Callable[[str, Any], None]
) -> bool:
    """A CALL of an action in `hot` (the messages every station sends all the time): checked
    with `check`, answered with what its handler returns for the wire-form payload, errors
    answered and logged as the library does. False for anything else, left to the library
    (which parses it again: nothing else is frequent)."""
    try:
        message = json.loads(raw)
    except (TypeError, ValueError):
        return False
    if type(message) is not list or len(message) != 4 or message[0] != 2:
        return False
    action = message[2]
    handler = hot.get(action) if type(action) is str else None
    if handler is None:
        return False
    unique_id, payload = message[1], message[3]
    try:
        check(action, payload)
        answer = await handler(payload)
    except Exception as error:
        msg = Call(unique_id, action, payload)
        charge_point.logger.exception("Error while handling request '%s'", msg)
        await charge_point._send(msg.create_call_error(error).to_json())
        return True
    await charge_point._send(call_result(unique_id, answer))
    return True


def malformed_call(raw: Any) -> str | None:
    """The CALLERROR for a CALL whose frame is incomplete or has extra elements, when its
    uniqueId can still be read (OCPP-J 1.6 4.2.3: ProtocolError); None for anything else,
    which the library handles (a frame with no readable uniqueId cannot be answered)."""
    try:
        message = json.loads(raw)
    except (TypeError, ValueError):
        return None
    if type(message) is not list or len(message) == 4 or not message or message[0] != 2:
        return None
    if len(message) < 2 or type(message[1]) is not str or len(message[1]) > 36:
        return None
    details = {"cause": f"A CALL has 4 elements; this one has {len(message)}."}
    return _ENCODER.encode(
        [4, message[1], "ProtocolError", "Payload for Action is incomplete", details]
    )
