"""Charging sessions through GraphQL: scope, filters, detail, meter samples."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.charging.models import MeterSample
from domain.stations.models import ChargingStation, StationState
from tests import factories
from tests.conftest import login
from tests.sqlcount import count_sql

LIST = """query($station: ID, $state: SessionState, $search: String, $from: DateTime) {
  chargingSessions(stationId: $station, state: $state, search: $search, startedFrom: $from) {
    totalCount items { transactionId stationId state energyWh tokenUid }
  }
}"""


@pytest.fixture
async def sessions(world):  # type: ignore[no-untyped-def]
    """Two sessions at a station in g1 (one active), one at a station in g2."""
    in_g1 = await factories.station(world.g1, points=1)
    in_g2 = await factories.station(world.g2, points=1)
    early = datetime(2026, 11, 1, tzinfo=UTC)
    done = await factories.charging_session(in_g1, started_at=early, energy_wh=7500)
    live = await factories.charging_session(in_g1, token_uid="LIVE0001")
    other = await factories.charging_session(in_g2, started_at=early + timedelta(hours=1))
    return {"g1": in_g1, "g2": in_g2, "done": done, "live": live, "other": other}


async def test_admin_sees_every_session_newest_first(as_admin, sessions):  # type: ignore[no-untyped-def]
    data = (await as_admin(LIST))["chargingSessions"]
    assert data["totalCount"] == 3
    assert [i["transactionId"] for i in data["items"]] == [
        sessions[k].transaction_id for k in ("live", "other", "done")
    ]


async def test_basic_operator_sees_only_their_subtree(as_basic, client, sessions):  # type: ignore[no-untyped-def]
    data = (await as_basic(LIST))["chargingSessions"]
    assert sorted(i["transactionId"] for i in data["items"]) == sorted(
        [sessions["done"].transaction_id, sessions["live"].transaction_id]
    )
    for who in ("gamma", "omega"):
        outsider = client.as_token(await login(client, who))
        found = (await outsider(LIST, station=str(sessions["g1"].id)))["chargingSessions"]
        assert found == {"totalCount": 0, "items": []}
        detail = await outsider(
            "query($id: ID!) { chargingSession(id: $id) { id } }", id=str(sessions["done"].id)
        )
        assert detail == {"chargingSession": None}


async def test_filters(as_admin, sessions):  # type: ignore[no-untyped-def]
    active = (await as_admin(LIST, state="ACTIVE"))["chargingSessions"]
    assert [i["transactionId"] for i in active["items"]] == [
        sessions["live"].transaction_id,
        sessions["other"].transaction_id,
    ]
    completed = (await as_admin(LIST, state="COMPLETED"))["chargingSessions"]
    assert [i["energyWh"] for i in completed["items"]] == [7500]
    by_station = (await as_admin(LIST, station=str(sessions["g2"].id)))["chargingSessions"]
    assert by_station["totalCount"] == 1
    by_tag = (await as_admin(LIST, search="live"))["chargingSessions"]
    assert by_tag["totalCount"] == 1
    by_id = await as_admin(LIST, search=str(sessions["done"].transaction_id))
    assert [i["energyWh"] for i in by_id["chargingSessions"]["items"]] == [7500]
    recent = await as_admin(LIST, **{"from": "2026-11-01T00:30:00Z"})
    assert recent["chargingSessions"]["totalCount"] == 2
    nowhere = await as_admin(LIST, station="not-an-id")
    assert nowhere["chargingSessions"]["totalCount"] == 0


async def test_deleted_station_history_is_seen_from_the_root_only(as_admin, as_basic, sessions):  # type: ignore[no-untyped-def]
    await ChargingStation.filter(id=sessions["g1"].id).update(
        state=StationState.ORPHAN, group_id=None
    )
    assert (await as_admin(LIST))["chargingSessions"]["totalCount"] == 3
    assert (await as_basic(LIST))["chargingSessions"]["totalCount"] == 0


async def test_meter_samples_of_a_session(as_basic, client, sessions):  # type: ignore[no-untyped-def]
    session = sessions["done"]
    at = session.started_at
    for minute, (measurand, value) in enumerate(
        [("Energy.Active.Import.Register", "100"), ("Power.Active.Import", "7200.5"),
         ("Energy.Active.Import.Register", "7500")]
    ):  # fmt: skip
        await MeterSample.create(
            station_id=session.station_id, session=session, connector_id=1,
            sampled_at=at + timedelta(minutes=minute), measurand=measurand,
            value=Decimal(value), unit="Wh" if "Energy" in measurand else "W",
        )  # fmt: skip
    query = """query($id: ID!, $m: String) { sessionMeterSamples(sessionId: $id, measurand: $m) {
        totalCount items { measurand value unit } } }"""
    energy = await as_basic(query, id=str(session.id), m="Energy.Active.Import.Register")
    assert energy["sessionMeterSamples"] == {
        "totalCount": 2,
        "items": [
            {"measurand": "Energy.Active.Import.Register", "value": "100.000000", "unit": "Wh"},
            {"measurand": "Energy.Active.Import.Register", "value": "7500.000000", "unit": "Wh"},
        ],
    }
    gamma = client.as_token(await login(client, "gamma"))
    assert await gamma(query, id=str(session.id)) == {"sessionMeterSamples": None}


async def test_statement_count_does_not_grow_with_sessions(as_admin, world):  # type: ignore[no-untyped-def]
    station = await factories.station(world.g1, points=1)
    query = """{ chargingSessions(page: {limit: 100}) { totalCount items { id transactionId
        stationId connectorId tokenUid userId state energyWh cost currency tariff
        remoteCommandId startedAt stoppedAt } } }"""
    counts = []
    for total in (10, 100):
        while (await as_admin(query))["chargingSessions"]["totalCount"] < total:
            await factories.charging_session(station, energy_wh=1000)
        with count_sql() as sql:
            await as_admin(query)
        counts.append(sql.count)
    assert counts[0] == counts[1], counts
