"""What the charging-station tests share: documents, the rows a change may touch, callers
of other scopes."""

from __future__ import annotations

from domain.stations.models import ChargingPoint, ChargingStation, EvseId, Socket
from tests import factories
from tests.conftest import login
from tests.gqlclient import GraphQLClient

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
