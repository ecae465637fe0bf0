"""Station events and status: the event feed, each point's latest status, vendor data."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from domain.stations.models import ChargingPoint, ChargingStation


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
