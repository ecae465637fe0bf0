"""The one schema engine agrees with the library's validator: it passes exactly the payloads
jsonschema's Draft4Validator passes, for every schema the `ocpp` package ships, and refuses
to compile what it does not handle."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft4Validator

from ocpp_ws.schemas import Failure, Unsupported, compile_schema
from ocpp_ws.validation import actions, schema
from tests.ocpp_ws.test_validation import EQUIVALENCE, _resolve, meter_values, minimal, sample

HOT = ["MeterValues", "Heartbeat", "StatusNotification", "BootNotification",
       "StartTransaction", "StopTransaction", "Authorize"]  # fmt: skip


def library_accepts(action: str, response: bool, payload: Any) -> bool:
    return Draft4Validator(schema("1.6", action, response=response)).is_valid(payload)


def predicate(root: dict[str, Any]) -> Any:
    """The compiled check as a yes or no."""
    check = compile_schema(root)

    def accept(payload: Any) -> bool:
        try:
            check(payload)
        except Failure:
            return False
        return True

    return accept


@pytest.mark.parametrize("action", HOT)
def test_the_messages_stations_send_all_the_time_compile(action: str) -> None:
    accept = predicate(schema("1.6", action))
    assert accept(minimal("1.6", action))


def test_passes_what_the_schema_passes_and_nothing_else() -> None:
    accepted = refused = 0
    for action, response, _, payload in EQUIVALENCE:
        if action == "NoSuchAction":
            continue
        if action in {"SetChargingProfile", "RemoteStartTransaction"} or (
            action == "GetCompositeSchedule" and response
        ):
            continue  # multipleOf on Decimals: tests/ocpp_ws/test_validation.py
        accept = predicate(schema("1.6", action, response=response))
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
    accept = predicate(schema("1.6", "MeterValues"))
    assert accept(payload) == library_accepts("MeterValues", False, payload)


@pytest.mark.parametrize(
    "node",
    [
        {"type": ["string", "null"]},
        {"anyOf": [{"type": "string"}]},
        {"type": "string", "pattern": "^a"},
        {"type": "integer", "minimum": 0, "exclusiveMinimum": True},
        {"type": "object", "additionalProperties": {"type": "string"}},
        {"type": "object", "patternProperties": {"^a": {}}},
    ],
)
def test_what_it_does_not_handle_does_not_compile(node: dict[str, Any]) -> None:
    with pytest.raises(Unsupported):
        compile_schema({"type": "object", "properties": {"x": node}})


def test_a_keyword_without_a_type_applies_to_its_own_type_only() -> None:
    root = {"type": "object", "properties": {"x": {"maxLength": 3}}}
    accept = predicate(root)
    for x in ("abc", "abcd", 12345, [1, 2, 3, 4]):
        assert accept({"x": x}) == Draft4Validator(root).is_valid({"x": x}), x


def test_every_shipped_schema_compiles() -> None:
    for version in ("1.6", "2.0.1", "2.1"):
        for action in actions(version):
            for response in (False, True):
                compile_schema(schema(version, action, response=response))


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
def test_agrees_with_the_library_for_ocpp_2(version: str) -> None:
    checked = 0
    for action in actions(version):
        for response in (False, True):
            root = schema(version, action, response=response)
            accept = predicate(root)
            for payload in _variants(root):
                valid = Draft4Validator(root).is_valid(payload)
                assert accept(payload) == valid, (action, response, payload)
                checked += 1
    assert checked > 1000
