"""Run a remote command on a station connected to this node.

The call runs as its own task, never inside a handler (the answer is read by the same
receive loop the handler runs in). The router (ocpp_ws.router) sends here the commands for
this node's stations, from this node or another."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime
from typing import Any

from domain.commands.service import DISCONNECTED, Delivery, Reply, Request, mark_sent
from ocpp_ws.frames import CallError
from ocpp_ws.registry import Connections
from ocpp_ws.validation import ValidationFailure

log = logging.getLogger("evcms.ocpp")

DEFAULT_TIMEOUT = 30.0  # seconds to wait for the station's answer
GIVEN_UP = "The command was given up on before it was sent."
ANSWER_GRACE = 0.5  # seconds


async def run_local(
    request: Request, node: str, *, connections: Connections, seconds: float
) -> Reply:
    """Send the request to the station's connection on this node and wait for its answer,
    at most `seconds`; OFFLINE when this node does not hold the station."""
    connection = connections.connected(request.station_id)
    if connection is None:
        return Reply(Delivery.OFFLINE, node=node)
    if not await mark_sent(command_id=request.command_id, node=node, at=datetime.now(UTC)):
        return Reply(Delivery.TIMEOUT, error=GIVEN_UP, node=node)
    task = asyncio.create_task(connection.session.call(request.action, request.payload))
    gone = asyncio.create_task(connection.gone.wait())
    try:
        await asyncio.wait({task, gone}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
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


def _reply(task: asyncio.Task[dict[str, Any]], request: Request, node: str) -> Reply:
    try:
        payload = task.result()
    except (CallError, ValidationFailure) as error:  # a CALLERROR, or a payload refused
        return Reply(Delivery.CALL_ERROR, error=f"{error.code}: {error.description}", node=node)
    except Exception as error:  # the socket failed while sending
        log.info("command %s to %s failed: %r", request.action, request.station_id, error)
        return Reply(Delivery.CALL_ERROR, error=str(error) or type(error).__name__, node=node)
    return Reply(Delivery.ANSWERED, payload=payload, node=node)
