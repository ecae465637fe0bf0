"""Auto configuration (seed 004): the organisation keeps a profile of the configuration keys
and values its stations must have; a run applies each key to a station with
ChangeConfiguration, one after another, and keeps a status per key; "fix all" re-applies
only the keys that are not done (failed, or still pending); then the operator resets the
station (Reset is an ordinary remote command).

The status of a station is read against the current profile: a key added or changed since
the last run shows PENDING (not applied yet), a key removed from the profile disappears at
once (its row is deleted when the station is next run or fixed).

A run is long, like a remote command, and holds no transaction while the station answers:
each key is its own `commands.run`. One run (or fix) per station at a time: starting one
marks its keys PENDING in a short transaction serialised by an advisory lock on the station,
and a start that finds PENDING keys touched within RUN_LEASE refuses with INVALID_STATE.
The runner touches its pending keys before every command, so the lease must outlast one
command (30 s by default, plus the router's grace). Should the node running it die, its
keys stay PENDING, stop counting as a run in progress once the lease has passed, and are
re-applied by the next run or fix."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from domain.commands import remote
from domain.commands.models import (
    ApplicationStatus,
    CommandState,
    ConfigurationApplication,
    ConfigurationRequirement,
    RemoteCommand,
)
from domain.commands.service import EXECUTION_FAILED, OFFLINE, Outcome, station_in_scope
from domain.db import advisory_lock
from domain.errors import (
    ACCESS_DENIED,
    ALREADY_RUNNING,
    KEY_LISTED_TWICE,
    NO_PROFILE,
    NOT_SENT_INTERRUPTED,
    NOT_SENT_OFFLINE,
    PROFILE_TOO_LONG,
    DomainError,
    ErrorCode,
    NotFound,
)
from domain.errors import KEY_NOT_APPLIED_YET as NOT_APPLIED
from domain.principal import Principal
from domain.scope import organisation_rows
from domain.stations.models import ChargingStation

MAX_KEYS = 200
RUN_LEASE = timedelta(minutes=2)
DETAIL_MAX = 200
DONE = frozenset({ApplicationStatus.APPLIED, ApplicationStatus.REBOOT_REQUIRED})


@dataclass(frozen=True)
class Requirement:
    key: str
    value: str


@dataclass(frozen=True)
class KeyStatus:
    """Where one required key stands on a station."""

    key: str
    value: str
    status: ApplicationStatus
    detail: str  # the station's answer (Accepted, Rejected, ...) or the error
    updated_at: datetime | None
    command_id: uuid.UUID | None


@dataclass(frozen=True)
class StationStatus:
    station_id: uuid.UUID
    keys: list[KeyStatus]
    running: bool
    # A key took effect only after a reboot and the station has not been reset since.
    reset_required: bool

    def count(self, status: ApplicationStatus) -> int:
        return sum(1 for k in self.keys if k.status == status)

    @property
    def configured(self) -> bool:
        """Every required key has its green checkmark (applied, maybe awaiting a reset)."""
        return all(k.status in DONE for k in self.keys)


@dataclass(frozen=True)
class RunResult:
    status: StationStatus
    error: DomainError | None = None  # STATION_OFFLINE when the station went away mid-run


def _invalid(message: str, field: str) -> DomainError:
    return DomainError(ErrorCode.INVALID_INPUT, message, field)


def _clean(entries: Sequence[Requirement]) -> list[Requirement]:
    if len(entries) > MAX_KEYS:
        raise _invalid(PROFILE_TOO_LONG.format(max_keys=MAX_KEYS), "entries")
    seen: set[str] = set()
    out = []
    for n, entry in enumerate(entries):
        key = entry.key.strip()
        if not key or len(key) > remote.KEY_MAX:
            raise _invalid(remote.KEY_RULE, f"entries[{n}].key")
        if len(entry.value) > remote.VALUE_MAX:
            raise _invalid(remote.VALUE_RULE, f"entries[{n}].value")
        if key.lower() in seen:  # OCPP keys are case-insensitive (CiString)
            message = KEY_LISTED_TWICE.format(key=key)
            raise DomainError(ErrorCode.ALREADY_EXISTS, message, f"entries[{n}].key")
        seen.add(key.lower())
        out.append(Requirement(key, entry.value))
    return out


async def _profile(organisation_id: uuid.UUID) -> list[Requirement]:
    rows = await organisation_rows(ConfigurationRequirement, organisation_id).order_by("key")
    return [Requirement(r.key, r.value) for r in rows]


async def profile(*, principal: Principal) -> list[Requirement]:
    """The organisation's required keys, by key."""
    return await _profile(principal.organisation_id)


