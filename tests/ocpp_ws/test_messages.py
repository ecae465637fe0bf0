"""Station-to-CSMS messages that need no sessions: each persisted before its answer."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from domain.events.models import PointStatus, StationEvent
from domain.stations.models import ChargingStation
from tests import factories

BOOT = {
    "chargePointVendor": "ACME",
    "chargePointModel": "Wallbox 22",
    "chargePointSerialNumber": "SN-0042",
    "firmwareVersion": "1.4.2",
}


def wire(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


@pytest.fixture
async def active(world, station_password_hash) -> ChargingStation:  # type: ignore[no-untyped-def]
    return await factories.station(world.g1, points=2, ocpp_password_hash=station_password_hash)


@pytest.fixture
async def online(connect, world, active):  # type: ignore[no-untyped-def]
    async with connect(world.org.slug, active.identifier) as station:
        yield station


async def snapshot() -> tuple[list[tuple[object, ...]], ...]:
    stations = await ChargingStation.all().order_by("identifier")
    events = await StationEvent.all().order_by("occurred_at")
    statuses = await PointStatus.all().order_by("point_id")
    return (
        [(s.id, s.vendor, s.model, s.serial_number, s.firmware_version) for s in stations],
        [(e.id, e.connector_id, e.status) for e in events],
        [(p.point_id, p.status, p.error_code, p.updated_at) for p in statuses],
    )


async def test_boot_notification_is_stored_and_accepted(online, active):
    before = datetime.now(UTC)
    answer = await online.result("BootNotification", BOOT)
    assert answer["status"] == "Accepted" and answer["interval"] == 300
    assert before - timedelta(seconds=1) <= parse(answer["currentTime"]) <= datetime.now(UTC)
    row = await ChargingStation.get(id=active.id)
    assert (row.vendor, row.model, row.serial_number, row.firmware_version) == (
        "ACME",
        "Wallbox 22",
        "SN-0042",
        "1.4.2",
    )
    assert row.last_seen_at is not None and row.last_seen_at >= before
    # A later boot with less to say overwrites what it no longer reports.
    await online.result("BootNotification", {"chargePointVendor": "B", "chargePointModel": "M"})
    row = await ChargingStation.get(id=active.id)
    assert (row.vendor, row.model, row.serial_number, row.firmware_version) == ("B", "M", "", "")


async def test_heartbeat_updates_last_seen(online, active):
    before = datetime.now(UTC)
    answer = await online.result("Heartbeat", {})
    row = await ChargingStation.get(id=active.id)
    assert row.last_seen_at is not None and before <= row.last_seen_at
    assert abs(parse(answer["currentTime"]) - row.last_seen_at) < timedelta(seconds=1)


async def test_status_notification_is_stored_at_its_own_time(online, active):
    past = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    report = {
        "connectorId": 1,
        "errorCode": "GroundFailure",
        "status": "Faulted",
        "info": "earth leak",
        "vendorId": "com.acme",
        "vendorErrorCode": "E42",
        "timestamp": wire(past),
    }
    assert await online.result("StatusNotification", report) == {}
    event = await StationEvent.get(station_id=active.id)
    assert (event.connector_id, event.status, event.error_code) == (1, "Faulted", "GroundFailure")
    vendor = (event.info, event.vendor_id, event.vendor_error_code)
    assert vendor == ("earth leak", "com.acme", "E42")
    assert event.occurred_at == past
    assert event.received_at - past > timedelta(hours=2)
    live = await PointStatus.get(point__station_id=active.id, point__number=1)
    assert (live.status, live.error_code, live.updated_at) == ("Faulted", "GroundFailure", past)

    # A retry of the same report is stored once.
    await online.result("StatusNotification", report)
    assert await StationEvent.filter(station_id=active.id).count() == 1

    # A newer report becomes the live status; an older one late only joins the feed.
    now = datetime.now(UTC).replace(microsecond=0)
    newer = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
    await online.result("StatusNotification", {**newer, "timestamp": wire(now)})
    late = wire(past + timedelta(hours=1))
    older = {"connectorId": 1, "errorCode": "NoError", "status": "Charging", "timestamp": late}
    await online.result("StatusNotification", older)
    live = await PointStatus.get(point__station_id=active.id, point__number=1)
    assert (live.status, live.updated_at) == ("Available", now)
    feed = await StationEvent.filter(station_id=active.id).order_by("occurred_at")
    assert [e.status for e in feed] == ["Faulted", "Charging", "Available"]


async def test_status_of_whole_station_and_without_timestamp(online, active):
    before = datetime.now(UTC)
    report = {"connectorId": 0, "errorCode": "NoError", "status": "Unavailable"}
    await online.result("StatusNotification", report)
    event = await StationEvent.get(station_id=active.id)
    assert event.connector_id == 0 and event.occurred_at == event.received_at >= before
    assert await PointStatus.all().count() == 0  # connector 0 is no charging point
    # A connector the station has no charging point for: in the feed, no live status.
    await online.result("StatusNotification", {**report, "connectorId": 7})
    assert await StationEvent.filter(station_id=active.id, connector_id=7).count() == 1
    assert await PointStatus.all().count() == 0


async def test_authorize_decisions(online, world, active):
    members = await factories.user_group(world.root)
    driver = await factories.charging_user(world.g1, member_of=members)
    await factories.access_right(driver, group=world.g1)
    valid_to = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    good = await factories.token(driver, "TAG-GOOD", valid_to=valid_to)
    blocked = await factories.token(driver, "TAG-BLOCKED", status="blocked")
    expired = await factories.token(
        driver, "TAG-OLD", valid_to=datetime.now(UTC) - timedelta(days=1)
    )

    info = (await online.result("Authorize", {"idTag": good.uid}))["idTagInfo"]
    assert info["status"] == "Accepted"
    assert parse(info["expiryDate"]) == valid_to
    assert info["parentIdTag"] == members.id.hex[:20]

    info = (await online.result("Authorize", {"idTag": "NOBODY"}))["idTagInfo"]
    assert info == {"status": "Invalid"}
    info = (await online.result("Authorize", {"idTag": blocked.uid}))["idTagInfo"]
    assert info["status"] == "Blocked"
    info = (await online.result("Authorize", {"idTag": expired.uid}))["idTagInfo"]
    assert info["status"] == "Expired"


async def test_authorize_at_a_station_not_in_use_is_invalid(online, world, active):
    """NOT_ALLOWED (here: a disabled station) answers Invalid."""
    driver = await factories.charging_user(world.g1)
    await factories.access_right(driver, group=world.g1)
    await factories.token(driver, "TAG-1")
    await ChargingStation.filter(id=active.id).update(disabled=True)
    info = (await online.result("Authorize", {"idTag": "TAG-1"}))["idTagInfo"]
    assert info["status"] == "Invalid"


async def test_malformed_frames_leave_nothing_half_written(online, active):
    before = await snapshot()
    # Not JSON, not OCPP-J: ignored, the connection survives.
    await online.send_raw("this is not json")
    await online.send_raw(json.dumps({"not": "a frame"}))
    await online.connection.send(b"\x00\x01binary")
    assert (await online.result("Heartbeat", {}))["currentTime"]
    before = await snapshot()  # the heartbeat touched last_seen_at only

    # A CALL frame with too few or too many elements, its uniqueId readable: ProtocolError.
    for frame in ('[2, "short-1", "Heartbeat"]', '[2, "long-1", "Heartbeat", {}, {}]'):
        await online.send_raw(frame)
        answer = await online.receive()
        assert answer[:3] == [4, json.loads(frame)[1], "ProtocolError"], answer

    # An action 1.6 does not have: NotImplemented (OCPP-J 1.6 section 4.2.3).
    answer = await online.call("FlyToTheMoon", {})
    assert answer[0] == 4 and answer[2] == "NotImplemented"
    # An action of 1.6 a station does not send to the central system: NotSupported.
    answer = await online.call("RemoteStartTransaction", {"idTag": "X"})
    assert answer[0] == 4 and answer[2] == "NotSupported"

    # Wrong payload types, missing fields, values out of range: refused by the schema.
    bad_status = {"connectorId": "1", "errorCode": "NoError", "status": "Available"}
    answer = await online.call("StatusNotification", bad_status)
    assert answer[0] == 4 and answer[2] == "TypeConstraintViolation"
    answer = await online.call("BootNotification", {"chargePointVendor": "ACME"})
    assert answer[0] == 4 and answer[2] == "OccurenceConstraintViolation"
    odd = {"connectorId": 1, "errorCode": "NoError", "status": "Sleeping"}
    answer = await online.call("StatusNotification", odd)
    assert answer[0] == 4 and answer[2] == "PropertyConstraintViolation"
    answer = await online.call("Heartbeat", [])
    assert answer[0] == 4 and answer[2] == "FormationViolation"
    # A timestamp the schema lets through but that is no date and time.
    late = {"connectorId": 1, "errorCode": "NoError", "status": "Available", "timestamp": "x"}
    answer = await online.call("StatusNotification", late)
    assert answer[0] == 4 and answer[2] == "PropertyConstraintViolation"

    assert await snapshot() == before
    assert (await online.result("Heartbeat", {}))["currentTime"]
