"""Who may connect: subprotocol, HTTP Basic auth, discovery and adoption."""

from __future__ import annotations

import pytest
from websockets.exceptions import InvalidStatus

from domain.ocpp.models import StationEvent
from domain.stations.models import ChargingStation, StationState
from tests import factories
from tests.ocpp_ws.conftest import STATION_PASSWORD

BOOT = {"chargePointVendor": "ACME", "chargePointModel": "Wallbox 22"}
ADOPT = """
mutation($input: AdoptStationInput!) {
  adoptStation(input: $input) { station { state } errors { code message } }
}
"""


async def stations() -> list[tuple[object, ...]]:
    rows = await ChargingStation.all().order_by("identifier")
    return [(r.id, r.identifier, r.state, r.vendor, r.last_seen_at) for r in rows]


async def refused(connect, *args, **kwargs) -> int:  # type: ignore[no-untyped-def]
    """The HTTP status of a handshake the server refuses."""
    with pytest.raises(InvalidStatus) as refusal:
        async with connect(*args, **kwargs):
            pass
    return int(refusal.value.response.status_code)


async def test_wrong_password_is_refused_with_401(connect, world, station_password_hash):
    row = await factories.station(world.g1, ocpp_password_hash=station_password_hash)
    before = await stations()
    with pytest.raises(InvalidStatus) as refusal:
        async with connect(world.org.slug, row.identifier, password="wrong"):
            pass
    response = refusal.value.response
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Basic realm="OCPP"'
    assert await refused(connect, world.org.slug, row.identifier, password=None) == 401
    # The username of security profile 1 is the station's identity.
    wrong_user = {"username": "someone-else"}
    assert await refused(connect, world.org.slug, row.identifier, **wrong_user) == 401
    assert await stations() == before


async def test_right_password_connects(connect, world, station_password_hash):
    row = await factories.station(world.g1, ocpp_password_hash=station_password_hash)
    async with connect(world.org.slug, row.identifier, password=STATION_PASSWORD) as station:
        assert station.connection.subprotocol == "ocpp1.6"
        assert (await station.result("Heartbeat", {}))["currentTime"]


async def test_station_without_password_is_refused(connect, world):
    row = await factories.station(world.g1)
    before = await stations()
    assert await refused(connect, world.org.slug, row.identifier, password=None) == 403
    assert await refused(connect, world.org.slug, row.identifier) == 403
    assert await stations() == before


async def test_subprotocol_we_do_not_speak_is_refused(connect, world, station_password_hash):
    row = await factories.station(world.g1, ocpp_password_hash=station_password_hash)
    before = await stations()
    assert await refused(connect, world.org.slug, row.identifier, subprotocols=()) == 400
    offered = ("ocpp2.0.1", "ocpp1.5")
    assert await refused(connect, world.org.slug, row.identifier, subprotocols=offered) == 400
    # Refused before anything else: an unknown identifier is not discovered either.
    assert await refused(connect, world.org.slug, "EVB-NEW", subprotocols=()) == 400
    assert await stations() == before


async def test_unknown_organisation_or_invalid_identifier_is_refused(connect, world):
    assert await refused(connect, "no-such-org", "EVB-NEW") == 404
    assert await refused(connect, world.org.slug, "bad*identifier") == 404
    assert await stations() == []


async def test_unknown_station_is_discovered_pending_until_adopted(
    connect, world, as_admin, station_password_hash
):
    async with connect(world.org.slug, "EVB-NEW-1", password=None) as station:
        boot = await station.result("BootNotification", BOOT)
        assert boot["status"] == "Pending"
        assert boot["interval"] == 300
        # Not in use yet: no token is accepted there.
        answer = await station.result("Authorize", {"idTag": "ANY"})
        assert answer == {"idTagInfo": {"status": "Invalid"}}
    found = await ChargingStation.get(identifier="EVB-NEW-1")
    assert (found.state, found.group_id, found.organisation_id) == (
        StationState.DISCOVERED,
        None,
        world.org.id,
    )
    assert found.vendor == "ACME"
    # It reconnects (still no password) and is still pending: one station, not two.
    async with connect(world.org.slug, "EVB-NEW-1", password=None) as station:
        assert (await station.result("BootNotification", BOOT))["status"] == "Pending"
    assert await ChargingStation.filter(identifier="EVB-NEW-1").count() == 1

    data = await as_admin(ADOPT, input={"id": str(found.id)})
    assert data["adoptStation"] == {"station": {"state": "ACTIVE"}, "errors": []}
    # Adopted, it needs a password like any station in use.
    assert await refused(connect, world.org.slug, "EVB-NEW-1", password=None) == 403
    await ChargingStation.filter(id=found.id).update(ocpp_password_hash=station_password_hash)
    async with connect(world.org.slug, "EVB-NEW-1") as station:
        assert (await station.result("BootNotification", BOOT))["status"] == "Accepted"


async def test_a_station_of_another_organisation_is_not_reached(
    connect, world, station_password_hash
):
    """The same identifier in organisation B is another station."""
    row = await factories.station(world.g1, ocpp_password_hash=station_password_hash)
    async with connect(world.org_b.slug, row.identifier, password=None) as station:
        assert (await station.result("BootNotification", BOOT))["status"] == "Pending"
    other = await ChargingStation.get(organisation_id=world.org_b.id, identifier=row.identifier)
    assert other.id != row.id and other.state == StationState.DISCOVERED
    assert await StationEvent.all().count() == 0
