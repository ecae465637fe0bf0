"""Factories: build organisations, group trees and operators through the domain services."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache

from domain.charging.models import ChargingSession
from domain.groups import service as groups
from domain.groups.models import ChargingGroup
from domain.operators.models import Operator, OperatorRole, OperatorSession, OperatorStatus
from domain.operators.passwords import hash_password, new_token
from domain.organisations.models import Organisation
from domain.pricing.models import Tariff
from domain.stations.models import (
    ChargingPoint,
    ChargingStation,
    PowerType,
    Socket,
    SocketType,
)
from domain.users.models import AccessRight, ChargingUser, Token, TokenStatus, UserGroup

PASSWORD = "Correct-Horse-9"
_seq = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_seq)}"


async def organisation(name: str | None = None) -> tuple[Organisation, ChargingGroup]:
    """An organisation and its root group."""
    name = name or unique("Org ")
    org = await Organisation.create(name=name, slug=unique("org-"))
    root = await groups.create_root(organisation=org, name=name)
    return org, root


async def group(parent: ChargingGroup, name: str | None = None) -> ChargingGroup:
    import uuid

    group_id = uuid.uuid4()
    return await ChargingGroup.create(
        id=group_id,
        organisation_id=parent.organisation_id,
        parent=parent,
        name=name or unique("Group "),
        path=groups.child_path(parent.path, group_id),
    )


async def operator(
    base_group: ChargingGroup,
    role: OperatorRole | str = OperatorRole.ADMIN,
    *,
    username: str | None = None,
    password: str = PASSWORD,
    status: OperatorStatus = OperatorStatus.ACTIVE,
    email: str | None = None,
) -> Operator:
    username = username or unique("op")
    return await Operator.create(
        organisation_id=base_group.organisation_id,
        base_group=base_group,
        username=username,
        email=email or f"{username}@example.com",
        role=OperatorRole(role),
        status=OperatorStatus(status),
        password_hash=_password_hash(password),
    )


async def session_token(op: Operator) -> str:
    """A bearer token for a session of `op`, as logging in opens one (without argon2's cost)."""
    token, digest = new_token()
    expires_at = datetime.now(UTC) + timedelta(hours=2)
    await OperatorSession.create(operator=op, token_hash=digest, expires_at=expires_at)
    return token


@lru_cache
def _password_hash(password: str) -> str:
    """Argon2 costs ~0.1 s a hash: hash each test password once per session."""
    return hash_password(password)


async def station(
    group: ChargingGroup | None,
    organisation_id: object = None,
    *,
    identifier: str | None = None,
    points: int = 0,
    power_type: str = "ac_3_phase",
    **fields: object,
) -> ChargingStation:
    """A station in `group` with `points` charging points of one socket each."""
    ident = identifier or unique("EVI")
    row = await ChargingStation.create(
        organisation_id=organisation_id or group.organisation_id,  # type: ignore[union-attr]
        group=group,
        name=ident,
        identifier=ident,
        **fields,
    )
    for number in range(1, points + 1):
        await point(row, number, power_type=power_type)
    return row


@dataclass
class World:
    """Two organisations. In A: root > g1 > g1a, root > g2; admin at root, basic at g1,
    basic_g2 at g2 (outside g1's subtree). In B: root_b and admin_b."""

    org: Organisation
    root: ChargingGroup
    g1: ChargingGroup
    g1a: ChargingGroup
    g2: ChargingGroup
    admin: Operator
    basic: Operator
    basic_g2: Operator
    org_b: Organisation
    root_b: ChargingGroup
    admin_b: Operator
    tokens: dict[str, str] = field(default_factory=dict)


async def world() -> World:
    org, root = await organisation("ACME Shopping Malls")
    g1 = await group(root, "ACME Pine Mall")
    g1a = await group(g1, "Pine Mall garage")
    g2 = await group(root, "ACME Birch Mall")
    org_b, root_b = await organisation("Other Org")
    return World(
        org=org,
        root=root,
        g1=g1,
        g1a=g1a,
        g2=g2,
        admin=await operator(root, "admin", username="alpha"),
        basic=await operator(g1, "basic", username="beta"),
        basic_g2=await operator(g2, "basic", username="gamma"),
        org_b=org_b,
        root_b=root_b,
        admin_b=await operator(root_b, "admin", username="omega"),
    )


# --- charging infrastructure, drivers and pricing -------------------------------------------


async def point(
    station_row: ChargingStation,
    number: int = 1,
    *,
    power_type: str = "ac_3_phase",
    sockets: int = 1,
) -> ChargingPoint:
    """A charging point with `sockets` Type 2 (or CCS2 for DC) sockets."""
    row = await ChargingPoint.create(station=station_row, number=number)
    for n in range(1, sockets + 1):
        await Socket.create(
            point=row,
            number=n,
            type=SocketType.CCS2 if power_type == "dc" else SocketType.TYPE_2,
            power_type=PowerType(power_type),
            max_power_kw=Decimal("50" if power_type == "dc" else "22"),
            max_voltage=400,
            max_amperage=125 if power_type == "dc" else 32,
        )
    return row


async def tariff(
    owner: ChargingGroup,
    *,
    name: str | None = None,
    per_kwh: str = "0.30",
    per_session: str = "0",
    per_hour: str = "0",
    vat_rate: str = "24",
    currency: str = "EUR",
    prices_include_vat: bool = False,
) -> Tariff:
    return await Tariff.create(
        organisation_id=owner.organisation_id,
        group=owner,
        name=name or unique("Tariff "),
        price_per_kwh=Decimal(per_kwh),
        price_per_session=Decimal(per_session),
        price_per_hour=Decimal(per_hour),
        vat_rate=Decimal(vat_rate),
        currency=currency,
        prices_include_vat=prices_include_vat,
    )


async def user_group(
    owner: ChargingGroup,
    *,
    name: str | None = None,
    active: bool = True,
    ac_tariff: Tariff | None = None,
    dc_tariff: Tariff | None = None,
) -> UserGroup:
    return await UserGroup.create(
        organisation_id=owner.organisation_id,
        group=owner,
        name=name or unique("User group "),
        active=active,
        ac_tariff=ac_tariff,
        dc_tariff=dc_tariff,
    )


async def charging_user(
    group_row: ChargingGroup,
    *,
    email: str | None = None,
    first_name: str = "Scrooge",
    last_name: str = "McDuck",
    active: bool = True,
    member_of: UserGroup | None = None,
) -> ChargingUser:
    email = email or f"{unique('driver')}@example.com"
    return await ChargingUser.create(
        organisation_id=group_row.organisation_id,
        group=group_row,
        user_group=member_of,
        first_name=first_name,
        last_name=last_name,
        email=email,
        email_key=email.lower(),
        active=active,
    )


async def token(
    user: ChargingUser,
    uid: str | None = None,
    *,
    status: str = "active",
    valid_from: datetime | None = None,
    valid_to: datetime | None = None,
    name: str = "Home",
) -> Token:
    uid = uid or unique("TAG").upper()
    return await Token.create(
        organisation_id=user.organisation_id,
        user=user,
        uid=uid,
        uid_key=uid.upper(),
        name=name,
        status=TokenStatus(status),
        valid_from=valid_from,
        valid_to=valid_to,
    )


async def access_right(
    user: ChargingUser,
    *,
    group: ChargingGroup | None = None,
    station: ChargingStation | None = None,
) -> AccessRight:
    return await AccessRight.create(user=user, group=group, station=station)


_transactions = itertools.count(1_000_000)


async def charging_session(
    station_row: ChargingStation,
    *,
    token_uid: str = "04A1B2C3",
    connector_id: int = 1,
    started_at: datetime | None = None,
    energy_wh: int | None = None,
    transaction_id: int | None = None,
    **fields: object,
) -> ChargingSession:
    """A session at `station_row`: ACTIVE, or COMPLETED with `energy_wh`."""
    transaction_id = transaction_id or next(_transactions)
    started = started_at or datetime.now(UTC)
    done: dict[str, object] = {}
    if energy_wh is not None:
        done = {"state": "completed", "meter_stop_wh": energy_wh, "energy_wh": energy_wh,
                "stopped_at": started, "cost": Decimal("0.00")}  # fmt: skip
    return await ChargingSession.create(
        organisation_id=station_row.organisation_id,
        station=station_row,
        connector_id=connector_id,
        transaction_id=transaction_id,
        start_key=f"test-{transaction_id}",
        token_uid=token_uid,
        authorization_status="accepted",
        meter_start_wh=0,
        started_at=started,
        **{**done, **fields},
    )
