"""The station event feed (seed 003, "View charging station events"): one station, one day
in the organisation's time zone, filters, search, previous and next day."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from domain.events.models import EventKind, StationEvent
from domain.organisations.models import Organisation
from domain.stations.models import ChargingStation, StationState
from tests import factories
from tests.conftest import login
from tests.gql.test_choke_point import snapshot
from tests.gqlclient import no_data
from tests.sqlcount import count_sql

FEED = """query($id: ID!, $day: Date, $errorCode: String, $status: String, $search: String,
               $sort: StationEventSort, $page: PageInput) {
  stationEvents(stationId: $id, day: $day, errorCode: $errorCode, status: $status,
                search: $search, sort: $sort, page: $page) {
    day previousDay nextDay timeZone totalCount
    items { info pointNumber status errorCode vendorId vendorErrorCode occurredAt kind } } }"""
HELSINKI = ZoneInfo("Europe/Helsinki")


@pytest.fixture
async def station(world, station_password_hash) -> ChargingStation:  # type: ignore[no-untyped-def]
    return await factories.station(world.g1a, points=1, ocpp_password_hash=station_password_hash)


async def event(station: ChargingStation, at: datetime, status: str = "Charging", **fields: Any):  # type: ignore[no-untyped-def]
    values = {"connector_id": 1, "error_code": "NoError", "info": "Status Update", **fields}
    return await StationEvent.create(
        station=station, status=status, occurred_at=at, received_at=at, **values
    )


def helsinki(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2018, 8, day, hour, minute, tzinfo=HELSINKI)


async def seed_day(station: ChargingStation) -> None:
    """Seed 003's example day (17th Aug 2018, in Helsinki), and its neighbours."""
    await event(station, helsinki(16, 23, 59), "Available", info="the day before")
    await event(station, helsinki(17, 0, 0), "Preparing", info="Status Update -Type2-")
    await event(station, helsinki(17, 7, 55), "SuspendedEV", info="No energy flowing to vehicle")
    await event(
        station,
        helsinki(17, 9, 49),
        "Available",
        connector_id=0,
        error_code="OtherError",
        info="Denied FW update, vehicle is connected",
        vendor_id="com.ensto",
        vendor_error_code="FW-17",
    )
    await event(station, helsinki(17, 10, 55), "Finishing", info="Status Update -Type2-")
    await event(station, helsinki(18, 0, 0), "Available", info="the day after")


async def test_one_day_in_the_organisations_time_zone_newest_first(as_admin, world, station):  # type: ignore[no-untyped-def]
    await Organisation.filter(id=world.org.id).update(timezone="Europe/Helsinki")
    await seed_day(station)
    feed = (await as_admin(FEED, id=str(station.id), day="2018-08-17"))["stationEvents"]
    assert (feed["day"], feed["previousDay"], feed["nextDay"]) == (
        "2018-08-17",
        "2018-08-16",
        "2018-08-18",
    )
    assert (feed["timeZone"], feed["totalCount"]) == ("Europe/Helsinki", 4)
    assert [i["status"] for i in feed["items"]] == [
        "Finishing",
        "Available",
        "SuspendedEV",
        "Preparing",
    ]
    assert feed["items"][1] == {
        "info": "Denied FW update, vehicle is connected",
        "pointNumber": 0,
        "status": "Available",
        "errorCode": "OtherError",
        "vendorId": "com.ensto",
        "vendorErrorCode": "FW-17",
        "occurredAt": "2018-08-17T06:49:00+00:00",  # 09:49 in Helsinki (summer time)
        "kind": "STATUS",
    }
    before = (await as_admin(FEED, id=str(station.id), day="2018-08-16"))["stationEvents"]
    assert [i["info"] for i in before["items"]] == ["the day before"]
    oldest_first = {"field": "OCCURRED_AT", "direction": "ASC"}
    feed = await as_admin(FEED, id=str(station.id), day="2018-08-17", sort=oldest_first)
    assert feed["stationEvents"]["items"][0]["status"] == "Preparing"
    by_point = {"field": "POINT", "direction": "ASC"}
    feed = await as_admin(FEED, id=str(station.id), day="2018-08-17", sort=by_point)
    assert [i["pointNumber"] for i in feed["stationEvents"]["items"]] == [0, 1, 1, 1]


