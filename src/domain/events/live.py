"""Live status: what stations report, fanned out to subscribers on every node.

The node that holds a station's websocket publishes each change (after its transaction
commits) through a `Publisher`; on every node a `LiveFeed` hands each organisation's events
to its local subscribers, and each subscriber keeps what lies in its scope. Both are
implemented over Redis pub/sub by the composition root (evcms.live_hub) and wired in.

The message carries the station's group path at the time of the change, so a subscriber
is filtered by a prefix match, like every other scoped read (domain/scope.py)."""

from __future__ import annotations

import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from domain import rows
from domain.errors import GROUP_NOT_FOUND, NotFound
from domain.events.models import StationEvent
from domain.principal import Principal
from domain.scope import parse_id, path_in_scope, visible_groups, visible_stations
from domain.stations.models import ChargingStation, StationState
from domain.stations.service import STATION_NOT_FOUND

log = logging.getLogger("evcms.live")


class LiveKind(StrEnum):
    STATUS = "status"  # a point (or the whole station, connector 0) reported a status
    CONNECTED = "connected"  # the station's websocket opened
    DISCONNECTED = "disconnected"  # ... and closed


@dataclass(frozen=True)
class Change:
    """What happened at a station, as the OCPP side knows it (no lookups needed)."""

    station_id: uuid.UUID
    kind: LiveKind
    occurred_at: datetime
    connector_id: int = 0
    status: str = ""
    error_code: str = ""


@dataclass(frozen=True)
class LiveEvent:
    """The message on the wire: a change with what subscribers are scoped by."""

    station_id: uuid.UUID
    organisation_id: uuid.UUID
    group_path: str
    kind: LiveKind
    occurred_at: datetime
    connector_id: int = 0
    status: str = ""
    error_code: str = ""

    def encode(self) -> str:
        return json.dumps(
            {
                "stationId": str(self.station_id),
                "organisationId": str(self.organisation_id),
                "groupPath": self.group_path,
                "kind": self.kind.value,
                "occurredAt": self.occurred_at.astimezone(UTC).isoformat(),
                "connectorId": self.connector_id,
                "status": self.status,
                "errorCode": self.error_code,
            }
        )

    @classmethod
    def decode(cls, data: str | bytes) -> LiveEvent | None:
        """The event in a message, or None for one that is not ours or is malformed."""
        try:
            raw: dict[str, Any] = json.loads(data)
            return cls(
                station_id=uuid.UUID(raw["stationId"]),
                organisation_id=uuid.UUID(raw["organisationId"]),
                group_path=str(raw["groupPath"]),
                kind=LiveKind(raw["kind"]),
                occurred_at=datetime.fromisoformat(raw["occurredAt"]),
                connector_id=int(raw.get("connectorId") or 0),
                status=str(raw.get("status") or ""),
                error_code=str(raw.get("errorCode") or ""),
            )
        except (ValueError, TypeError, KeyError, AttributeError):
            log.warning("ignoring a malformed live status message: %r", data[:200])
            return None


def status_change(event: StationEvent) -> Change:
    """The live change a stored status report makes."""
    return Change(
        station_id=event.station_id,  # type: ignore[arg-type]
        kind=LiveKind.STATUS,
        occurred_at=event.occurred_at,
        connector_id=event.connector_id,
        status=event.status,
        error_code=event.error_code,
    )


def connection_change(station_id: uuid.UUID, *, connected: bool, at: datetime) -> Change:
    kind = LiveKind.CONNECTED if connected else LiveKind.DISCONNECTED
    return Change(station_id=station_id, kind=kind, occurred_at=at)


async def describe(change: Change) -> LiveEvent | None:
    """The change with its station's organisation and group path (one statement); None
    for a station in no group (discovered, orphaned): nobody's scope holds it."""
    rows = await (
        ChargingStation.filter(id=change.station_id, state=StationState.ACTIVE)
        .values_list("organisation_id", "group__path")
    )  # fmt: skip
    if not rows or not rows[0][1]:
        return None
    organisation_id, path = rows[0]
    return LiveEvent(
        station_id=change.station_id,
        organisation_id=organisation_id,
        group_path=str(path),
        kind=change.kind,
        occurred_at=change.occurred_at,
        connector_id=change.connector_id,
        status=change.status,
        error_code=change.error_code,
    )


Publisher = Callable[[Change], Awaitable[None]]
"""What the OCPP side calls after a change is committed (best effort: it never raises)."""


class SubscriberTooSlow(Exception):
    """The end of a stream whose subscriber fell too far behind to be shown a true picture."""


class LiveFeed(Protocol):
    """This node's live events of each organisation, whichever node they happened on."""

    def subscription(
        self, organisation_id: uuid.UUID, *, heartbeat: float | None = None
    ) -> contextlib.AbstractAsyncContextManager[AsyncIterator[LiveEvent | None]]:
        """The organisation's events from now on; with `heartbeat`, a None after that many
        seconds without one. The stream may end with SubscriberTooSlow."""
        ...


@dataclass(frozen=True)
class Watch:
    """What a subscriber asked to see: everything in scope, one station, or one group's
    subtree. The scope itself is checked against the principal on every event."""

    organisation_id: uuid.UUID
    station_id: uuid.UUID | None = None
    path_prefix: str = ""
    kinds: frozenset[LiveKind] = frozenset(LiveKind)

    def admits(self, principal: Principal, event: LiveEvent) -> bool:
        return (
            event.organisation_id == principal.organisation_id == self.organisation_id
            and event.kind in self.kinds
            and path_in_scope(principal, event.group_path)
            and event.group_path.startswith(self.path_prefix)
            and (self.station_id is None or event.station_id == self.station_id)
        )


async def watch(
    *,
    principal: Principal,
    station_id: str | None = None,
    group_id: str | None = None,
    kinds: list[LiveKind] | None = None,
) -> Watch:
    """Check what a subscriber narrows to: a station or group out of scope is like a
    missing one."""
    sid: uuid.UUID | None = None
    prefix = ""
    if station_id is not None:
        sid = parse_id(station_id)
        if sid is None or not await visible_stations(principal).filter(id=sid).exists():
            raise NotFound(STATION_NOT_FOUND, "stationId")
    if group_id is not None:
        query = visible_groups(principal)
        group = await rows.require(query, group_id, message=GROUP_NOT_FOUND, field="groupId")
        prefix = group.path
    return Watch(
        organisation_id=principal.organisation_id,
        station_id=sid,
        path_prefix=prefix,
        kinds=frozenset(kinds) if kinds else frozenset(LiveKind),
    )
