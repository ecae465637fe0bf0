"""Charging sessions as a station reports them (StartTransaction, MeterValues,
StopTransaction), in version-neutral terms, and the housekeeping that closes sessions no
StopTransaction will ever end. Services never commit: callers run each in one transaction."""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from tortoise.expressions import Q

from domain import db
from domain.charging.models import ChargingSession, MeterSample, SessionState
from domain.commands.service import remote_start_of
from domain.events import service
from domain.pricing.decisions import Authorization, AuthorizationStatus, authorize, price
from domain.stations.models import ChargingPoint, ChargingStation

ENERGY_REGISTER = "Energy.Active.Import.Register"
DEFAULT_STOP_REASON = "Local"
REFUSED_STOP_REASON = "DeAuthorized"
REBOOT = "Reboot"
VANISHED = "StationVanished"
CENT = Decimal("0.01")


def _utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


class Sample(NamedTuple):
    """One sampled value, at the station's own time (a tuple: stations send many)."""

    sampled_at: datetime
    value: Decimal
    measurand: str = ENERGY_REGISTER
    unit: str = ""
    context: str = ""
    phase: str = ""
    location: str = ""


@dataclass(frozen=True)
class StartRequest:
    connector_id: int
    token_uid: str
    meter_start_wh: int
    started_at: datetime


@dataclass(frozen=True)
class Started:
    transaction_id: int
    authorization: Authorization


def start_key(station_id: uuid.UUID, request: StartRequest) -> str:
    """What identifies a StartTransaction, so a retried one finds its session."""
    parts = (
        str(station_id),
        str(request.connector_id),
        request.token_uid,
        _utc(request.started_at).isoformat(),
        str(request.meter_start_wh),
    )
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


async def start(
    *, organisation_id: uuid.UUID, station_id: uuid.UUID, request: StartRequest, at: datetime
) -> Started:
    """Open a session (ACTIVE when the token is accepted; a refused one is recorded already
    COMPLETED with no energy). A retry of the same start answers the same transaction id."""
    decision = await authorize(
        organisation_id=organisation_id,
        token_uid=request.token_uid,
        station_id=station_id,
        at=_utc(at),
    )
    key = start_key(station_id, request)
    await db.advisory_lock(f"ocpp-start:{key}")
    same = await ChargingSession.get_or_none(start_key=key).only("id", "transaction_id")
    if same is not None:
        return Started(same.transaction_id, decision)
    transaction_id = await _new_transaction_id(organisation_id)
    point = await ChargingPoint.get_or_none(station_id=station_id, number=request.connector_id)
    started_at = _utc(request.started_at)
    accepted = decision.status == AuthorizationStatus.ACCEPTED
    command_id = await remote_start_of(
        station_id=station_id,
        connector_id=request.connector_id,
        id_tag=request.token_uid,
        at=_utc(at),
    )
    await ChargingSession.create(
        remote_command_id=command_id,
        organisation_id=organisation_id,
        station_id=station_id,
        point=point,
        connector_id=request.connector_id,
        transaction_id=transaction_id,
        start_key=key,
        token_uid=request.token_uid,
        user_id=decision.user_id,
        authorization_status=decision.status.value,
        state=SessionState.ACTIVE if accepted else SessionState.COMPLETED,
        meter_start_wh=request.meter_start_wh,
        **({} if accepted else _refused(request.meter_start_wh, started_at)),
        started_at=started_at,
    )
    return Started(transaction_id, decision)


# A random id among those the organisation has not used: 2^31 - 1 of them (stations keep an
# OCPP integer in 32 bits), so the first of a few candidates is free all but never.
_FREE_ID = """
SELECT c AS id FROM unnest($2::bigint[]) AS c
WHERE NOT EXISTS (SELECT 1 FROM charging_session s
                  WHERE s.organisation_id = $1 AND s.transaction_id = c)
LIMIT 1
"""
MAX_TRANSACTION_ID = 2**31 - 1


async def _new_transaction_id(organisation_id: uuid.UUID) -> int:
    """A transaction id unique in the organisation that tells nothing of anyone's volume."""
    while True:
        candidates = [secrets.randbelow(MAX_TRANSACTION_ID) + 1 for _ in range(4)]
        rows = await db.fetch(_FREE_ID, organisation_id, candidates)
        if rows:
            return int(rows[0]["id"])


def _refused(meter_start_wh: int, at: datetime) -> dict[str, Any]:
    return {
        "meter_stop_wh": meter_start_wh,
        "energy_wh": 0,
        "stopped_at": at,
        "stop_reason": REFUSED_STOP_REASON,
        "cost": Decimal("0.00"),
    }


