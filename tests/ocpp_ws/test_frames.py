"""OCPP-J framing (ocpp_ws.frames): the same frames on the wire as the `ocpp` library's, and
what is not a frame told apart from a CALL that can still be answered."""

from __future__ import annotations

import json
from typing import Any

import pytest
from ocpp.messages import Call, CallError, CallResult
from ocpp.v16 import call_result
from ocpp.v16.datatypes import IdTagInfo, KeyValue
from ocpp.v16.enums import (
    AuthorizationStatus,
    ConfigurationStatus,
    DataTransferStatus,
    RegistrationStatus,
)

from ocpp_ws import frames
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
def test_calls_are_framed_and_parsed_as_the_library_does(payload: Any) -> None:
    ours = frames.call("u-1", "DataTransfer", payload)
    assert ours == Call("u-1", "DataTransfer", payload).to_json()
    parsed = frames.parse(ours)
    assert (parsed.kind, parsed.unique_id, parsed.rest) == (2, "u-1", ["DataTransfer", payload])


@pytest.mark.parametrize("answer", ANSWERS, ids=lambda a: type(a).__name__)
def test_answers_are_serialised_as_the_library_does(answer: Any) -> None:
    ours = frames.call_result("u-1", library_to_wire(answer))
    theirs = CallResult("u-1", library_to_wire(answer)).to_json()
    assert ours == theirs
    assert json.loads(ours)[2] == library_to_wire(answer)


def test_errors_are_framed_as_the_library_does() -> None:
    ours = frames.call_error("u-1", "NotSupported", "Not here", {"cause": "x"})
    assert ours == CallError("u-1", "NotSupported", "Not here", {"cause": "x"}).to_json()


@pytest.mark.parametrize(
    "text",
    ["this is not json", '{"not": "a frame"}', "[]", '[9, "x"]', "[2]", '[2, 7, "A", {}]',
     f'[2, "{"u" * 37}", "Heartbeat", {{}}]', '[3, "x"]', '[4, "x", "InternalError"]'],
)  # fmt: skip
def test_what_cannot_be_answered_is_unreadable(text: str) -> None:
    with pytest.raises(frames.Unreadable) as caught:
        frames.parse(text)
    assert caught.value.answer is None


def test_a_call_of_the_wrong_length_is_answered_with_a_protocol_error() -> None:
    for text in ('[2, "short-1", "Heartbeat"]', '[2, "long-1", "Heartbeat", {}, {}]'):
        with pytest.raises(frames.Unreadable) as caught:
            frames.parse(text)
        answer = json.loads(caught.value.answer or "null")
        assert answer[:3] == [4, json.loads(text)[1], "ProtocolError"], answer
