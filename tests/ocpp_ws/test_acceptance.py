"""The quick acceptance predicate never says yes to a payload the library's validator
refuses, and says yes to the valid ones (else it would be no quicker)."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft4Validator

from ocpp_ws import acceptance
from ocpp_ws.validation import actions, schema
from tests.ocpp_ws.test_validation import EQUIVALENCE, _resolve, meter_values, minimal, sample

HOT = ["MeterValues", "Heartbeat", "StatusNotification", "BootNotification",
       "StartTransaction", "StopTransaction", "Authorize"]  # fmt: skip


def library_accepts(action: str, response: bool, payload: Any) -> bool:
    return Draft4Validator(schema("1.6", action, response=response)).is_valid(payload)


@pytest.mark.parametrize("action", HOT)
def test_the_messages_stations_send_all_the_time_have_a_predicate(action: str) -> None:
    accept = acceptance.predicate(schema("1.6", action))
    assert accept is not None
    assert accept(minimal("1.6", action))


def test_never_more_lenient_than_the_schema() -> None:
    accepted = refused = 0
    for action, response, _, payload in EQUIVALENCE:
        if action == "NoSuchAction":
            continue
        accept = acceptance.predicate(schema("1.6", action, response=response))
        if accept is None:
            continue
        valid = library_accepts(action, response, payload)
        assert accept(payload) == valid, (action, response, payload)
        accepted, refused = accepted + valid, refused + (not valid)
    assert accepted > 100 and refused > 500


@pytest.mark.parametrize(
    "payload",
    [
        meter_values(3),
        {**meter_values(1), "connectorId": True},  # a bool is no integer
        {**meter_values(1), "connectorId": 1.0},  # nor is 1.0, for Draft 4
        {**meter_values(1), "meterValue": []},  # minItems
        {**meter_values(1), "extra": 1},  # additionalProperties
    ],
)
def test_meter_values_edge_cases(payload: Any) -> None:
    accept = acceptance.predicate(schema("1.6", "MeterValues"))
    assert accept is not None
    assert accept(payload) == library_accepts("MeterValues", False, payload)


@pytest.mark.parametrize(
    "node",
    [
        {"type": "number", "multipleOf": 0.1},
        {"type": ["string", "null"]},
        {"anyOf": [{"type": "string"}]},
        {"type": "integer", "enum": [1, 2]},
        {"type": "object", "additionalProperties": {"type": "string"}},
        {"maxLength": 3},
    ],
)
def test_what_it_does_not_handle_gets_no_predicate(node: dict[str, Any]) -> None:
    assert acceptance.predicate({"type": "object", "properties": {"x": node}}) is None


def _variants(root: dict[str, Any]) -> list[Any]:
    """A complete payload, then each top-level property of it made wrong in turn."""
    full = sample(root, root, full=True)
    out = [full, sample(root, root)]
    for name, prop in root.get("properties", {}).items():
        node = _resolve(prop, root)
        out += [{**full, name: None}, {**full, name: "1" if node.get("type") != "string" else 1}]
        if "enum" in node:
            out.append({**full, name: "NotAValue"})
        if "maxLength" in node:
            out.append({**full, name: "y" * (node["maxLength"] + 1)})
        if node.get("type") == "object":
            out += [{**full, name: {}}, {**full, name: {**full[name], "bogus": 1}}]
        if node.get("type") == "array" and full[name]:
            out += [{**full, name: [{}]}, {**full, name: [*full[name], "x"]}]
    return out


@pytest.mark.parametrize("version", ["2.0.1", "2.1"])
def test_never_more_lenient_for_ocpp_2(version: str) -> None:
    checked = 0
    for action in actions(version):
        for response in (False, True):
            root = schema(version, action, response=response)
            accept = acceptance.predicate(root)
            if accept is None:
                continue
            for payload in _variants(root):
                valid = Draft4Validator(root).is_valid(payload)
                assert accept(payload) == valid, (action, response, payload)
                checked += 1
    assert checked > 1000
