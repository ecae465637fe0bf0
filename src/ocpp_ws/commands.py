"""Run a remote command on a station connected to this node (OCPP 1.6J for now).

`dispatch` is the single entry point (domain.ocpp.commands.Dispatch): a Redis router for
several nodes will wrap it. The call runs as its own task, never inside an `@on` handler
(the library would wait for an answer its own receive loop cannot read)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

from ocpp.charge_point import camel_to_snake_case, serialize_as_dict, snake_to_camel_case
from ocpp.exceptions import OCPPError
from ocpp.v16 import call

from domain.ocpp.commands import Delivery, Reply
from ocpp_ws import registry

log = logging.getLogger("evcms.ocpp")

DEFAULT_TIMEOUT = 30.0  # seconds to wait for the station's answer
_timeout = DEFAULT_TIMEOUT
DISCONNECTED = "Station disconnected before answering."


def configure(*, timeout: float) -> None:
    """How long a command waits for the station's answer (short in tests)."""
    global _timeout
    _timeout = timeout


def command_timeout() -> float:
    return _timeout


def _request(action: str, payload: dict[str, Any]) -> Any:
    payload_type = getattr(call, action, None)
    if payload_type is None:
        raise ValueError(f"{action} is not an OCPP 1.6 action")
    return payload_type(**camel_to_snake_case(payload))


async def dispatch(station_id: uuid.UUID, action: str, payload: dict[str, Any]) -> Reply:
    """Send `action` to the station and wait for its answer, at most the timeout."""
    connection = registry.connected(station_id)
    if connection is None:
        return Reply(Delivery.OFFLINE)
    request = _request(action, payload)
    task = asyncio.create_task(connection.charge_point.call(request, suppress=False))
    gone = asyncio.create_task(connection.gone.wait())
    try:
        await asyncio.wait({task, gone}, timeout=_timeout, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:  # the caller gave up: so does the call
        task.cancel()
        raise
    finally:
        gone.cancel()
    if not task.done():  # no answer in time, or the connection ended first
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if connection.gone.is_set():
            return Reply(Delivery.CALL_ERROR, error=DISCONNECTED)
        return Reply(Delivery.TIMEOUT)
    try:
        result = task.result()
    except OCPPError as error:
        return Reply(Delivery.CALL_ERROR, error=f"{error.code}: {error.description}")
    except TimeoutError:  # the library's own response timeout, if shorter than ours
        return Reply(Delivery.TIMEOUT)
    except Exception as error:  # the socket failed while sending
        log.info("command %s to %s failed: %r", action, station_id, error)
        return Reply(Delivery.CALL_ERROR, error=str(error) or type(error).__name__)
    return Reply(Delivery.ANSWERED, payload=snake_to_camel_case(serialize_as_dict(result)))
