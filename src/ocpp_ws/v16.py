"""OCPP 1.6J, the version adapter of the pipeline (`ocpp_ws.pipeline`): a table of the CALLs a
station sends, each a few lines that read the wire-form payload, make one version-neutral
domain call (`domain.station_messages`) and write the answer in wire form."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from domain import station_messages as station
from domain.charging import service as charging
from domain.commands.local_list import parent_id_tag, wire_time
from domain.events import live
from domain.events import service as events
from domain.events.models import EventKind
from domain.pricing.decisions import Authorization
from domain.pricing.decisions import AuthorizationStatus as Decided
from ocpp_ws.frames import CallError
from ocpp_ws.pipeline import Handler, Station
from ocpp_ws.validation import actions

SUBPROTOCOL = "ocpp1.6"
VERSION = "1.6"
HEARTBEAT_INTERVAL = 300  # seconds, told to the station in the BootNotification answer
RETRY_BOOT_SECONDS = 30  # a boot answered Pending while the database is out of reach

AUTHORIZATION = {
    Decided.ACCEPTED: "Accepted",
    Decided.BLOCKED: "Blocked",
    Decided.EXPIRED: "Expired",
    Decided.INVALID: "Invalid",
    Decided.NOT_ALLOWED: "Invalid",
}


def invalid_value(description: str) -> CallError:
    return CallError("PropertyConstraintViolation", description)


def parse_time(value: str, field: str) -> datetime:
    """An OCPP dateTime; the schema does not check the format, so we do."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise invalid_value(f"{field} is not an ISO 8601 date and time") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def id_tag_info(decision: Authorization) -> dict[str, Any]:
    info = {"status": AUTHORIZATION[decision.status]}
    parent = parent_id_tag(decision.user_group_id)
    if parent is not None:
        info["parentIdTag"] = parent
    if decision.expires_at is not None:
        info["expiryDate"] = wire_time(decision.expires_at)
    return info


def samples(meter_value: list[dict[str, Any]]) -> list[charging.Sample]:
    """Every sampled value of OCPP 1.6 meterValue entries."""
    found = []
    for entry in meter_value:
        at = parse_time(entry["timestamp"], "timestamp")
        for sampled in entry["sampledValue"]:
            try:
                value = Decimal(sampled["value"])
            except ArithmeticError:
                raise invalid_value(f"value {sampled['value']!r} is not a number") from None
            if not value.is_finite():
                raise invalid_value("value is not finite")
            get = sampled.get
            found.append(
                charging.Sample(
                    at,
                    value,
                    get("measurand") or charging.ENERGY_REGISTER,
                    get("unit") or "",
                    get("context") or "",
                    get("phase") or "",
                    get("location") or "",
                )
            )
    return found


def _now() -> datetime:
    return datetime.now(UTC)


async def boot_notification(at: Station, p: dict[str, Any]) -> dict[str, Any]:
    now = _now()
    boot = events.BootInfo(
        vendor=p["chargePointVendor"],
        model=p["chargePointModel"],
        serial_number=p.get("chargePointSerialNumber") or p.get("chargeBoxSerialNumber"),
        firmware_version=p.get("firmwareVersion"),
    )
    accepted = await station.station_booted(station_id=at.station_id, boot=boot, at=now)
    status = "Accepted" if accepted else "Pending"
    return {"status": status, "currentTime": wire_time(now), "interval": HEARTBEAT_INTERVAL}


async def heartbeat(at: Station, p: dict[str, Any]) -> dict[str, Any]:
    now = _now()
    await at.writer.write(station_id=at.station_id, seen_at=now)
    return {"currentTime": wire_time(now)}


async def status_notification(at: Station, p: dict[str, Any]) -> dict[str, Any]:
    timestamp = p.get("timestamp")
    report = events.StatusReport(
        connector_id=p["connectorId"],
        status=p["status"],
        error_code=p["errorCode"],
        info=p.get("info"),
        vendor_id=p.get("vendorId"),
        vendor_error_code=p.get("vendorErrorCode"),
        occurred_at=parse_time(timestamp, "timestamp") if timestamp else None,
    )
    event = await station.status_reported(
        station_id=at.station_id, report=report, received_at=_now()
    )
    at.after_commit(live.status_change(event))
    return {}