async def _session(station_id: uuid.UUID, transaction_id: int | None) -> ChargingSession | None:
    if transaction_id is None:
        return None
    return (
        await ChargingSession.select_for_update()
        .filter(station_id=station_id, transaction_id=transaction_id)
        .first()
    )


class MeterReport(NamedTuple):
    """One MeterValues message: its samples, and when we received it (a tuple: there are
    thousands a second)."""

    station_id: uuid.UUID
    connector_id: int
    transaction_id: int | None
    samples: list[Sample]
    received_at: datetime


# One statement for the samples of many messages: each message finds its session by
# (station, transaction id); connector 0 in a transaction's MeterValues means the session's
# connector. The per-sample columns travel as JSON arrays of text: asyncpg encodes a long
# array element by element (checking each for nesting), json.dumps does it at C speed.
_SAMPLE_ROWS = """
WITH m AS (
    SELECT r.n, r.station_id, r.received_at, s.id AS session_id,
           CASE WHEN r.connector_id = 0 AND s.id IS NOT NULL THEN s.connector_id
                ELSE r.connector_id END AS connector_id
    FROM unnest($1::uuid[], $2::bigint[], $3::int[], $4::timestamptz[])
         WITH ORDINALITY AS r(station_id, transaction_id, connector_id, received_at, n)
    LEFT JOIN charging_session s
           ON s.station_id = r.station_id AND s.transaction_id = r.transaction_id
), v AS (
    SELECT (r->>0)::bigint AS n, (r->>1)::timestamptz AS sampled_at, r->>2 AS measurand,
           (r->>3)::numeric AS value, r->>4 AS unit, r->>5 AS context, r->>6 AS phase,
           r->>7 AS location
    FROM jsonb_array_elements($5::jsonb) AS e(r)
)"""
_INSERT = """
INSERT INTO meter_sample (id, station_id, session_id, connector_id, sampled_at, measurand,
                          value, unit, context, phase, location, received_at)
SELECT gen_random_uuid(), m.station_id, m.session_id, m.connector_id, v.sampled_at,
       v.measurand, v.value, v.unit, v.context, v.phase, v.location, m.received_at
FROM v JOIN m ON m.n = v.n
ON CONFLICT DO NOTHING
"""
_INSERT_SAMPLES = _SAMPLE_ROWS + _INSERT
# With the stations' last-seen times too: one statement is atomic without a transaction,
# and one round trip instead of four (BEGIN, INSERT, UPDATE, COMMIT). PostgreSQL runs a
# data-modifying WITH to completion whether or not the main statement reads it.
_INSERT_SAMPLES_AND_SEEN = f"{_SAMPLE_ROWS}, seen AS ({service.seen_update_sql(6)}){_INSERT}"


async def record_meter_values_many(
    reports: list[MeterReport], *, seen: dict[uuid.UUID, datetime] | None = None
) -> int:
    """Store the samples of many MeterValues messages (of any stations) at once, each linked
    to its session when its transaction is known, and with `seen` those stations' last-seen
    times (`service.record_seen_many`; only those when there are no samples), all in one
    statement; returns how many samples were stored."""
    numbered = [(n, s) for n, report in enumerate(reports, 1) for s in report.samples]
    if not numbered:
        if seen:
            await service.record_seen_many(seen)
        return 0
    stamps: dict[datetime, str] = {}  # the samples of one reading share their time
    for _, s in numbered:
        if s.sampled_at not in stamps:
            stamps[s.sampled_at] = _aware(s.sampled_at).isoformat()
    rows = [
        (n, stamps[s.sampled_at], s.measurand or ENERGY_REGISTER, str(s.value), s.unit,
         s.context, s.phase, s.location)
        for n, s in numbered
    ]  # fmt: skip
    parameters = [
        [r.station_id for r in reports],
        [r.transaction_id for r in reports],
        [r.connector_id for r in reports],
        [_aware(r.received_at) for r in reports],
        json.dumps(rows, separators=(",", ":")),
    ]
    if not seen:
        return await db.execute(_INSERT_SAMPLES, *parameters)
    return await db.execute(_INSERT_SAMPLES_AND_SEEN, *parameters, *service.seen_parameters(seen))


