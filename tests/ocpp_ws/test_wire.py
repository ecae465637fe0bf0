"""The handler path of ocpp_ws.wire gives exactly what the `ocpp` library's would: the same
snake_case arguments and the same answer on the wire."""

from __future__ import annotations

import json
from typing import Any

import pytest
from ocpp.charge_point import camel_to_snake_case
from ocpp.messages import CallResult
from ocpp.v16 import call_result
from ocpp.v16.datatypes import IdTagInfo, KeyValue
from ocpp.v16.enums import (
    AuthorizationStatus,
    ConfigurationStatus,
    DataTransferStatus,
    RegistrationStatus,
)

from ocpp_ws import wire
from ocpp_ws.validation import to_wire as library_to_wire

PAYLOADS: list[Any] = [
    {"chargePointVendor": "V", "chargePointModel": "M", "chargeBoxSerialNumber": "S",
     "firmwareVersion": "1", "iccid": "", "meterSerialNumber": "m"},
    {"connectorId": 1, "transactionId": 7, "meterValue": [
        {"timestamp": "2025-01-01T00:00:00Z", "sampledValue": [
            {"value": "1", "measurand": "SoC", "unit": "Percent", "context": "Sample.Periodic",
             "phase": "L1-N", "location": "EV", "format": "Raw"}]}]},
    {"transactionId": 7, "meterStop": 10, "timestamp": "x", "idTag": "T", "reason": "Local",
     "transactionData": [{"timestamp": "x", "sampledValue": [{"value": "1"}]}]},
    {"vendorId": "com.example", "messageId": "m", "data": "{\"camelCase\": 1}"},
    {"weirdKeyWithV2X": [{"nestedOCPPKey": None}], "csmsURL": 1, "already_snake": True},
]  # fmt: skip

ANSWERS: list[Any] = [
    call_result.BootNotification(
        current_time="2025-01-01T00:00:00Z", interval=300, status=RegistrationStatus.accepted
    ),
    call_result.Heartbeat(current_time="2025-01-01T00:00:00Z"),
    call_result.StatusNotification(),
    call_result.MeterValues(),
    call_result.Authorize(id_tag_info=IdTagInfo(status=AuthorizationStatus.accepted)),
    call_result.StartTransaction(
        transaction_id=42,
        id_tag_info=IdTagInfo(
            status=AuthorizationStatus.expired,
            parent_id_tag="abc",
            expiry_date="2025-01-01T00:00:00Z",
        ),
    ),
    call_result.StopTransaction(),
    call_result.StopTransaction(id_tag_info=IdTagInfo(status=AuthorizationStatus.invalid)),
    call_result.DataTransfer(status=DataTransferStatus.unknown_vendor_id),
    call_result.DataTransfer(status=DataTransferStatus.accepted, data="payload"),
    call_result.GetConfiguration(
        configuration_key=[KeyValue("K", True), KeyValue("L", False, value="v")],
        unknown_key=["X"],
    ),
    call_result.ChangeConfiguration(status=ConfigurationStatus.accepted),
    call_result.FirmwareStatusNotification(),
    call_result.DiagnosticsStatusNotification(),
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_snake_keys_are_the_librarys(payload: Any) -> None:
    assert wire.snake_keys(payload) == camel_to_snake_case(payload)


@pytest.mark.parametrize("answer", ANSWERS, ids=lambda a: type(a).__name__)
def test_answers_are_serialised_as_the_library_does(answer: Any) -> None:
    ours = wire.call_result("u-1", wire.to_wire(answer))
    theirs = CallResult("u-1", library_to_wire(answer)).to_json()
    assert ours == theirs
    assert json.loads(ours)[2] == library_to_wire(answer)
