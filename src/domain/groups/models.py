from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.organisations.models import Organisation
    from domain.pricing.models import Tariff


class AccessPolicy(StrEnum):
    OPEN = "open"  # every valid token of the organisation
    RESTRICTED = "restricted"  # only users with an access right here


class ChargingGroup(Model):
    """A node of an organisation's group tree, with a materialised path."""

    id = fields.UUIDField(primary_key=True)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "evcms.Organisation", related_name="groups", on_delete=fields.RESTRICT
    )
    parent: fields.ForeignKeyNullableRelation[ChargingGroup] = fields.ForeignKeyField(
        "evcms.ChargingGroup", related_name="children", null=True, on_delete=fields.RESTRICT
    )
    # Unique among siblings in any case: the index `uq_group_sibling_name` on
    # (parent_id, lower(name)) (migration 0010; Tortoise cannot declare it).
    name = fields.CharField(max_length=100)
    # "/<root id>/<child id>/.../<own id>/": a prefix match selects a subtree.
    path = fields.CharField(max_length=2000, db_index=True)
    # Pricing and access, inherited by everything below unless set lower down.
    tariff: fields.ForeignKeyNullableRelation[Tariff] = fields.ForeignKeyField(
        "evcms.Tariff", related_name="groups", null=True, on_delete=fields.RESTRICT
    )
    access_policy = fields.CharEnumField(AccessPolicy, max_length=16, null=True)
    allow_roaming = fields.BooleanField(null=True)
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    organisation_id: object
    parent_id: object
    tariff_id: object

    class Meta:
        table = "charging_group"
        unique_together = (("organisation", "path"),)

    @property
    def depth(self) -> int:
        return self.path.strip("/").count("/")

    @property
    def is_root(self) -> bool:
        return self.parent_id is None
