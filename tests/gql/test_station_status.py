"""A station's status in the station list (seed 003's Status column): online or not, since
when, and each charging point's live status as the station last reported it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.stations.models import ChargingStation
from tests import factories

STATUS = """query($id: ID!) { chargingStation(id: $id) {
  online connectedAt lastSeenAt points { number liveStatus { status errorCode updatedAt } } } }"""
LIST = """query($sort: ChargingStationSort, $online: Boolean) {
  chargingStations(sort: $sort, online: $online) { totalCount items { identifier online } } }"""


@pytest.fixture
async def station(world, station_password_hash) -> ChargingStation:  # type: ignore[no-untyped-def]
    return await factories.station(world.g1, points=2, ocpp_password_hash=station_password_hash)


async def test_online_while_a_node_holds_its_connection(as_basic, station):  # type: ignore[no-untyped-def]
    data = (await as_basic(STATUS, id=str(station.id)))["chargingStation"]
    assert (data["online"], data["connectedAt"]) == (False, None)
    since = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    await ChargingStation.filter(id=station.id).update(connected_node="node-1", connected_at=since)
    data = (await as_basic(STATUS, id=str(station.id)))["chargingStation"]
    assert (data["online"], data["connectedAt"]) == (True, "2030-01-02T03:04:05+00:00")
    # Disconnected: the node is cleared; a connected_at left behind is not shown.
    await ChargingStation.filter(id=station.id).update(connected_node=None)
    data = (await as_basic(STATUS, id=str(station.id)))["chargingStation"]
    assert (data["online"], data["connectedAt"]) == (False, None)


async def test_each_point_shows_the_status_its_station_last_reported(
    as_basic, world, station, connect
):  # type: ignore[no-untyped-def]
    points = (await as_basic(STATUS, id=str(station.id)))["chargingStation"]["points"]
    assert [p["liveStatus"] for p in points] == [None, None]
    at = datetime.now(UTC).replace(microsecond=0)
    report = {"connectorId": 1, "errorCode": "NoError", "status": "Charging"}
    async with connect(world.org.slug, station.identifier) as ocpp:
        await ocpp.result("StatusNotification", {**report, "timestamp": at.isoformat()})
        late = (at - timedelta(minutes=5)).isoformat()  # older: joins only the feed
        await ocpp.result("StatusNotification", {**report, "status": "Faulted", "timestamp": late})
        await ocpp.result(
            "StatusNotification", {**report, "connectorId": 0, "status": "Unavailable"}
        )
    data = (await as_basic(STATUS, id=str(station.id)))["chargingStation"]
    assert data["points"] == [
        {"number": 1, "liveStatus": {"status": "Charging", "errorCode": "NoError",
                                     "updatedAt": at.isoformat()}},
        {"number": 2, "liveStatus": None},
    ]  # fmt: skip
    assert data["lastSeenAt"] is not None


async def test_sort_by_status_and_filter_online_or_offline(as_admin, world):  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    for identifier, node in (("A-ON", "n1"), ("B-OFF", None), ("C-ON", "n2"), ("D-OFF", None)):
        await factories.station(world.g1, identifier=identifier, connected_node=node,
                                connected_at=now if node else None)  # fmt: skip

    async def identifiers(**variables: object) -> list[str]:
        found = (await as_admin(LIST, **variables))["chargingStations"]
        return [item["identifier"] for item in found["items"]]

    assert await identifiers(sort={"field": "STATUS"}) == ["B-OFF", "D-OFF", "A-ON", "C-ON"]
    online_first = {"field": "STATUS", "direction": "DESC"}
    # Within a status, by name (as every other sort of the list).
    assert await identifiers(sort=online_first) == ["A-ON", "C-ON", "B-OFF", "D-OFF"]
    assert await identifiers(online=True) == ["A-ON", "C-ON"]
    assert await identifiers(online=False, sort=online_first) == ["B-OFF", "D-OFF"]
    found = (await as_admin(LIST, online=True, sort=online_first))["chargingStations"]
    assert found["totalCount"] == 2 and all(i["online"] for i in found["items"])
