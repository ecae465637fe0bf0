"""MeterValues of many stations at once: all stored, each answered only once committed, and
one message that the database refuses fails alone."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from domain.charging import service as charging
from domain.charging.models import ChargingSession, MeterSample
from domain.stations.models import ChargingStation
from ocpp_ws import batching
from tests import factories
from tests.ocpp_ws.conftest import Station
from tests.sqlcount import count_sql

STATIONS = 12
TOO_BIG = "1e15"  # a number the schema lets through; numeric(20, 6) cannot hold it


def wire(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def meter_values(transaction_id: int, at: datetime, value: str) -> dict[str, Any]:
    power = {"value": "11000", "measurand": "Power.Active.Import"}
    sampled = [{"value": value, "unit": "Wh"}, power]
    return {
        "connectorId": 1,
        "transactionId": transaction_id,
        "meterValue": [{"timestamp": wire(at), "sampledValue": sampled}],
    }


@pytest.fixture
async def fleet(connect, world, station_password_hash):  # type: ignore[no-untyped-def]
    """STATIONS connected stations, each with a transaction started."""
    user = await factories.charging_user(world.g1)
    await factories.access_right(user, group=world.g1)
    await factories.token(user, "TAG-OK")
    async with contextlib.AsyncExitStack() as stack:
        out = []
        for _ in range(STATIONS):
            row = await factories.station(
                world.g1, points=1, ocpp_password_hash=station_password_hash
            )
            station = await stack.enter_async_context(connect(world.org.slug, row.identifier))
            start = {"connectorId": 1, "idTag": "TAG-OK", "meterStart": 0,
                     "timestamp": wire(datetime.now(UTC))}  # fmt: skip
            answer = await station.result("StartTransaction", start)
            out.append((row, station, answer["transactionId"]))
        yield out


async def send_all(fleet: list[Any], bad: int | None = None) -> list[list[Any]]:
    """Every station sends its MeterValues at the same moment; their answers, in order."""
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    frames = [
        json.dumps([2, f"mv-{n}", "MeterValues",
                    meter_values(tx, at, TOO_BIG if n == bad else str(1000 + n))])
        for n, (_, _, tx) in enumerate(fleet)
    ]  # fmt: skip
    await asyncio.gather(*(s.send_raw(f) for (_, s, _), f in zip(fleet, frames, strict=True)))
    return list(await asyncio.gather(*(receive(s, row.id) for row, s, _ in fleet)))


async def receive(station: Station, station_id: Any) -> list[Any]:
    answer = await asyncio.wait_for(station.receive(), 30)
    # Answered only once committed: what it stored is there for anyone to read.
    if answer[0] == 3:
        assert await MeterSample.filter(station_id=station_id).exists()
    return answer


async def test_concurrent_meter_values_of_many_stations_are_all_stored(fleet):  # type: ignore[no-untyped-def]
    answers = await send_all(fleet)
    assert [a[:2] for a in answers] == [[3, f"mv-{n}"] for n in range(STATIONS)]
    for n, (row, _, tx) in enumerate(fleet):
        session = await ChargingSession.get(transaction_id=tx)
        samples = await MeterSample.filter(station_id=row.id).order_by("measurand")
        assert [(s.measurand, s.value, s.session_id) for s in samples] == [
            ("Energy.Active.Import.Register", Decimal(1000 + n), session.id),
            ("Power.Active.Import", Decimal(11000), session.id),
        ]
        assert (await ChargingStation.get(id=row.id)).last_seen_at is not None


async def test_a_message_the_database_refuses_fails_alone(fleet):  # type: ignore[no-untyped-def]
    bad = STATIONS // 2
    answers = await send_all(fleet, bad=bad)
    assert answers[bad][0] == 4 and answers[bad][2] == "InternalError"
    assert [a[0] for n, a in enumerate(answers) if n != bad] == [3] * (STATIONS - 1)
    assert not await MeterSample.filter(station_id=fleet[bad][0].id).exists()
    stored = await MeterSample.all().count()
    assert stored == 2 * (STATIONS - 1)
    # The connection survives and the station's next MeterValues is stored.
    _, station, tx = fleet[bad]
    assert (await station.result("MeterValues", meter_values(tx, datetime.now(UTC), "5"))) == {}
    assert await MeterSample.filter(station_id=fleet[bad][0].id).count() == 2


async def test_writes_queued_together_commit_together_and_failures_stay_apart(world):  # type: ignore[no-untyped-def]
    rows = [await factories.station(world.g1) for _ in range(4)]
    now = datetime.now(UTC)

    def report(row: ChargingStation, value: str) -> charging.MeterReport:
        sample = charging.Sample(sampled_at=now, value=Decimal(value))
        return charging.MeterReport(row.id, 1, None, [sample], now)

    writer = batching.GroupCommit()
    before = writer.batches
    # Queued in the same turn of the event loop: one batch, which fails, then one by one.
    values = ["1", TOO_BIG, "3", "4"]
    results = await asyncio.gather(
        *(writer.write(station_id=r.id, seen_at=now, report=report(r, v))
          for r, v in zip(rows, values, strict=True)),
        return_exceptions=True,
    )  # fmt: skip
    assert [r is None for r in results] == [True, False, True, True]
    assert writer.batches == before + 3  # the three good ones, each alone
    stored = await MeterSample.all().values_list("station_id", "value")
    assert sorted(stored, key=str) == sorted(
        [(rows[0].id, Decimal(1)), (rows[2].id, Decimal(3)), (rows[3].id, Decimal(4))], key=str
    )
    seen = await ChargingStation.filter(id__in=[r.id for r in rows]).values_list(
        "last_seen_at", flat=True
    )
    assert sorted(x is not None for x in seen) == [False, True, True, True]
    # Good writes queued together: one transaction.
    before = writer.batches
    await asyncio.gather(*(writer.write(station_id=r.id, seen_at=now, report=report(r, "7"))
                           for r in rows))  # fmt: skip
    assert writer.batches == before + 1
    await writer.close()


async def test_a_batch_is_one_statement_samples_and_last_seen_times_together(world):  # type: ignore[no-untyped-def]
    rows = [await factories.station(world.g1) for _ in range(3)]
    now = datetime.now(UTC).replace(microsecond=0)
    sample = charging.Sample(sampled_at=now, value=Decimal("42"))
    writer = batching.GroupCommit()
    with count_sql() as sql:
        await asyncio.gather(
            *(writer.write(station_id=r.id, seen_at=now,
                           report=charging.MeterReport(r.id, 1, None, [sample], now))
              for r in rows)
        )  # fmt: skip
    assert sql.count == 1, sql.report()
    assert await MeterSample.filter(station_id__in=[r.id for r in rows]).count() == 3
    seen = await ChargingStation.filter(id__in=[r.id for r in rows]).values_list(
        "last_seen_at", flat=True
    )
    assert seen == [now] * 3
    # Heartbeats only: the last-seen times, in one statement too.
    later = now + timedelta(seconds=30)
    with count_sql() as sql:
        await asyncio.gather(*(writer.write(station_id=r.id, seen_at=later) for r in rows))
    assert sql.count == 1, sql.report()
    seen = await ChargingStation.filter(id__in=[r.id for r in rows]).values_list(
        "last_seen_at", flat=True
    )
    assert seen == [later] * 3
    await writer.close()
