"""Factories: build organisations, group trees and operators through the domain services."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from domain.groups import service as groups
from domain.groups.models import ChargingGroup
from domain.operators import service as operators
from domain.operators.models import Operator, OperatorRole, OperatorStatus
from domain.organisations.models import Organisation
from domain.stations.models import ChargingStation

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
    op = await operators.create_active(
        organisation_id=base_group.organisation_id,  # type: ignore[arg-type]
        base_group=base_group,
        username=username,
        email=email or f"{username}@example.com",
        password=password,
        role=OperatorRole(role),
    )
    if status != OperatorStatus.ACTIVE:
        op.status = status
        await op.save()
    return op


async def station(group: ChargingGroup | None, organisation_id: object = None) -> ChargingStation:
    ident = unique("EVI")
    return await ChargingStation.create(
        organisation_id=organisation_id or group.organisation_id,  # type: ignore[union-attr]
        group=group,
        name=ident,
        identifier=ident,
    )


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
