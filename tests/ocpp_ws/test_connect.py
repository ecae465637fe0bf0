"""Who may connect: subprotocol, HTTP Basic auth, discovery and adoption."""

from __future__ import annotations

import asyncio

import pytest
from websockets.exceptions import InvalidStatus

from domain.commands.models import RemoteCommand
from domain.events.models import StationEvent
from domain.stations.models import ChargingStation, StationState
from tests import factories
from tests.ocpp_ws.conftest import STATION_PASSWORD, AnsweringStation, eventually

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


async def test_adopting_a_connected_station_asks_it_to_boot_again(connect, world, as_admin):  # type: ignore[no-untyped-def]
    async with connect(world.org.slug, "EVB-NEW-2", password=None) as raw:
        assert (await raw.result("BootNotification", BOOT))["status"] == "Pending"
        station = AnsweringStation(raw, {"TriggerMessage": {"status": "Accepted"}})
        serving = asyncio.create_task(station.serve())
        found = await ChargingStation.get(identifier="EVB-NEW-2")
        data = await as_admin(ADOPT, input={"id": str(found.id)})
        assert data["adoptStation"]["errors"] == []
        await asyncio.wait_for(station.called.wait(), 10)
        assert station.calls == [("TriggerMessage", {"requestedMessage": "BootNotification"})]
        # What the station does next: boot, and hear that it is in use now.
        assert (await station.result("BootNotification", BOOT))["status"] == "Accepted"
        await eventually(RemoteCommand.filter(station_id=found.id, state="accepted").exists)
        serving.cancel()
    command = await RemoteCommand.get(station_id=found.id)
    assert (command.action, command.issued_by, command.state) == (
        "TriggerMessage", "alpha", "accepted",
    )  # fmt: skip


async def test_adopting_an_offline_station_sends_nothing(connect, world, as_admin, app):  # type: ignore[no-untyped-def]
    async with connect(world.org.slug, "EVB-NEW-3", password=None) as raw:
        await raw.result("BootNotification", BOOT)
    offline = ChargingStation.filter(identifier="EVB-NEW-3", connected_node__isnull=True)
    await eventually(offline.exists)
    found = await ChargingStation.get(identifier="EVB-NEW-3")
    data = await as_admin(ADOPT, input={"id": str(found.id)})
    assert data["adoptStation"]["errors"] == []
    await app.state.background.idle()  # the background work, had there been any, has run
    assert await RemoteCommand.all().count() == 0


async def test_presence_follows_the_websocket(connect, world, station_password_hash):  # type: ignore[no-untyped-def]
    row = await factories.station(world.g1, ocpp_password_hash=station_password_hash)
    async with connect(world.org.slug, row.identifier) as station:
        await station.result("Heartbeat", {})
        online = await ChargingStation.get(id=row.id)
        assert online.connected_node and online.connected_at
    await eventually(ChargingStation.filter(id=row.id, connected_node__isnull=True).exists)
    offline = await ChargingStation.get(id=row.id)
    assert (offline.connected_node, offline.connected_at) == (None, None)


UPDATE_ORG = """
mutation($input: UpdateOrganisationInput!) {
  updateOrganisation(input: $input) {
    organisation { timezone allowUnauthenticatedStations } errors { code field message }
  }
}
"""


async def test_organisation_may_allow_stations_without_password(connect, world, as_admin):  # type: ignore[no-untyped-def]
    row = await factories.station(world.g1)
    assert await refused(connect, world.org.slug, row.identifier, password=None) == 403
    data = await as_admin(UPDATE_ORG, input={"allowUnauthenticatedStations": True})
    assert data["updateOrganisation"] == {
        "organisation": {"timezone": "UTC", "allowUnauthenticatedStations": True},
        "errors": [],
    }
    async with connect(world.org.slug, row.identifier, password=None) as station:
        assert (await station.result("BootNotification", BOOT))["status"] == "Accepted"
    # A station with a password must still present it.
    await ChargingStation.filter(id=row.id).update(ocpp_password_hash="x")
    assert await refused(connect, world.org.slug, row.identifier, password=None) == 401


async def test_organisation_settings_are_for_root_admins(client, world, as_admin, as_basic):  # type: ignore[no-untyped-def]
    from tests.conftest import login

    await factories.operator(world.g1, "admin", username="delta")
    delta = client.as_token(await login(client, "delta"))
    error = {"code": "ACCESS_DENIED", "field": None, "message": "Access denied."}
    denied = {"organisation": None, "errors": [error]}
    for who in (as_basic, delta):
        data = await who(UPDATE_ORG, input={"allowUnauthenticatedStations": True})
        assert data["updateOrganisation"] == denied
    bad = await as_admin(UPDATE_ORG, input={"timezone": "Mars/Olympus", "name": "New"})
    assert bad["updateOrganisation"]["errors"] == [
        {"code": "INVALID_INPUT", "field": "timezone", "message": "Unknown time zone."}
    ]
    org = await as_basic("{ organisation { name timezone allowUnauthenticatedStations } }")
    assert org["organisation"] == {
        "name": "ACME Shopping Malls", "timezone": "UTC", "allowUnauthenticatedStations": False,
    }  # fmt: skip
    ok = await as_admin(UPDATE_ORG, input={"timezone": "Europe/Helsinki"})
    assert ok["updateOrganisation"]["organisation"]["timezone"] == "Europe/Helsinki"
