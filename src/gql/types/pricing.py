"""GraphQL types for tariffs, group pricing settings, price exceptions and the access check."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import strawberry

from domain.groups.models import AccessPolicy as DomainAccessPolicy
from domain.pricing import decisions
from domain.pricing.models import ExceptionKind as DomainExceptionKind
from domain.pricing.models import PriceException as ExceptionRow
from domain.pricing.models import Tariff as TariffRow
from domain.pricing.service import GroupPricing as GroupPricingRow
from domain.pricing.service import TariffSort
from gql.errors import UserError
from gql.types.common import SortDirection
from gql.types.groups import ChargingGroup

AccessPolicy = strawberry.enum(
    DomainAccessPolicy,
    name="AccessPolicy",
    description="OPEN: every valid token of the organisation; RESTRICTED: access rights only",
)
ExceptionKind = strawberry.enum(DomainExceptionKind, name="PriceExceptionKind")
TariffSortField = strawberry.enum(TariffSort, name="TariffSortField")
AuthorizationStatus = strawberry.enum(decisions.AuthorizationStatus, name="AuthorizationStatus")
AuthorizationReason = strawberry.enum(decisions.AuthorizationReason, name="AuthorizationReason")
PriceResult = strawberry.enum(decisions.PriceResult, name="PriceResult")
PriceReason = strawberry.enum(decisions.PriceReason, name="PriceReason")


@strawberry.type(name="Tariff", description="Prices per kWh, per session and per hour")
class Tariff:
    id: strawberry.ID
    name: str
    price_per_kwh: Decimal
    price_per_session: Decimal
    price_per_hour: Decimal
    vat_rate: Decimal = strawberry.field(description="Percent, 0 to 100")
    currency: str = strawberry.field(description="ISO 4217 code, e.g. EUR")
    prices_include_vat: bool
    version: int
    created_at: datetime
    group_id: strawberry.Private[uuid.UUID]

    @classmethod
    def from_row(cls, row: TariffRow) -> Tariff:
        return cls(
            id=strawberry.ID(str(row.id)),
            name=row.name,
            price_per_kwh=row.price_per_kwh,
            price_per_session=row.price_per_session,
            price_per_hour=row.price_per_hour,
            vat_rate=row.vat_rate,
            currency=row.currency,
            prices_include_vat=row.prices_include_vat,
            version=row.version,
            created_at=row.created_at,
            group_id=row.group_id,  # type: ignore[arg-type]
        )

    @strawberry.field(description="The charging group that owns the tariff")
    async def group(self, info: strawberry.Info) -> ChargingGroup | None:
        row = await info.context.loaders.group.load(self.group_id)
        return ChargingGroup.from_row(row) if row else None


@strawberry.type
class TariffPage:
    total_count: int
    items: list[Tariff]


@strawberry.input
class TariffSortInput:
    field: TariffSortField = TariffSort.NAME  # type: ignore[valid-type]
    direction: SortDirection = SortDirection.ASC


@strawberry.input
class CreateTariffInput:
    name: str = strawberry.field(
        description="Unique among the tariffs of the owning group, in any case: ALREADY_EXISTS "
        "otherwise"
    )
    group_id: strawberry.ID | None = strawberry.field(
        default=None, description="The owning charging group; default: your base group"
    )
    price_per_kwh: Decimal = Decimal(0)
    price_per_session: Decimal = Decimal(0)
    price_per_hour: Decimal = Decimal(0)
    vat_rate: Decimal = strawberry.field(default=Decimal(0), description="Percent, 0 to 100")
    currency: str = "EUR"
    prices_include_vat: bool = strawberry.field(
        default=False, description="Station tariffs usually exclude VAT (seed 004)"
    )


@strawberry.input
class UpdateTariffInput:
    id: strawberry.ID
    name: str | None = strawberry.field(
        default=None,
        description="Unique among the tariffs of the owning group, in any case: ALREADY_EXISTS "
        "otherwise",
    )
    group_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Give the tariff to this group; refused (ALREADY_EXISTS) when the group "
        "already owns a tariff with this name in any case",
    )
    price_per_kwh: Decimal | None = None
    price_per_session: Decimal | None = None
    price_per_hour: Decimal | None = None
    vat_rate: Decimal | None = None
    currency: str | None = None
    prices_include_vat: bool | None = None
    version: int | None = strawberry.field(
        default=None, description="The version you edited; a stale one is refused (CONFLICT)"
    )


@strawberry.type
class TariffPayload:
    tariff: Tariff | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="A charging group's own pricing settings (null: inherited)")
class GroupPricing:
    group: ChargingGroup
    tariff: Tariff | None
    access_policy: AccessPolicy | None  # type: ignore[valid-type]
    allow_roaming: bool | None
    effective_tariff: Tariff | None = strawberry.field(
        description="The group's tariff, else the nearest group's above that sets one"
    )
    effective_access_policy: AccessPolicy = strawberry.field(  # type: ignore[valid-type]
        description="The group's policy, else the nearest above; RESTRICTED when none is set"
    )
    effective_allow_roaming: bool

    @classmethod
    def from_row(cls, row: GroupPricingRow) -> GroupPricing:
        def tariff(t: TariffRow | None) -> Tariff | None:
            return Tariff.from_row(t) if t is not None else None

        return cls(
            group=ChargingGroup.from_row(row.group),
            tariff=tariff(row.tariff),
            access_policy=row.access_policy,
            allow_roaming=row.allow_roaming,
            effective_tariff=tariff(row.effective_tariff),
            effective_access_policy=row.effective_access_policy,
            effective_allow_roaming=row.effective_allow_roaming,
        )


@strawberry.type
class GroupPricingPayload:
    pricing: GroupPricing | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(
    description="A user charges free, or at a tariff, on a group's subtree or a station"
)
class PriceException:
    id: strawberry.ID
    kind: ExceptionKind  # type: ignore[valid-type]
    user_id: strawberry.ID
    group: ChargingGroup | None
    station_id: strawberry.ID | None
    station_name: str | None
    station_identifier: str | None
    tariff: Tariff | None
    created_at: datetime

    @classmethod
    def from_row(cls, row: ExceptionRow) -> PriceException:
        station = row.station
        return cls(
            id=strawberry.ID(str(row.id)),
            kind=row.kind,
            user_id=strawberry.ID(str(row.user_id)),
            group=ChargingGroup.from_row(row.group) if row.group else None,
            station_id=strawberry.ID(str(station.id)) if station else None,
            station_name=station.name if station else None,
            station_identifier=station.identifier if station else None,
            tariff=Tariff.from_row(row.tariff) if row.tariff else None,
            created_at=row.created_at,
        )


@strawberry.type
class PriceExceptionPage:
    total_count: int
    items: list[PriceException]


@strawberry.input
class AddPriceExceptionInput:
    user_id: strawberry.ID
    kind: ExceptionKind  # type: ignore[valid-type]
    group_id: strawberry.ID | None = strawberry.field(
        default=None, description="The group whose subtree it applies to (or give stationId)"
    )
    station_id: strawberry.ID | None = None
    tariff_id: strawberry.ID | None = strawberry.field(
        default=None, description="Required for TARIFF; not allowed for FREE"
    )


@strawberry.type
class PriceExceptionPayload:
    exception: PriceException | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


# --- the access check ----------------------------------------------------------------------


@strawberry.type(description="Would the token be accepted, and why")
class AuthorizationDecision:
    status: AuthorizationStatus  # type: ignore[valid-type]
    reason: AuthorizationReason  # type: ignore[valid-type]
    explanation: str
    expires_at: datetime | None = strawberry.field(description="The token's valid-to")


@strawberry.type(description="A tariff's prices as they were when the price was decided")
class PricedTariff:
    tariff_id: strawberry.ID
    name: str
    price_per_kwh: Decimal
    price_per_session: Decimal
    price_per_hour: Decimal
    vat_rate: Decimal
    currency: str
    prices_include_vat: bool


@strawberry.type(description="The price that applies, and why")
class PriceDecision:
    result: PriceResult  # type: ignore[valid-type]
    reason: PriceReason  # type: ignore[valid-type]
    explanation: str
    tariff: PricedTariff | None = strawberry.field(
        description="Null when charging is free or priced at zero"
    )


@strawberry.type(description="Would token X be accepted at station Y, and at what price?")
class AccessCheck:
    authorization: AuthorizationDecision
    price: PriceDecision

    @classmethod
    def from_domain(cls, check: decisions.AccessCheck) -> AccessCheck:
        auth, price = check.authorization, check.price
        snap = price.tariff
        return cls(
            authorization=AuthorizationDecision(
                status=auth.status,
                reason=auth.reason,
                explanation=auth.explanation,
                expires_at=auth.expires_at,
            ),
            price=PriceDecision(
                result=price.result,
                reason=price.reason,
                explanation=price.explanation,
                tariff=None
                if snap is None
                else PricedTariff(
                    tariff_id=strawberry.ID(str(snap.tariff_id)),
                    name=snap.name,
                    price_per_kwh=snap.price_per_kwh,
                    price_per_session=snap.price_per_session,
                    price_per_hour=snap.price_per_hour,
                    vat_rate=snap.vat_rate,
                    currency=snap.currency,
                    prices_include_vat=snap.prices_include_vat,
                ),
            ),
        )
