from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.groups.models import ChargingGroup
    from domain.organisations.models import Organisation


class ChargingStation(Model):
    """A physical device. Only what groups need so far; the infrastructure issue adds the rest."""

    id = fields.UUIDField(primary_key=True)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "evcms.Organisation", related_name="stations", on_delete=fields.RESTRICT
    )
    # Null for an orphan (deleted or not yet adopted) station.
    group: fields.ForeignKeyNullableRelation[ChargingGroup] = fields.ForeignKeyField(
        "evcms.ChargingGroup", related_name="stations", null=True, on_delete=fields.RESTRICT
    )
    name = fields.CharField(max_length=100)
    identifier = fields.CharField(max_length=64)
    created_at = fields.DatetimeField(auto_now_add=True)

    organisation_id: object
    group_id: object

    class Meta:
        table = "charging_station"
