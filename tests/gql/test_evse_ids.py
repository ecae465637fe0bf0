"""EVSE ids (seed 004): the organisation's pool, autopick, typed ids, uniqueness."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from domain.stations.models import ChargingPoint, EvseId
from tests import factories
from tests.gql.stations_support import access_denied, as_user, outsiders, snapshot

ERRORS = "errors { code field message }"
GENERATE = (
    """
mutation($input: GenerateEvseIdsInput!) {
  generateEvseIds(input: $input) { created skipped first last %s }
}
"""
    % ERRORS
)
POOL = """
query($status: EvseIdStatus, $search: String, $page: PageInput) {
  evseIds(status: $status, search: $search, page: $page) {
    totalCount items { value assigned point { number station { identifier } } }
  }
}
"""
SET = (
    """
mutation($input: SetEvseIdInput!) {
  setChargingPointEvseId(input: $input) { point { id number evseId } %s }
}
"""
    % ERRORS
)


def pool_input(**change) -> dict:  # type: ignore[no-untyped-def]
    return {"countryCode": "FI", "operatorId": "ABC", "start": 123, "count": 3, **change}


async def values() -> list[tuple[str, str | None]]:
    return [
        (e.value, str(e.point_id) if e.point_id else None)
        for e in await EvseId.all().order_by("value")
    ]


async def test_generate_a_pool_skipping_ids_that_exist(as_admin, world):
    data = await as_admin(GENERATE, input=pool_input())
    assert data["generateEvseIds"] == {
        "created": 3,
        "skipped": 0,
        "first": "FI*ABC*E000123",
        "last": "FI*ABC*E000125",
        "errors": [],
    }
    # A typed id on a point is skipped too.
    station = await factories.station(world.g1)
    await factories.point(station, 1)
    await ChargingPoint.filter(station_id=station.id).update(evse_id="FI*ABC*E000127")
    data = await as_admin(GENERATE, input=pool_input(start=124, count=5))
    # 124 and 125 are pooled already, 127 is on a point: 126 and 128 are new.
    assert (data["generateEvseIds"]["created"], data["generateEvseIds"]["skipped"]) == (2, 3)
    assert [v for v, _ in await values()] == [
        "FI*ABC*E000123",
        "FI*ABC*E000124",
        "FI*ABC*E000125",
        "FI*ABC*E000126",
        "FI*ABC*E000128",
    ]
    data = await as_admin(
        GENERATE, input=pool_input(countryCode="se", operatorId="x9z", prefix="a", start=7,
                                   count=2, digits=3)
    )  # fmt: skip
    assert (data["generateEvseIds"]["first"], data["generateEvseIds"]["last"]) == (
        "SE*X9Z*EA007",
        "SE*X9Z*EA008",
    )


async def test_generate_skips_ids_in_other_organisations_pools(client, as_admin, world):
    omega = await as_user(client, world.admin_b)
    await omega(GENERATE, input=pool_input())
    data = await as_admin(GENERATE, input=pool_input(count=4))
    assert (data["generateEvseIds"]["created"], data["generateEvseIds"]["skipped"]) == (1, 3)
    # Each organisation lists its own pool only.
    assert (await omega(POOL))["evseIds"]["totalCount"] == 3
    assert (await as_admin(POOL))["evseIds"]["items"] == [
        {"value": "FI*ABC*E000126", "assigned": False, "point": None}
    ]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"countryCode": "F1"}, "countryCode", "Country code must be two letters, such as FI."),
        ({"countryCode": "FIN"}, "countryCode", "Country code must be two letters, such as FI."),
        (
            {"operatorId": "AB"},
            "operatorId",
            "Operator id must be three letters or digits, such as ABC.",
        ),
        (
            {"operatorId": "A*C"},
            "operatorId",
            "Operator id must be three letters or digits, such as ABC.",
        ),
        ({"prefix": "A-1"}, "prefix", "Prefix can contain only letters and digits."),
        ({"count": 0}, "count", "Count must be between 1 and 1000."),
        ({"count": 1001}, "count", "Count must be between 1 and 1000."),
        ({"start": -1}, "start", "Start must be 0 or more."),
        ({"digits": 0}, "digits", "Digits must be between 1 and 20."),
        (
            {"prefix": "X" * 20, "digits": 15},
            "digits",
            "The EVSE IDs would be too long: at most 30 characters after E.",
        ),
    ],
)
async def test_bad_pool_input_is_refused(as_admin, world, change, field, message):
    before = await snapshot()
    data = await as_admin(GENERATE, input=pool_input(**change))
    assert data["generateEvseIds"]["errors"] == [
        {"code": "INVALID_INPUT", "field": field, "message": message}
    ]
    assert data["generateEvseIds"]["created"] == 0
    assert await snapshot() == before


async def test_autopick_takes_the_lowest_free_id_and_gives_back_the_old_one(as_admin, world):
    await as_admin(GENERATE, input=pool_input())
    station = await factories.station(world.g1, identifier="EVI1")
    p1 = await factories.point(station, 1)
    p2 = await factories.point(station, 2)
    data = await as_admin(SET, input={"pointId": str(p1.id), "autopick": True})
    assert data["setChargingPointEvseId"]["point"]["evseId"] == "FI*ABC*E000123"
    data = await as_admin(SET, input={"pointId": str(p2.id), "autopick": True})
    assert data["setChargingPointEvseId"]["point"]["evseId"] == "FI*ABC*E000124"
    assert await values() == [
        ("FI*ABC*E000123", str(p1.id)),
        ("FI*ABC*E000124", str(p2.id)),
        ("FI*ABC*E000125", None),
    ]
    data = await as_admin(POOL, status="ASSIGNED")
    assert data["evseIds"] == {
        "totalCount": 2,
        "items": [
            {"value": "FI*ABC*E000123", "assigned": True,
             "point": {"number": 1, "station": {"identifier": "EVI1"}}},
            {"value": "FI*ABC*E000124", "assigned": True,
             "point": {"number": 2, "station": {"identifier": "EVI1"}}},
        ],
    }  # fmt: skip
    data = await as_admin(POOL, status="FREE")
    assert [i["value"] for i in data["evseIds"]["items"]] == ["FI*ABC*E000125"]
    data = await as_admin(POOL, page={"offset": 1, "limit": 1}, search="abc*e0001")
    assert data["evseIds"]["totalCount"] == 3
    assert [i["value"] for i in data["evseIds"]["items"]] == ["FI*ABC*E000124"]

    # Clearing p1's id gives it back; the next autopick takes it again (lowest free).
    data = await as_admin(SET, input={"pointId": str(p1.id)})
    assert data["setChargingPointEvseId"]["point"]["evseId"] is None
    assert (await as_admin(POOL, status="FREE"))["evseIds"]["totalCount"] == 2
    data = await as_admin(SET, input={"pointId": str(p2.id), "autopick": True})
    assert data["setChargingPointEvseId"]["point"]["evseId"] == "FI*ABC*E000123"
    assert await values() == [
        ("FI*ABC*E000123", str(p2.id)),
        ("FI*ABC*E000124", None),
        ("FI*ABC*E000125", None),
    ]


async def test_autopick_with_an_empty_pool_is_a_clear_error(client, as_admin, world):
    omega = await as_user(client, world.admin_b)
    await omega(GENERATE, input=pool_input())  # another organisation's pool is not ours
    station = await factories.station(world.g1)
    point = await factories.point(station, 1)
    before = await snapshot()
    data = await as_admin(SET, input={"pointId": str(point.id), "autopick": True})
    assert data["setChargingPointEvseId"] == {
        "point": None,
        "errors": [
            {
                "code": "INVALID_STATE",
                "field": "autopick",
                "message": "No free EVSE IDs left for autopick. Generate more EVSE IDs first.",
            }
        ],
    }
    assert await snapshot() == before


async def test_concurrent_autopicks_never_get_the_same_id(as_admin, world):
    await as_admin(GENERATE, input=pool_input(count=12))
    points = []
    for _ in range(10):
        station = await factories.station(world.g1)
        points.append(await factories.point(station, 1))
    results = await asyncio.gather(
        *(as_admin(SET, input={"pointId": str(p.id), "autopick": True}) for p in points)
    )
    picked = [r["setChargingPointEvseId"]["point"]["evseId"] for r in results]
    assert len(set(picked)) == 10
    assert sorted(picked) == [f"FI*ABC*E{n:06d}" for n in range(123, 133)]
    assert await EvseId.filter(point_id__not_isnull=True).count() == 10


async def test_typed_id_is_normalised_and_claims_a_pooled_one(as_admin, world):
    await as_admin(GENERATE, input=pool_input())
    station = await factories.station(world.g1)
    point = await factories.point(station, 1)
    data = await as_admin(SET, input={"pointId": str(point.id), "evseId": " fi*abc*e000124 "})
    assert data["setChargingPointEvseId"]["point"]["evseId"] == "FI*ABC*E000124"
    assert ("FI*ABC*E000124", str(point.id)) in await values()
    # A typed id outside the pool is fine too; the pooled one goes back.
    data = await as_admin(SET, input={"pointId": str(point.id), "evseId": "FI*ABC*E*1*2"})
    assert data["setChargingPointEvseId"]["point"]["evseId"] == "FI*ABC*E*1*2"
    assert ("FI*ABC*E000124", None) in await values()
    # Setting the same id again changes nothing.
    data = await as_admin(SET, input={"pointId": str(point.id), "evseId": "FI*ABC*E*1*2"})
    assert data["setChargingPointEvseId"]["errors"] == []


@pytest.mark.parametrize(
    "value",
    [
        "FIABCE000123",
        "F*ABC*E000123",
        "FIN*ABC*E000123",
        "FI*AB*E000123",
        "FI*ABCD*E000123",
        "FI*A-C*E000123",
        "FI*ABC*000123",
        "FI*ABC*X000123",
        "FI*ABC*E",
        "FI*ABC*E" + "1" * 31,
        "FI*ABC*E0001/23",
        "1I*ABC*E000123",
    ],
)
async def test_malformed_evse_ids_are_refused(as_admin, world, value):
    station = await factories.station(world.g1)
    point = await factories.point(station, 1)
    before = await snapshot()
    data = await as_admin(SET, input={"pointId": str(point.id), "evseId": value})
    assert data["setChargingPointEvseId"] == {
        "point": None,
        "errors": [
            {
                "code": "INVALID_INPUT",
                "field": "evseId",
                "message": "Invalid EVSE ID. Use the form FI*ABC*E000123.",
            }
        ],
    }
    assert await snapshot() == before


async def test_an_id_in_use_is_refused(client, as_admin, world):
    station = await factories.station(world.g1)
    p1 = await factories.point(station, 1)
    p2 = await factories.point(station, 2)
    await as_admin(SET, input={"pointId": str(p1.id), "evseId": "FI*ABC*E1"})
    omega = await as_user(client, world.admin_b)
    await omega(GENERATE, input=pool_input(count=1))  # FI*ABC*E000123 is B's
    station_b = await factories.station(world.root_b, world.org_b.id)
    point_b = await factories.point(station_b, 1)
    before = await snapshot()
    in_use = {"code": "ALREADY_EXISTS", "field": "evseId", "message": "EVSE ID already in use."}
    for actor, point, value in (
        (as_admin, p2, "FI*ABC*E1"),  # on another point of ours
        (as_admin, p2, "fi*abc*e1"),  # whatever its case
        (omega, point_b, "FI*ABC*E1"),  # on a point of another organisation
        (as_admin, p2, "FI*ABC*E000123"),  # in another organisation's pool
    ):
        data = await actor(SET, input={"pointId": str(point.id), "evseId": value})
        assert data["setChargingPointEvseId"] == {"point": None, "errors": [in_use]}
    assert await snapshot() == before


async def test_giving_both_a_typed_id_and_autopick_is_refused(as_admin, world):
    station = await factories.station(world.g1)
    point = await factories.point(station, 1)
    data = await as_admin(
        SET, input={"pointId": str(point.id), "evseId": "FI*ABC*E1", "autopick": True}
    )
    assert data["setChargingPointEvseId"]["errors"] == [
        {
            "code": "INVALID_INPUT",
            "field": "evseId",
            "message": "Give either an EVSE ID or autopick, not both.",
        }
    ]


async def test_removing_a_point_or_deleting_its_station_frees_its_pooled_id(as_admin, world):
    await as_admin(GENERATE, input=pool_input(count=2))
    station = await factories.station(world.g1, identifier="EVI1")
    p1 = await factories.point(station, 1)
    p2 = await factories.point(station, 2)
    for point in (p1, p2):
        await as_admin(SET, input={"pointId": str(point.id), "autopick": True})
    await as_admin("mutation($id: ID!) { removeChargingPoint(id: $id) { deletedId } }",
                   id=str(p1.id))  # fmt: skip
    assert await values() == [("FI*ABC*E000123", None), ("FI*ABC*E000124", str(p2.id))]
    await as_admin("mutation($id: ID!) { deleteChargingStation(id: $id) { deletedId } }",
                   id=str(station.id))  # fmt: skip
    assert await values() == [("FI*ABC*E000123", None), ("FI*ABC*E000124", None)]
    assert (await ChargingPoint.get(id=p2.id)).evse_id is None
    # A new station with the same identifier can take the same ids again.
    again = await factories.station(world.g1, identifier="EVI1")
    point = await factories.point(again, 1)
    data = await as_admin(SET, input={"pointId": str(point.id), "evseId": "FI*ABC*E000124"})
    assert data["setChargingPointEvseId"]["errors"] == []


async def test_basic_operator_cannot_touch_evse_ids(as_basic, world):
    station = await factories.station(world.g1)
    point = await factories.point(station, 1)
    before = await snapshot()
    data = await as_basic(GENERATE, input=pool_input())
    assert access_denied(data["generateEvseIds"])
    data = await as_basic(SET, input={"pointId": str(point.id), "evseId": "FI*ABC*E1"})
    assert access_denied(data["setChargingPointEvseId"])
    body = await as_basic.raw(POOL, {})
    assert body["errors"][0]["message"] == "Access denied."
    assert await snapshot() == before


async def test_outsiders_get_the_answer_of_a_missing_point(client, as_admin, world):
    await as_admin(GENERATE, input=pool_input())
    station = await factories.station(world.g1)
    point = await factories.point(station, 1)
    before = await snapshot()
    for actor in await outsiders(client, world):
        answers = []
        for pid in (str(point.id), str(uuid.uuid4())):
            answers.append(
                (
                    await actor(SET, input={"pointId": pid, "autopick": True}),
                    await actor(SET, input={"pointId": pid, "evseId": "FI*ABC*E9"}),
                )
            )
        assert answers[0] == answers[1]
    assert await snapshot() == before


async def test_pool_hides_assignments_outside_the_admins_subtree(client, as_admin, world):
    await as_admin(GENERATE, input=pool_input(count=1))
    station = await factories.station(world.g1)
    point = await factories.point(station, 1)
    await as_admin(SET, input={"pointId": str(point.id), "autopick": True})
    delta = (await outsiders(client, world))[1]  # admin at g2
    data = await delta(POOL)
    assert data["evseIds"]["items"] == [
        {"value": "FI*ABC*E000123", "assigned": True, "point": None}
    ]
