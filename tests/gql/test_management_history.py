"""The management history: who did what, when, on which stations; visible per scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.history import service as history
from domain.history.models import ManagementRecord, RecordOutcome
from domain.operators.models import Operator
from domain.stations.models import ChargingStation, StationState
from tenancy.actor import Actor, ActorKind
from tests import factories
from tests.conftest import login
from tests.gqlclient import GraphQLClient, no_data
from tests.sqlcount import count_sql

HISTORY = """
query($station: ID, $action: String, $page: PageInput) {
  managementHistory(stationId: $station, action: $action, page: $page) {
    totalCount items { id actorName action summary stationIds outcome createdAt }
  }
}
"""
APPLY = """
mutation($ug: ID!, $n: Int!) {
  applyUserGroup(userGroupId: $ug, confirmStationCount: $n) {
    record { id } errors { message }
  }
}
"""


def actor(operator: Operator, path: str) -> Actor:
    return Actor(
        kind=ActorKind.OPERATOR,
        organisation_id=operator.organisation_id,  # type: ignore[arg-type]
        operator_id=operator.id,
        role=operator.role.value,
        base_path=path,
    )


@dataclass
class Records:
    pine: ChargingStation  # g1
    garage: ChargingStation  # g1a
    birch: ChargingStation  # g2
    summaries: dict[str, str]  # summary -> record id


async def records(world: factories.World) -> Records:
    """One record per case, a minute apart, oldest first (summaries name the case)."""
    pine = await factories.station(world.g1, identifier="PINE")
    garage = await factories.station(world.g1a, identifier="GARAGE")
    birch = await factories.station(world.g2, identifier="BIRCH")
    orphan = await factories.station(
        None, world.org.id, identifier="GONE", state=StationState.ORPHAN
    )
    other = await factories.station(world.root_b, identifier="OTHER")
    alpha = actor(world.admin, world.root.path)
    omega = actor(world.admin_b, world.root_b.path)
    cases: list[tuple[Actor, str, list[Any], RecordOutcome]] = [
        (alpha, "pine", [pine.id], RecordOutcome.SUCCEEDED),
        (alpha, "garage", [garage.id], RecordOutcome.FAILED),
        (alpha, "pine and birch", [pine.id, birch.id], RecordOutcome.PARTIAL),
        (actor(world.basic_g2, world.g2.path), "birch", [birch.id], RecordOutcome.SUCCEEDED),
        (alpha, "organisation-wide", [], RecordOutcome.SUCCEEDED),
        (alpha, "deleted station", [orphan.id], RecordOutcome.SUCCEEDED),
        (omega, "other organisation", [other.id], RecordOutcome.SUCCEEDED),
    ]
    start = datetime(2024, 3, 1, 12, tzinfo=UTC)
    summaries = {}
    for n, (who, summary, stations, outcome) in enumerate(cases):
        row = await history.record(
            principal=who,
            action="remote.reset" if "birch" in summary else "user_group.apply",
            summary=summary,
            details={"case": n},
            station_ids=stations,
            outcome=outcome,
        )
        await ManagementRecord.filter(id=row.id).update(created_at=start + timedelta(minutes=n))
        summaries[summary] = str(row.id)
    return Records(pine, garage, birch, summaries)


async def summaries(as_who: GraphQLClient, **variables: Any) -> list[str]:
    data = (await as_who(HISTORY, **variables))["managementHistory"]
    assert data["totalCount"] == len(data["items"])
    return [item["summary"] for item in data["items"]]


async def as_user(client: GraphQLClient, username: str) -> GraphQLClient:
    return client.as_token(await login(client, username))


async def test_a_record_shows_who_what_when_where_and_outcome(as_admin, world):
    r = await records(world)
    data = (await as_admin(HISTORY, station=str(r.garage.id)))["managementHistory"]
    assert data == {
        "totalCount": 1,
        "items": [
            {
                "id": r.summaries["garage"],
                "actorName": "alpha",
                "action": "user_group.apply",
                "summary": "garage",
                "stationIds": [str(r.garage.id)],
                "outcome": "FAILED",
                "createdAt": "2024-03-01T12:01:00+00:00",
            }
        ],
    }
    data = (await as_admin(HISTORY, station=str(r.birch.id)))["managementHistory"]
    assert [i["actorName"] for i in data["items"]] == ["gamma", "alpha"]


EVERYTHING_IN_A = [
    "deleted station",
    "organisation-wide",
    "birch",
    "pine and birch",
    "garage",
    "pine",
]


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        # Admin at the root: the whole organisation, newest first.
        ("alpha", EVERYTHING_IN_A),
        # Basic at g1: only records whose stations all lie in g1's subtree.
        ("beta", ["garage", "pine"]),
        # Basic at g2 (outside g1's subtree).
        ("gamma", ["birch"]),
        # Basic at the root: every station, but not organisation-wide records.
        ("epsilon", ["deleted station", "birch", "pine and birch", "garage", "pine"]),
        # Admin below the root: a station outside the subtree hides the record.
        ("delta", ["garage", "pine"]),
        # Another organisation: only its own.
        ("omega", ["other organisation"]),
    ],
)
async def test_history_is_visible_per_scope(client, world, username, expected):
    await records(world)
    await factories.operator(world.root, "basic", username="epsilon")
    await factories.operator(world.g1, "admin", username="delta")
    assert await summaries(await as_user(client, username)) == expected


async def test_filter_by_station_and_action(client, as_admin, world):
    r = await records(world)
    assert await summaries(as_admin, station=str(r.pine.id)) == ["pine and birch", "pine"]
    assert await summaries(as_admin, action="remote.reset") == ["birch", "pine and birch"]
    assert await summaries(as_admin, station=str(r.pine.id), action="remote.reset") == [
        "pine and birch"
    ]
    for missing in ("not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        assert await summaries(as_admin, station=missing) == []
    beta = await as_user(client, "beta")
    # Beta sees pine, but not the record that also names birch (outside g1).
    assert await summaries(beta, station=str(r.pine.id)) == ["pine"]
    assert await summaries(beta, station=str(r.birch.id)) == []
    omega = await as_user(client, "omega")
    assert await summaries(omega, station=str(r.pine.id)) == []


async def test_pagination(as_admin, world):
    await records(world)
    data = (await as_admin(HISTORY, page={"offset": 1, "limit": 2}))["managementHistory"]
    assert data["totalCount"] == 6
    assert [i["summary"] for i in data["items"]] == EVERYTHING_IN_A[1:3]
    body = await as_admin.raw(HISTORY, {"page": {"limit": 101}})
    assert body["errors"][0]["message"] == "Limit must be between 1 and 100."


async def test_signed_out_sees_nothing(client, world):
    await records(world)
    body = await client.raw(HISTORY)
    assert body["errors"][0]["message"] == "Not authenticated. Log in first."
    assert no_data(body)


async def test_applying_a_user_group_appears_in_the_history(as_admin, as_basic, world):
    pine = await factories.station(world.g1, identifier="PINE", points=1)
    staff = await factories.user_group(world.root, name="Staff")
    data = await as_admin(APPLY, ug=str(staff.id), n=1)
    record_id = data["applyUserGroup"]["record"]["id"]
    for who in (as_admin, as_basic):
        items = (await who(HISTORY))["managementHistory"]["items"]
        assert [(i["id"], i["actorName"], i["action"], i["stationIds"]) for i in items] == [
            (record_id, "alpha", "user_group.apply", [str(pine.id)])
        ]
        assert items[0]["summary"] == (
            "Applied user group 'Staff' to 1 charging station (no AC fee; no DC fee)."
        )


async def test_history_statements_do_not_grow_with_records(as_basic, world):
    stations = [await factories.station(g) for g in (world.g1, world.g1a)]
    alpha = actor(world.admin, world.root.path)

    async def add(count: int) -> int:
        for n in range(count):
            await history.record(
                principal=alpha,
                action="remote.reset",
                summary=f"reset {n}",
                station_ids=[stations[n % 2].id],
            )
        with count_sql() as sql:
            data = await as_basic(HISTORY, page={"limit": 100})
        assert len(data["managementHistory"]["items"]) == data["managementHistory"]["totalCount"]
        return sql.count

    assert await add(10) == await add(90)
