"""The decision tables of tests/decisions/ through the accessCheck query, as each operator.

Every row is asked as the admin at A's root, as the basic operator at g1 and as B's admin
(the outsider). Whoever sees the station gets the row's decision and explanation (an
operator based below the root reads "above your base group" for the root's name); whoever
does not gets null, as for a missing station.
"""

from __future__ import annotations

from typing import Any

import pytest

from domain.pricing.decisions import AuthorizationReason as AR
from domain.pricing.decisions import PriceReason as PR
from domain.stations.models import ChargingStation, StationState
from tests import factories
from tests.decisions.authorize_rows import AUTHORIZE_ROWS, AuthorizeRow
from tests.decisions.common import ROOT_NAME, Ask, row_id
from tests.decisions.price_rows import PRICE_ROWS, PriceRow, p_by_user_id
from tests.factories import World
from tests.gql.test_access_check import CHECK
from tests.gqlclient import GraphQLClient

# accessCheck asks about a token; pricing by user id is for sessions, not for operators.
PRICE_ROWS_BY_TOKEN = [row for row in PRICE_ROWS if row.build is not p_by_user_id]


async def ask_everyone(client: GraphQLClient, world: World, ask: Ask) -> dict[str, Any]:
    """Each operator's accessCheck answer to the row's question."""
    answers = {}
    operators = {"admin": world.admin, "basic": world.basic, "outsider": world.admin_b}
    for role, operator in operators.items():
        as_role = client.as_token(await factories.session_token(operator))
        data = await as_role(
            CHECK, token=ask.token_uid, station=str(ask.station_id),
            point=ask.point_number, at=ask.at.isoformat(),
        )  # fmt: skip
        answers[role] = data["accessCheck"]
    return answers


async def who_sees(world: World, station_id: object) -> set[str]:
    """The operators in whose scope the station is: live, in a group of their subtree."""
    station = await ChargingStation.filter(id=station_id).select_related("group").first()
    if station is None or station.state != StationState.ACTIVE or station.group is None:
        return set()
    if station.organisation_id == world.org_b.id:
        return {"outsider"}
    in_g1 = station.group.path.startswith(world.g1.path)
    return {"admin", "basic"} if in_g1 else {"admin"}


def as_basic_reads(explanation: str) -> str:
    """The admin's explanation as the basic operator reads it: the root group unnamed."""
    return explanation.replace(ROOT_NAME, "above your base group")


async def decisions(client: GraphQLClient, world: World, ask: Ask, key: str) -> dict[str, Any]:
    """Each operator's decision (`authorization` or `price`); None for those who do not
    see the station, after checking that their answer is null."""
    answers = await ask_everyone(client, world, ask)
    seen = await who_sees(world, ask.station_id)
    for role, answer in answers.items():
        if role not in seen:
            assert answer is None, (role, answer)
    return {role: answer[key] if answer else None for role, answer in answers.items()}


@pytest.mark.parametrize("row", AUTHORIZE_ROWS, ids=row_id)
async def test_authorize_rule(client: GraphQLClient, world: World, row: AuthorizeRow) -> None:
    ask = await row.build(world)
    by_role = await decisions(client, world, ask, "authorization")
    admin, basic, outsider = by_role["admin"], by_role["basic"], by_role["outsider"]
    # What the decision calls an unknown or unused station, an operator cannot look up.
    assert (admin is None) == (row.reason in (AR.STATION_UNKNOWN, AR.STATION_NOT_ACTIVE))
    if admin is not None:
        assert (admin["status"], admin["reason"]) == (row.status.name, row.reason.name), admin
        assert row.explains in admin["explanation"]
    if basic is not None:
        assert basic == {**admin, "explanation": as_basic_reads(admin["explanation"])}
    if outsider is not None:  # B's own station: A's tokens are unknown there
        assert (outsider["status"], outsider["reason"]) == ("INVALID", "TOKEN_UNKNOWN")


@pytest.mark.parametrize("row", PRICE_ROWS_BY_TOKEN, ids=row_id)
async def test_price_rule(client: GraphQLClient, world: World, row: PriceRow) -> None:
    ask = await row.build(world)
    by_role = await decisions(client, world, ask, "price")
    admin, basic, outsider = by_role["admin"], by_role["basic"], by_role["outsider"]
    assert outsider is None
    assert (admin is None) == (row.reason == PR.STATION_UNKNOWN)
    if admin is not None:
        assert (admin["result"], admin["reason"]) == (row.result.name, row.reason.name), admin
        assert (admin["tariff"] or {}).get("name") == row.tariff
        assert row.explains in admin["explanation"]
    if basic is not None:
        assert basic == {**admin, "explanation": as_basic_reads(admin["explanation"])}