async def test_the_same_instant_is_another_day_in_another_time_zone(as_admin, world, station):  # type: ignore[no-untyped-def]
    await event(station, datetime(2018, 8, 16, 22, 30, tzinfo=UTC))  # 01:30 on the 17th there
    utc = (await as_admin(FEED, id=str(station.id), day="2018-08-16"))["stationEvents"]
    assert (utc["timeZone"], utc["totalCount"]) == ("UTC", 1)
    await Organisation.filter(id=world.org.id).update(timezone="Europe/Helsinki")
    assert (await as_admin(FEED, id=str(station.id), day="2018-08-16"))["stationEvents"][
        "totalCount"
    ] == 0
    assert (await as_admin(FEED, id=str(station.id), day="2018-08-17"))["stationEvents"][
        "totalCount"
    ] == 1


async def test_a_day_across_the_clock_change_has_its_25_hours(as_admin, world, station):  # type: ignore[no-untyped-def]
    await Organisation.filter(id=world.org.id).update(timezone="Europe/Helsinki")
    # 28 Oct 2018: clocks went back from 04:00 to 03:00 in Helsinki.
    start = datetime(2018, 10, 27, 21, 0, tzinfo=UTC)  # local midnight
    for hour in range(25):
        await event(station, start + timedelta(hours=hour), info=f"hour {hour}")
    await event(station, start + timedelta(hours=25), info="next day")
    feed = await as_admin(FEED, id=str(station.id), day="2018-10-28", page={"limit": 100})
    assert feed["stationEvents"]["totalCount"] == 25


async def test_default_day_is_today_in_the_organisations_time_zone(as_admin, world, station):  # type: ignore[no-untyped-def]
    await Organisation.filter(id=world.org.id).update(timezone="Pacific/Kiritimati")  # UTC+14
    now = datetime.now(UTC)
    await event(station, now)
    feed = (await as_admin(FEED, id=str(station.id)))["stationEvents"]
    today = now.astimezone(ZoneInfo("Pacific/Kiritimati")).date()
    assert date.fromisoformat(feed["day"]) in (today, today + timedelta(days=1))
    assert feed["totalCount"] == (1 if feed["day"] == today.isoformat() else 0)


async def test_filters_and_search(as_admin, world, station):  # type: ignore[no-untyped-def]
    await Organisation.filter(id=world.org.id).update(timezone="Europe/Helsinki")
    await seed_day(station)
    await event(station, helsinki(17, 11), "Faulted", error_code="GroundFailure", info="leak")

    async def statuses(**filters: Any) -> list[str]:
        found = await as_admin(FEED, id=str(station.id), day="2018-08-17", **filters)
        return [i["status"] for i in found["stationEvents"]["items"]]

    assert await statuses(errorCode="OtherError") == ["Available"]
    assert await statuses(errorCode="groundfailure") == ["Faulted"]  # any case
    assert await statuses(errorCode="NoError", status="Finishing") == ["Finishing"]
    assert await statuses(status="Preparing") == ["Preparing"]
    assert await statuses(search="fw-17") == ["Available"]  # vendor error code
    assert await statuses(search="energy") == ["SuspendedEV"]  # info
    assert await statuses(search="suspended") == ["SuspendedEV"]  # status
    assert await statuses(search="ground") == ["Faulted"]  # error type
    assert await statuses(search="type2", status="Finishing") == ["Finishing"]
    assert await statuses(search="nothing like it") == []
    assert await statuses(errorCode="", status=" ", search="") == await statuses()
    page = await as_admin(FEED, id=str(station.id), day="2018-08-17", page={"limit": 2})
    assert page["stationEvents"]["totalCount"] == 5
    assert len(page["stationEvents"]["items"]) == 2


async def test_firmware_and_diagnostics_events_show_their_kind(as_admin, station):  # type: ignore[no-untyped-def]
    at = datetime(2018, 8, 17, 12, tzinfo=UTC)
    await event(station, at, "Installed", kind=EventKind.FIRMWARE, connector_id=0)
    await event(station, at + timedelta(minutes=1), "Uploaded", kind=EventKind.DIAGNOSTICS)
    feed = await as_admin(FEED, id=str(station.id), day="2018-08-17", status="installed")
    assert [(i["kind"], i["status"]) for i in feed["stationEvents"]["items"]] == [
        ("FIRMWARE", "Installed")
    ]


