"""The two decisions, table-driven: one row per rule and per precedence conflict.

The rows are in tests/decisions/ (the GraphQL accessCheck tests run the same tables); each
builds its own data on top of the world and asks one question. The answer's status (or
price result), reason code and explanation are checked.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.pricing.decisions import AuthorizationReason as AR
from domain.pricing.decisions import AuthorizationStatus as AS
from domain.pricing.decisions import PriceReason as PR
from domain.pricing.decisions import authorize, price
from domain.stations.models import ChargingStation
from tests import factories
from tests.decisions.authorize_rows import AUTHORIZE_ROWS, AuthorizeRow
from tests.decisions.common import HOUR, NOW, Ask, applied, driver, open_site, row_id, site
from tests.decisions.price_rows import PRICE_ROWS, PriceRow
from tests.factories import World
from tests.sqlcount import count_sql


@pytest.mark.parametrize("row", AUTHORIZE_ROWS, ids=row_id)
async def test_authorize(world: World, row: AuthorizeRow) -> None:
    ask = await row.build(world)
    decided = await authorize(
        organisation_id=world.org.id,
        token_uid=ask.token_uid,
        station_id=ask.station_id,  # type: ignore[arg-type]
        point_number=ask.point_number,
        at=ask.at,
    )
    assert (decided.status, decided.reason) == (row.status, row.reason), decided.explanation
    assert row.explains in decided.explanation


async def ask_price(world: World, ask: Ask):  # type: ignore[no-untyped-def]
    return await price(
        organisation_id=world.org.id,
        station_id=ask.station_id,  # type: ignore[arg-type]
        point_number=ask.point_number,
        at=ask.at,
        user_id=ask.user_id,  # type: ignore[arg-type]
        token_uid=None if ask.user_id else ask.token_uid,
    )


@pytest.mark.parametrize("row", PRICE_ROWS, ids=row_id)
async def test_price(world: World, row: PriceRow) -> None:
    decided = await ask_price(world, await row.build(world))
    assert (decided.result, decided.reason) == (row.result, row.reason), decided.explanation
    assert (decided.tariff.name if decided.tariff else None) == row.tariff
    assert row.explains in decided.explanation


# --- what the decisions carry, and what they cost --------------------------------------------


async def test_authorization_carries_expiry_user_and_user_group(world: World) -> None:
    group = await factories.user_group(world.g1)
    token = await driver(world, valid_to=NOW + HOUR, member_of=group)
    st = await open_site(world)
    decided = await authorize(
        organisation_id=world.org.id, token_uid=token.uid, station_id=st.id, at=NOW
    )
    assert decided.status == AS.ACCEPTED
    assert decided.expires_at == NOW + HOUR
    assert (decided.user_id, decided.user_group_id) == (token.user_id, group.id)


async def test_price_snapshot_carries_the_tariffs_prices(world: World) -> None:
    tariff = await factories.tariff(
        world.root, name="Fast", per_kwh="0.4500", per_session="1.5", per_hour="2.25",
        vat_rate="25.5", currency="SEK", prices_include_vat=True,
    )  # fmt: skip
    st = await site(world, tariff=tariff)
    decided = await ask_price(world, Ask(st.id, "ANY"))
    snap = decided.tariff
    assert snap is not None
    assert (snap.tariff_id, snap.name, snap.currency, snap.prices_include_vat) == (
        tariff.id, "Fast", "SEK", True
    )  # fmt: skip
    assert (snap.price_per_kwh, snap.price_per_session, snap.price_per_hour, snap.vat_rate) == (
        Decimal("0.45"), Decimal("1.5"), Decimal("2.25"), Decimal("25.5")
    )  # fmt: skip


async def deep_station(world: World, depth: int) -> ChargingStation:
    group = world.g1a
    for _ in range(depth):
        group = await factories.group(group)
    return await factories.station(group, points=1)


@pytest.mark.parametrize("depth", [0, 6])
async def test_decisions_cost_a_few_statements_whatever_the_depth(world: World, depth: int) -> None:
    """The ancestors come in one statement from the path, so depth does not add statements."""
    group = await factories.user_group(world.g1, ac_tariff=await factories.tariff(world.root))
    token = await driver(world, member_of=group)
    st = await deep_station(world, depth)
    await applied(group, st)
    with count_sql() as auth_sql:
        decided = await authorize(
            organisation_id=world.org.id, token_uid=token.uid, station_id=st.id,
            point_number=1, at=NOW,
        )  # fmt: skip
    assert decided.reason == AR.USER_GROUP_APPLIED
    # Station, token, point, ancestors, access rights, user group application.
    assert auth_sql.count == 6, auth_sql.report()
    with count_sql() as price_sql:
        priced = await ask_price(world, Ask(st.id, token.uid, point_number=1))
    assert priced.reason == PR.USER_GROUP_FEE_AC
    # Station, point's power type, ancestors, user (fees joined), exceptions, application.
    assert price_sql.count == 6, price_sql.report()
