"""Station domain functions the OCPP layer calls, and the locking under real concurrency:
two transactions on two connections, one held open while the other runs."""

from __future__ import annotations

import asyncio

import pytest
from tortoise.transactions import in_transaction

from domain.errors import DomainError, ErrorCode
from domain.stations import evse, service
from domain.stations.models import ChargingStation, EvseId, StationState
from tenancy.actor import Actor, ActorKind
from tests import factories
from tests.waits import waits_on_a_lock


def admin(world) -> Actor:  # type: ignore[no-untyped-def]
    return Actor(
        kind=ActorKind.OPERATOR,
        organisation_id=world.org.id,
        operator_id=world.admin.id,
        role="admin",
        base_path=world.root.path,
    )


async def discover(organisation_id, identifier: str) -> ChargingStation:  # type: ignore[no-untyped-def]
    async with in_transaction():
        return await service.record_discovered(
            organisation_id=organisation_id, identifier=identifier
        )


async def test_record_discovered_is_idempotent(world):
    first = await discover(world.org.id, "EVB-1")
    again = await discover(world.org.id, "EVB-1")
    assert first.id == again.id
    assert first.state == StationState.DISCOVERED
    assert first.group_id is None
    assert first.name == "EVB-1"
    assert await ChargingStation.filter(identifier="EVB-1").count() == 1
    # The same identifier in another organisation is another station.
    other = await discover(world.org_b.id, "EVB-1")
    assert other.id != first.id


async def test_record_discovered_returns_the_live_station_that_has_the_identifier(world):
    live = await factories.station(world.g1, identifier="EVI1")
    assert (await discover(world.org.id, "EVI1")).id == live.id
    # Once deleted (an orphan), the identifier is unknown again: a new discovered station.
    async with in_transaction():
        await service.delete(principal=admin(world), station_id=str(live.id))
    found = await discover(world.org.id, "EVI1")
    assert found.id != live.id
    assert found.state == StationState.DISCOVERED


@pytest.mark.parametrize("identifier", ["", "a/b", "a b", "x" * 65])
async def test_record_discovered_refuses_invalid_identifiers(world, identifier):
    with pytest.raises(DomainError) as raised:
        await discover(world.org.id, identifier)
    assert raised.value.message == "Invalid charging station identifier."
    assert await ChargingStation.all().count() == 0


async def test_verify_password_of_stations_without_one(world):
    await discover(world.org.id, "EVB-1")
    await factories.station(world.g1, identifier="EVI1")
    for identifier in ("EVB-1", "EVI1", "nobody"):
        assert (
            await service.verify_station_password(
                organisation_slug=world.org.slug, identifier=identifier, password=""
            )
            is None
        )
    assert (
        await service.verify_station_password(
            organisation_slug="no-such-org", identifier="EVI1", password="x"
        )
        is None
    )


async def test_concurrent_create_waits_for_the_first_and_gets_the_clear_message(world):
    principal = admin(world)
    inserted, release = asyncio.Event(), asyncio.Event()

    async def first() -> ChargingStation:
        async with in_transaction():
            row = await service.create(principal=principal, name="A", identifier="EVI-RACE")
            inserted.set()
            await release.wait()
            return row

    async def second() -> ChargingStation:
        async with in_transaction():
            return await service.create(principal=principal, name="B", identifier="EVI-RACE")

    task_a = asyncio.create_task(first())
    await inserted.wait()
    task_b = asyncio.create_task(second())
    await waits_on_a_lock(task_b)
    assert not task_b.done()  # waiting on the advisory lock
    release.set()
    created = await task_a
    with pytest.raises(DomainError) as raised:
        await task_b
    assert raised.value.code == ErrorCode.ALREADY_EXISTS
    assert raised.value.message == "Charging station already exists for that identifier."
    assert [s.id for s in await ChargingStation.filter(identifier="EVI-RACE")] == [created.id]


async def test_concurrent_autopick_skips_the_id_another_transaction_holds(world):
    principal = admin(world)
    async with in_transaction():
        await evse.generate(
            principal=principal, country_code="FI", operator_id="ABC", start=1, count=3
        )
    p1 = await factories.point(await factories.station(world.g1), 1)
    p2 = await factories.point(await factories.station(world.g2), 1)
    picked, release = asyncio.Event(), asyncio.Event()

    async def first() -> str | None:
        async with in_transaction():
            point = await evse.set_point_evse_id(
                principal=principal, point_id=str(p1.id), autopick=True
            )
            picked.set()
            await release.wait()
            return point.evse_id

    async def second() -> str | None:
        async with in_transaction():
            point = await evse.set_point_evse_id(
                principal=principal, point_id=str(p2.id), autopick=True
            )
            return point.evse_id

    task_a = asyncio.create_task(first())
    await picked.wait()
    # The first transaction still holds FI*ABC*E000001: the second does not wait for it.
    b_value = await asyncio.wait_for(second(), timeout=5)
    release.set()
    a_value = await task_a
    assert (a_value, b_value) == ("FI*ABC*E000001", "FI*ABC*E000002")
    assigned = {e.value: e.point_id for e in await EvseId.filter(point_id__not_isnull=True)}
    assert assigned == {"FI*ABC*E000001": p1.id, "FI*ABC*E000002": p2.id}


async def test_typed_id_waits_for_an_autopick_holding_it_then_is_refused(world):
    principal = admin(world)
    async with in_transaction():
        await evse.generate(
            principal=principal, country_code="FI", operator_id="ABC", start=1, count=1
        )
    p1 = await factories.point(await factories.station(world.g1), 1)
    p2 = await factories.point(await factories.station(world.g2), 1)
    picked, release = asyncio.Event(), asyncio.Event()

    async def first() -> None:
        async with in_transaction():
            await evse.set_point_evse_id(principal=principal, point_id=str(p1.id), autopick=True)
            picked.set()
            await release.wait()

    async def second() -> None:
        async with in_transaction():
            await evse.set_point_evse_id(
                principal=principal, point_id=str(p2.id), evse_id="FI*ABC*E000001"
            )

    task_a = asyncio.create_task(first())
    await picked.wait()
    task_b = asyncio.create_task(second())
    await waits_on_a_lock(task_b)
    assert not task_b.done()  # waiting on the pool row
    release.set()
    await task_a
    with pytest.raises(DomainError) as raised:
        await task_b
    assert raised.value.message == "EVSE ID already in use."