async def set_profile(*, principal: Principal, entries: Sequence[Requirement]) -> list[Requirement]:
    """Replace the organisation's profile; only an operator based at the root group may
    (it applies to every station of the organisation). Run it in a transaction."""
    if not principal.at_root:
        raise DomainError(ErrorCode.ACCESS_DENIED, ACCESS_DENIED)
    wanted = _clean(entries)
    await advisory_lock(f"autoconfig-profile:{principal.organisation_id}")
    await organisation_rows(ConfigurationRequirement, principal.organisation_id).delete()
    await ConfigurationRequirement.bulk_create(
        [
            ConfigurationRequirement(
                organisation_id=principal.organisation_id, key=r.key, value=r.value
            )
            for r in wanted
        ]
    )
    return sorted(wanted, key=lambda r: r.key)


def _key_status(wanted: Requirement, row: ConfigurationApplication | None) -> KeyStatus:
    if row is None or row.value != wanted.value:  # new in the profile, or its value changed
        return KeyStatus(wanted.key, wanted.value, ApplicationStatus.PENDING, NOT_APPLIED,
                         None, None)  # fmt: skip
    return KeyStatus(
        row.key,
        row.value,
        row.status,
        row.detail,
        row.updated_at,
        row.command_id,  # type: ignore[arg-type]
    )


def _is_running(rows: Sequence[ConfigurationApplication], now: datetime) -> bool:
    return any(
        r.status == ApplicationStatus.PENDING and r.updated_at > now - RUN_LEASE for r in rows
    )


async def _reset_since(station_id: uuid.UUID, since: datetime) -> bool:
    """Whether the station accepted a Reset after `since`."""
    return await RemoteCommand.filter(
        station_id=station_id,
        action="Reset",
        state=CommandState.ACCEPTED,
        completed_at__gt=since,
    ).exists()


async def _status(organisation_id: uuid.UUID, station_id: uuid.UUID) -> StationStatus:
    wanted = await _profile(organisation_id)
    rows = await ConfigurationApplication.filter(station_id=station_id)
    by_key = {r.key: r for r in rows}
    keys = [_key_status(w, by_key.get(w.key)) for w in wanted]
    reboots = [
        k.updated_at
        for k in keys
        if k.status == ApplicationStatus.REBOOT_REQUIRED and k.updated_at is not None
    ]
    reset_required = bool(reboots) and not await _reset_since(station_id, max(reboots))
    running = _is_running(rows, datetime.now(UTC))
    return StationStatus(station_id, keys, running, reset_required)


async def station_status(*, principal: Principal, station_id: str) -> StationStatus | None:
    """A station's auto configuration against the profile; None when missing or out of scope."""
    try:
        sid = await station_in_scope(principal, station_id)
    except NotFound:
        return None
    return await _status(principal.organisation_id, sid)


async def run(t: remote.Target) -> RunResult:
    """Apply every key of the profile to the station, one after another."""
    return await _apply(t, unfinished_only=False)


async def fix(t: remote.Target) -> RunResult:
    """Re-apply only the keys that are not done: failed, pending, new or changed."""
    return await _apply(t, unfinished_only=True)


async def _apply(t: remote.Target, *, unfinished_only: bool) -> RunResult:
    sid = await station_in_scope(t.principal, t.station_id)
    keys = await _start(t.principal.organisation_id, sid, unfinished_only=unfinished_only)
    t = replace(t, station_id=sid)
    error: DomainError | None = None
    try:
        for key in keys:
            await _touch(sid)
            error = await _apply_one(t, key)
            if error is not None and error.code == ErrorCode.STATION_OFFLINE:
                break
            error = None  # a failed key is in its status; the run goes on
    finally:
        reason = NOT_SENT_OFFLINE if error is not None else NOT_SENT_INTERRUPTED
        await _abandon(sid, reason)
    return RunResult(await _status(t.principal.organisation_id, sid), error)


