"""The stations connected to one node: station id -> its live session.

A second connection for the same station replaces the first, whose socket is closed. Which
node holds which station, for the other nodes, is ocpp_ws.node's business (Redis leases)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from ocpp_ws.pipeline import Session

log = logging.getLogger("evcms.ocpp")

Close = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Connection:
    session: Session
    close: Close
    # Set once the connection ended or was replaced: commands waiting on it stop waiting.
    gone: asyncio.Event = field(default_factory=asyncio.Event)


class Connections:
    """One node's connections (`ocpp_ws.node.Node.connections`)."""

    def __init__(self) -> None:
        self._by_station: dict[uuid.UUID, Connection] = {}

    async def register(self, station_id: uuid.UUID, session: Session, close: Close) -> None:
        """Make `session` the station's connection, closing the one it replaces."""
        previous = self._by_station.get(station_id)
        self._by_station[station_id] = Connection(session, close)
        if previous is not None and previous.session is not session:
            previous.gone.set()
            log.info("station %s reconnected: closing its previous connection", station_id)
            try:
                await previous.close()
            except Exception:  # already gone: nothing to close
                log.debug("previous connection of %s was already closed", station_id)

    def unregister(self, station_id: uuid.UUID, session: Session) -> bool:
        """Forget the station, unless a newer connection has replaced `session`; True when
        the station is no longer connected here."""
        current = self._by_station.get(station_id)
        if current is not None and current.session is session:
            del self._by_station[station_id]
            current.gone.set()
            return True
        return False

    def connected(self, station_id: uuid.UUID) -> Connection | None:
        """The station's live connection on this node, or None."""
        return self._by_station.get(station_id)

    def station_ids(self) -> list[uuid.UUID]:
        """The stations connected to this node now."""
        return list(self._by_station)
