"""What a charging station tells the central system, in version-neutral terms: one function
per message, each a single call that the OCPP pipeline runs inside the transaction it owns
(MeterValues and Heartbeat excepted: their writes are group-committed, see
`ocpp_ws.batching`). OCPP 1.6 and 2.0.1 adapters both map their messages onto these."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from domain.charging import service as charging
from domain.events import service as events
from domain.events.models import EventKind, StationEvent
from domain.pricing.decisions import Authorization, authorize


@dataclass(frozen=True)
class Stopped:
    """The outcome of a stop: whether the transaction was known, and the token's standing
    when the station named one."""

    known: bool
    authorization: Authorization | None = None


async def station_booted(*, station_id: uuid.UUID, boot: events.BootInfo, at: datetime) -> bool:
    """Record the boot and close the sessions the reboot ended; True when accepted."""
    accepted = await events.record_boot(station_id=station_id, boot=boot, at=at)
    await charging.close_after_reboot(station_id=station_id, booted_at=at)
    return accepted


async def status_reported(
    *, station_id: uuid.UUID, report: events.StatusReport, received_at: datetime
) -> StationEvent:
    return await events.record_status(station_id=station_id, report=report, received_at=received_at)


async def token_presented(
    *, organisation_id: uuid.UUID, station_id: uuid.UUID, token_uid: str, at: datetime
) -> Authorization:
    return await authorize(
        organisation_id=organisation_id, token_uid=token_uid, station_id=station_id, at=at
    )


async def transaction_started(
    *,
    organisation_id: uuid.UUID,
    station_id: uuid.UUID,
    request: charging.StartRequest,
    at: datetime,
) -> charging.Started:
    started = await charging.start(
        organisation_id=organisation_id, station_id=station_id, request=request, at=at
    )
    await events.record_seen(station_id=station_id, at=at)
    return started


async def transaction_stopped(
    *,
    organisation_id: uuid.UUID,
    station_id: uuid.UUID,
    request: charging.StopRequest,
    at: datetime,
) -> Stopped:
    """Close and price the session; with a token, also its standing now."""
    known = await charging.stop(station_id=station_id, request=request, at=at)
    await events.record_seen(station_id=station_id, at=at)
    if request.token_uid is None or not known:
        return Stopped(known)
    decision = await authorize(
        organisation_id=organisation_id, token_uid=request.token_uid, station_id=station_id, at=at
    )
    return Stopped(known, decision)


async def transfer_status_reported(
    *, station_id: uuid.UUID, kind: EventKind, status: str, at: datetime
) -> None:
    """A firmware update's or a diagnostics upload's progress."""
    await events.record_transfer_status(station_id=station_id, kind=kind, status=status, at=at)


async def data_transferred(
    *,
    station_id: uuid.UUID,
    vendor_id: str,
    message_id: str | None,
    data: str | None,
    at: datetime,
) -> str:
    """A vendor-specific message; returns the DataTransfer status to answer."""
    return await events.record_data_transfer(
        station_id=station_id, vendor_id=vendor_id, message_id=message_id, data=data, at=at
    )
