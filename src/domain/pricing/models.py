from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.groups.models import ChargingGroup
    from domain.organisations.models import Organisation
    from domain.stations.models import ChargingStation
    from domain.users.models import ChargingUser, UserGroup


class Tariff(Model):
    """Prices per kWh, per session and per hour, with VAT rate and currency."""

    id = fields.UUIDField(primary_key=True)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "evcms.Organisation", related_name="tariffs", on_delete=fields.RESTRICT
    )
    # The charging group that owns it, for operator scope.
    group: fields.ForeignKeyRelation[ChargingGroup] = fields.ForeignKeyField(
        "evcms.ChargingGroup", related_name="owned_tariffs", on_delete=fields.RESTRICT
    )
    # Unique among the owning group's tariffs in any case: the index `uq_tariff_group_name`
    # on (group_id, lower(name)) (migration 0010; Tortoise cannot declare it).
    name = fields.CharField(max_length=100)
    price_per_kwh = fields.DecimalField(max_digits=12, decimal_places=4, default=0)
    price_per_session = fields.DecimalField(max_digits=12, decimal_places=4, default=0)
    price_per_hour = fields.DecimalField(max_digits=12, decimal_places=4, default=0)
    vat_rate = fields.DecimalField(max_digits=5, decimal_places=2, default=0)
    currency = fields.CharField(max_length=3, default="EUR")
    # Seed 004's station tariffs exclude VAT; invoices' prices include it. Store which.
    prices_include_vat = fields.BooleanField(default=False)
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)

    organisation_id: object
    group_id: object

    class Meta:
        table = "tariff"


class UserGroupApplication(Model):
    """A user group applied to a station: its members' access and group fees hold there."""

    id = fields.UUIDField(primary_key=True)
    user_group: fields.ForeignKeyRelation[UserGroup] = fields.ForeignKeyField(
        "evcms.UserGroup", related_name="applications", on_delete=fields.CASCADE
    )
    station: fields.ForeignKeyRelation[ChargingStation] = fields.ForeignKeyField(
        "evcms.ChargingStation", related_name="user_group_applications", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    user_group_id: object
    station_id: object

    class Meta:
        table = "user_group_application"
        unique_together = (("user_group", "station"),)


class ExceptionKind(StrEnum):
    FREE = "free"
    TARIFF = "tariff"


class PriceException(Model):
    """A customer exception (seed 002): a user charges free or at a tariff on a group/station."""

    id = fields.UUIDField(primary_key=True)
    user: fields.ForeignKeyRelation[ChargingUser] = fields.ForeignKeyField(
        "evcms.ChargingUser", related_name="price_exceptions", on_delete=fields.CASCADE
    )
    group: fields.ForeignKeyNullableRelation[ChargingGroup] = fields.ForeignKeyField(
        "evcms.ChargingGroup", related_name="price_exceptions", null=True, on_delete=fields.CASCADE
    )
    station: fields.ForeignKeyNullableRelation[ChargingStation] = fields.ForeignKeyField(
        "evcms.ChargingStation",
        related_name="price_exceptions",
        null=True,
        on_delete=fields.CASCADE,
    )
    kind = fields.CharEnumField(ExceptionKind, max_length=16)
    tariff: fields.ForeignKeyNullableRelation[Tariff] = fields.ForeignKeyField(
        "evcms.Tariff", related_name="price_exceptions", null=True, on_delete=fields.RESTRICT
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    user_id: object
    group_id: object
    station_id: object
    tariff_id: object

    class Meta:
        table = "price_exception"
