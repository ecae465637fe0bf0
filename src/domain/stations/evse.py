"""EVSE ids: the organisation's pool, and giving a charging point a typed or autopicked id.

Form (eMI3 / ISO 15118): country code (2 letters) `*` operator id (3 letters or digits)
`*` `E` and 1 to 30 letters, digits or `*`, such as `FI*ABC*E000123`. Ids are compared
and stored in upper case and are unique across the system: on a point
(`charging_point.evse_id`) and in the pools (`evse_id.value`). A pooled id is *assigned*
while a point carries it (`evse_id.point_id`), *free* otherwise. Callers own the transaction.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from enum import Enum

from domain import db
from domain.errors import (
    EVSE_BOTH_GIVEN,
    EVSE_COUNT_RANGE,
    EVSE_COUNTRY,
    EVSE_DIGITS_RANGE,
    EVSE_ID_IN_USE,
    EVSE_ID_TOO_LONG,
    EVSE_OPERATOR,
    EVSE_PREFIX,
    EVSE_START_RANGE,
    INVALID_EVSE_ID,
    NO_FREE_EVSE_ID,
)
from domain.pagination import Page, PageRequest, paginate
from domain.principal import Principal
from domain.scope import organisation_rows
from domain.stations.models import ChargingPoint, EvseId
from domain.stations.points import lock_point

EVSE_ID_RE = re.compile(r"^[A-Z]{2}\*[A-Z0-9]{3}\*E[A-Z0-9*]{1,30}$")
MAX_COUNT = 1000


class EvseIdStatus(Enum):
    FREE = "free"
    ASSIGNED = "assigned"


@dataclass(frozen=True)
class PoolFilter:
    status: EvseIdStatus | None = None
    search: str | None = None


@dataclass(frozen=True)
class Generated:
    created: int
    skipped: int
    first: str
    last: str


def normalise(value: str, field: str = "evseId") -> str:
    """An EVSE id in upper case, or a DomainError when it is not of the eMI3 form."""
    text = (value or "").strip().upper()
    if not EVSE_ID_RE.fullmatch(text):
        raise INVALID_EVSE_ID.error(field)
    return text


# --- the pool ----------------------------------------------------------------------------


async def generate(
    *,
    principal: Principal,
    country_code: str,
    operator_id: str,
    count: int,
    start: int = 1,
    prefix: str = "",
    digits: int = 6,
) -> Generated:
    """Add `count` ids `CC*OOO*E<prefix><number zero-padded to digits>` from `start` to the
    organisation's pool, skipping ids that exist anywhere already."""
    country = (country_code or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise EVSE_COUNTRY.error("countryCode")
    operator = (operator_id or "").strip().upper()
    if not re.fullmatch(r"[A-Z0-9]{3}", operator):
        raise EVSE_OPERATOR.error("operatorId")
    prefix = (prefix or "").strip().upper()
    if not re.fullmatch(r"[A-Z0-9]*", prefix):
        raise EVSE_PREFIX.error("prefix")
    if not 1 <= count <= MAX_COUNT:
        raise EVSE_COUNT_RANGE.error("count")
    if start < 0:
        raise EVSE_START_RANGE.error("start")
    if not 1 <= digits <= 20:
        raise EVSE_DIGITS_RANGE.error("digits")
    values = [f"{country}*{operator}*E{prefix}{n:0{digits}d}" for n in range(start, start + count)]
    if not all(EVSE_ID_RE.fullmatch(v) for v in values):
        raise EVSE_ID_TOO_LONG.error("digits")
    rows = await db.fetch(
        """
        INSERT INTO evse_id (id, organisation_id, value, created_at)
        SELECT gen_random_uuid(), $1, v, now()
        FROM unnest($2::text[]) AS v
        WHERE NOT EXISTS (SELECT 1 FROM charging_point p WHERE p.evse_id = v)
        ON CONFLICT (value) DO NOTHING
        RETURNING value
        """,
        principal.organisation_id,
        values,
    )
    return Generated(created=len(rows), skipped=count - len(rows), first=values[0], last=values[-1])


async def list_pool(*, principal: Principal, filter: PoolFilter, page: PageRequest) -> Page[EvseId]:
    query = organisation_rows(EvseId, principal.organisation_id)
    if filter.status == EvseIdStatus.FREE:
        query = query.filter(point_id=None)
    elif filter.status == EvseIdStatus.ASSIGNED:
        query = query.filter(point_id__not_isnull=True)
    if filter.search and filter.search.strip():
        query = query.filter(value__icontains=filter.search.strip())
    return await paginate(query, page, ["value", "id"])


# --- a point's EVSE id ---------------------------------------------------------------------


async def set_point_evse_id(
    *,
    principal: Principal,
    point_id: str,
    evse_id: str | None = None,
    autopick: bool = False,
) -> ChargingPoint:
    """Give the point a typed EVSE id, the lowest free one of the pool (`autopick`), or
    none (neither given). The id it had goes back to the pool if it came from there."""
    if autopick and evse_id is not None and evse_id.strip():
        raise EVSE_BOTH_GIVEN.error("evseId")
    typed = normalise(evse_id) if evse_id is not None and evse_id.strip() else None
    point = await lock_point(principal, point_id)
    pooled: uuid.UUID | None = None
    if autopick:
        value, pooled = await _take_free(principal.organisation_id)
    elif typed is not None:
        if typed == point.evse_id:
            return point
        pooled = await _claim_typed(principal.organisation_id, point, typed)
        value = typed
    else:
        value = None
    await db.execute("UPDATE evse_id SET point_id = NULL WHERE point_id = $1", point.id)
    point.evse_id = value
    await point.save(update_fields=["evse_id"])
    if pooled is not None:
        await db.execute("UPDATE evse_id SET point_id = $1 WHERE id = $2", point.id, pooled)
    return point


async def _take_free(organisation_id: uuid.UUID) -> tuple[str, uuid.UUID]:
    """The lowest free pooled id, locked; ids another transaction holds are skipped, so
    two concurrent autopicks never get the same one."""
    rows = await db.fetch(
        """
        SELECT e.id, e.value FROM evse_id e
        WHERE e.organisation_id = $1 AND e.point_id IS NULL
          AND NOT EXISTS (SELECT 1 FROM charging_point p WHERE p.evse_id = e.value)
        ORDER BY e.value
        LIMIT 1
        FOR UPDATE SKIP LOCKED
        """,
        organisation_id,
    )
    if not rows:
        raise NO_FREE_EVSE_ID.error("autopick")
    return rows[0]["value"], rows[0]["id"]


async def _claim_typed(
    organisation_id: uuid.UUID, point: ChargingPoint, value: str
) -> uuid.UUID | None:
    """Check a typed id is free (serialised per id); the pool row to assign, if pooled."""
    await db.advisory_lock(f"evse:{value}")
    if await ChargingPoint.filter(evse_id=value).exclude(id=point.id).exists():
        raise EVSE_ID_IN_USE.error("evseId")
    rows = await db.fetch(
        "SELECT id, organisation_id, point_id FROM evse_id WHERE value = $1 FOR UPDATE", value
    )
    if not rows:
        return None
    row = rows[0]
    if row["organisation_id"] != organisation_id or row["point_id"] not in (None, point.id):
        raise EVSE_ID_IN_USE.error("evseId")
    return row["id"]
