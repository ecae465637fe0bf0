"""Applying a user group with its fees to stations chosen by filters: preview, then confirm."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest

from domain.history.models import ManagementRecord
from domain.pricing.models import UserGroupApplication
from domain.stations.models import ChargingStation, StationState
from domain.users.models import UserGroup
from tests import factories
from tests.conftest import login
from tests.gqlclient import GraphQLClient
from tests.sqlcount import count_sql

CHANGE = "stationId name identifier powerType change description fee { name pricePerKwh }"
PREVIEW = (
    """
mutation($ug: ID!, $filter: StationSelectionInput) {
  previewUserGroupApplication(userGroupId: $ug, filter: $filter) {
    preview {
      userGroupName stationCount changeCount confirmation
      acFee { name pricePerKwh currency } dcFee { name pricePerKwh currency }
      stations { %s }
    }
    errors { code field message }
  }
}
"""
    % CHANGE
)
APPLY = """
mutation($ug: ID!, $filter: StationSelectionInput, $n: Int!) {
  applyUserGroup(userGroupId: $ug, filter: $filter, confirmStationCount: $n) {
    applied { changeCount stations { identifier change } }
    record { actorName action summary stationIds outcome createdAt }
    errors { code field message }
  }
}
"""
REMOVE = """
mutation($ug: ID!, $ids: [ID!]!) {
  removeUserGroupApplication(userGroupId: $ug, stationIds: $ids) {
    removedStationIds record { action summary stationIds outcome } errors { code field message }
  }
}
"""
DENIED = [{"code": "ACCESS_DENIED", "field": None, "message": "Access denied."}]
UG_MISSING = [
    {"code": "NOT_FOUND", "field": "userGroupId", "message": "Charging user group does not exist."}
]


@dataclass
class Setup:
    staff: UserGroup
    ac: ChargingStation  # in g1, AC
    dc: ChargingStation  # in g1a, one AC point and one DC point
    bare: ChargingStation  # in g1, no points: priced as AC
    birch: ChargingStation  # in g2, AC


async def setup(world: factories.World) -> Setup:
    staff_ac = await factories.tariff(world.root, name="Staff AC", per_kwh="0.20")
    staff_dc = await factories.tariff(
        world.root, name="Staff DC", per_kwh="0.35", per_session="1.5"
    )
    staff = await factories.user_group(
        world.root, name="Staff", ac_tariff=staff_ac, dc_tariff=staff_dc
    )
    ac = await factories.station(world.g1, identifier="PINE-AC", points=2)
    dc = await factories.station(world.g1a, identifier="GARAGE-DC", points=1)
    await factories.point(dc, 2, power_type="dc")
    bare = await factories.station(world.g1, identifier="PINE-BARE")
    birch = await factories.station(world.g2, identifier="BIRCH-AC", points=1)
    # Not selectable: deleted, discovered, another organisation.
    await factories.station(None, world.org.id, identifier="ORPHAN", state=StationState.ORPHAN)
    await factories.station(None, world.org.id, identifier="FOUND", state=StationState.DISCOVERED)
    await factories.station(world.root_b, identifier="OTHER-ORG", points=1)
    return Setup(staff, ac, dc, bare, birch)


AC_CHANGE = "apply 'Staff' with AC fee 'Staff AC' (0.20 EUR/kWh)"
DC_CHANGE = "apply 'Staff' with DC fee 'Staff DC' (0.35 EUR/kWh + 1.50 EUR/session)"
NO_CHANGE = "already applied — no change"


def change(station: ChargingStation, power: str, kind: str, description: str) -> dict:
    fee = {"AC": {"name": "Staff AC", "pricePerKwh": "0.2000"}}
    fee["DC"] = {"name": "Staff DC", "pricePerKwh": "0.3500"}
    return {
        "stationId": str(station.id),
        "name": station.name,
        "identifier": station.identifier,
        "powerType": power,
        "change": kind,
        "description": description,
        "fee": fee[power],
    }


async def preview(as_who: GraphQLClient, ug: Any, **filter: Any) -> dict:
    data = await as_who(PREVIEW, ug=str(ug), filter=filter or None)
    return dict(data["previewUserGroupApplication"])


async def apply(as_who: GraphQLClient, ug: Any, n: int, **filter: Any) -> dict:
    data = await as_who(APPLY, ug=str(ug), filter=filter or None, n=n)
    return dict(data["applyUserGroup"])


async def state() -> tuple[list, list]:
    """What applying could change: the applications and the history."""
    apps = await UserGroupApplication.all().values_list("user_group_id", "station_id")
    records = await ManagementRecord.all().values_list("action", "station_ids")
    return sorted(apps, key=str), sorted(records, key=str)


async def test_preview_lists_every_matching_station_and_its_change(as_admin, world):
    s = await setup(world)
    before = await state()
    payload = await preview(as_admin, s.staff.id)
    assert payload["errors"] == []
    result = payload["preview"]
    assert result["userGroupName"] == "Staff"
    assert result["acFee"] == {"name": "Staff AC", "pricePerKwh": "0.2000", "currency": "EUR"}
    assert result["dcFee"] == {"name": "Staff DC", "pricePerKwh": "0.3500", "currency": "EUR"}
    # By name; orphan, discovered and other organisations' stations are not selectable.
    assert result["stations"] == [
        change(s.birch, "AC", "APPLY", AC_CHANGE),
        change(s.dc, "DC", "APPLY", DC_CHANGE),
        change(s.ac, "AC", "APPLY", AC_CHANGE),
        change(s.bare, "AC", "APPLY", AC_CHANGE),
    ]
    assert (result["stationCount"], result["changeCount"]) == (4, 4)
    assert result["confirmation"] == "Type the number of stations to be modified: 4."
    assert await state() == before  # the preview changes nothing


@pytest.mark.parametrize(
    ("filter", "expected"),
    [
        ({"powerType": "DC"}, ["GARAGE-DC"]),
        ({"powerType": "AC"}, ["BIRCH-AC", "PINE-AC", "PINE-BARE"]),
        ({"groupId": "g1"}, ["GARAGE-DC", "PINE-AC", "PINE-BARE"]),
        ({"groupId": "g1", "powerType": "AC"}, ["PINE-AC", "PINE-BARE"]),
        ({"search": "pine"}, ["PINE-AC", "PINE-BARE"]),
        ({"search": "zzz"}, []),
        ({"stationIds": ["dc", "birch"]}, ["BIRCH-AC", "GARAGE-DC"]),
        ({"stationIds": ["dc", "birch"], "powerType": "AC"}, ["BIRCH-AC"]),
    ],
)
async def test_filters_combine(as_admin, world, filter, expected):
    s = await setup(world)
    names = {"g1": str(world.g1.id), "dc": str(s.dc.id), "birch": str(s.birch.id)}
    filter = {
        k: [names[i] for i in v] if isinstance(v, list) else names.get(v, v)
        for k, v in filter.items()
    }
    result = (await preview(as_admin, s.staff.id, **filter))["preview"]
    assert [row["identifier"] for row in result["stations"]] == expected
    assert result["stationCount"] == len(expected)


async def test_group_without_fees_says_the_stations_own_price_applies(as_admin, world):
    s = await setup(world)
    plain = await factories.user_group(world.root, name="Plain")
    result = (await preview(as_admin, plain.id, stationIds=[str(s.dc.id)]))["preview"]
    assert result["stations"][0]["description"] == (
        "apply 'Plain' with no DC fee (the station's own price applies)"
    )
    assert result["stations"][0]["fee"] is None


async def test_confirm_with_the_wrong_count_is_refused_and_changes_nothing(as_admin, world):
    s = await setup(world)
    before = await state()
    for wrong in (0, 3, 5, -1):
        payload = await apply(as_admin, s.staff.id, wrong)
        assert payload == {
            "applied": None,
            "record": None,
            "errors": [
                {
                    "code": "INVALID_INPUT",
                    "field": "confirmStationCount",
                    "message": "Type the number of stations to be modified: 4.",
                }
            ],
        }
    assert await state() == before


async def test_confirm_with_the_right_count_applies_and_records_history(as_admin, world):
    s = await setup(world)
    payload = await apply(as_admin, s.staff.id, 3, groupId=str(world.g1.id))
    assert payload["errors"] == []
    assert payload["applied"]["changeCount"] == 3
    record = payload["record"]
    assert record["actorName"] == "alpha"
    assert record["action"] == "user_group.apply"
    assert record["outcome"] == "SUCCEEDED"
    assert record["summary"] == (
        "Applied user group 'Staff' to 3 charging stations (AC fee 'Staff AC' "
        "(0.20 EUR/kWh); DC fee 'Staff DC' (0.35 EUR/kWh + 1.50 EUR/session))."
    )
    assert sorted(record["stationIds"]) == sorted(str(x.id) for x in (s.ac, s.dc, s.bare))
    applied = await UserGroupApplication.filter(user_group_id=s.staff.id).values_list(
        "station_id", flat=True
    )
    assert sorted(applied) == sorted([s.ac.id, s.dc.id, s.bare.id])

    [row] = await ManagementRecord.all()
    assert (row.operator_id, row.organisation_id) == (world.admin.id, world.org.id)
    assert row.details["user_group"] == {"id": str(s.staff.id), "name": "Staff"}
    assert row.details["fees"]["ac"]["name"] == "Staff AC"
    assert row.details["fees"]["dc"]["price_per_kwh"] == "0.3500"
    assert row.details["filter"] == {
        "group_id": str(world.g1.id),
        "search": None,
        "power_type": None,
        "station_ids": None,
    }


async def test_already_applied_stations_are_no_change_and_not_counted(as_admin, world):
    s = await setup(world)
    await UserGroupApplication.create(user_group=s.staff, station=s.ac)
    result = (await preview(as_admin, s.staff.id, search="PINE"))["preview"]
    assert result["stations"] == [
        change(s.ac, "AC", "NO_CHANGE", NO_CHANGE),
        change(s.bare, "AC", "APPLY", AC_CHANGE),
    ]
    assert (result["stationCount"], result["changeCount"]) == (2, 1)
    payload = await apply(as_admin, s.staff.id, 1, search="PINE")
    assert payload["errors"] == []
    assert payload["record"]["stationIds"] == [str(s.bare.id)]
    assert await UserGroupApplication.filter(user_group_id=s.staff.id).count() == 2

    # Everything applied: nothing to confirm.
    before = await state()
    payload = await apply(as_admin, s.staff.id, 0, search="PINE")
    assert payload["errors"] == [
        {
            "code": "INVALID_STATE",
            "field": "filter",
            "message": "Nothing to change: the user group is already applied to every station.",
        }
    ]
    assert await state() == before


async def test_a_selection_that_changed_since_the_preview_is_caught(as_admin, world):
    s = await setup(world)
    result = (await preview(as_admin, s.staff.id, groupId=str(world.g1.id)))["preview"]
    assert result["changeCount"] == 3
    # Someone adds a station to the group between preview and confirmation.
    await factories.station(world.g1a, identifier="NEW-ONE", points=1)
    before = await state()
    payload = await apply(as_admin, s.staff.id, 3, groupId=str(world.g1.id))
    assert payload["errors"][0]["message"] == "Type the number of stations to be modified: 4."
    assert await state() == before


async def test_concurrent_confirmations_apply_once(as_admin, world):
    s = await setup(world)
    results = await asyncio.gather(*(apply(as_admin, s.staff.id, 4) for _ in range(3)))
    errors = sorted(str(payload["errors"]) for payload in results)
    assert errors[0] == "[]" and all("Nothing to change" in e for e in errors[1:])
    assert await UserGroupApplication.all().count() == 4
    assert await ManagementRecord.all().count() == 1


async def test_basic_operator_is_refused(as_basic, world):
    s = await setup(world)
    await UserGroupApplication.create(user_group=s.staff, station=s.ac)
    before = await state()
    assert await preview(as_basic, s.staff.id) == {"preview": None, "errors": DENIED}
    assert await apply(as_basic, s.staff.id, 3) == {
        "applied": None,
        "record": None,
        "errors": DENIED,
    }
    data = await as_basic(REMOVE, ug=str(s.staff.id), ids=[str(s.ac.id)])
    assert data["removeUserGroupApplication"] == {
        "removedStationIds": [],
        "record": None,
        "errors": DENIED,
    }
    assert await state() == before


async def test_outsider_ids_behave_like_missing(client, world):
    s = await setup(world)
    omega = client.as_token(await login(client, "omega"))
    own = await factories.user_group(world.root_b, name="B staff")
    before = await state()
    for ug in (s.staff.id, "not-a-uuid", "00000000-0000-0000-0000-000000000000"):
        assert await preview(omega, ug) == {"preview": None, "errors": UG_MISSING}
        payload = await apply(omega, ug, 1)
        assert payload["errors"] == UG_MISSING
    station_missing = {
        "code": "NOT_FOUND",
        "field": "filter.stationIds",
        "message": "Charging station does not exist.",
    }
    for ids in ([str(s.ac.id)], ["nope"]):
        payload = await preview(omega, own.id, stationIds=ids)
        assert payload == {"preview": None, "errors": [station_missing]}
        payload = await apply(omega, own.id, 1, stationIds=ids)
        assert payload["errors"] == [station_missing]
    payload = await preview(omega, own.id, groupId=str(world.g1.id))
    assert payload["errors"] == [
        {
            "code": "NOT_FOUND",
            "field": "filter.groupId",
            "message": "Charging group does not exist.",
        }
    ]
    # Their own organisation only: one station.
    result = (await preview(omega, own.id))["preview"]
    assert [row["identifier"] for row in result["stations"]] == ["OTHER-ORG"]
    assert await state() == before


async def test_admin_below_the_root_selects_only_stations_in_scope(client, world):
    s = await setup(world)
    await factories.operator(world.g1, "admin", username="delta")
    delta = client.as_token(await login(client, "delta"))
    mine = await factories.user_group(world.g1, name="Pine staff")
    result = (await preview(delta, mine.id))["preview"]
    assert [row["identifier"] for row in result["stations"]] == [
        "GARAGE-DC",
        "PINE-AC",
        "PINE-BARE",
    ]
    # The root's user group and g2's station are outside delta's scope.
    assert (await preview(delta, s.staff.id))["errors"] == UG_MISSING
    payload = await preview(delta, mine.id, stationIds=[str(s.birch.id)])
    assert payload["errors"][0]["message"] == "Charging station does not exist."


async def test_remove_application_is_recorded(as_admin, world):
    s = await setup(world)
    await apply(as_admin, s.staff.id, 2, stationIds=[str(s.ac.id), str(s.dc.id)])
    data = await as_admin(REMOVE, ug=str(s.staff.id), ids=[str(s.ac.id), str(s.birch.id)])
    payload = data["removeUserGroupApplication"]
    assert payload == {
        "removedStationIds": [str(s.ac.id)],
        "record": {
            "action": "user_group.remove",
            "summary": "Removed user group 'Staff' from 1 charging station.",
            "stationIds": [str(s.ac.id)],
            "outcome": "SUCCEEDED",
        },
        "errors": [],
    }
    assert await UserGroupApplication.all().values_list("station_id", flat=True) == [s.dc.id]

    before = await state()
    data = await as_admin(REMOVE, ug=str(s.staff.id), ids=[str(s.birch.id)])
    assert data["removeUserGroupApplication"]["errors"] == [
        {
            "code": "INVALID_STATE",
            "field": "stationIds",
            "message": "The user group is not applied to any of these charging stations.",
        }
    ]
    data = await as_admin(REMOVE, ug=str(s.staff.id), ids=[str(s.dc.id), "nope"])
    assert data["removeUserGroupApplication"]["errors"] == [
        {"code": "NOT_FOUND", "field": "stationIds", "message": "Charging station does not exist."}
    ]
    assert await state() == before


async def test_preview_statements_do_not_grow_with_stations(as_admin, world):
    staff = await factories.user_group(world.root, name="Staff")
    groups = [world.g1, world.g1a, world.g2]

    async def stations(count: int) -> int:
        for n in range(count):
            await factories.station(groups[n % 3], points=1, power_type=("dc", "ac_3_phase")[n % 2])
        with count_sql() as sql:
            result = (await preview(as_admin, staff.id))["preview"]
        assert result["stationCount"] == await ChargingStation.all().count()
        return sql.count

    ten = await stations(10)
    hundred = await stations(90)
    assert ten == hundred
