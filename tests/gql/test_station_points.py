"""Charging points (numbered from 1) and sockets (at most 4 a point; seeds 003, 004)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from domain.stations.models import ChargingPoint, Socket
from tests import factories
from tests.gql.stations_support import access_denied, outsiders, snapshot
from tests.gqlclient import GraphQLClient

ERRORS = "errors { code field message }"
SOCKET_FIELDS = "id number type format powerType maxPowerKw maxVoltage maxAmperage"
ADD_POINT = (
    """
mutation($input: AddChargingPointInput!) {
  addChargingPoint(input: $input) { point { id number evseId sockets { id } } %s }
}
"""
    % ERRORS
)
REMOVE_POINT = (
    """
mutation($id: ID!) { removeChargingPoint(id: $id) { deletedId %s } }
"""
    % ERRORS
)
ADD_SOCKET = """
mutation($input: AddSocketInput!) { addSocket(input: $input) { socket { %s } %s } }
""" % (SOCKET_FIELDS, ERRORS)
UPDATE_SOCKET = """
mutation($input: UpdateSocketInput!) { updateSocket(input: $input) { socket { %s } %s } }
""" % (SOCKET_FIELDS, ERRORS)
REMOVE_SOCKET = (
    """
mutation($id: ID!) { removeSocket(id: $id) { deletedId %s } }
"""
    % ERRORS
)
STATION = (
    """
