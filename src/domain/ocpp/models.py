from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.operators.models import Operator
    from domain.organisations.models import Organisation
    from domain.stations.models import ChargingPoint, ChargingStation
    from domain.users.models import ChargingUser


class EventKind(StrEnum):
    STATUS = "status"  # StatusNotification
    FIRMWARE = "firmware"  # FirmwareStatusNotification
    DIAGNOSTICS = "diagnostics"  # DiagnosticsStatusNotification


class StationEvent(Model):
    """A status report of a station (connector 0) or one of its points: the event feed."""

    id = fields.UUIDField(primary_key=True)
    station: fields.ForeignKeyRelation[ChargingStation] = fields.ForeignKeyField(
        "evcms.ChargingStation", related_name="events", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(EventKind, max_length=16, default=EventKind.STATUS)
    connector_id = fields.IntField()  # 0: the whole station
    status = fields.CharField(max_length=32)
    error_code = fields.CharField(max_length=32)
    info = fields.CharField(max_length=50, default="")
    vendor_id = fields.CharField(max_length=255, default="")
    vendor_error_code = fields.CharField(max_length=50, default="")
    # When it happened as the station says (a station that was offline reports late).
    occurred_at = fields.DatetimeField(db_index=True)
    received_at = fields.DatetimeField()

    station_id: object

    class Meta:
        table = "station_event"
        ordering = ("occurred_at",)
        indexes = (("station_id", "occurred_at"),)  # the feed: one station, one day


class PointStatus(Model):
    """The latest status a charging point reported (the newest by its own timestamp)."""

    id = fields.UUIDField(primary_key=True)
    point: fields.OneToOneRelation[ChargingPoint] = fields.OneToOneField(
        "evcms.ChargingPoint", related_name="live_status", on_delete=fields.CASCADE
    )
    status = fields.CharField(max_length=32)
    error_code = fields.CharField(max_length=32)
    updated_at = fields.DatetimeField()

    point_id: object

    class Meta:
        table = "point_status"


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
    # The OCPP 1.6 transactionId we handed out (an integer, unique system-wide).
    transaction_id = fields.BigIntField(unique=True)
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


class CommandState(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    FAILED = "failed"
    TIMED_OUT = "timed_out"


class RemoteCommand(Model):
    """An operator's or a schedule's command to a station, with its outcome."""

    id = fields.UUIDField(primary_key=True)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "evcms.Organisation", related_name="remote_commands", on_delete=fields.CASCADE
    )
    station: fields.ForeignKeyRelation[ChargingStation] = fields.ForeignKeyField(
        "evcms.ChargingStation", related_name="remote_commands", on_delete=fields.CASCADE
    )
    operator: fields.ForeignKeyNullableRelation[Operator] = fields.ForeignKeyField(
        "evcms.Operator", related_name="remote_commands", null=True, on_delete=fields.SET_NULL
    )
    # Who, as text ("alice", "schedule: Night limit"), so it outlives the operator.
    issued_by = fields.CharField(max_length=100)
    action = fields.CharField(max_length=64)
    payload: fields.Field[dict[str, Any]] = fields.JSONField(default=dict)
    state = fields.CharEnumField(CommandState, max_length=16, default=CommandState.QUEUED)
    response: fields.Field[dict[str, Any] | None] = fields.JSONField(null=True)
    error = fields.TextField(null=True)
    # What the station reported afterwards about it (FirmwareStatusNotification "Installed",
    # DiagnosticsStatusNotification "Uploaded", ...), and when.
    progress = fields.CharField(max_length=32, null=True)
    progress_at = fields.DatetimeField(null=True)
    # The server node that held the station's websocket and sent the call.
    node = fields.CharField(max_length=64, null=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    sent_at = fields.DatetimeField(null=True)
    completed_at = fields.DatetimeField(null=True)

    organisation_id: object
    station_id: object
    operator_id: object

    class Meta:
        table = "remote_command"


class ConfigurationKey(Model):
    """A configuration key as the station last reported it (GetConfiguration)."""

    id = fields.UUIDField(primary_key=True)
    station: fields.ForeignKeyRelation[ChargingStation] = fields.ForeignKeyField(
        "evcms.ChargingStation", related_name="configuration", on_delete=fields.CASCADE
    )
    key = fields.CharField(max_length=50)
    value = fields.CharField(max_length=500, null=True)
    readonly = fields.BooleanField(default=False)
    updated_at = fields.DatetimeField(auto_now=True)

    station_id: object

    class Meta:
        table = "configuration_key"
        unique_together = (("station", "key"),)


class DataTransferRecord(Model):
    """A DataTransfer a station sent, with how it was answered."""

    id = fields.UUIDField(primary_key=True)
    station: fields.ForeignKeyRelation[ChargingStation] = fields.ForeignKeyField(
        "evcms.ChargingStation", related_name="data_transfers", on_delete=fields.CASCADE
    )
    vendor_id = fields.CharField(max_length=255)
    message_id = fields.CharField(max_length=50, null=True)
    data = fields.TextField(null=True)
    status = fields.CharField(max_length=32)  # what we answered: UnknownVendorId, ...
    received_at = fields.DatetimeField(db_index=True)

    station_id: object

    class Meta:
        table = "data_transfer"


class ConfigurationRequirement(Model):
    """A configuration key and value the organisation requires of its stations (seed 004's
    auto configuration profile)."""

    id = fields.UUIDField(primary_key=True)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "evcms.Organisation", related_name="configuration_requirements",
        on_delete=fields.CASCADE,
    )  # fmt: skip
    key = fields.CharField(max_length=50)
    value = fields.CharField(max_length=500)
    created_at = fields.DatetimeField(auto_now_add=True)

    organisation_id: object

    class Meta:
        table = "configuration_requirement"
        unique_together = (("organisation", "key"),)


class ApplicationStatus(StrEnum):
    PENDING = "pending"  # not applied yet, or being applied
    APPLIED = "applied"  # Accepted
    REBOOT_REQUIRED = "reboot_required"  # Accepted, takes effect after a reset
    FAILED = "failed"  # Rejected, NotSupported, an error, offline or no answer


class ConfigurationApplication(Model):
    """Where applying one required key to one station stands (auto configuration)."""

    id = fields.UUIDField(primary_key=True)
    station: fields.ForeignKeyRelation[ChargingStation] = fields.ForeignKeyField(
        "evcms.ChargingStation", related_name="configuration_applications",
        on_delete=fields.CASCADE,
    )  # fmt: skip
    key = fields.CharField(max_length=50)
    value = fields.CharField(max_length=500)
    status = fields.CharEnumField(ApplicationStatus, max_length=16)
    detail = fields.CharField(max_length=200, default="")  # the station's answer or error
    command: fields.ForeignKeyNullableRelation[RemoteCommand] = fields.ForeignKeyField(
        "evcms.RemoteCommand", related_name="configuration_applications", null=True,
        on_delete=fields.SET_NULL,
    )  # fmt: skip
    updated_at = fields.DatetimeField(auto_now=True)

    station_id: object
    command_id: object

    class Meta:
        table = "configuration_application"
        unique_together = (("station", "key"),)


class LocalListEntry(Model):
    """One idTag of the local authorization list as the station holds it after the last
    SendLocalList it accepted: the base of the next differential update."""

    id = fields.UUIDField(primary_key=True)
    station: fields.ForeignKeyRelation[ChargingStation] = fields.ForeignKeyField(
        "evcms.ChargingStation", related_name="local_list", on_delete=fields.CASCADE
    )
    id_tag = fields.CharField(max_length=20)
    status = fields.CharField(max_length=32)
    expiry_date = fields.DatetimeField(null=True)
    parent_id_tag = fields.CharField(max_length=20, null=True)

    station_id: object

    class Meta:
        table = "local_list_entry"
        unique_together = (("station", "id_tag"),)
