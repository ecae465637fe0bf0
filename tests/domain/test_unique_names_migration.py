"""Migration 0010 makes existing duplicates unique before it builds the case-insensitive
unique indexes: replayed here on duplicates made while its indexes are dropped."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

from domain import db
from domain.groups.models import ChargingGroup
from domain.operators.models import Operator, OperatorStatus
from domain.pricing.models import Tariff
from domain.stations.models import ChargingStation, StationState
from tests import factories

MIGRATION = importlib.import_module("domain.migrations.0010_unique_names").Migration
INDEXES = ("uq_operator_email", "uq_group_sibling_name", "uq_tariff_group_name",
           "uq_station_identifier_key")  # fmt: skip


async def replay_migration() -> None:
    for index in INDEXES:
        await db.execute(f"DROP INDEX IF EXISTS {index}")
    for operation in MIGRATION.operations:
        await db.execute(operation.sql)


async def make_duplicates(world) -> None:  # type: ignore[no-untyped-def]
    await factories.operator(
        world.g1, "basic", username="bert", email="bert@example.com",
        status=OperatorStatus.INVITED,
    )  # fmt: skip
    await factories.operator(world.g2, "basic", username="bert4", email="BERT@example.com")
    await factories.operator(
        world.g2, "basic", username="bert5", email="bert@example.com",
        status=OperatorStatus.INACTIVE,
    )  # fmt: skip
    await factories.operator(world.root_b, username="bert_b", email="bert@example.com")
    await factories.group(world.root, "North")
    await factories.group(world.root, "north")
    await factories.group(world.root, "North (2)")
    await factories.group(world.g1, "North")
    await factories.tariff(world.root, name="Standard AC")
    await factories.tariff(world.root, name="standard ac")
    await factories.tariff(world.g1, name="Standard AC")
    await factories.station(world.g1, identifier="DEPOT-01")
    await factories.station(
        world.g2, identifier="depot-01", last_seen_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    await factories.station(None, world.org_b.id, identifier="DEPOT-01")


async def test_existing_duplicates_are_made_unique_and_the_indexes_built(world):
    for index in INDEXES:
        await db.execute(f"DROP INDEX {index}")
    try:
        await make_duplicates(world)
        await replay_migration()
        emails = dict(await Operator.filter(username__startswith="bert").values_list(
            "username", "email"))  # fmt: skip
        # An active operator keeps the address (the first created among them); another
        # organisation's operator keeps it too.
        assert emails == {
            "bert4": "BERT@example.com",
            "bert": "bert@example.com.duplicate-2.invalid",
            "bert5": "bert@example.com.duplicate-3.invalid",
            "bert_b": "bert@example.com",
        }
        below_root = await ChargingGroup.filter(parent_id=world.root.id).values_list(
            "name", flat=True
        )
        assert sorted(n for n in below_root if "orth" in n) == ["North", "North (2)", "north (3)"]
        assert await ChargingGroup.filter(parent_id=world.g1.id, name="North").exists()
        tariffs = await Tariff.all().values_list("group_id", "name")
        assert sorted((str(g), n) for g, n in tariffs) == sorted(
            [(str(world.root.id), "Standard AC"), (str(world.root.id), "standard ac (2)"),
             (str(world.g1.id), "Standard AC")]
        )  # fmt: skip
        # The station seen most recently stays; the other becomes an orphan, rows kept.
        stations = {
            (s.organisation_id, s.identifier): (s.state, s.group_id)
            for s in await ChargingStation.all()
        }
        assert stations == {
            (world.org.id, "DEPOT-01"): (StationState.ORPHAN, None),
            (world.org.id, "depot-01"): (StationState.ACTIVE, world.g2.id),
            (world.org_b.id, "DEPOT-01"): (StationState.ACTIVE, None),
        }
    finally:
        # Whatever happened, the next tests find every index in place.
        await db.execute("TRUNCATE operator, charging_group, tariff, charging_station CASCADE")
        await replay_migration()
    found = await db.fetch(
        "SELECT indexname FROM pg_indexes WHERE indexname = ANY($1::text[])", list(INDEXES)
    )
    assert sorted(r["indexname"] for r in found) == sorted(INDEXES)
