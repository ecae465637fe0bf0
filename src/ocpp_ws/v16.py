"""OCPP 1.6J: the `ocpp` library's ChargePoint with our handlers. Thin on purpose: parse
the message, call one version-neutral domain function in one transaction, map the result.
Handlers never `await self.call()` (the library would deadlock waiting for the answer)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any

from ocpp.exceptions import NotImplementedError as ActionUnknown
from ocpp.exceptions import NotSupportedError as ActionNotSupported
from ocpp.exceptions import OCPPError, PropertyConstraintViolationError
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.datatypes import IdTagInfo
from ocpp.v16.enums import Action, AuthorizationStatus, DataTransferStatus, RegistrationStatus
from tortoise.transactions import in_transaction

from domain.charging import service as charging
from domain.commands.local_list import parent_id_tag, wire_time
from domain.events import live, service
from domain.events.models import EventKind
from domain.pricing.decisions import Authorization, authorize
from domain.pricing.decisions import AuthorizationStatus as Decided
from ocpp_ws import batching, wire
from ocpp_ws.validation import ValidationFailure, validate

SUBPROTOCOL = "ocpp1.6"
VERSION = "1.6"
HEARTBEAT_INTERVAL = 300  # seconds, told to the station in the BootNotification answer

ACTIONS = frozenset(action.value for action in Action)
AUTHORIZATION = {
    Decided.ACCEPTED: AuthorizationStatus.accepted,
    Decided.BLOCKED: AuthorizationStatus.blocked,
    Decided.EXPIRED: AuthorizationStatus.expired,
    Decided.INVALID: AuthorizationStatus.invalid,
    Decided.NOT_ALLOWED: AuthorizationStatus.invalid,
}


class SchemaViolation(OCPPError):
    """A payload its schema refuses, answered with the code OCPP-J 1.6 gives the failure."""

    def __init__(self, failure: ValidationFailure) -> None:
        super().__init__(description=failure.description, details={"path": failure.path})
        self.code = failure.code


def parse_time(value: str, field: str) -> datetime:
    """An OCPP dateTime; the schema does not check the format, so we do."""
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise PropertyConstraintViolationError(
            description=f"{field} is not an ISO 8601 date and time"
        ) from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def id_tag_info(decision: Authorization) -> IdTagInfo:
    expiry = decision.expires_at
    return IdTagInfo(
        status=AUTHORIZATION[decision.status],
        parent_id_tag=parent_id_tag(decision.user_group_id),
        expiry_date=wire_time(expiry) if expiry else None,
    )


def samples(
    meter_value: list[dict[str, Any]], sampled_key: str = "sampled_value"
) -> list[charging.Sample]:
    """Every sampled value of OCPP 1.6 meterValue entries (snake_case keys, or as on the
    wire with `sampled_key="sampledValue"`: the other keys are single words)."""
    found = []
    for entry in meter_value:
        at = parse_time(entry["timestamp"], "timestamp")
        for sampled in entry[sampled_key]:
            try:
                value = Decimal(sampled["value"])
            except ArithmeticError:
                raise PropertyConstraintViolationError(
                    description=f"value {sampled['value']!r} is not a number"
                ) from None
            if not value.is_finite():
                raise PropertyConstraintViolationError(description="value is not finite")
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


class ChargePoint16(ChargePoint):
    """One connected 1.6J station."""

    def __init__(
        self,
        identifier: str,
        connection: Any,
        *,
        station_id: uuid.UUID,
        organisation_id: Any,
        publisher: live.Publisher | None = None,
    ) -> None:
        super().__init__(identifier, connection)
        self.station_id = station_id
        self.organisation_id = organisation_id
        self.publisher = publisher  # live status, once a change is committed

    async def _handle_call(self, msg: Any) -> None:
        # OCPP-J 1.6 section 4.2.3: NotImplemented for an action not known, NotSupported for
        # one known but not handled. The library answers the other way round.
        if msg.action not in self.route_map:
            if msg.action in ACTIONS:
                raise ActionNotSupported(
                    description="Requested Action is recognized but not supported",
                    details={"cause": f"{msg.action} is not handled by this central system"},
                )
            raise ActionUnknown(
                description="Requested Action is not known by receiver",
                details={"cause": f"{msg.action} is not an OCPP 1.6 action"},
            )
        # Our compiled validator instead of the library's (same pass or fail, faster), for
        # the error codes OCPP-J 1.6 gives each failure.
        self._validated(msg.action, msg.payload)
        handlers = self.route_map[msg.action]
        if "_on_action" in handlers and handlers.get("_skip_schema_validation"):
            await wire.handle(self, msg, handlers)  # the library's steps, cheaper
        else:
            await super()._handle_call(msg)

    @cached_property
    def _hot(self) -> wire.Hot:
        """What every station sends all the time takes the short way (wire.route_hot),
        unless an @after handler wants the library's."""
        hot = {"MeterValues": self._hot_meter_values, "Heartbeat": self._hot_heartbeat}
        return {a: h for a, h in hot.items() if "_after_action" not in self.route_map[a]}

    async def route_message(self, raw_msg: Any) -> None:
        if await wire.route_hot(self, raw_msg, self._hot, self._validated):
            return
        malformed = wire.malformed_call(raw_msg)
        if malformed is not None:
            await self._send(malformed)
            return
        await super().route_message(raw_msg)

    def _validated(self, action: str, payload: Any) -> None:
        try:
            validate(VERSION, action, payload)
        except ValidationFailure as failure:
            raise SchemaViolation(failure) from None

    async def _hot_meter_values(self, payload: dict[str, Any]) -> dict[str, Any]:
        found = samples(payload["meterValue"], "sampledValue")
        await self.store_meter_values(payload["connectorId"], payload.get("transactionId"), found)
        return {}

    async def _hot_heartbeat(self, payload: dict[str, Any]) -> dict[str, Any]:
        answer: dict[str, Any] = wire.to_wire(await self.on_heartbeat())
        return answer

    @on(Action.boot_notification, skip_schema_validation=True)
    async def on_boot_notification(
        self,
        charge_point_vendor: str,
        charge_point_model: str,
        charge_point_serial_number: str | None = None,
        charge_box_serial_number: str | None = None,
        firmware_version: str | None = None,
        **_: Any,
    ) -> call_result.BootNotification:
        now = datetime.now(UTC)
        boot = service.BootInfo(
            vendor=charge_point_vendor,
            model=charge_point_model,
            serial_number=charge_point_serial_number or charge_box_serial_number,
            firmware_version=firmware_version,
        )
        async with in_transaction():
            accepted = await service.record_boot(station_id=self.station_id, boot=boot, at=now)
            await charging.close_after_reboot(station_id=self.station_id, booted_at=now)
        return call_result.BootNotification(
            current_time=wire_time(now),
            interval=HEARTBEAT_INTERVAL,
            status=RegistrationStatus.accepted if accepted else RegistrationStatus.pending,
        )

    @on(Action.heartbeat, skip_schema_validation=True)
    async def on_heartbeat(self, **_: Any) -> call_result.Heartbeat:
        now = datetime.now(UTC)
        await batching.writer().write(station_id=self.station_id, seen_at=now)
        return call_result.Heartbeat(current_time=wire_time(now))

    @on(Action.status_notification, skip_schema_validation=True)
    async def on_status_notification(
        self,
        connector_id: int,
        error_code: str,
        status: str,
        info: str | None = None,
        timestamp: str | None = None,
        vendor_id: str | None = None,
        vendor_error_code: str | None = None,
        **_: Any,
    ) -> call_result.StatusNotification:
        report = service.StatusReport(
            connector_id=connector_id,
            status=status,
            error_code=error_code,
            info=info,
            vendor_id=vendor_id,
            vendor_error_code=vendor_error_code,
            occurred_at=parse_time(timestamp, "timestamp") if timestamp else None,
        )
        async with in_transaction():
            event = await service.record_status(
                station_id=self.station_id, report=report, received_at=datetime.now(UTC)
            )
        if self.publisher is not None:
            await self.publisher(live.status_change(event))
        return call_result.StatusNotification()

    @on(Action.authorize, skip_schema_validation=True)
    async def on_authorize(self, id_tag: str, **_: Any) -> call_result.Authorize:
        decision = await authorize(
            organisation_id=self.organisation_id,
            token_uid=id_tag,
            station_id=self.station_id,
            at=datetime.now(UTC),
        )
        return call_result.Authorize(id_tag_info=id_tag_info(decision))

    @on(Action.start_transaction, skip_schema_validation=True)
    async def on_start_transaction(
        self, connector_id: int, id_tag: str, meter_start: int, timestamp: str, **_: Any
    ) -> call_result.StartTransaction:
        request = charging.StartRequest(
            connector_id=connector_id,
            token_uid=id_tag,
            meter_start_wh=meter_start,
            started_at=parse_time(timestamp, "timestamp"),
        )
        async with in_transaction():
            started = await charging.start(
                organisation_id=self.organisation_id,
                station_id=self.station_id,
                request=request,
                at=datetime.now(UTC),
            )
            await service.record_seen(station_id=self.station_id, at=datetime.now(UTC))
        return call_result.StartTransaction(
            transaction_id=started.transaction_id,
            id_tag_info=id_tag_info(started.authorization),
        )

    @on(Action.meter_values, skip_schema_validation=True)
    async def on_meter_values(
        self,
        connector_id: int,
        meter_value: list[dict[str, Any]],
        transaction_id: int | None = None,
        **_: Any,
    ) -> call_result.MeterValues:
        await self.store_meter_values(connector_id, transaction_id, samples(meter_value))
        return call_result.MeterValues()

    async def store_meter_values(
        self, connector_id: int, transaction_id: int | None, found: list[charging.Sample]
    ) -> None:
        """Committed with the other stations' MeterValues of the moment, before the answer."""
        now = datetime.now(UTC)
        report = charging.MeterReport(
            station_id=self.station_id,
            connector_id=connector_id,
            transaction_id=transaction_id,
            samples=found,
            received_at=now,
        )
        await batching.writer().write(station_id=self.station_id, seen_at=now, report=report)

    @on(Action.stop_transaction, skip_schema_validation=True)
    async def on_stop_transaction(
        self,
        transaction_id: int,
        meter_stop: int,
        timestamp: str,
        id_tag: str | None = None,
        reason: str | None = None,
        transaction_data: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> call_result.StopTransaction:
        request = charging.StopRequest(
            transaction_id=transaction_id,
            meter_stop_wh=meter_stop,
            stopped_at=parse_time(timestamp, "timestamp"),
            reason=reason,
            token_uid=id_tag,
            samples=samples(transaction_data or []),
        )
        now = datetime.now(UTC)
        async with in_transaction():
            known = await charging.stop(station_id=self.station_id, request=request)
            await service.record_seen(station_id=self.station_id, at=now)
        if id_tag is None:
            return call_result.StopTransaction()
        if not known:
            return call_result.StopTransaction(
                id_tag_info=IdTagInfo(status=AuthorizationStatus.invalid)
            )
        decision = await authorize(
            organisation_id=self.organisation_id,
            token_uid=id_tag,
            station_id=self.station_id,
            at=now,
        )
        return call_result.StopTransaction(id_tag_info=id_tag_info(decision))

    @on(Action.firmware_status_notification, skip_schema_validation=True)
    async def on_firmware_status_notification(
        self, status: str, **_: Any
    ) -> call_result.FirmwareStatusNotification:
        async with in_transaction():
            await service.record_transfer_status(
                station_id=self.station_id, kind=EventKind.FIRMWARE, status=status,
                at=datetime.now(UTC),
            )  # fmt: skip
        return call_result.FirmwareStatusNotification()

    @on(Action.diagnostics_status_notification, skip_schema_validation=True)
    async def on_diagnostics_status_notification(
        self, status: str, **_: Any
    ) -> call_result.DiagnosticsStatusNotification:
        async with in_transaction():
            await service.record_transfer_status(
                station_id=self.station_id, kind=EventKind.DIAGNOSTICS, status=status,
                at=datetime.now(UTC),
            )  # fmt: skip
        return call_result.DiagnosticsStatusNotification()

    @on(Action.data_transfer, skip_schema_validation=True)
    async def on_data_transfer(
        self, vendor_id: str, message_id: str | None = None, data: str | None = None, **_: Any
    ) -> call_result.DataTransfer:
        async with in_transaction():
            status = await service.record_data_transfer(
                station_id=self.station_id, vendor_id=vendor_id, message_id=message_id,
                data=data, at=datetime.now(UTC),
            )  # fmt: skip
        return call_result.DataTransfer(status=DataTransferStatus(status))