query($id: ID!) {
  chargingStation(id: $id) {
    pointCount points { number evseId sockets { %s } station { id } }
  }
}
"""
    % SOCKET_FIELDS
)

TYPE2 = {
    "type": "TYPE_2",
    "powerType": "AC_3_PHASE",
    "maxPowerKw": "22",
    "maxVoltage": 400,
    "maxAmperage": 32,
}


async def test_points_are_numbered_from_one_taking_the_lowest_free_number(as_admin, world):
    station = await factories.station(world.g1)
    numbers = []
    for _ in range(3):
        data = await as_admin(ADD_POINT, input={"stationId": str(station.id)})
        assert data["addChargingPoint"]["errors"] == []
        numbers.append(data["addChargingPoint"]["point"])
    assert [p["number"] for p in numbers] == [1, 2, 3]
    data = await as_admin(REMOVE_POINT, id=numbers[1]["id"])
    assert data["removeChargingPoint"] == {"deletedId": numbers[1]["id"], "errors": []}
    data = await as_admin(ADD_POINT, input={"stationId": str(station.id)})
    assert data["addChargingPoint"]["point"]["number"] == 2
    data = await as_admin(ADD_POINT, input={"stationId": str(station.id), "number": 7})
    assert data["addChargingPoint"]["point"]["number"] == 7
    data = await as_admin(STATION, id=str(station.id))
    assert data["chargingStation"]["pointCount"] == 4
    assert [p["number"] for p in data["chargingStation"]["points"]] == [1, 2, 3, 7]


@pytest.mark.parametrize(
    ("number", "code", "message"),
    [
        (
            1,
            "ALREADY_EXISTS",
            "The charging station already has a charging point with that number.",
        ),
        (0, "INVALID_INPUT", "Charging point numbers start from 1."),
        (-3, "INVALID_INPUT", "Charging point numbers start from 1."),
    ],
)
async def test_bad_point_numbers_are_refused(as_admin, world, number, code, message):
    station = await factories.station(world.g1, points=1)
    before = await snapshot()
    data = await as_admin(ADD_POINT, input={"stationId": str(station.id), "number": number})
    assert data["addChargingPoint"] == {
        "point": None,
        "errors": [{"code": code, "field": "number", "message": message}],
    }
    assert await snapshot() == before


async def test_removing_a_point_removes_its_sockets(as_admin, world):
    station = await factories.station(world.g1)
    point = await factories.point(station, 1, sockets=3)
    data = await as_admin(REMOVE_POINT, id=str(point.id))
    assert data["removeChargingPoint"]["errors"] == []
    assert not await ChargingPoint.filter(id=point.id).exists()
    assert not await Socket.filter(point_id=point.id).exists()


async def test_sockets_up_to_four_then_a_clear_error(as_admin, world):
    station = await factories.station(world.g1)
    point = await factories.point(station, 1, sockets=0)
    kinds = [
        {**TYPE2, "format": "CABLE"},
        {**TYPE2, "type": "SCHUKO", "powerType": "AC_1_PHASE", "maxPowerKw": "3.7",
         "maxVoltage": 230, "maxAmperage": 16},
        {**TYPE2, "type": "CCS2", "powerType": "DC", "maxPowerKw": 150, "maxVoltage": 920,
         "maxAmperage": 500},
        {**TYPE2, "type": "CHADEMO", "powerType": "DC", "maxPowerKw": 62.5, "maxVoltage": 500,
         "maxAmperage": 125},
    ]  # fmt: skip
    for kind in kinds:
        data = await as_admin(ADD_SOCKET, input={"pointId": str(point.id), **kind})
        assert data["addSocket"]["errors"] == []
    data = await as_admin(STATION, id=str(station.id))
    sockets = data["chargingStation"]["points"][0]["sockets"]
    assert [
        (s["number"], s["type"], s["format"], s["powerType"], s["maxPowerKw"]) for s in sockets
    ] == [
        (1, "TYPE_2", "CABLE", "AC_3_PHASE", "22.00"),
        (2, "SCHUKO", "SOCKET", "AC_1_PHASE", "3.70"),
        (3, "CCS2", "SOCKET", "DC", "150.00"),
        (4, "CHADEMO", "SOCKET", "DC", "62.50"),
    ]
    before = await snapshot()
    data = await as_admin(ADD_SOCKET, input={"pointId": str(point.id), **TYPE2})
    assert data["addSocket"] == {
        "socket": None,
        "errors": [
            {
                "code": "INVALID_STATE",
                "field": "pointId",
                "message": "A charging point can have at most 4 sockets.",
            }
        ],
    }
    assert await snapshot() == before
    # Removing one makes room again, and the new socket takes the free number.
    await as_admin(REMOVE_SOCKET, id=sockets[1]["id"])
    data = await as_admin(ADD_SOCKET, input={"pointId": str(point.id), **TYPE2})
    assert data["addSocket"]["socket"]["number"] == 2


@pytest.mark.parametrize(
    "type_",
    [
        "TYPE_1", "TYPE_2", "TYPE_3", "SCHUKO", "CHADEMO", "CCS1", "CCS2", "GBT_AC", "GBT_DC",
        "TESLA", "NACS", "CEE_BLUE", "CEE_RED", "OTHER",
    ],
)  # fmt: skip
async def test_every_socket_type(as_admin, world, type_):
    station = await factories.station(world.g1)
    point = await factories.point(station, 1, sockets=0)
    data = await as_admin(ADD_SOCKET, input={"pointId": str(point.id), **TYPE2, "type": type_})
    assert data["addSocket"]["socket"]["type"] == type_


POWER = "Max power must be more than 0 and at most 1000 kW."
VOLTAGE = "Max voltage must be between 1 and 1500 V."
AMPERAGE = "Max amperage must be between 1 and 1000 A."
BAD_VALUES = [
    ({"maxPowerKw": "0"}, "maxPowerKw", POWER),
    ({"maxPowerKw": "-7.4"}, "maxPowerKw", POWER),
    ({"maxPowerKw": -1}, "maxPowerKw", POWER),
    ({"maxPowerKw": "1000.01"}, "maxPowerKw", POWER),
    ({"maxPowerKw": "NaN"}, "maxPowerKw", "Give a number."),
    ({"maxPowerKw": "Infinity"}, "maxPowerKw", "Give a number."),
    ({"maxPowerKw": "22.005"}, "maxPowerKw", "Max power can have at most 2 decimals."),
    ({"maxVoltage": 0}, "maxVoltage", VOLTAGE),
    ({"maxVoltage": 1501}, "maxVoltage", VOLTAGE),
    ({"maxVoltage": -230}, "maxVoltage", VOLTAGE),
    ({"maxAmperage": 0}, "maxAmperage", AMPERAGE),
    ({"maxAmperage": 1001}, "maxAmperage", AMPERAGE),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_VALUES)
async def test_bad_socket_values_are_refused_on_add(as_admin, world, change, field, message):
    station = await factories.station(world.g1)
    point = await factories.point(station, 1, sockets=1)
    before = await snapshot()
    data = await as_admin(ADD_SOCKET, input={"pointId": str(point.id), **TYPE2, **change})
    assert data["addSocket"] == {
        "socket": None,
        "errors": [{"code": "INVALID_INPUT", "field": field, "message": message}],
    }
    assert await snapshot() == before


@pytest.mark.parametrize(("change", "field", "message"), BAD_VALUES)
async def test_bad_socket_values_are_refused_on_edit(as_admin, world, change, field, message):
    station = await factories.station(world.g1)
    point = await factories.point(station, 1, sockets=1)
    socket = await Socket.get(point_id=point.id)
    before = await snapshot()
    data = await as_admin(UPDATE_SOCKET, input={"id": str(socket.id), "type": "CCS1", **change})
    assert data["updateSocket"]["errors"] == [
        {"code": "INVALID_INPUT", "field": field, "message": message}
    ]
    assert await snapshot() == before


async def test_power_limits_are_inclusive(as_admin, world):
    station = await factories.station(world.g1)
    point = await factories.point(station, 1, sockets=0)
    for power, voltage, amperage in (("0.01", 1, 1), ("1000", 1500, 1000)):
        data = await as_admin(
            ADD_SOCKET,
            input={
                "pointId": str(point.id),
                **TYPE2,
                "maxPowerKw": power,
                "maxVoltage": voltage,
                "maxAmperage": amperage,
            },
        )
        assert data["addSocket"]["errors"] == []


async def test_edit_socket_changes_only_what_is_given(as_admin, world):
    station = await factories.station(world.g1)
    point = await factories.point(station, 1, sockets=1)
    socket = await Socket.get(point_id=point.id)
    data = await as_admin(
        UPDATE_SOCKET,
        input={"id": str(socket.id), "type": "CCS2", "powerType": "DC", "maxPowerKw": "50.5"},
    )
    assert data["updateSocket"] == {
        "socket": {
            "id": str(socket.id),
            "number": 1,
            "type": "CCS2",
            "format": "SOCKET",
            "powerType": "DC",
            "maxPowerKw": "50.50",
            "maxVoltage": 400,
            "maxAmperage": 32,
        },
        "errors": [],
    }
    row = await Socket.get(id=socket.id)
    assert row.max_power_kw == Decimal("50.50")


async def test_basic_operator_cannot_change_points_or_sockets(as_basic, world):
    station = await factories.station(world.g1)
    point = await factories.point(station, 1, sockets=1)
    socket = await Socket.get(point_id=point.id)
    before = await snapshot()
    answers = [
        (await as_basic(ADD_POINT, input={"stationId": str(station.id)}))["addChargingPoint"],
        (await as_basic(REMOVE_POINT, id=str(point.id)))["removeChargingPoint"],
        (await as_basic(ADD_SOCKET, input={"pointId": str(point.id), **TYPE2}))["addSocket"],
        (await as_basic(UPDATE_SOCKET, input={"id": str(socket.id), "maxVoltage": 230}))[
            "updateSocket"
        ],
        (await as_basic(REMOVE_SOCKET, id=str(socket.id)))["removeSocket"],
    ]
    assert all(access_denied(a) for a in answers)
    assert await snapshot() == before
    # Reading is allowed.
    data = await as_basic(STATION, id=str(station.id))
    assert data["chargingStation"]["points"][0]["sockets"][0]["type"] == "TYPE_2"


async def test_outsiders_get_the_answer_of_a_missing_point_or_socket(client, world):
    station = await factories.station(world.g1)
    point = await factories.point(station, 1, sockets=1)
    socket = await Socket.get(point_id=point.id)
    before = await snapshot()
    for actor in await outsiders(client, world):

        async def attempts(
            station_id: str, point_id: str, socket_id: str, actor: GraphQLClient = actor
        ) -> list[dict]:
            return [
                await actor(ADD_POINT, input={"stationId": station_id}),
                await actor(REMOVE_POINT, id=point_id),
                await actor(ADD_SOCKET, input={"pointId": point_id, **TYPE2}),
                await actor(UPDATE_SOCKET, input={"id": socket_id, "maxVoltage": 230}),
                await actor(REMOVE_SOCKET, id=socket_id),
                await actor(STATION, id=station_id),
            ]

        real = await attempts(str(station.id), str(point.id), str(socket.id))
        missing = await attempts(str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4()))
        assert real == missing
        assert real[-1] == {"chargingStation": None}
    assert await snapshot() == before


async def test_points_of_a_deleted_station_cannot_be_changed(as_admin, world):
    station = await factories.station(world.g1)
    point = await factories.point(station, 1, sockets=1)
    await as_admin("mutation($id: ID!) { deleteChargingStation(id: $id) { deletedId } }",
                   id=str(station.id))  # fmt: skip
    before = await snapshot()
    data = await as_admin(ADD_SOCKET, input={"pointId": str(point.id), **TYPE2})
    assert data["addSocket"]["errors"] == [
        {"code": "NOT_FOUND", "field": "pointId", "message": "Charging point does not exist."}
    ]
    data = await as_admin(ADD_POINT, input={"stationId": str(station.id)})
    assert data["addChargingPoint"]["errors"] == [
        {
            "code": "NOT_FOUND",
            "field": "stationId",
            "message": "Charging station does not exist.",
        }
    ]
    assert await snapshot() == before
