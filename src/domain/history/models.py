from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.operators.models import Operator
    from domain.organisations.models import Organisation


class RecordOutcome(StrEnum):
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"


class ManagementRecord(Model):
    """The management history: who did what, when, on which stations, with what outcome."""

    id = fields.UUIDField(primary_key=True)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "evcms.Organisation", related_name="management_records", on_delete=fields.CASCADE
    )
    operator: fields.ForeignKeyNullableRelation[Operator] = fields.ForeignKeyField(
        "evcms.Operator", related_name="management_records", null=True, on_delete=fields.SET_NULL
    )
    # Who, kept as text so the record survives the operator's deletion.
    actor_name = fields.CharField(max_length=100)
    action = fields.CharField(max_length=64)
    summary = fields.TextField()
    details: fields.Field[dict] = fields.JSONField(default=dict)
    station_ids: fields.Field[list] = fields.JSONField(default=list)
    outcome = fields.CharEnumField(RecordOutcome, max_length=16)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    organisation_id: object
    operator_id: object

    class Meta:
        table = "management_record"
