"""Charging sessions over OCPP 1.6J: start, meter values, stop, pricing and housekeeping,
each persisted before the answer."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.charging import service as charging
from domain.charging.models import ChargingSession, MeterSample, SessionState
from domain.groups.models import ChargingGroup
from domain.pricing.models import Tariff
from domain.stations.models import ChargingStation
from tests import factories
from workers import housekeeping

BOOT = {"chargePointVendor": "ACME", "chargePointModel": "Wallbox 22"}


def wire(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def ago(**delta: float) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) - timedelta(**delta)


def start(tag: str, at: datetime, meter: int = 1000, connector: int = 1) -> dict[str, Any]:
    return {"connectorId": connector, "idTag": tag, "meterStart": meter, "timestamp": wire(at)}


def energy(at: datetime, wh: str, **more: str) -> dict[str, Any]:
    return {"timestamp": wire(at), "sampledValue": [{"value": wh, "unit": "Wh", **more}]}


@pytest.fixture
async def active(world, station_password_hash) -> ChargingStation:  # type: ignore[no-untyped-def]
    return await factories.station(world.g1, points=2, ocpp_password_hash=station_password_hash)


@pytest.fixture
async def driver(world):  # type: ignore[no-untyped-def]
    user = await factories.charging_user(world.g1)
    await factories.access_right(user, group=world.g1)
    await factories.token(user, "TAG-OK")
    return user


@pytest.fixture
async def online(connect, world, active):  # type: ignore[no-untyped-def]
    async with connect(world.org.slug, active.identifier) as station:
        yield station


async def rows() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    sessions = await ChargingSession.all().order_by("transaction_id")
    samples = await MeterSample.all().order_by("sampled_at", "measurand")
    return (
        [(s.transaction_id, s.state, s.meter_stop_wh, s.cost, s.stop_reason) for s in sessions],
        [(m.session_id, m.measurand, m.value, m.sampled_at) for m in samples],
    )


async def test_start_meter_stop_priced_with_snapshot(online, world, active, driver):
    tariff = await factories.tariff(world.g1, per_kwh="0.3333", per_session="1.005", per_hour="2")
    await ChargingGroup.filter(id=world.g1.id).update(tariff_id=tariff.id)
    t0 = ago(hours=3)
    answer = await online.result("StartTransaction", start("TAG-OK", t0, meter=1000))
    assert answer["idTagInfo"]["status"] == "Accepted"
    tx = answer["transactionId"]
    session = await ChargingSession.get(transaction_id=tx)
    assert session.state == SessionState.ACTIVE and session.started_at == t0
    assert session.user_id == driver.id and session.point_id is not None
    assert session.authorization_status == "accepted"

    values = [
        energy(t0 + timedelta(minutes=30), "5000.5"),
        {
            "timestamp": wire(t0 + timedelta(minutes=30)),
            "sampledValue": [
                {"value": "7.2", "measurand": "Power.Active.Import", "unit": "kW", "phase": "L1"},
                {
                    "value": "80",
                    "measurand": "SoC",
                    "unit": "Percent",
                    "context": "Sample.Periodic",
                    "location": "EV",
                },
            ],
        },
    ]
    assert (
        await online.result(
            "MeterValues", {"connectorId": 1, "transactionId": tx, "meterValue": values}
        )
        == {}
    )
    stored = await MeterSample.filter(session_id=session.id).order_by("measurand")
    assert [(m.measurand, m.value, m.unit, m.phase) for m in stored] == [
        ("Energy.Active.Import.Register", Decimal("5000.5"), "Wh", ""),
        ("Power.Active.Import", Decimal("7.2"), "kW", "L1"),
        ("SoC", Decimal("80"), "Percent", ""),
    ]
    assert stored[2].context == "Sample.Periodic" and stored[2].location == "EV"
    assert all(m.sampled_at == t0 + timedelta(minutes=30) for m in stored)

    t1 = t0 + timedelta(minutes=90)
    stop = {
        "transactionId": tx,
        "meterStop": 13_500,
        "timestamp": wire(t1),
        "idTag": "TAG-OK",
        "transactionData": [energy(t1, "13500", context="Transaction.End")],
    }
    answer = await online.result("StopTransaction", stop)
    assert answer["idTagInfo"]["status"] == "Accepted"
    session = await ChargingSession.get(transaction_id=tx)
    # 12.5 kWh x 0.3333 = 4.16625, + 1.005, + 1.5 h x 2 = 8.17125 -> 8.17
    assert (session.state, session.energy_wh, session.stopped_at) == ("completed", 12_500, t1)
    assert (session.cost, session.currency, session.price_reason) == (
        Decimal("8.17"),
        "EUR",
        "group_tariff",
    )
    assert (session.stop_reason, session.stop_token_uid) == ("Local", "TAG-OK")
    snapshot = session.tariff_snapshot
    assert snapshot is not None and snapshot["price_per_kwh"] == "0.3333"
    assert snapshot["tariff_id"] == str(tariff.id) and snapshot["price_per_hour"] == "2.0000"
    assert await MeterSample.filter(session_id=session.id, context="Transaction.End").count() == 1

    # A retried stop answers the same and changes nothing; a tariff edit leaves it as it was.
    before = await rows()
    assert (await online.result("StopTransaction", stop))["idTagInfo"]["status"] == "Accepted"
    await Tariff.filter(id=tariff.id).update(price_per_kwh=Decimal("9"))
    assert await rows() == before
    assert (await ChargingSession.get(transaction_id=tx)).tariff_snapshot == snapshot


async def test_retried_start_gets_the_same_transaction_id(online, driver):
    t0 = ago(minutes=5)
    first = await online.result("StartTransaction", start("TAG-OK", t0))
    again = await online.result("StartTransaction", start("TAG-OK", t0))
    assert first == again
    other = await online.result("StartTransaction", start("TAG-OK", t0, connector=2))
    assert other["transactionId"] != first["transactionId"]
    assert await ChargingSession.all().count() == 2


async def test_refused_tag_gets_a_transaction_id_and_a_closed_session(online, driver):
    t0 = ago(minutes=1)
    answer = await online.result("StartTransaction", start("NOBODY", t0, meter=400))
    assert answer["idTagInfo"] == {"status": "Invalid"}
    session = await ChargingSession.get(transaction_id=answer["transactionId"])
    assert (session.state, session.stop_reason, session.energy_wh) == (
        "completed",
        "DeAuthorized",
        0,
    )
    assert (session.authorization_status, session.user_id, session.stopped_at) == (
        "invalid",
        None,
        t0,
    )


async def test_station_reconnects_and_stops(connect, world, active, driver):
    t0 = ago(minutes=40)
    async with connect(world.org.slug, active.identifier) as station:
        tx = (await station.result("StartTransaction", start("TAG-OK", t0, meter=0)))[
            "transactionId"
        ]
    # Offline for a while; back, it sends what it kept, at its own times.
    async with connect(world.org.slug, active.identifier) as station:
        late = t0 + timedelta(minutes=10)
        await station.result(
            "MeterValues",
            {"connectorId": 1, "transactionId": tx, "meterValue": [energy(late, "2000")]},
        )
        stop = {
            "transactionId": tx,
            "meterStop": 3000,
            "timestamp": wire(t0 + timedelta(minutes=20)),
            "reason": "EVDisconnected",
        }
        assert await station.result("StopTransaction", stop) == {}
    session = await ChargingSession.get(transaction_id=tx)
    assert (session.state, session.energy_wh, session.stop_reason) == (
        "completed",
        3000,
        "EVDisconnected",
    )
    assert session.cost == Decimal("0.00") and session.price_reason == "no_tariff"
    sample = await MeterSample.get(session_id=session.id)
    assert sample.sampled_at == late and sample.received_at - late > timedelta(minutes=20)


async def test_stop_of_unknown_transaction(online, driver):
    before = await rows()
    stop = {"transactionId": 987654321, "meterStop": 10, "timestamp": wire(ago(minutes=1))}
    assert await online.result("StopTransaction", stop) == {}
    answer = await online.result("StopTransaction", {**stop, "idTag": "TAG-OK"})
    assert answer == {"idTagInfo": {"status": "Invalid"}}
    assert await rows() == before
    assert (await online.result("Heartbeat", {}))["currentTime"]


async def test_housekeeping_closes_silent_session(online, active, driver):
    t0 = ago(hours=5)
    tx = (await online.result("StartTransaction", start("TAG-OK", t0, meter=100)))["transactionId"]
    await online.result(
        "MeterValues",
        {
            "connectorId": 1,
            "transactionId": tx,
            "meterValue": [energy(t0 + timedelta(hours=1), "4.1", unit="kWh")],
        },
    )
    # The cron job, run as the worker runs it: the station was heard of recently.
    assert await housekeeping.close_stale_sessions({}) == 0
    now = datetime.now(UTC)
    # Heard of recently: left alone.
    assert await charging.close_stale_sessions(older_than=now - timedelta(hours=2), now=now) == 0
    await ChargingStation.filter(id=active.id).update(last_seen_at=ago(hours=3))
    assert await charging.close_stale_sessions(older_than=now - timedelta(hours=2), now=now) == 1
    session = await ChargingSession.get(transaction_id=tx)
    assert (session.state, session.stop_reason, session.energy_wh) == (
        "closed",
        "StationVanished",
        4000,
    )
    assert session.stopped_at == t0 + timedelta(hours=1)


async def test_reboot_closes_open_sessions(online, driver):
    t0 = ago(minutes=30)
    tx = (await online.result("StartTransaction", start("TAG-OK", t0)))["transactionId"]
    await online.result("BootNotification", BOOT)
    session = await ChargingSession.get(transaction_id=tx)
    assert (session.state, session.stop_reason, session.energy_wh) == ("closed", "Reboot", 0)
    # The station kept the transaction across its reboot: its stop completes the session.
    stop = {"transactionId": tx, "meterStop": 2500, "timestamp": wire(ago(minutes=1))}
    assert await online.result("StopTransaction", stop) == {}
    session = await ChargingSession.get(transaction_id=tx)
    assert (session.state, session.energy_wh, session.stop_reason) == ("completed", 1500, "Local")


async def test_invalid_payloads_leave_nothing_half_written(online, driver):
    t0 = ago(minutes=10)
    tx = (await online.result("StartTransaction", start("TAG-OK", t0)))["transactionId"]
    before = await rows()
    bad_time = {**start("TAG-OK", t0), "timestamp": "yesterday"}
    assert (await online.call("StartTransaction", bad_time))[2] == "PropertyConstraintViolation"
    missing = {"connectorId": 1, "idTag": "TAG-OK", "timestamp": wire(t0)}
    assert (await online.call("StartTransaction", missing))[2] == "OccurenceConstraintViolation"
    # One good value and one that is no number: neither is stored.
    mixed = {
        "connectorId": 1,
        "transactionId": tx,
        "meterValue": [energy(t0, "10"), energy(t0, "ten")],
    }
    assert (await online.call("MeterValues", mixed))[2] == "PropertyConstraintViolation"
    stop = {
        "transactionId": tx,
        "meterStop": 5000,
        "timestamp": wire(t0),
        "transactionData": [{"timestamp": "soon", "sampledValue": [{"value": "1"}]}],
    }
    assert (await online.call("StopTransaction", stop))[2] == "PropertyConstraintViolation"
    assert await rows() == before
    assert (await ChargingSession.get(transaction_id=tx)).state == SessionState.ACTIVE


async def test_meter_values_outside_a_known_transaction_are_stored_unlinked(online, active):
    at = ago(hours=1)
    await online.result("MeterValues", {"connectorId": 0, "meterValue": [energy(at, "1")]})
    unknown = {"connectorId": 2, "transactionId": 424242, "meterValue": [energy(at, "2")]}
    await online.result("MeterValues", unknown)
    stored = await MeterSample.filter(station_id=active.id).order_by("value")
    assert [(m.session_id, m.connector_id, m.value, m.sampled_at) for m in stored] == [
        (None, 0, Decimal("1"), at),
        (None, 2, Decimal("2"), at),
    ]
    assert stored[0].measurand == "Energy.Active.Import.Register"


async def test_transaction_ids_tell_nothing_of_other_organisations(online, world, active, driver):  # type: ignore[no-untyped-def]
    """Ids are random and unique in the organisation: a station in another organisation may
    hold the same id, and starts elsewhere do not move ours along a shared counter."""
    first = await online.result("StartTransaction", start("TAG-OK", ago(minutes=9)))
    other_org, other_root = await factories.organisation()
    other_station = await factories.station(other_root)
    # Another tenant's sessions, one of them with our id.
    twin = await factories.charging_session(other_station, transaction_id=first["transactionId"])
    for _ in range(5):
        await factories.charging_session(other_station)
    ours = [first["transactionId"]]
    for minutes in (8, 7, 6):
        answer = await online.result("StartTransaction", start("TAG-OK", ago(minutes=minutes)))
        ours.append(answer["transactionId"])
    assert len(set(ours)) == 4 and all(0 < t < 2**31 for t in ours)
    steps = {b - a for a, b in itertools.pairwise(ours)}
    assert steps != {1}, ours  # no counter, neither ours nor the platform's
    # The station's StopTransaction closes its own session, not the other tenant's twin.
    stop = {"transactionId": ours[0], "meterStop": 1500, "timestamp": wire(ago(minutes=5))}
    await online.result("StopTransaction", stop)
    mine = await ChargingSession.get(station_id=active.id, transaction_id=ours[0])
    assert (mine.state, mine.energy_wh) == (SessionState.COMPLETED, 500)
    assert (await ChargingSession.get(id=twin.id)).state == SessionState.ACTIVE
    assert twin.organisation_id == other_org.id


async def test_resent_messages_are_stored_once(online, active, driver):  # type: ignore[no-untyped-def]
    """OCPP is at-least-once: a station whose answer was lost sends the same message again
    (here, or on another node after a reconnect); each reading is stored once."""
    tx = (await online.result("StartTransaction", start("TAG-OK", ago(minutes=30))))[
        "transactionId"
    ]
    readings = [energy(ago(minutes=20), "1200"), energy(ago(minutes=10), "1400", phase="L1")]
    meter = {"connectorId": 1, "transactionId": tx, "meterValue": readings}
    for _ in range(3):
        assert await online.result("MeterValues", meter) == {}
    assert await MeterSample.filter(station_id=active.id).count() == 2
    # The stop repeats one of those readings in its transactionData, and is sent twice.
    end = energy(ago(minutes=5), "1500", context="Transaction.End")
    stop = {"transactionId": tx, "meterStop": 1500, "timestamp": wire(ago(minutes=5)),
            "transactionData": [readings[1], end]}  # fmt: skip
    for _ in range(2):
        await online.result("StopTransaction", stop)
    stored = await MeterSample.filter(station_id=active.id).order_by("sampled_at")
    assert [(s.value, s.context) for s in stored] == [
        (Decimal(1200), ""), (Decimal(1400), ""), (Decimal(1500), "Transaction.End"),
    ]  # fmt: skip
    assert (await ChargingSession.get(transaction_id=tx)).energy_wh == 500
