from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.groups.models import ChargingGroup
    from domain.organisations.models import Organisation
    from domain.pricing.models import Tariff
    from domain.stations.models import ChargingStation


class UserGroup(Model):
    """A charging user group (seed 000's driver group): members, active flag, group fees."""

    id = fields.UUIDField(primary_key=True)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "evcms.Organisation", related_name="user_groups", on_delete=fields.RESTRICT
    )
    # The charging group that owns it, for operator scope.
    group: fields.ForeignKeyRelation[ChargingGroup] = fields.ForeignKeyField(
        "evcms.ChargingGroup", related_name="user_groups", on_delete=fields.RESTRICT
    )
    name = fields.CharField(max_length=100)
    active = fields.BooleanField(default=True)
    # Group fees: applied at AC ("level 2") and DC ("level 3") stations the group is applied to.
    ac_tariff: fields.ForeignKeyNullableRelation[Tariff] = fields.ForeignKeyField(
        "evcms.Tariff", related_name="ac_user_groups", null=True, on_delete=fields.RESTRICT
    )
    dc_tariff: fields.ForeignKeyNullableRelation[Tariff] = fields.ForeignKeyField(
        "evcms.Tariff", related_name="dc_user_groups", null=True, on_delete=fields.RESTRICT
    )
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)

    organisation_id: object
    group_id: object
    ac_tariff_id: object
    dc_tariff_id: object

    class Meta:
        table = "user_group"


class ChargingUser(Model):
    """A driver. Removing one keeps the row (and the charging history) with `removed_at`."""

    id = fields.UUIDField(primary_key=True)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "evcms.Organisation", related_name="charging_users", on_delete=fields.RESTRICT
    )
    group: fields.ForeignKeyRelation[ChargingGroup] = fields.ForeignKeyField(
        "evcms.ChargingGroup", related_name="charging_users", on_delete=fields.RESTRICT
    )
    user_group: fields.ForeignKeyNullableRelation[UserGroup] = fields.ForeignKeyField(
        "evcms.UserGroup", related_name="members", null=True, on_delete=fields.SET_NULL
    )
    first_name = fields.CharField(max_length=100, default="")
    last_name = fields.CharField(max_length=100, default="")
    email = fields.CharField(max_length=254)
    # Lower-cased e-mail: unique among the organisation's users that are not removed.
    email_key = fields.CharField(max_length=254)
    active = fields.BooleanField(default=True)
    confirmed_at = fields.DatetimeField(null=True)
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    removed_at = fields.DatetimeField(null=True)

    organisation_id: object
    group_id: object
    user_group_id: object

    class Meta:
        table = "charging_user"
        constraints = (
            UniqueConstraint(
                fields=("organisation_id", "email_key"),
                name="uq_charging_user_email_live",
                condition="removed_at IS NULL",
            ),
        )


class TokenStatus(StrEnum):
    ACTIVE = "active"
    INACTIVE = "inactive"
    BLOCKED = "blocked"


class Token(Model):
    """An RFID token (OCPP idTag) of a charging user; its id is never edited."""

    id = fields.UUIDField(primary_key=True)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "evcms.Organisation", related_name="tokens", on_delete=fields.RESTRICT
    )
    user: fields.ForeignKeyRelation[ChargingUser] = fields.ForeignKeyField(
        "evcms.ChargingUser", related_name="tokens", on_delete=fields.RESTRICT
    )
    uid = fields.CharField(max_length=36)
    # Upper-cased uid: token ids compare case-insensitively.
    uid_key = fields.CharField(max_length=36)
    name = fields.CharField(max_length=100, default="")
    status = fields.CharEnumField(TokenStatus, max_length=16, default=TokenStatus.ACTIVE)
    valid_from = fields.DatetimeField(null=True)
    # Null: valid indefinitely.
    valid_to = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    deleted_at = fields.DatetimeField(null=True)

    organisation_id: object
    user_id: object

    class Meta:
        table = "token"
        constraints = (
            UniqueConstraint(
                fields=("organisation_id", "uid_key"),
                name="uq_token_uid_live",
                condition="deleted_at IS NULL",
            ),
        )


class AccessRight(Model):
    """A user may charge at every station below `group`, or at `station`."""

    id = fields.UUIDField(primary_key=True)
    user: fields.ForeignKeyRelation[ChargingUser] = fields.ForeignKeyField(
        "evcms.ChargingUser", related_name="access_rights", on_delete=fields.CASCADE
    )
    group: fields.ForeignKeyNullableRelation[ChargingGroup] = fields.ForeignKeyField(
        "evcms.ChargingGroup", related_name="access_rights", null=True, on_delete=fields.CASCADE
    )
    station: fields.ForeignKeyNullableRelation[ChargingStation] = fields.ForeignKeyField(
        "evcms.ChargingStation", related_name="access_rights", null=True, on_delete=fields.CASCADE
    )

    user_id: object
    group_id: object
    station_id: object

    class Meta:
        table = "access_right"


class DriverInvitation(Model):
    """An e-mail invitation for a driver to confirm their account (seed 000)."""

    id = fields.UUIDField(primary_key=True)
    user: fields.ForeignKeyRelation[ChargingUser] = fields.ForeignKeyField(
        "evcms.ChargingUser", related_name="invitations", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    accepted_at = fields.DatetimeField(null=True)

    user_id: object

    class Meta:
        table = "driver_invitation"
