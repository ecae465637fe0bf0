"""Charging sessions (OCPP transactions) and their meter samples."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.commands.models import RemoteCommand
    from domain.organisations.models import Organisation
    from domain.stations.models import ChargingPoint, ChargingStation
    from domain.users.models import ChargingUser


class SessionState(StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"  # closed by the station's StopTransaction
    CLOSED = "closed"  # closed by housekeeping (station rebooted or vanished)


class ChargingSession(Model):
    """One OCPP transaction with its priced cost; the tariff is snapshotted when priced."""

    id = fields.UUIDField(primary_key=True)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "evcms.Organisation", related_name="charging_sessions", on_delete=fields.RESTRICT
    )
    station: fields.ForeignKeyRelation[ChargingStation] = fields.ForeignKeyField(
        "evcms.ChargingStation", related_name="charging_sessions", on_delete=fields.RESTRICT
    )
    point: fields.ForeignKeyNullableRelation[ChargingPoint] = fields.ForeignKeyField(
        "evcms.ChargingPoint", related_name="charging_sessions", null=True,
        on_delete=fields.SET_NULL,
    )  # fmt: skip
    connector_id = fields.IntField()
    # The OCPP transactionId we handed out: a random integer, unique in the organisation (a
    # counter would tell every tenant the platform's volume).
    transaction_id = fields.BigIntField()
    # Identifies a StartTransaction, so a retried one gets the same transaction id.
    start_key = fields.CharField(max_length=200, unique=True)
    token_uid = fields.CharField(max_length=36)
    user: fields.ForeignKeyNullableRelation[ChargingUser] = fields.ForeignKeyField(
        "evcms.ChargingUser", related_name="charging_sessions", null=True,
        on_delete=fields.RESTRICT,
    )  # fmt: skip
    authorization_status = fields.CharField(max_length=32)
    state = fields.CharEnumField(SessionState, max_length=16, default=SessionState.ACTIVE)
    meter_start_wh = fields.BigIntField()
    meter_stop_wh = fields.BigIntField(null=True)
    energy_wh = fields.BigIntField(null=True)
    started_at = fields.DatetimeField(db_index=True)
    stopped_at = fields.DatetimeField(null=True)
    stop_reason = fields.CharField(max_length=64, null=True)
    stop_token_uid = fields.CharField(max_length=36, null=True)
    cost = fields.DecimalField(max_digits=12, decimal_places=2, null=True)
    currency = fields.CharField(max_length=3, null=True)
    price_reason = fields.CharField(max_length=64, null=True)
    tariff_snapshot: fields.Field[dict[str, Any] | None] = fields.JSONField(null=True)
    remote_command: fields.ForeignKeyNullableRelation[RemoteCommand] = fields.ForeignKeyField(
        "evcms.RemoteCommand", related_name="started_sessions", null=True,
        on_delete=fields.SET_NULL,
    )  # fmt: skip
    created_at = fields.DatetimeField(auto_now_add=True)

    organisation_id: object
    station_id: object
    point_id: object
    user_id: object
    remote_command_id: object

    class Meta:
        table = "charging_session"
        unique_together = (("organisation", "transaction_id"),)
        # MeterValues and StopTransaction find their session by station and transaction.
        indexes = (("station_id", "transaction_id"),)


class MeterSample(Model):
    """One sampled value as the station sent it (MeterValues or transactionData)."""

    id = fields.UUIDField(primary_key=True)
    station: fields.ForeignKeyRelation[ChargingStation] = fields.ForeignKeyField(
        "evcms.ChargingStation",
        related_name="meter_samples",
        on_delete=fields.NO_ACTION,
        db_constraint=False,
    )
    session: fields.ForeignKeyNullableRelation[ChargingSession] = fields.ForeignKeyField(
        "evcms.ChargingSession",
        related_name="samples",
        null=True,
        on_delete=fields.NO_ACTION,
        db_constraint=False,
    )
    connector_id = fields.IntField()
    sampled_at = fields.DatetimeField(db_index=True)
    measurand = fields.CharField(max_length=64)
    value = fields.DecimalField(max_digits=20, decimal_places=6)
    unit = fields.CharField(max_length=16, default="")
    context = fields.CharField(max_length=32, default="")
    phase = fields.CharField(max_length=8, default="")
    location = fields.CharField(max_length=16, default="")
    received_at = fields.DatetimeField(auto_now_add=True)

    station_id: object
    session_id: object

    class Meta:
        table = "meter_sample"
        # A session's samples in time order (its detail, housekeeping's last reading).
        indexes = (("session_id", "sampled_at"),)
        # OCPP is at-least-once: a MeterValues or StopTransaction sent again (the answer was
        # lost, the station reconnected elsewhere) stores each reading once.
        unique_together = (
            ("station", "connector_id", "sampled_at", "measurand", "phase", "location", "context"),
        )
