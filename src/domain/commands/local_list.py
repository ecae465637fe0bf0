"""The local authorization list of a station, built from its access rights: every token the
`authorize` decision accepts there (with blocked and expired ones, so the station refuses
them offline too), and the differential update against what the station last accepted."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.commands.models import LocalListEntry
from domain.pricing.decisions import AuthorizationStatus, authorize
from domain.scope import organisation_rows
from domain.stations.models import ChargingStation
from domain.users.models import Token

ID_TAG_MAX = 20  # OCPP 1.6 CiString20Type
LISTED = {
    AuthorizationStatus.ACCEPTED: "Accepted",
    AuthorizationStatus.BLOCKED: "Blocked",
    AuthorizationStatus.EXPIRED: "Expired",
}


def parent_id_tag(user_group_id: uuid.UUID | None) -> str | None:
    """The user group as parentIdTag: its id's first 20 hex digits (the field holds 20)."""
    return None if user_group_id is None else user_group_id.hex[:ID_TAG_MAX]


def wire_time(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Entry:
    id_tag: str
    status: str
    expiry_date: datetime | None = None
    parent_id_tag: str | None = None

    def as_wire(self) -> dict[str, Any]:
        info: dict[str, Any] = {"status": self.status}
        if self.expiry_date is not None:
            info["expiryDate"] = wire_time(self.expiry_date)
        if self.parent_id_tag is not None:
            info["parentIdTag"] = self.parent_id_tag
        return {"idTag": self.id_tag, "idTagInfo": info}


async def wanted(station: ChargingStation, at: datetime) -> dict[str, Entry]:
    """The entries the station should hold now, by idTag."""
    uids = (
        await organisation_rows(Token, station.organisation_id)
        .filter(deleted_at=None, user__removed_at=None)
        .values_list("uid", flat=True)
    )
    entries: dict[str, Entry] = {}
    for uid in sorted(str(u) for u in uids):
        if len(uid) > ID_TAG_MAX:  # cannot be an OCPP 1.6 idTag
            continue
        decision = await authorize(
            organisation_id=station.organisation_id,  # type: ignore[arg-type]
            token_uid=uid,
            station_id=station.id,
            at=at,
        )
        if decision.status in LISTED:
            entries[uid] = Entry(
                uid,
                LISTED[decision.status],
                decision.expires_at,
                parent_id_tag(decision.user_group_id),
            )
    return entries


async def held(station_id: uuid.UUID) -> dict[str, Entry]:
    """What the station holds after the last list it accepted."""
    rows = await LocalListEntry.filter(station_id=station_id)
    return {r.id_tag: Entry(r.id_tag, r.status, r.expiry_date, r.parent_id_tag) for r in rows}


def differential(current: dict[str, Entry], target: dict[str, Entry]) -> list[dict[str, Any]]:
    """Changed and new entries with their idTagInfo; removed ones without (OCPP 1.6 5.15)."""
    changes = [target[t].as_wire() for t in sorted(target) if current.get(t) != target[t]]
    changes += [{"idTag": t} for t in sorted(current) if t not in target]
    return changes


async def replace_held(station_id: uuid.UUID, entries: dict[str, Entry]) -> None:
    await LocalListEntry.filter(station_id=station_id).delete()
    await LocalListEntry.bulk_create(
        [
            LocalListEntry(
                station_id=station_id,
                id_tag=e.id_tag,
                status=e.status,
                expiry_date=e.expiry_date,
                parent_id_tag=e.parent_id_tag,
            )
            for e in entries.values()
        ]
    )
