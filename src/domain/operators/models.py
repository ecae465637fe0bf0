from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.groups.models import ChargingGroup
    from domain.organisations.models import Organisation


class OperatorRole(StrEnum):
    ADMIN = "admin"
    BASIC = "basic"


class OperatorStatus(StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    INACTIVE = "inactive"


class LinkPurpose(StrEnum):
    INVITATION = "invitation"
    PASSWORD_RESET = "password_reset"


class Operator(Model):
    """A person managing the system, confined to the subtree under their base group."""

    id = fields.UUIDField(primary_key=True)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "evcms.Organisation", related_name="operators", on_delete=fields.RESTRICT
    )
    base_group: fields.ForeignKeyRelation[ChargingGroup] = fields.ForeignKeyField(
        "evcms.ChargingGroup", related_name="operators", on_delete=fields.RESTRICT
    )
    # Usernames are global: login asks for nothing but username and password.
    username = fields.CharField(max_length=64, unique=True)
    # Unique per organisation in any case: the index `uq_operator_email` on lower(email)
    # (migration 0010; Tortoise cannot declare an index on an expression).
    email = fields.CharField(max_length=254)
    first_name = fields.CharField(max_length=100, default="")
    last_name = fields.CharField(max_length=100, default="")
    role = fields.CharEnumField(OperatorRole, max_length=16)
    status = fields.CharEnumField(OperatorStatus, max_length=16, default=OperatorStatus.INVITED)
    password_hash = fields.CharField(max_length=255, null=True)
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    organisation_id: object
    base_group_id: object

    class Meta:
        table = "operator"


class OperatorSession(Model):
    """A login; valid until `expires_at` (at most 2 hours after login) unless revoked."""

    id = fields.UUIDField(primary_key=True)
    operator: fields.ForeignKeyRelation[Operator] = fields.ForeignKeyField(
        "evcms.Operator", related_name="sessions", on_delete=fields.CASCADE
    )
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    revoked_at = fields.DatetimeField(null=True)

    operator_id: object

    class Meta:
        table = "operator_session"


class OperatorLink(Model):
    """A single-use e-mailed link token (invitation or password reset); only its hash is kept."""

    id = fields.UUIDField(primary_key=True)
    operator: fields.ForeignKeyRelation[Operator] = fields.ForeignKeyField(
        "evcms.Operator", related_name="links", on_delete=fields.CASCADE
    )
    purpose = fields.CharEnumField(LinkPurpose, max_length=32)
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)

    operator_id: object

    class Meta:
        table = "operator_link"
