"""Run a remote command on a station connected to this node (OCPP 1.6J for now).

The call runs as its own task, never inside an `@on` handler (the library would wait for an
answer its own receive loop cannot read). The router (ocpp_ws.router) sends here the
commands for this node's stations, from this node or another."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

from ocpp.charge_point import (
    camel_to_snake_case,
    remove_nones,
    serialize_as_dict,
    snake_to_camel_case,
)
from ocpp.exceptions import OCPPError
from ocpp.v16 import call

from domain.commands.service import DISCONNECTED, Delivery, Reply, Request, mark_sent
from ocpp_ws import registry

log = logging.getLogger("evcms.ocpp")

DEFAULT_TIMEOUT = 30.0  # seconds to wait for the station's answer
_timeout = DEFAULT_TIMEOUT
GIVEN_UP = "The command was given up on before it was sent."
ANSWER_GRACE = 0.5  # seconds


def configure(*, timeout: float) -> None:
    """How long a command waits for the station's answer."""
    global _timeout
    _timeout = timeout


def command_timeout() -> float:
    return _timeout


def _request(action: str, payload: dict[str, Any]) -> Any:
    payload_type = getattr(call, action, None)
    if payload_type is None:
        raise ValueError(f"{action} is not an OCPP 1.6 action")
    return payload_type(**camel_to_snake_case(payload))


async def run_local(request: Request, node: str) -> Reply:
    """Send the request to the station's connection on this node and wait for its answer,
    at most the timeout; OFFLINE when this node does not hold the station."""
    connection = registry.connected(request.station_id)
    if connection is None:
        return Reply(Delivery.OFFLINE, node=node)
    if not await mark_sent(command_id=request.command_id, node=node, at=datetime.now(UTC)):
        return Reply(Delivery.TIMEOUT, error=GIVEN_UP, node=node)
    outgoing = _request(request.action, request.payload)
    task = asyncio.create_task(connection.charge_point.call(outgoing, suppress=False))
    gone = asyncio.create_task(connection.gone.wait())
    try:
        await asyncio.wait({task, gone}, timeout=_timeout, return_when=asyncio.FIRST_COMPLETED)
    except asyncio.CancelledError:  # the caller gave up: so does the call
        task.cancel()
        raise
    finally:
        gone.cancel()
    if not task.done() and connection.gone.is_set():
        # An answer read just before the socket closed (a station answering a Reset, then
        # rebooting) is already queued for the call: give it a moment to be taken.
        await asyncio.wait({task}, timeout=ANSWER_GRACE)
    if not task.done():  # no answer in time, or the connection ended first
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        if connection.gone.is_set():
            return Reply(Delivery.CALL_ERROR, error=DISCONNECTED, node=node)
        return Reply(Delivery.TIMEOUT, node=node)
    return _reply(task, request, node)


def _reply(task: asyncio.Task[Any], request: Request, node: str) -> Reply:
    try:
        result = task.result()
    except OCPPError as error:
        return Reply(Delivery.CALL_ERROR, error=f"{error.code}: {error.description}", node=node)
    except TimeoutError:  # the library's own response timeout, if shorter than ours
        return Reply(Delivery.TIMEOUT, node=node)
    except Exception as error:  # the socket failed while sending, or a malformed answer
        log.info("command %s to %s failed: %r", request.action, request.station_id, error)
        return Reply(Delivery.CALL_ERROR, error=str(error) or type(error).__name__, node=node)
    payload = remove_nones(snake_to_camel_case(serialize_as_dict(result)))
    return Reply(Delivery.ANSWERED, payload=payload, node=node)
