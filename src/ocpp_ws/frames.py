"""OCPP-J framing, the same for every OCPP version: a websocket text frame holds one JSON
array, a CALL `[2, uniqueId, action, payload]`, a CALLRESULT `[3, uniqueId, payload]` or a
CALLERROR `[4, uniqueId, errorCode, errorDescription, errorDetails]`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

CALL, CALLRESULT, CALLERROR = 2, 3, 4
MAX_UNIQUE_ID = 36  # characters (OCPP-J 1.6 section 4.1.3, 2.0.1 section 4.1.3)

INTERNAL_ERROR = "InternalError"
UNEXPECTED = "An unexpected error occurred."
RETRY_LATER = "The central system is temporarily unavailable; send it again later."

_ENCODER = json.JSONEncoder(separators=(",", ":"))


class CallError(Exception):
    """A failure answered with a CALLERROR: an OCPP-J error code, a description, details."""

    def __init__(self, code: str, description: str, details: dict[str, Any] | None = None):
        super().__init__(f"{code}: {description}")
        self.code, self.description, self.details = code, description, details or {}


@dataclass(frozen=True)
class Frame:
    """One parsed frame: `kind` is CALL, CALLRESULT or CALLERROR; `rest` the elements after
    the uniqueId."""

    kind: int
    unique_id: str
    rest: list[Any]


class Unreadable(Exception):
    """Not an OCPP-J frame; `answer` is the CALLERROR to send when its uniqueId could still be
    read (a CALL with the wrong number of elements), else None: it cannot be answered."""

    def __init__(self, reason: str, answer: str | None = None) -> None:
        super().__init__(reason)
        self.answer = answer


def parse(text: str) -> Frame:
    """The frame in `text`, parsed once; raises Unreadable."""
    try:
        message = json.loads(text)
    except (TypeError, ValueError):
        raise Unreadable("not JSON") from None
    if type(message) is not list or not message or message[0] not in (CALL, CALLRESULT, CALLERROR):
        raise Unreadable("not an OCPP-J message")
    kind = message[0]
    if len(message) < 2 or type(message[1]) is not str or len(message[1]) > MAX_UNIQUE_ID:
        raise Unreadable("no readable uniqueId")
    unique_id = message[1]
    expected = {CALL: 4, CALLRESULT: 3, CALLERROR: 5}[kind]
    if len(message) != expected:
        if kind != CALL:
            raise Unreadable(f"a {kind} frame with {len(message)} elements")
        details = {"cause": f"A CALL has 4 elements; this one has {len(message)}."}
        answer = call_error(unique_id, "ProtocolError", "Payload for Action is incomplete", details)
        raise Unreadable("a CALL of the wrong length", answer)
    return Frame(kind, unique_id, message[2:])


def call(unique_id: str, action: str, payload: Any) -> str:
    return _ENCODER.encode([CALL, unique_id, action, payload])


def call_result(unique_id: str, payload: Any) -> str:
    return _ENCODER.encode([CALLRESULT, unique_id, payload])


def call_error(
    unique_id: str, code: str, description: str, details: dict[str, Any] | None = None
) -> str:
    return _ENCODER.encode([CALLERROR, unique_id, code, description, details or {}])
