from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.migrations.constraints import UniqueConstraint
from tortoise.models import Model

from domain.groups.models import AccessPolicy

if TYPE_CHECKING:
    from domain.groups.models import ChargingGroup
    from domain.organisations.models import Organisation
    from domain.pricing.models import Tariff


class StationState(StrEnum):
    ACTIVE = "active"  # created by an operator or adopted; in a group
    DISCOVERED = "discovered"  # connected with an identifier nobody created
    ORPHAN = "orphan"  # deleted: out of every group and list, history kept


class ChargingStation(Model):
    """A physical device, linked to the real one by its immutable identifier."""

    id = fields.UUIDField(primary_key=True)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "evcms.Organisation", related_name="stations", on_delete=fields.RESTRICT
    )
    # Null for an orphan or a discovered station.
    group: fields.ForeignKeyNullableRelation[ChargingGroup] = fields.ForeignKeyField(
        "evcms.ChargingGroup", related_name="stations", null=True, on_delete=fields.RESTRICT
    )
    state = fields.CharEnumField(StationState, max_length=16, default=StationState.ACTIVE)
    name = fields.CharField(max_length=100)
    # Unique per organisation among non-orphans exactly (below) and in any case (the index
    # `uq_station_identifier_key` on lower(identifier), migration 0010).
    identifier = fields.CharField(max_length=64)
    address = fields.CharField(max_length=300, default="")
    latitude = fields.DecimalField(max_digits=9, decimal_places=6, null=True)
    longitude = fields.DecimalField(max_digits=9, decimal_places=6, null=True)
    owner_account = fields.CharField(max_length=100, default="")
    allow_roaming = fields.BooleanField(default=False)
    free_charging = fields.BooleanField(default=False)
    disabled = fields.BooleanField(default=False)
    # Null: inherit from the nearest group above that sets one.
    access_policy = fields.CharEnumField(AccessPolicy, max_length=16, null=True)
    tariff: fields.ForeignKeyNullableRelation[Tariff] = fields.ForeignKeyField(
        "evcms.Tariff", related_name="stations", null=True, on_delete=fields.RESTRICT
    )
    ocpp_password_hash = fields.CharField(max_length=255, null=True)
    vendor = fields.CharField(max_length=50, default="")
    model = fields.CharField(max_length=50, default="")
    serial_number = fields.CharField(max_length=50, default="")
    firmware_version = fields.CharField(max_length=50, default="")
    last_seen_at = fields.DatetimeField(null=True)
    # Presence: the server node holding the station's websocket, null while offline.
    connected_node = fields.CharField(max_length=64, null=True)
    connected_at = fields.DatetimeField(null=True)
    # FirmwareStatusNotification / DiagnosticsStatusNotification, as last reported.
    firmware_status = fields.CharField(max_length=32, default="")
    diagnostics_status = fields.CharField(max_length=32, default="")
    # The version of the local authorization list the station last accepted (0: none).
    local_list_version = fields.IntField(default=0)
    version = fields.IntField(default=1)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)
    deleted_at = fields.DatetimeField(null=True)

    organisation_id: object
    group_id: object
    tariff_id: object

    class Meta:
        table = "charging_station"
        constraints = (
            UniqueConstraint(
                fields=("organisation_id", "identifier"),
                name="uq_station_identifier_live",
                condition="state <> 'orphan'",
            ),
        )


class PowerType(StrEnum):
    AC_1_PHASE = "ac_1_phase"
    AC_3_PHASE = "ac_3_phase"
    DC = "dc"


class SocketType(StrEnum):
    TYPE_1 = "type_1"
    TYPE_2 = "type_2"
    TYPE_3 = "type_3"
    SCHUKO = "schuko"
    CHADEMO = "chademo"
    CCS1 = "ccs1"
    CCS2 = "ccs2"
    GBT_AC = "gbt_ac"
    GBT_DC = "gbt_dc"
    TESLA = "tesla"
    NACS = "nacs"
    CEE_BLUE = "cee_blue"
    CEE_RED = "cee_red"
    OTHER = "other"


class SocketFormat(StrEnum):
    SOCKET = "socket"
    CABLE = "cable"


class ChargingPoint(Model):
    """One charging position of a station (OCPP 1.6 connectorId, 2.0.1 EVSE), from 1."""

    id = fields.UUIDField(primary_key=True)
    station: fields.ForeignKeyRelation[ChargingStation] = fields.ForeignKeyField(
        "evcms.ChargingStation", related_name="points", on_delete=fields.CASCADE
    )
    number = fields.IntField()
    evse_id = fields.CharField(max_length=48, null=True, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    station_id: object

    class Meta:
        table = "charging_point"
        unique_together = (("station", "number"),)


class Socket(Model):
    """A physical outlet or cable of a charging point; at most 4 per point."""

    id = fields.UUIDField(primary_key=True)
    point: fields.ForeignKeyRelation[ChargingPoint] = fields.ForeignKeyField(
        "evcms.ChargingPoint", related_name="sockets", on_delete=fields.CASCADE
    )
    number = fields.IntField()
    type = fields.CharEnumField(SocketType, max_length=16)
    format = fields.CharEnumField(SocketFormat, max_length=16, default=SocketFormat.SOCKET)
    power_type = fields.CharEnumField(PowerType, max_length=16)
    max_power_kw = fields.DecimalField(max_digits=7, decimal_places=2)
    max_voltage = fields.IntField()
    max_amperage = fields.IntField()

    point_id: object

    class Meta:
        table = "socket"
        unique_together = (("point", "number"),)


class EvseId(Model):
    """An EVSE id of the organisation's pool (eMI3 form, e.g. FI*ABC*E000123)."""

    id = fields.UUIDField(primary_key=True)
    organisation: fields.ForeignKeyRelation[Organisation] = fields.ForeignKeyField(
        "evcms.Organisation", related_name="evse_ids", on_delete=fields.CASCADE
    )
    value = fields.CharField(max_length=48, unique=True)
    point: fields.ForeignKeyNullableRelation[ChargingPoint] = fields.ForeignKeyField(
        "evcms.ChargingPoint", related_name="pooled_evse_id", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    organisation_id: object
    point_id: object

    class Meta:
        table = "evse_id"
