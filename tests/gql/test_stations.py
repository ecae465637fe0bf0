"""Charging stations (seeds 003, 004): create, edit, list, look up, delete (orphan),
discovered stations and adoption, the OCPP password; as admin, basic and outsider."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from tortoise.transactions import in_transaction

from domain.events.models import PointStatus
from domain.stations import service as stations
from domain.stations.models import ChargingPoint, ChargingStation, EvseId, Socket, StationState
from tests import factories
from tests.conftest import login
from tests.gqlclient import GraphQLClient, no_data
from tests.sqlcount import count_sql

ERRORS = "errors { code field message }"
STATION_FIELDS = """
  id name identifier state address latitude longitude ownerAccount allowRoaming
  freeCharging disabled accessPolicy tariffId version firmwareVersion lastSeenAt
  hasOcppPassword pointCount group { id name }
"""
CREATE = """
mutation($input: CreateChargingStationInput!) {
  createChargingStation(input: $input) { station { %s } %s }
}
""" % (STATION_FIELDS, ERRORS)
UPDATE = """
mutation($input: UpdateChargingStationInput!) {
  updateChargingStation(input: $input) { station { %s tariff { name } } %s }
}
""" % (STATION_FIELDS, ERRORS)
DELETE = (
    """
mutation($id: ID!, $version: Int) {
  deleteChargingStation(id: $id, version: $version) { deletedId %s }
}
"""
    % ERRORS
)
ONE = """query($id: ID!) { chargingStation(id: $id) { %s } }""" % STATION_FIELDS
LIST = """
query($search: String, $groupId: ID, $sort: ChargingStationSort, $page: PageInput) {
  chargingStations(search: $search, groupId: $groupId, sort: $sort, page: $page) {
    totalCount items { name identifier firmwareVersion pointCount group { name } }
  }
}
"""
DISCOVERED = """
query($search: String) {
  discoveredStations(search: $search) { totalCount items { id identifier name state group { id } } }
}
"""
ADOPT = (
    """
mutation($input: AdoptStationInput!) {
  adoptStation(input: $input) { station { id name identifier state group { name } } %s }
}
"""
    % ERRORS
)
SET_PASSWORD = (
    """
