"""Remote commands with their outcomes, configuration read from stations, the auto
configuration profile and its application, and the local authorization list held by a station."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.operators.models import Operator
    from domain.organisations.models import Organisation
    from domain.stations.models import ChargingStation


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
