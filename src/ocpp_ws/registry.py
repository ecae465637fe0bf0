"""The stations connected to this node: station id -> its live ChargePoint.

A second connection for the same station replaces the first, whose socket is closed. Which
node holds which station, for the other nodes, is ocpp_ws.node's business (Redis leases)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("evcms.ocpp")

Close = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Connection:
    charge_point: Any
    close: Close
    # Set once the connection ended or was replaced: commands waiting on it stop waiting.
    gone: asyncio.Event = field(default_factory=asyncio.Event)


_connections: dict[uuid.UUID, Connection] = {}


async def register(station_id: uuid.UUID, charge_point: Any, close: Close) -> None:
    """Make `charge_point` the station's connection, closing the one it replaces."""
    previous = _connections.get(station_id)
    _connections[station_id] = Connection(charge_point, close)
    if previous is not None and previous.charge_point is not charge_point:
        previous.gone.set()
        log.info("station %s reconnected: closing its previous connection", station_id)
        try:
            await previous.close()
        except Exception:  # already gone: nothing to close
            log.debug("previous connection of %s was already closed", station_id)


def unregister(station_id: uuid.UUID, charge_point: Any) -> bool:
    """Forget the station, unless a newer connection has replaced `charge_point`; True when
    the station is no longer connected here."""
    current = _connections.get(station_id)
    if current is not None and current.charge_point is charge_point:
        del _connections[station_id]
        current.gone.set()
        return True
    return False


def connected(station_id: uuid.UUID) -> Connection | None:
    """The station's live connection on this node, or None."""
    return _connections.get(station_id)


def station_ids() -> list[uuid.UUID]:
    """The stations connected to this node now."""
    return list(_connections)
