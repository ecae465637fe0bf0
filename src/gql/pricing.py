"""Tariffs, group pricing, price exceptions and the access check: parse, call one service, map."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry

from domain.inputs import KEEP
from domain.pricing import decisions, service
from domain.pricing.service import TariffData, TariffFilter
from gql.policy import Policy
from gql.types.common import PageInput, SortDirection, page_of
from gql.types.groups import DeletePayload
from gql.types.pricing import (
    AccessCheck,
    AccessPolicy,
    AddPriceExceptionInput,
    CreateTariffInput,
    GroupPricing,
    GroupPricingPayload,
    PriceException,
    PriceExceptionPage,
    PriceExceptionPayload,
    Tariff,
    TariffPage,
    TariffPayload,
    TariffSortInput,
    UpdateTariffInput,
)


def _given(value: Any) -> Any:
    """An argument left out keeps the setting; an explicit null inherits from above."""
    return KEEP if value is strawberry.UNSET else value


@strawberry.type
class PricingQuery:
    @strawberry.field(extensions=[Policy("tariff.read")])
    async def tariff(self, info: strawberry.Info, id: strawberry.ID) -> Tariff | None:
        row = await service.get_tariff(principal=info.context.actor, tariff_id=id)
        return Tariff.from_row(row) if row else None

    @strawberry.field(extensions=[Policy("tariff.read")])
    async def tariffs(
        self,
        info: strawberry.Info,
        search: str | None = None,
        sort: TariffSortInput | None = None,
        page: PageInput | None = None,
    ) -> TariffPage | None:
        sort = sort or TariffSortInput()
        result = await service.list_tariffs(
            principal=info.context.actor,
            filter=TariffFilter(
                search=search, sort=sort.field, descending=sort.direction == SortDirection.DESC
            ),
            page=page_of(page),
        )
        return TariffPage(
            total_count=result.total_count, items=[Tariff.from_row(r) for r in result.items]
        )

    @strawberry.field(
        extensions=[Policy("tariff.read")],
        description="A charging group's own and effective tariff, access policy and roaming",
    )
    async def group_pricing(
        self, info: strawberry.Info, group_id: strawberry.ID
    ) -> GroupPricing | None:
        row = await service.group_pricing(principal=info.context.actor, group_id=group_id)
        return GroupPricing.from_row(row) if row else None

    @strawberry.field(
        extensions=[Policy("tariff.read")],
        description="A charging user's price exceptions (null when the user is not visible)",
    )
    async def price_exceptions(
        self, info: strawberry.Info, user_id: strawberry.ID, page: PageInput | None = None
    ) -> PriceExceptionPage | None:
        result = await service.list_exceptions(
            principal=info.context.actor, user_id=user_id, page=page_of(page)
        )
        if result is None:
            return None
        return PriceExceptionPage(
            total_count=result.total_count,
            items=[PriceException.from_row(r) for r in result.items],
        )

    @strawberry.field(
        extensions=[Policy("access.check")],
        description="Would the token be accepted at the station (and point), and at what "
        "price? Null when the station is not visible to you. `at` defaults to now.",
    )
    async def access_check(
        self,
        info: strawberry.Info,
        token_uid: str,
        station_id: strawberry.ID,
        point_number: int | None = None,
        at: datetime | None = None,
    ) -> AccessCheck | None:
        result = await decisions.check_access(
            principal=info.context.actor,
            token_uid=token_uid,
            station_id=station_id,
            point_number=point_number,
            at=at,
        )
        return AccessCheck.from_domain(result) if result else None


def _tariff_data(input: CreateTariffInput | UpdateTariffInput) -> TariffData:
    return TariffData(
        name=input.name,
        group_id=input.group_id,
        price_per_kwh=input.price_per_kwh,
        price_per_session=input.price_per_session,
        price_per_hour=input.price_per_hour,
        vat_rate=input.vat_rate,
        currency=input.currency,
        prices_include_vat=input.prices_include_vat,
    )


@strawberry.type
class PricingMutation:
    @strawberry.mutation(extensions=[Policy("pricing.manage")])
    async def create_tariff(self, info: strawberry.Info, input: CreateTariffInput) -> TariffPayload:
        row = await service.create_tariff(
            principal=info.context.actor,
            data=_tariff_data(input),
        )
        return TariffPayload(tariff=Tariff.from_row(row))

    @strawberry.mutation(extensions=[Policy("pricing.manage")])
    async def update_tariff(self, info: strawberry.Info, input: UpdateTariffInput) -> TariffPayload:
        row = await service.update_tariff(
            principal=info.context.actor,
            tariff_id=input.id,
            data=_tariff_data(input),
            version=input.version,
        )
        return TariffPayload(tariff=Tariff.from_row(row))

    @strawberry.mutation(
        extensions=[Policy("pricing.manage")],
        description="Only a tariff no group, station, user group fee or exception uses",
    )
    async def delete_tariff(
        self, info: strawberry.Info, id: strawberry.ID, version: int | None = None
    ) -> DeletePayload:
        await service.delete_tariff(principal=info.context.actor, tariff_id=id, version=version)
        return DeletePayload(deleted_id=id)

    @strawberry.mutation(
        extensions=[Policy("pricing.manage")],
        description="Set a group's tariff, access policy and roaming flag, inherited by "
        "everything below it. Leave an argument out to keep it; null inherits from above.",
    )
    async def set_group_pricing(
        self,
        info: strawberry.Info,
        group_id: strawberry.ID,
        tariff_id: strawberry.ID | None = strawberry.UNSET,
        access_policy: AccessPolicy | None = strawberry.UNSET,  # type: ignore[valid-type]
        allow_roaming: bool | None = strawberry.UNSET,
        version: int | None = None,
    ) -> GroupPricingPayload:
        row = await service.set_group_pricing(
            principal=info.context.actor,
            group_id=group_id,
            tariff_id=_given(tariff_id),
            access_policy=_given(access_policy),
            allow_roaming=_given(allow_roaming),
            version=version,
        )
        return GroupPricingPayload(pricing=GroupPricing.from_row(row))

    @strawberry.mutation(extensions=[Policy("pricing.manage")])
    async def add_price_exception(
        self, info: strawberry.Info, input: AddPriceExceptionInput
    ) -> PriceExceptionPayload:
        row = await service.add_exception(
            principal=info.context.actor,
            user_id=input.user_id,
            kind=input.kind,
            group_id=input.group_id,
            station_id=input.station_id,
            tariff_id=input.tariff_id,
        )
        return PriceExceptionPayload(exception=PriceException.from_row(row))

    @strawberry.mutation(extensions=[Policy("pricing.manage")])
    async def remove_price_exception(
        self, info: strawberry.Info, id: strawberry.ID
    ) -> DeletePayload:
        await service.remove_exception(principal=info.context.actor, exception_id=id)
        return DeletePayload(deleted_id=id)
