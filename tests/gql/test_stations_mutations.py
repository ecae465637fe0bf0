"""Charging stations (seeds 003, 004), the mutations: create, edit, delete (orphan),
discovered stations and adoption, the OCPP password; as admin, basic and outsider."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal

import pytest
from tortoise.transactions import in_transaction

from domain.stations import service as stations
from domain.stations.models import ChargingPoint, ChargingStation, StationState
from tests import factories
from tests.gql.stations_support import (
    ADOPT,
    CREATE,
    DELETE,
    DISCOVERED,
    LIST,
    NOT_FOUND,
    ONE,
    SET_PASSWORD,
    UPDATE,
    access_denied,
    admin_of_g2,
    as_user,
    outsiders,
    snapshot,
)
from tests.gqlclient import no_data


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


IDENTIFIER_TAKEN = [
    {
        "code": "ALREADY_EXISTS",
        "field": "identifier",
        "message": "Charging station already exists for that identifier.",
    }
]


async def test_identifiers_are_unique_in_any_case_among_live_stations(as_admin, world):
    await factories.station(world.g2, identifier="DEPOT-01")
    before = await snapshot()
    for identifier in ("depot-01", "Depot-01"):
        data = await as_admin(CREATE, input={"name": "Depot", "identifier": identifier})
        assert data["createChargingStation"] == {"station": None, "errors": IDENTIFIER_TAKEN}
    assert await snapshot() == before


async def test_a_deleted_stations_identifier_is_free_in_any_case(as_admin, world):
    old = await factories.station(world.g2, identifier="DEPOT-01")
    data = await as_admin(DELETE, id=str(old.id))
    assert data["deleteChargingStation"]["errors"] == []
    data = await as_admin(CREATE, input={"name": "Depot", "identifier": "depot-01"})
    assert data["createChargingStation"]["errors"] == []


async def test_concurrent_creates_in_different_cases_give_one_station(as_admin, world):
    identifiers = ["DEPOT-01", "depot-01", "Depot-01", "dePOT-01"]
    results = await asyncio.gather(
        *(as_admin(CREATE, input={"name": i, "identifier": i}) for i in identifiers)
    )
    errors = sorted((r["createChargingStation"]["errors"] for r in results), key=len)
    assert errors == [[], IDENTIFIER_TAKEN, IDENTIFIER_TAKEN, IDENTIFIER_TAKEN]
    assert await ChargingStation.filter(identifier__iexact="depot-01").count() == 1


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
