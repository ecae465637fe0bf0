"""Which node holds which station, as the database keeps it (domain.events.connection)."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.events import connection
from domain.stations.models import ChargingStation
from tests import factories


async def holders(*stations: ChargingStation) -> list[str | None]:
    rows = {s.id: s.connected_node for s in await ChargingStation.all()}
    return [rows[s.id] for s in stations]


async def test_reassert_presence_takes_back_only_the_stations_marked_offline(world):  # type: ignore[no-untyped-def]
    lost, kept, moved, elsewhere = [await factories.station(world.root) for _ in range(4)]
    now = datetime.now(UTC)
    for row in (lost, kept, moved):
        await connection.record_connected(station_id=row.id, node="node-a", at=now)
    await connection.record_connected(station_id=moved.id, node="node-b", at=now)
    await connection.forget_nodes(["node-a"])  # another node gave node A up for dead
    await connection.record_connected(station_id=kept.id, node="node-a", at=now)

    # Node A still holds lost, kept and moved (it does not know yet that moved moved).
    count = await connection.reassert_presence(
        station_ids=[lost.id, kept.id, moved.id], node="node-a"
    )

    assert count == 1
    assert await holders(lost, kept, moved, elsewhere) == ["node-a", "node-a", "node-b", None]
    again = await connection.reassert_presence(station_ids=[lost.id, kept.id], node="node-a")
    assert again == 0


async def test_reassert_presence_of_nothing_changes_nothing(world):  # type: ignore[no-untyped-def]
    row = await factories.station(world.root)
    assert await connection.reassert_presence(station_ids=[], node="node-a") == 0
    assert await holders(row) == [None]