async def test_what_a_real_station_reports_is_in_its_feed(as_basic, world, station, connect):  # type: ignore[no-untyped-def]
    report = {
        "connectorId": 1,
        "errorCode": "HighTemperature",
        "status": "SuspendedEVSE",
        "info": "too hot",
        "timestamp": "2018-08-17T07:10:00Z",
    }
    async with connect(world.org.slug, station.identifier) as ocpp:
        assert await ocpp.result("StatusNotification", report) == {}
    feed = await as_basic(FEED, id=str(station.id), day="2018-08-17")
    (item,) = feed["stationEvents"]["items"]
    assert (item["status"], item["errorCode"], item["info"]) == (
        "SuspendedEVSE",
        "HighTemperature",
        "too hot",
    )


def message(body: dict[str, Any]) -> tuple[str, str]:
    (error,) = body["errors"]
    return error["message"], error.get("extensions", {}).get("code", "")


NOT_FOUND = ("Charging station does not exist.", "BAD_USER_INPUT")


async def test_out_of_scope_stations_are_like_missing_ones(client, as_admin, world, station):  # type: ignore[no-untyped-def]
    """Other organisation, outside a basic operator's subtree, orphan, discovered, missing."""
    await event(station, datetime(2018, 8, 17, 12, tzinfo=UTC))
    orphan = await factories.station(None, world.org.id, state=StationState.ORPHAN)
    discovered = await factories.station(None, world.org.id, state=StationState.DISCOVERED)
    for row in (orphan, discovered):
        await event(row, datetime(2018, 8, 17, 12, tzinfo=UTC))
    gamma = client.as_token(await login(client, "gamma"))
    omega = client.as_token(await login(client, "omega"))
    cases = [
        (gamma, station.id),
        (omega, station.id),
        (as_admin, orphan.id),
        (as_admin, discovered.id),
        (as_admin, uuid.uuid4()),
    ]
    for caller, station_id in cases:
        body = await caller.raw(FEED, {"id": str(station_id), "day": "2018-08-17"})
        assert message(body) == NOT_FOUND and no_data(body), (caller.token, body)
    body = await as_admin.raw(FEED, {"id": "nonsense"})
    assert message(body) == NOT_FOUND


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"day": "17.08.2018"}, "Value cannot represent a Date"),
        ({"day": "2018-02-30"}, "Value cannot represent a Date"),
        ({"day": "9999-12-31"}, "Give a day between the years 1970 and 9998."),
        ({"day": "0001-01-01"}, "Give a day between the years 1970 and 9998."),
        ({"errorCode": "Meltdown"}, "Unknown OCPP error type."),
        ({"status": "Exploded"}, "Unknown OCPP status."),
        ({"page": {"limit": 101}}, "Limit must be between 1 and 100."),
        ({"page": {"offset": -1}}, "Offset cannot be negative."),
        ({"search": "x" * 101}, "Search is longer than 100 characters."),
    ],
)
async def test_bad_input_is_a_clear_error(as_admin, station, redis, variables, expected):  # type: ignore[no-untyped-def]
    before = await snapshot(redis)
    body = await as_admin.raw(FEED, {"id": str(station.id), **variables})
    assert expected in body["errors"][0]["message"], body
    assert no_data(body)
    assert await snapshot(redis) == before


async def test_statements_do_not_grow_with_events(as_admin, station):  # type: ignore[no-untyped-def]
    start = datetime(2018, 8, 17, tzinfo=UTC)
    counts = []
    for total in (10, 100):
        await StationEvent.filter(station_id=station.id).delete()
        for n in range(total):
            await event(station, start + timedelta(minutes=n), connector_id=n % 3)
        with count_sql() as sql:
            data = await as_admin(FEED, id=str(station.id), day="2018-08-17", page={"limit": 100})
        assert data["stationEvents"]["totalCount"] == total
        assert len(data["stationEvents"]["items"]) == total
        counts.append(sql.count)
    # Session lookup, the station with its organisation's time zone, count, page.
    assert counts == [4, 4], counts