mutation($id: ID!) {
  setStationPassword(id: $id) { password station { id hasOcppPassword } %s }
}
"""
    % ERRORS
)


async def snapshot() -> list[tuple]:
    """Every station, point, socket and pooled EVSE id, to show that nothing changed."""
    rows: list[tuple] = []
    for s in await ChargingStation.all().order_by("id"):
        rows.append(
            (
                "station", str(s.id), s.name, s.identifier, s.state, str(s.group_id), s.address,
                s.latitude, s.longitude, s.owner_account, s.allow_roaming, s.free_charging,
                s.disabled, s.access_policy, str(s.tariff_id), s.ocpp_password_hash, s.version,
                s.deleted_at,
            )
        )  # fmt: skip
    for p in await ChargingPoint.all().order_by("id"):
        rows.append(("point", str(p.id), str(p.station_id), p.number, p.evse_id))
    for k in await Socket.all().order_by("id"):
        rows.append(
            (
                "socket", str(k.id), str(k.point_id), k.number, k.type, k.format, k.power_type,
                k.max_power_kw, k.max_voltage, k.max_amperage,
            )
        )  # fmt: skip
    for e in await EvseId.all().order_by("value"):
        rows.append(("evse", e.value, str(e.organisation_id), str(e.point_id)))
    return rows


async def as_user(client: GraphQLClient, operator) -> GraphQLClient:  # type: ignore[no-untyped-def]
    return client.as_token(await login(client, operator.username))


async def admin_of_g2(client: GraphQLClient, world) -> GraphQLClient:  # type: ignore[no-untyped-def]
    """An admin whose base group is g2: g1 and its stations are outside its subtree."""
    from domain.operators.models import Operator

    delta = await Operator.get_or_none(username="delta")
    delta = delta or await factories.operator(world.g2, "admin", username="delta")
    return await as_user(client, delta)


async def outsiders(client: GraphQLClient, world) -> list[GraphQLClient]:  # type: ignore[no-untyped-def]
    """omega (admin of org B), delta (admin at g2, outside g1), gamma (basic at g2)."""
    return [
        await as_user(client, world.admin_b),
        await admin_of_g2(client, world),
        await as_user(client, world.basic_g2),
    ]


def access_denied(payload: dict) -> bool:
    return payload["errors"] == [
        {"code": "ACCESS_DENIED", "field": None, "message": "Access denied."}
    ]


NOT_FOUND = {"code": "NOT_FOUND", "field": "id", "message": "Charging station does not exist."}


# --- create ---------------------------------------------------------------------------------


async def test_admin_creates_station_in_base_group_by_default(as_admin, world):
    data = await as_admin(CREATE, input={"name": "Pine Mall entry", "identifier": "EVI00000013"})
    payload = data["createChargingStation"]
    assert payload["errors"] == []
    station = payload["station"]
    assert station["name"] == "Pine Mall entry"
    assert station["identifier"] == "EVI00000013"
    assert station["state"] == "ACTIVE"
    assert station["group"] == {"id": str(world.root.id), "name": "ACME Shopping Malls"}
    assert station["pointCount"] == 0
    assert station["version"] == 1
    assert station["hasOcppPassword"] is False
    assert station["accessPolicy"] is None
    assert station["allowRoaming"] is False


async def test_admin_creates_station_in_a_group(as_admin, world):
    data = await as_admin(
        CREATE, input={"name": "Garage", "identifier": "em2-evb200_7", "groupId": str(world.g1a.id)}
    )
    assert data["createChargingStation"]["station"]["group"]["name"] == "Pine Mall garage"


@pytest.mark.parametrize(
    "identifier",
    [
        "EVI/00000013",
        "EVI\\13",
        "EVI:13",
        "EVI 13",
        "EVI.13",
        "EVI#13",
        "EVI?13",
        "EVI%2F13",
        "EVIä13",
        "",
        "   ",
        "x" * 65,
    ],
)
async def test_forbidden_identifiers_are_refused(as_admin, world, identifier):
    before = await snapshot()
    data = await as_admin(CREATE, input={"name": "Bad", "identifier": identifier})
    assert data["createChargingStation"] == {
        "station": None,
        "errors": [
            {
                "code": "INVALID_INPUT",
                "field": "identifier",
                "message": "Invalid charging station identifier.",
            }
        ],
    }
    assert await snapshot() == before


@pytest.mark.parametrize("identifier", ["A", "az-AZ_09", "x" * 64, "EVI00000013"])
async def test_allowed_identifiers(as_admin, world, identifier):
    data = await as_admin(CREATE, input={"name": "Good", "identifier": identifier})
    assert data["createChargingStation"]["station"]["identifier"] == identifier


@pytest.mark.parametrize(
    ("name", "code", "message"),
    [
        ("", "REQUIRED", "Name is required."),
        ("  ", "REQUIRED", "Name is required."),
        ("x" * 101, "TOO_LONG", "Name is longer than 100 characters."),
    ],
)
async def test_bad_names_are_refused(as_admin, world, name, code, message):
    before = await snapshot()
    data = await as_admin(CREATE, input={"name": name, "identifier": "EVI1"})
    assert data["createChargingStation"]["errors"] == [
        {"code": code, "field": "name", "message": message}
    ]
    assert await snapshot() == before


async def test_duplicate_identifier_is_refused_within_the_organisation(as_admin, client, world):
    await factories.station(world.g2, identifier="EVI00000013")
    before = await snapshot()
    data = await as_admin(
        CREATE, input={"name": "Again", "identifier": "EVI00000013", "groupId": str(world.g1.id)}
    )
    assert data["createChargingStation"] == {
        "station": None,
        "errors": [
            {
                "code": "ALREADY_EXISTS",
                "field": "identifier",
                "message": "Charging station already exists for that identifier.",
            }
        ],
    }
    assert await snapshot() == before
    # Another organisation may use the same identifier.
    omega = await as_user(client, world.admin_b)
    data = await omega(CREATE, input={"name": "B's", "identifier": "EVI00000013"})
    assert data["createChargingStation"]["errors"] == []


async def test_concurrent_creates_of_one_identifier_give_one_station_and_a_clear_error(
    as_admin, world
):
    results = await asyncio.gather(
        *(as_admin(CREATE, input={"name": f"Race {n}", "identifier": "EVI-RACE"}) for n in range(6))
    )
    payloads = [r["createChargingStation"] for r in results]
    assert sum(p["errors"] == [] for p in payloads) == 1
    for p in payloads:
        if p["errors"]:
            assert p["errors"][0]["message"] == (
                "Charging station already exists for that identifier."
            )
    assert await ChargingStation.filter(identifier="EVI-RACE").count() == 1


async def test_basic_operator_cannot_create(as_basic, world):
    before = await snapshot()
    data = await as_basic(
        CREATE, input={"name": "No", "identifier": "EVI1", "groupId": str(world.g1.id)}
    )
    payload = data["createChargingStation"]
    assert payload["station"] is None
    assert access_denied(payload)
    assert await snapshot() == before


async def test_group_outside_scope_is_like_a_missing_group(client, as_admin, world):
    before = await snapshot()
    missing = {"code": "NOT_FOUND", "field": "groupId", "message": "Charging group does not exist."}
    omega = await as_user(client, world.admin_b)
    delta = await admin_of_g2(client, world)
    for actor, group in ((omega, world.g1), (delta, world.g1), (as_admin, world.root_b)):
        for gid in (str(group.id), str(uuid.uuid4()), "not-an-id"):
            data = await actor(CREATE, input={"name": "X", "identifier": "EVI1", "groupId": gid})
            assert data["createChargingStation"] == {"station": None, "errors": [missing]}
    assert await snapshot() == before


async def test_identifier_has_no_input_on_update(as_admin, world):
    station = await factories.station(world.g1, identifier="EVI1")
    body = await as_admin.raw(UPDATE, {"input": {"id": str(station.id), "identifier": "EVI2"}})
    assert body["errors"]
    assert (await ChargingStation.get(id=station.id)).identifier == "EVI1"


# --- update ---------------------------------------------------------------------------------


async def test_admin_edits_every_setting(as_admin, world):
    station = await factories.station(world.g1, identifier="EVI1")
    tariff = await factories.tariff(world.g1, name="Pine tariff")
    data = await as_admin(
        UPDATE,
        input={
            "id": str(station.id),
            "version": 1,
            "name": "Pine Mall entry",
            "groupId": str(world.g2.id),
            "address": "Ensto Miettisen katu 2",
            "latitude": 60.1699,
            "longitude": 24.9384,
            "ownerAccount": "ACME Oy",
            "allowRoaming": True,
            "freeCharging": True,
            "disabled": True,
            "accessPolicy": "RESTRICTED",
            "tariffId": str(tariff.id),
        },
    )
    payload = data["updateChargingStation"]
    assert payload["errors"] == []
    s = payload["station"]
    assert s["name"] == "Pine Mall entry"
    assert s["identifier"] == "EVI1"
    assert s["group"]["name"] == "ACME Birch Mall"
    assert s["address"] == "Ensto Miettisen katu 2"
    assert (s["latitude"], s["longitude"]) == (60.1699, 24.9384)
    assert s["ownerAccount"] == "ACME Oy"
    assert (s["allowRoaming"], s["freeCharging"], s["disabled"]) == (True, True, True)
    assert s["accessPolicy"] == "RESTRICTED"
    assert s["tariffId"] == str(tariff.id)
    assert s["tariff"] == {"name": "Pine tariff"}
    assert s["version"] == 2
    row = await ChargingStation.get(id=station.id)
    assert row.latitude == Decimal("60.169900")

    # Omitted fields stay; null clears the clearable ones.
    data = await as_admin(
        UPDATE,
        input={
            "id": str(station.id),
            "latitude": None,
            "longitude": None,
            "accessPolicy": None,
            "tariffId": None,
            "disabled": False,
        },
    )
    s = data["updateChargingStation"]["station"]
    assert (s["latitude"], s["longitude"], s["accessPolicy"], s["tariffId"]) == (
        None,
        None,
        None,
        None,
    )
    assert s["disabled"] is False
    assert s["freeCharging"] is True
    assert s["name"] == "Pine Mall entry"
    assert s["version"] == 3


async def test_stale_version_is_refused(as_admin, world):
    station = await factories.station(world.g1)
    await as_admin(UPDATE, input={"id": str(station.id), "name": "First", "version": 1})
    before = await snapshot()
    data = await as_admin(UPDATE, input={"id": str(station.id), "name": "Late", "version": 1})
    assert data["updateChargingStation"] == {
        "station": None,
        "errors": [
            {
                "code": "CONFLICT",
                "field": "version",
                "message": "Someone else changed this in the meantime. Reload and try again.",
            }
        ],
    }
    data = await as_admin(DELETE, id=str(station.id), version=1)
    assert data["deleteChargingStation"]["errors"][0]["code"] == "CONFLICT"
    assert await snapshot() == before


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"latitude": 90.5, "longitude": 0}, "latitude", "Latitude must be between -90 and 90."),
        ({"latitude": -91, "longitude": 0}, "latitude", "Latitude must be between -90 and 90."),
        (
            {"latitude": 0, "longitude": 180.01},
            "longitude",
            "Longitude must be between -180 and 180.",
        ),
        (
            {"latitude": 0, "longitude": -181},
            "longitude",
            "Longitude must be between -180 and 180.",
        ),
        ({"latitude": 60.0}, "longitude", "Give both latitude and longitude, or neither."),
        ({"longitude": 24.0}, "latitude", "Give both latitude and longitude, or neither."),
        ({"name": ""}, "name", "Name is required."),
        ({"address": "x" * 301}, "address", "Address is longer than 300 characters."),
        (
            {"ownerAccount": "x" * 101},
            "ownerAccount",
            "Owner account is longer than 100 characters.",
        ),
    ],
)
async def test_bad_settings_are_refused(as_admin, world, change, field, message):
    station = await factories.station(world.g1)
    before = await snapshot()
    data = await as_admin(UPDATE, input={"id": str(station.id), "name": "Changed", **change})
    errors = data["updateChargingStation"]["errors"]
    assert len(errors) == 1
    assert errors[0]["field"] == field
    assert errors[0]["message"] == message
    assert await snapshot() == before


async def test_coordinates_at_the_limits_and_one_of_a_pair_alone(as_admin, world):
    station = await factories.station(world.g1)
    data = await as_admin(UPDATE, input={"id": str(station.id), "latitude": -90, "longitude": 180})
    assert data["updateChargingStation"]["errors"] == []
    # With both set, one of them can change alone.
    data = await as_admin(UPDATE, input={"id": str(station.id), "latitude": 45.123456})
    s = data["updateChargingStation"]["station"]
    assert (s["latitude"], s["longitude"]) == (45.123456, 180.0)
    # But not be cleared alone.
    data = await as_admin(UPDATE, input={"id": str(station.id), "longitude": None})
    assert data["updateChargingStation"]["errors"][0]["field"] == "longitude"


async def test_tariff_and_group_must_be_visible(client, as_admin, world):
    station = await factories.station(world.g1)
    b_tariff = await factories.tariff(world.root_b)
    before = await snapshot()
    for tid in (str(b_tariff.id), str(uuid.uuid4())):
        data = await as_admin(UPDATE, input={"id": str(station.id), "tariffId": tid})
        assert data["updateChargingStation"]["errors"] == [
            {"code": "NOT_FOUND", "field": "tariffId", "message": "Tariff does not exist."}
        ]
    for gid in (str(world.root_b.id), str(uuid.uuid4())):
        data = await as_admin(UPDATE, input={"id": str(station.id), "groupId": gid})
        assert data["updateChargingStation"]["errors"] == [
            {"code": "NOT_FOUND", "field": "groupId", "message": "Charging group does not exist."}
        ]
    assert await snapshot() == before


async def test_basic_operator_cannot_edit_or_delete(as_basic, world):
    station = await factories.station(world.g1)
    before = await snapshot()
    data = await as_basic(UPDATE, input={"id": str(station.id), "name": "Mine now"})
    assert access_denied(data["updateChargingStation"])
    data = await as_basic(DELETE, id=str(station.id))
    assert access_denied(data["deleteChargingStation"])
    data = await as_basic(SET_PASSWORD, id=str(station.id))
    assert access_denied(data["setStationPassword"])
    assert data["setStationPassword"]["password"] is None
    assert await snapshot() == before


async def test_outsiders_get_the_answer_of_a_missing_station(client, as_admin, world):
    station = await factories.station(world.g1)
    before = await snapshot()
    actors = await outsiders(client, world)
    for actor in actors:
        answers = []
        for sid in (str(station.id), str(uuid.uuid4())):
            answers.append(
                (
                    await actor(UPDATE, input={"id": sid, "name": "Taken"}),
                    await actor(DELETE, id=sid),
                    await actor(SET_PASSWORD, id=sid),
                    await actor(ONE, id=sid),
                )
            )
        assert answers[0] == answers[1]
        assert answers[0][3] == {"chargingStation": None}
    assert await snapshot() == before
    data = await actors[0](UPDATE, input={"id": str(station.id), "name": "Taken"})
    assert data["updateChargingStation"] == {"station": None, "errors": [NOT_FOUND]}


# --- list and lookup --------------------------------------------------------------------------


async def make_list_world(world) -> None:  # type: ignore[no-untyped-def]
    await factories.station(world.g1, identifier="EVI00000013", points=2, firmware_version="A999")
    await factories.station(world.g1a, identifier="EVI00000014", points=1, firmware_version="B100")
    await factories.station(world.g2, identifier="EVI00000015", points=1, firmware_version="A998")
    await factories.station(world.root, identifier="EM2-EVB200-7", firmware_version="C1")
    await factories.station(world.root_b, world.org_b.id, identifier="EVI00000099")
    orphan = await factories.station(world.g1, identifier="EVI-ORPHAN")
    orphan.state, orphan.group = StationState.ORPHAN, None
    await orphan.save()
    await factories.station(None, world.org.id, identifier="EVI-NEW", state=StationState.DISCOVERED)


async def test_list_columns_search_group_filter_sort_and_pages(as_admin, world):
    await make_list_world(world)
    data = await as_admin(LIST)
    assert data["chargingStations"] == {
        "totalCount": 4,
        "items": [
            {
                "name": "EM2-EVB200-7",
                "identifier": "EM2-EVB200-7",
                "firmwareVersion": "C1",
                "pointCount": 0,
                "group": {"name": "ACME Shopping Malls"},
            },
            {
                "name": "EVI00000013",
                "identifier": "EVI00000013",
                "firmwareVersion": "A999",
                "pointCount": 2,
                "group": {"name": "ACME Pine Mall"},
            },
            {
                "name": "EVI00000014",
                "identifier": "EVI00000014",
                "firmwareVersion": "B100",
                "pointCount": 1,
                "group": {"name": "Pine Mall garage"},
            },
            {
                "name": "EVI00000015",
                "identifier": "EVI00000015",
                "firmwareVersion": "A998",
                "pointCount": 1,
                "group": {"name": "ACME Birch Mall"},
            },
        ],
    }

    async def identifiers(**variables) -> list[str]:  # type: ignore[no-untyped-def]
        result = await as_admin(LIST, **variables)
        return [i["identifier"] for i in result["chargingStations"]["items"]]

    assert await identifiers(search="evb200") == ["EM2-EVB200-7"]
    assert await identifiers(search="0014") == ["EVI00000014"]
    assert await identifiers(groupId=str(world.g1.id)) == ["EVI00000013", "EVI00000014"]
    assert await identifiers(groupId=str(world.g2.id), search="evi") == ["EVI00000015"]
    assert await identifiers(groupId=str(world.root_b.id)) == []
    assert await identifiers(sort={"field": "FIRMWARE", "direction": "DESC"}) == [
        "EM2-EVB200-7",
        "EVI00000014",
        "EVI00000013",
        "EVI00000015",
    ]
    assert await identifiers(sort={"field": "IDENTIFIER", "direction": "DESC"}) == [
        "EVI00000015",
        "EVI00000014",
        "EVI00000013",
        "EM2-EVB200-7",
    ]
    assert await identifiers(sort={"field": "CREATED", "direction": "DESC"}) == [
        "EM2-EVB200-7",
        "EVI00000015",
        "EVI00000014",
        "EVI00000013",
    ]
    page = await as_admin(LIST, page={"offset": 1, "limit": 2})
    assert page["chargingStations"]["totalCount"] == 4
    assert [i["identifier"] for i in page["chargingStations"]["items"]] == [
        "EVI00000013",
        "EVI00000014",
    ]


@pytest.mark.actors("admin", "basic", "outsider")
async def test_list_shows_only_the_actors_subtree(as_actor, actor_role, world):
    await make_list_world(world)
    data = await as_actor(LIST)
    assert (
        sorted(i["identifier"] for i in data["chargingStations"]["items"])
        == {
            "admin": ["EM2-EVB200-7", "EVI00000013", "EVI00000014", "EVI00000015"],
            "basic": ["EVI00000013", "EVI00000014"],
            "outsider": ["EVI00000099"],
        }[actor_role]
    )


async def test_lookup_by_id(client, as_admin, as_basic, world):
    mine = await factories.station(world.g1a, identifier="EVI1", points=1)
    other = await factories.station(world.g2, identifier="EVI2")
    data = await as_admin(ONE, id=str(mine.id))
    assert data["chargingStation"]["identifier"] == "EVI1"
    assert data["chargingStation"]["pointCount"] == 1
    assert (await as_basic(ONE, id=str(mine.id)))["chargingStation"]["group"] == {
        "id": str(world.g1a.id),
        "name": "Pine Mall garage",
    }
    assert (await as_basic(ONE, id=str(other.id)))["chargingStation"] is None
    assert (await as_admin(ONE, id=str(uuid.uuid4())))["chargingStation"] is None
    assert (await as_admin(ONE, id="nonsense"))["chargingStation"] is None


async def test_list_statements_do_not_grow_with_stations_points_and_sockets(as_admin, world, app):
    query = """
    { chargingStations(page: {limit: 100}) {
        totalCount
        items { id name identifier firmwareVersion state lastSeenAt online connectedAt
                pointCount group { id name } tariff { name }
                points { number evseId sockets { type format powerType maxPowerKw }
                         liveStatus { status errorCode updatedAt } } } } }
    """
    groups = [world.root, world.g1, world.g1a, world.g2]
    tariffs = [await factories.tariff(g) for g in groups]

    async def add(count: int) -> None:
        for n in range(count):
            station = await factories.station(
                groups[n % 4],
                tariff=tariffs[n % 4],
                # The test server's own node: another name would be given up for dead (and
                # its stations shown offline) by the server's lease rounds meanwhile.
                connected_node=app.state.node.name if n % 2 else None,
                connected_at=datetime.now(UTC),
            )
            for number in (1, 2):
                point = await factories.point(station, number, sockets=2)
                if number == 1:
                    await PointStatus.create(
                        point=point, status="Charging", error_code="NoError",
                        updated_at=datetime.now(UTC),
                    )  # fmt: skip

    await add(10)
    with count_sql() as ten:
        data = await as_admin(query)
    assert data["chargingStations"]["totalCount"] == 10
    items = data["chargingStations"]["items"]
    assert all(i["pointCount"] == 2 and i["group"] and i["tariff"] for i in items)
    assert all(len(p["sockets"]) == 2 for i in items for p in i["points"])

    await add(90)
    with count_sql() as hundred:
        data = await as_admin(query)
    items = data["chargingStations"]["items"]
    assert len(items) == 100
    assert sum(len(p["sockets"]) for i in items for p in i["points"]) == 400
    assert sum(i["online"] for i in items) == 50
    assert [p["liveStatus"] is not None for p in items[0]["points"]] == [True, False]
    # Session lookup, count, page, groups, points, sockets, point statuses, tariffs.
    assert ten.count == 8, ten.report()
    assert hundred.count == ten.count, hundred.report()


# --- delete -----------------------------------------------------------------------------------


async def test_delete_makes_an_orphan_that_keeps_its_rows_and_frees_its_identifier(as_admin, world):
    station = await factories.station(world.g1, identifier="EVI00000013", points=2)
    data = await as_admin(DELETE, id=str(station.id), version=1)
    assert data["deleteChargingStation"] == {"deletedId": str(station.id), "errors": []}
    row = await ChargingStation.get(id=station.id)
    assert row.state == StationState.ORPHAN
    assert row.group_id is None
    assert row.deleted_at is not None
    assert await ChargingPoint.filter(station_id=station.id).count() == 2
    assert (await as_admin(ONE, id=str(station.id)))["chargingStation"] is None
    assert (await as_admin(LIST))["chargingStations"]["totalCount"] == 0
    # The group can now be deleted: the orphan has left it.
    data = await as_admin(
        "mutation($id: ID!) { deleteChargingGroup(id: $id) { errors { message } } }",
        id=str(world.g1a.id),
    )
    assert data["deleteChargingGroup"]["errors"] == []
    # Deleting again: it does not exist any more.
    data = await as_admin(DELETE, id=str(station.id))
    assert data["deleteChargingStation"]["errors"] == [NOT_FOUND]
    # Its identifier can be used again.
    data = await as_admin(CREATE, input={"name": "New", "identifier": "EVI00000013"})
    assert data["createChargingStation"]["errors"] == []
    assert await ChargingStation.filter(identifier="EVI00000013").count() == 2


# --- discovered stations and adoption ---------------------------------------------------------


async def discover(world, identifier: str) -> ChargingStation:  # type: ignore[no-untyped-def]
    async with in_transaction():
        return await stations.record_discovered(organisation_id=world.org.id, identifier=identifier)


async def test_admin_lists_and_adopts_discovered_stations(as_admin, world):
    found = await discover(world, "EVB-NEW-1")
    await discover(world, "EVB-NEW-2")
    await factories.station(world.g1, identifier="EVI-LIVE")
    data = await as_admin(DISCOVERED)
    listed = data["discoveredStations"]
    assert listed["totalCount"] == 2
    assert {i["identifier"] for i in listed["items"]} == {"EVB-NEW-1", "EVB-NEW-2"}
    assert all(i["state"] == "DISCOVERED" and i["group"] is None for i in listed["items"])
    assert (await as_admin(DISCOVERED, search="new-1"))["discoveredStations"]["totalCount"] == 1
    # Discovered stations are not in the station list nor looked up there.
    assert (await as_admin(LIST))["chargingStations"]["totalCount"] == 1
    assert (await as_admin(ONE, id=str(found.id)))["chargingStation"] is None

    data = await as_admin(
        ADOPT, input={"id": str(found.id), "groupId": str(world.g1a.id), "name": "Garage 1"}
    )
    assert data["adoptStation"] == {
        "station": {
            "id": str(found.id),
            "name": "Garage 1",
            "identifier": "EVB-NEW-1",
            "state": "ACTIVE",
            "group": {"name": "Pine Mall garage"},
        },
        "errors": [],
    }
    assert (await as_admin(DISCOVERED))["discoveredStations"]["totalCount"] == 1
    assert (await as_admin(LIST))["chargingStations"]["totalCount"] == 2
    # Adopting it again: it is no longer a discovered station.
    before = await snapshot()
    data = await as_admin(ADOPT, input={"id": str(found.id)})
    assert data["adoptStation"]["errors"] == [NOT_FOUND]
    assert await snapshot() == before


async def test_adopt_defaults_to_base_group_and_identifier_as_name(as_admin, world):
    found = await discover(world, "EVB-NEW-1")
    data = await as_admin(ADOPT, input={"id": str(found.id)})
    station = data["adoptStation"]["station"]
    assert (station["name"], station["group"]) == ("EVB-NEW-1", {"name": "ACME Shopping Malls"})


async def test_identifier_of_a_discovered_station_cannot_be_created_again(as_admin, world):
    await discover(world, "EVB-NEW-1")
    before = await snapshot()
    data = await as_admin(CREATE, input={"name": "Dup", "identifier": "EVB-NEW-1"})
    assert data["createChargingStation"]["errors"][0]["message"] == (
        "Charging station already exists for that identifier."
    )
    assert await snapshot() == before


async def test_discovered_stations_and_adoption_are_admin_only(client, as_basic, world):
    found = await discover(world, "EVB-NEW-1")
    before = await snapshot()
    body = await as_basic.raw(DISCOVERED, {})
    assert body["errors"][0]["message"] == "Access denied."
    assert no_data(body)
    data = await as_basic(ADOPT, input={"id": str(found.id), "groupId": str(world.g1.id)})
    assert data["adoptStation"]["station"] is None
    assert access_denied(data["adoptStation"])
    # Outsiders: another organisation's admin, and an admin below the root.
    for actor in await outsiders(client, world):
        body = await actor.raw(DISCOVERED, {})
        if body.get("errors"):  # a basic operator is refused outright
            continue
        assert body["data"]["discoveredStations"] == {"totalCount": 0, "items": []}
        for sid in (str(found.id), str(uuid.uuid4())):
            data = await actor(ADOPT, input={"id": sid})
            assert data["adoptStation"] == {"station": None, "errors": [NOT_FOUND]}
    assert await snapshot() == before


async def test_adopt_into_a_group_out_of_scope_is_refused(as_admin, world):
    found = await discover(world, "EVB-NEW-1")
    before = await snapshot()
    data = await as_admin(ADOPT, input={"id": str(found.id), "groupId": str(world.root_b.id)})
    assert data["adoptStation"]["errors"] == [
        {"code": "NOT_FOUND", "field": "groupId", "message": "Charging group does not exist."}
    ]
    assert await snapshot() == before


# --- OCPP password ----------------------------------------------------------------------------


async def test_station_password_is_shown_once_stored_hashed_and_rotates(as_admin, world):
    station = await factories.station(world.g1, identifier="EVI00000013")
    data = await as_admin(SET_PASSWORD, id=str(station.id))
    payload = data["setStationPassword"]
    assert payload["errors"] == []
    first = payload["password"]
    assert len(first) >= 32
    assert payload["station"] == {"id": str(station.id), "hasOcppPassword": True}
    row = await ChargingStation.get(id=station.id)
    assert row.ocpp_password_hash and first not in row.ocpp_password_hash
    # A generated 192-bit secret: stored as its SHA-256 (no slow KDF needed, see passwords).
    assert row.ocpp_password_hash.startswith("sha256$")
    assert (await as_admin(ONE, id=str(station.id)))["chargingStation"]["hasOcppPassword"]

    slug = world.org.slug
    verify = stations.verify_station_password
    ok = await verify(organisation_slug=slug, identifier="EVI00000013", password=first)
    assert ok is not None and ok.id == station.id
    assert await verify(organisation_slug=slug, identifier="EVI00000013", password="x") is None

    data = await as_admin(SET_PASSWORD, id=str(station.id))
    second = data["setStationPassword"]["password"]
    assert second != first
    assert await verify(organisation_slug=slug, identifier="EVI00000013", password=first) is None
    assert (
        await verify(organisation_slug=slug, identifier="EVI00000013", password=second)
    ).id == station.id
    # Not with another organisation's slug, nor after the station was deleted.
    assert (
        await verify(organisation_slug=world.org_b.slug, identifier="EVI00000013", password=second)
        is None
    )
    await as_admin(DELETE, id=str(station.id))
    assert await verify(organisation_slug=slug, identifier="EVI00000013", password=second) is None


async def test_the_password_hash_is_not_in_the_schema():
    from gql.schema import sdl

    text = sdl().lower()
    assert "passwordhash" not in text
    assert "ocpppasswordhash" not in text