def _aware(at: datetime) -> datetime:
    """Any zone will do for timestamptz; a naive time is UTC."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


@dataclass(frozen=True)
class StopRequest:
    transaction_id: int
    meter_stop_wh: int
    stopped_at: datetime
    reason: str | None = None
    token_uid: str | None = None
    samples: list[Sample] = field(default_factory=list)


async def stop(*, station_id: uuid.UUID, request: StopRequest, at: datetime) -> bool:
    """Close and price the session; False when the transaction is unknown. A retry of a
    completed stop changes nothing; a stop after housekeeping closed the session completes it
    with the station's own figures (stations keep transactions across reboots)."""
    session = await _session(station_id, request.transaction_id)
    if session is None:
        return False
    if session.state == SessionState.COMPLETED:
        return True
    if request.samples:  # the same single writer as MeterValues'
        report = MeterReport(
            station_id, session.connector_id, request.transaction_id, request.samples, _utc(at)
        )
        await record_meter_values_many([report])
    session.state = SessionState.COMPLETED
    session.stop_reason = request.reason or DEFAULT_STOP_REASON
    session.stop_token_uid = request.token_uid
    await _close(session, request.meter_stop_wh, _utc(request.stopped_at))
    return True


async def _close(session: ChargingSession, meter_stop_wh: int, stopped_at: datetime) -> None:
    """Energy, stop time and price; the caller has set state and reason."""
    session.meter_stop_wh = meter_stop_wh
    session.energy_wh = max(0, meter_stop_wh - session.meter_start_wh)  # a meter reset: none
    session.stopped_at = max(stopped_at, session.started_at)
    await _price(session)
    await session.save()


async def _price(session: ChargingSession) -> None:
    """cost = per kWh x kWh + per session + per hour x hours, half up to cents."""
    has_point = session.point_id is not None
    decision = await price(
        organisation_id=session.organisation_id,  # type: ignore[arg-type]
        station_id=session.station_id,  # type: ignore[arg-type]
        point_number=session.connector_id if has_point else None,
        at=session.stopped_at or session.started_at,
        user_id=session.user_id,  # type: ignore[arg-type]
        token_uid=session.token_uid,
    )
    session.price_reason = decision.reason.value
    tariff = decision.tariff
    if tariff is None:
        session.cost, session.currency, session.tariff_snapshot = Decimal("0.00"), None, None
        return
    kwh = Decimal(session.energy_wh or 0) / 1000
    duration = (session.stopped_at or session.started_at) - session.started_at
    hours = Decimal(duration // timedelta(microseconds=1)) / 3_600_000_000
    cost = tariff.price_per_kwh * kwh + tariff.price_per_session + tariff.price_per_hour * hours
    session.cost = cost.quantize(CENT, rounding=ROUND_HALF_UP)
    session.currency = tariff.currency
    session.tariff_snapshot = {
        "tariff_id": str(tariff.tariff_id),
        "name": tariff.name,
        "price_per_kwh": str(tariff.price_per_kwh),
        "price_per_session": str(tariff.price_per_session),
        "price_per_hour": str(tariff.price_per_hour),
        "vat_rate": str(tariff.vat_rate),
        "currency": tariff.currency,
        "prices_include_vat": tariff.prices_include_vat,
    }


# --- housekeeping -------------------------------------------------------------------------


async def close_after_reboot(*, station_id: uuid.UUID, booted_at: datetime) -> int:
    """A station that boots has lost its open sessions: close them with reason Reboot."""
    sessions = await ChargingSession.select_for_update().filter(
        station_id=station_id, state=SessionState.ACTIVE, started_at__lte=_utc(booted_at)
    )
    for session in sessions:
        await _housekeep(session, REBOOT, _utc(booted_at))
    return len(sessions)


async def close_stale_sessions(*, older_than: datetime, now: datetime) -> int:
    """Close ACTIVE sessions whose station has not been heard of since `older_than` (or
    never) and that started before it; returns how many were closed."""
    cutoff = _utc(older_than)
    silent = await ChargingStation.filter(
        Q(last_seen_at__lt=cutoff) | Q(last_seen_at__isnull=True)
    ).values_list("id", flat=True)
    sessions = await ChargingSession.select_for_update(skip_locked=True).filter(
        station_id__in=list(silent), state=SessionState.ACTIVE, started_at__lt=cutoff
    )
    for session in sessions:
        await _housekeep(session, VANISHED, _utc(now))
    return len(sessions)


async def _housekeep(session: ChargingSession, reason: str, now: datetime) -> None:
    """Close with the latest energy register reading we have (none: no energy)."""
    latest = (
        await MeterSample.filter(session_id=session.id, measurand=ENERGY_REGISTER, phase="")
        .order_by("-sampled_at")
        .first()
    )
    session.state = SessionState.CLOSED
    session.stop_reason = reason
    if latest is None:
        await _close(session, session.meter_start_wh, session.started_at)
        return
    await _close(session, _wh(latest), min(latest.sampled_at, now))


def _wh(sample: MeterSample) -> int:
    value = Decimal(sample.value)
    return int(value * 1000 if sample.unit == "kWh" else value)
