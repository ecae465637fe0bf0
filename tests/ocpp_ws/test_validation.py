"""The compiled OCPP payload validator: every action's schema, the OCPP-J error codes, and
agreement with the `ocpp` library's own jsonschema validation. Pure unit tests."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from ocpp import messages
from ocpp.exceptions import OCPPError
from ocpp.v16 import call, call_result
from ocpp.v16.enums import RegistrationStatus

from ocpp_ws.validation import ValidationFailure, actions, schema, validate

V16_ACTIONS = actions("1.6")
DATE = "2024-05-01T10:00:00Z"


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def sample(node: dict[str, Any], root: dict[str, Any], *, full: bool = False) -> Any:
    """A valid value for `node`: only the required properties, or with `full` all of them."""
    node = _resolve(node, root)
    kind = node.get("type", "object")
    if isinstance(kind, list):
        kind = kind[0]
    if "enum" in node:
        return node["enum"][0]
    if kind == "object":
        names = list(node.get("properties", {})) if full else node.get("required", [])
        return {name: sample(node["properties"][name], root, full=full) for name in names}
    if kind == "array":
        count = max(node.get("minItems", 0), 1 if full else 0)
        return [sample(node["items"], root, full=full) for _ in range(count)]
    if kind == "string":
        if node.get("format") == "date-time":
            return DATE
        if node.get("format") == "uri":
            return "https://example.com/x"
        return "x" * max(node.get("minLength", 1), 1)
    if kind == "integer":
        return int(max(node.get("minimum", 0), 0))  # a schema may write 0.0
    if kind == "number":
        return max(node.get("minimum", 0), 0) + 0.5 if "multipleOf" not in node else 1.5
    if kind == "boolean":
        return False
    raise AssertionError(f"no sample for {node}")


def minimal(version: str, action: str, response: bool = False) -> Any:
    root = schema(version, action, response=response)
    return sample(root, root)


def complete(version: str, action: str, response: bool = False) -> Any:
    root = schema(version, action, response=response)
    return sample(root, root, full=True)


def failure(version: str, action: str, payload: Any, response: bool = False) -> ValidationFailure:
    with pytest.raises(ValidationFailure) as caught:
        validate(version, action, payload, response=response)
    return caught.value


# --- every action -------------------------------------------------------------------------


def test_v16_ships_the_expected_actions() -> None:
    for action in (
        "Authorize",
        "BootNotification",
        "DataTransfer",
        "Heartbeat",
        "MeterValues",
        "RemoteStartTransaction",
        "SetChargingProfile",
        "StartTransaction",
        "StatusNotification",
        "StopTransaction",
        "TriggerMessage",
    ):
        assert action in V16_ACTIONS
    assert len(V16_ACTIONS) >= 28


@pytest.mark.parametrize("response", [False, True], ids=["request", "response"])
@pytest.mark.parametrize("action", V16_ACTIONS)
def test_v16_minimal_and_complete_payloads_pass(action: str, response: bool) -> None:
    validate("1.6", action, minimal("1.6", action, response), response=response)
    validate("1.6", action, complete("1.6", action, response), response=response)


@pytest.mark.parametrize("version", ["2.0.1", "2.1"])
def test_v2_minimal_payloads_pass(version: str) -> None:
    assert "BootNotification" in actions(version)
    for action in actions(version):
        for response in (False, True):
            validate(version, action, minimal(version, action, response), response=response)


def test_wire_examples_pass() -> None:
    validate(
        "1.6",
        "BootNotification",
        {"chargePointVendor": "VendorX", "chargePointModel": "SingleSocketCharger"},
    )
    validate(
        "1.6",
        "BootNotification",
        {"status": "Accepted", "currentTime": "2013-02-01T20:53:32.486Z", "interval": 300},
        response=True,
    )
    validate("1.6", "MeterValues", meter_values(10))
    validate("1.6", "Heartbeat", {})
    # Like the library: no format checks on date-time strings.
    validate("1.6", "Heartbeat", {"currentTime": "not a date"}, response=True)


def test_dataclasses_are_validated_in_wire_form() -> None:
    boot = call.BootNotification(
        charge_point_vendor="VendorX", charge_point_model="Model", firmware_version="1"
    )
    validate("1.6", "BootNotification", boot)
    validate(
        "1.6",
        "BootNotification",
        call_result.BootNotification(DATE, 300, RegistrationStatus.accepted),
        response=True,
    )
    too_long = call.BootNotification(charge_point_vendor="V" * 21, charge_point_model="M")
    assert failure("1.6", "BootNotification", too_long).path == "$.chargePointVendor"


def test_payload_is_not_modified() -> None:
    payload = profile(21.4)
    before = copy.deepcopy(payload)
    validate("1.6", "SetChargingProfile", payload)
    assert payload == before
    assert isinstance(payload["csChargingProfiles"]["chargingSchedule"]["duration"], int)


# --- error codes --------------------------------------------------------------------------

BOOT = {"chargePointVendor": "VendorX", "chargePointModel": "Model"}
STATUS = {"connectorId": 1, "errorCode": "NoError", "status": "Available"}


def meter_values(samples: int, connector: Any = 1) -> dict[str, Any]:
    return {
        "connectorId": connector,
        "transactionId": 7,
        "meterValue": [
            {
                "timestamp": DATE,
                "sampledValue": [
                    {
                        "value": str(1000.5 + i),
                        "context": "Sample.Periodic",
                        "measurand": "Energy.Active.Import.Register",
                        "phase": "L1",
                        "unit": "Wh",
                    }
                    for i in range(samples)
                ],
            }
        ],
    }


def profile(limit: float) -> dict[str, Any]:
    return {
        "connectorId": 1,
        "csChargingProfiles": {
            "chargingProfileId": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "ChargePointMaxProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "duration": 3600,
                "chargingRateUnit": "A",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
            },
        },
    }


FAILURES: list[tuple[str, str, Any, str, str]] = [
    # (version, action, payload, code, path)
    ("1.6", "BootNotification", {"chargePointModel": "M"}, "OccurenceConstraintViolation", "$"),
    ("1.6", "BootNotification", {**BOOT, "colour": "red"}, "OccurenceConstraintViolation", "$"),
    (
        "1.6",
        "BootNotification",
        {**BOOT, "chargePointVendor": "V" * 21},
        "PropertyConstraintViolation",
        "$.chargePointVendor",
    ),
    (
        "1.6",
        "BootNotification",
        {**BOOT, "chargePointVendor": 5},
        "TypeConstraintViolation",
        "$.chargePointVendor",
    ),
    ("1.6", "BootNotification", ["VendorX", "Model"], "FormationViolation", "$"),
    ("1.6", "BootNotification", None, "FormationViolation", "$"),
    (
        "1.6",
        "StatusNotification",
        {**STATUS, "status": "Exploded"},
        "PropertyConstraintViolation",
        "$.status",
    ),
    (
        "1.6",
        "StatusNotification",
        {**STATUS, "connectorId": True},
        "TypeConstraintViolation",
        "$.connectorId",
    ),
    (
        "1.6",
        "StatusNotification",
        {**STATUS, "connectorId": 1.0},
        "TypeConstraintViolation",
        "$.connectorId",
    ),
    (
        "1.6",
        "MeterValues",
        meter_values(1, connector="1"),
        "TypeConstraintViolation",
        "$.connectorId",
    ),
    (
        "1.6",
        "MeterValues",
        {"connectorId": 1, "meterValue": []},
        "OccurenceConstraintViolation",
        "$.meterValue",
    ),
    (
        "1.6",
        "MeterValues",
        {"connectorId": 1, "meterValue": [{"timestamp": DATE}]},
        "OccurenceConstraintViolation",
        "$.meterValue[0]",
    ),
    (
        "1.6",
        "SetChargingProfile",
        profile(4.11),
        "PropertyConstraintViolation",
        "$.csChargingProfiles.chargingSchedule.chargingSchedulePeriod[0].limit",
    ),
    ("1.6", "Heartbeat", {"currentTime": 0}, "OccurenceConstraintViolation", "$"),
    ("2.0.1", "BootNotification", {"reason": "PowerUp"}, "OccurenceConstraintViolation", "$"),
    ("2.0.1", "BootNotification", [], "FormatViolation", "$"),
    ("2.1", "BootNotification", {"reason": "PowerUp"}, "OccurrenceConstraintViolation", "$"),
]


@pytest.mark.parametrize(("version", "action", "payload", "code", "path"), FAILURES)
def test_failure_codes(version: str, action: str, payload: Any, code: str, path: str) -> None:
    error = failure(version, action, payload)
    assert (error.code, error.path) == (code, path), error.description
    assert error.description
    assert str(error).startswith(code)


@pytest.mark.parametrize(
    "action", ["Foo", "", "../../v201/schemas/BootNotificationRequest", "x" * 200]
)
def test_unknown_action_is_not_implemented(action: str) -> None:
    error = failure("1.6", action, {})
    assert error.code == "NotImplemented"
    # A 2.0.1-only action is unknown to 1.6, and a response-only name is no request.
    assert failure("1.6", "GetVariables", {}).code == "NotImplemented"
    assert failure("1.6", "BootNotificationResponse", {}).code == "NotImplemented"


def test_unhashable_action_is_not_implemented() -> None:
    assert failure("1.6", ["Boot"], {}).code == "NotImplemented"  # type: ignore[arg-type]


def test_unknown_version_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        validate("1.5", "BootNotification", BOOT)


def test_decimal_multiple_of_like_the_library() -> None:
    # 21.4 is 21.399999999999995 in binary: still a multiple of 0.1 as written.
    for limit in (21.4, 0.3, 32, 6.1):
        validate("1.6", "SetChargingProfile", profile(limit))
    for limit in (4.11, 0.05):
        assert failure("1.6", "SetChargingProfile", profile(limit)).keyword == "multipleOf"
    schedule = {
        "status": "Accepted",
        "connectorId": 1,
        "chargingSchedule": {
            "chargingRateUnit": "W",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7.7}],
        },
    }
    validate("1.6", "GetCompositeSchedule", schedule, response=True)


# --- equivalence with the library ---------------------------------------------------------


def _mutations(action: str, response: bool) -> list[Any]:
    """Valid and invalid payloads derived from the schema: each kind of violation once."""
    root = schema("1.6", action, response=response)
    base = minimal("1.6", action, response)
    full = complete("1.6", action, response)
    out: list[Any] = [base, full, [], "payload", 3, None, {**base, "bogus": 1}]
    properties = root.get("properties", {})
    for name in root.get("required", []):
        out.append({k: v for k, v in base.items() if k != name})
    for name, prop in properties.items():
        kind = prop.get("type")
        wrong = 1 if kind == "string" else "1"
        out.append({**full, name: wrong})
        out.append({**full, name: None})
        if "enum" in prop:
            out.append({**full, name: "NotAValue"})
        if "maxLength" in prop:
            out.append({**full, name: "y" * (prop["maxLength"] + 1)})
            out.append({**full, name: "y" * prop["maxLength"]})
        if kind == "array":
            out.append({**full, name: [{}]})
            out.append({**full, name: [full[name][0], {"bogus": True}]})
        if kind == "object":
            out.append({**full, name: {}})
            out.append({**full, name: {**full[name], "bogus": 1}})
    # Several violations at once: the first one reported must be the library's.
    if properties:
        first, last = next(iter(properties)), list(properties)[-1]
        out.append({first: [], last: []})
        out.append({**{k: v for k, v in base.items() if k != last}, first: 3.5, "zz": 1})
    return out


EQUIVALENCE = [
    (action, response, index, payload)
    for action in V16_ACTIONS
    for response in (False, True)
    for index, payload in enumerate(_mutations(action, response))
]
EQUIVALENCE += [
    ("MeterValues", False, 1000, meter_values(10)),
    ("MeterValues", False, 1001, meter_values(10, connector="1")),
    ("SetChargingProfile", False, 1002, profile(21.4)),
    ("SetChargingProfile", False, 1003, profile(4.11)),
    (
        "RemoteStartTransaction",
        False,
        1004,
        {
            "idTag": "T",
            "chargingProfile": {
                **profile(6.1)["csChargingProfiles"],
                "chargingProfilePurpose": "TxProfile",
            },
        },
    ),
    (
        "RemoteStartTransaction",
        False,
        1005,
        {
            "idTag": "T",
            "chargingProfile": {
                **profile(6.15)["csChargingProfiles"],
                "chargingProfilePurpose": "TxProfile",
            },
        },
    ),
    ("NoSuchAction", False, 1006, {}),
    ("NoSuchAction", True, 1007, {}),
]


async def _library(action: str, response: bool, payload: Any) -> str | None:
    message: messages.Call | messages.CallResult
    if response:
        message = messages.CallResult("1", copy.deepcopy(payload), action=action)
    else:
        message = messages.Call("1", action, copy.deepcopy(payload))
    try:
        await messages.validate_payload(message, "1.6")
    except OCPPError as e:
        return str(e.code)
    return None


def _ours(action: str, response: bool, payload: Any) -> ValidationFailure | None:
    try:
        validate("1.6", action, payload, response=response)
    except ValidationFailure as e:
        return e
    return None


SPEC_FOR_LIBRARY = {
    # library code -> the spec codes ours may give for the same failure
    "TypeConstraintViolation": {
        "TypeConstraintViolation",
        "PropertyConstraintViolation",
        "FormationViolation",
    },
    "ProtocolError": {"OccurenceConstraintViolation"},
    "FormatViolation": {
        "OccurenceConstraintViolation",
        "PropertyConstraintViolation",
        "FormationViolation",
    },
    "NotImplemented": {"NotImplemented"},
}


async def test_equivalence_with_the_library() -> None:
    outcomes: dict[str | None, int] = {}
    for action, response, index, payload in EQUIVALENCE:
        theirs = await _library(action, response, payload)
        ours = _ours(action, response, payload)
        where = f"{action} {'response' if response else 'request'} #{index}: {payload!r}"
        if theirs is None:
            assert ours is None, f"{where}: library passes, ours {ours}"
        else:
            assert ours is not None, f"{where}: library {theirs}, ours passes"
            assert ours.library_code == theirs, f"{where}: library {theirs}, ours {ours!r}"
            assert ours.code in SPEC_FOR_LIBRARY[theirs], where
        outcomes[theirs] = outcomes.get(theirs, 0) + 1
    # The table exercises passes and every code the library can raise.
    assert set(outcomes) == {None, *SPEC_FOR_LIBRARY}, outcomes
    assert outcomes[None] >= 2 * len(V16_ACTIONS)


def test_keyword_matches_the_first_jsonschema_error() -> None:
    from jsonschema import Draft4Validator

    for action, response, _, payload in EQUIVALENCE:
        if action == "NoSuchAction" or action in {"SetChargingProfile", "RemoteStartTransaction"}:
            continue
        if (action, response) == ("GetCompositeSchedule", True):
            continue
        first = next(
            Draft4Validator(schema("1.6", action, response=response)).iter_errors(payload), None
        )
        ours = _ours(action, response, payload)
        if first is None:
            assert ours is None
        else:
            assert ours is not None
            assert ours.keyword == first.validator