async def _start(
    organisation_id: uuid.UUID, station_id: uuid.UUID, *, unfinished_only: bool
) -> list[Requirement]:
    """Check that the station is free and online, mark the keys to apply PENDING (the
    marker of a run in progress), and forget keys no longer in the profile."""
    async with in_transaction():
        await advisory_lock(f"autoconfig:{station_id}")
        rows = await ConfigurationApplication.filter(station_id=station_id)
        now = datetime.now(UTC)
        if _is_running(rows, now):
            raise DomainError(ErrorCode.INVALID_STATE, ALREADY_RUNNING, "stationId")
        if not await ChargingStation.exists(id=station_id, connected_node__isnull=False):
            raise DomainError(ErrorCode.STATION_OFFLINE, OFFLINE, "stationId")
        wanted = await _profile(organisation_id)
        if not wanted:
            raise DomainError(ErrorCode.INVALID_STATE, NO_PROFILE, "stationId")
        keys = wanted
        if unfinished_only:
            by_key = {r.key: r for r in rows}
            keys = [w for w in wanted if _key_status(w, by_key.get(w.key)).status not in DONE]
        stale = ConfigurationApplication.filter(station_id=station_id)
        kept = {w.key for w in wanted} - {k.key for k in keys}  # fix: the keys that are done
        if kept:
            stale = stale.exclude(key__in=list(kept))
        await stale.delete()
        await ConfigurationApplication.bulk_create(
            [
                ConfigurationApplication(
                    station_id=station_id,
                    key=k.key,
                    value=k.value,
                    status=ApplicationStatus.PENDING,
                    updated_at=now,
                )
                for k in keys
            ]
        )
    return keys


async def _touch(station_id: uuid.UUID) -> None:
    """Renew the lease of the run: its keys still pending were seen now."""
    await ConfigurationApplication.filter(
        station_id=station_id, status=ApplicationStatus.PENDING
    ).update(updated_at=datetime.now(UTC))


async def _apply_one(t: remote.Target, key: Requirement) -> DomainError | None:
    """Send one key and store what became of it; the command's user error, if any."""
    try:
        outcome = await remote.change_configuration(t, key=key.key, value=key.value)
    except DomainError as refused:  # a key the station reported read-only: nothing sent
        await _finish(t.station_id, key.key, ApplicationStatus.FAILED, refused.message, None)
        return None
    status, detail = _result(outcome)
    await _finish(t.station_id, key.key, status, detail, outcome.command.id)
    return outcome.error


def _result(outcome: Outcome) -> tuple[ApplicationStatus, str]:
    command = outcome.command
    answer = str((command.response or {}).get("status") or "")
    if command.state == CommandState.ACCEPTED:
        if answer == "RebootRequired":
            return ApplicationStatus.REBOOT_REQUIRED, answer
        return ApplicationStatus.APPLIED, answer
    if command.state == CommandState.REJECTED:  # Rejected, NotSupported
        return ApplicationStatus.FAILED, answer
    return ApplicationStatus.FAILED, command.error or EXECUTION_FAILED  # no answer, an error


async def _finish(
    station_id: str | uuid.UUID,
    key: str,
    status: ApplicationStatus,
    detail: str,
    command_id: uuid.UUID | None,
) -> None:
    await ConfigurationApplication.filter(station_id=station_id, key=key).update(
        status=status, detail=detail[:DETAIL_MAX], command_id=command_id,
        updated_at=datetime.now(UTC),
    )  # fmt: skip


async def _abandon(station_id: uuid.UUID, reason: str) -> None:
    """Keys of the run that were never sent (it stopped early) fail with the reason."""
    await ConfigurationApplication.filter(
        station_id=station_id, status=ApplicationStatus.PENDING
    ).update(status=ApplicationStatus.FAILED, detail=reason, updated_at=datetime.now(UTC))