async def authorize(at: Station, p: dict[str, Any]) -> dict[str, Any]:
    decision = await station.token_presented(
        organisation_id=at.organisation_id,
        station_id=at.station_id,
        token_uid=p["idTag"],
        at=_now(),
    )
    return {"idTagInfo": id_tag_info(decision)}


async def start_transaction(at: Station, p: dict[str, Any]) -> dict[str, Any]:
    request = charging.StartRequest(
        connector_id=p["connectorId"],
        token_uid=p["idTag"],
        meter_start_wh=p["meterStart"],
        started_at=parse_time(p["timestamp"], "timestamp"),
    )
    started = await station.transaction_started(
        organisation_id=at.organisation_id, station_id=at.station_id, request=request, at=_now()
    )
    return {
        "transactionId": started.transaction_id,
        "idTagInfo": id_tag_info(started.authorization),
    }


async def meter_values(at: Station, p: dict[str, Any]) -> dict[str, Any]:
    """Committed with the other stations' MeterValues of the moment, before the answer."""
    now = _now()
    report = charging.MeterReport(
        station_id=at.station_id,
        connector_id=p["connectorId"],
        transaction_id=p.get("transactionId"),
        samples=samples(p["meterValue"]),
        received_at=now,
    )
    await at.writer.write(station_id=at.station_id, seen_at=now, report=report)
    return {}


async def stop_transaction(at: Station, p: dict[str, Any]) -> dict[str, Any]:
    request = charging.StopRequest(
        transaction_id=p["transactionId"],
        meter_stop_wh=p["meterStop"],
        stopped_at=parse_time(p["timestamp"], "timestamp"),
        reason=p.get("reason"),
        token_uid=p.get("idTag"),
        samples=samples(p.get("transactionData") or []),
    )
    stopped = await station.transaction_stopped(
        organisation_id=at.organisation_id, station_id=at.station_id, request=request, at=_now()
    )
    if request.token_uid is None:
        return {}
    if stopped.authorization is None:  # an unknown transaction
        return {"idTagInfo": {"status": "Invalid"}}
    return {"idTagInfo": id_tag_info(stopped.authorization)}


async def firmware_status_notification(at: Station, p: dict[str, Any]) -> dict[str, Any]:
    await station.transfer_status_reported(
        station_id=at.station_id, kind=EventKind.FIRMWARE, status=p["status"], at=_now()
    )
    return {}


async def diagnostics_status_notification(at: Station, p: dict[str, Any]) -> dict[str, Any]:
    await station.transfer_status_reported(
        station_id=at.station_id, kind=EventKind.DIAGNOSTICS, status=p["status"], at=_now()
    )
    return {}


async def data_transfer(at: Station, p: dict[str, Any]) -> dict[str, Any]:
    status = await station.data_transferred(
        station_id=at.station_id,
        vendor_id=p["vendorId"],
        message_id=p.get("messageId"),
        data=p.get("data"),
        at=_now(),
    )
    return {"status": status}


class Adapter16:
    version = VERSION
    subprotocol = SUBPROTOCOL
    actions = frozenset(actions(VERSION))

    def unavailable(self, action: str) -> dict[str, Any] | None:
        """Without a database: a boot is Pending (the station boots again after the
        interval, OCPP 1.6 section 4.2), a heartbeat still gets the time; everything else a
        CALLERROR, after which transaction-related messages are resent (section 4.7)."""
        if action == "BootNotification":
            now = wire_time(_now())
            return {"status": "Pending", "currentTime": now, "interval": RETRY_BOOT_SECONDS}
        if action == "Heartbeat":
            return {"currentTime": wire_time(_now())}
        return None

    handlers: Mapping[str, Handler] = {
        "BootNotification": Handler(boot_notification),
        "Heartbeat": Handler(heartbeat, group_commit=True),
        "StatusNotification": Handler(status_notification),
        "Authorize": Handler(authorize),
        "StartTransaction": Handler(start_transaction),
        "MeterValues": Handler(meter_values, group_commit=True),
        "StopTransaction": Handler(stop_transaction),
        "FirmwareStatusNotification": Handler(firmware_status_notification),
        "DiagnosticsStatusNotification": Handler(diagnostics_status_notification),
        "DataTransfer": Handler(data_transfer),
    }


ADAPTER = Adapter16()
