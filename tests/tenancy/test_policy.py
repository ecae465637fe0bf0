"""The Casbin policy against seed 003's list of what a basic operator may not do.

One row per line of the seed ("Operator permissions and limitations"), quoted, with the actions
it decides. Admin operators "have all permissions and no limitations": every known action.
Every action in `ACTIONS` must appear in some row, so a new action forces a decision here.
"""

from __future__ import annotations

import pytest

from tenancy.policy import ACTIONS, allowed

DENY, ALLOW = False, True

# (the seed's words, actions, whether a basic operator may perform them). The DENY rows up to
# "Manage invoices." are the seed's lines under "Basic operator can not:", word for word.
TABLE: list[tuple[str, tuple[str, ...], bool]] = [
    (
        "Manage other operators (except himself).",
        (
            "operator.invite",
            "operator.update",
            "operator.set_status",
            "operator.set_role",
            "operator.remind",
            "operator.reset_password",
            "operator.delete",
            "operator.read",
            "operator.unlock",
        ),
        DENY,
    ),
    ("... (except himself).", ("me.read", "me.update"), ALLOW),
    ("Add or remove charging stations.", ("station.create", "station.delete"), DENY),
    ("Remove users.", ("user.delete",), DENY),
    (
        "Delete authorization tokens from charging users. "
        "(Only admin operators can delete (RFID) tokens.)",
        ("token.delete",),
        DENY,
    ),
    ("Perform firmware updates to charging stations.", ("firmware.update",), DENY),
    (
        "Manage scheduled tasks. (Only admin operators can create, edit and view scheduled tasks.)",
        ("schedule.manage", "schedule.read"),
        DENY,
    ),
    ("Add or edit charging user groups.", ("user_group.create", "user_group.update"), DENY),
    ("Manage invoices.", ("invoice.manage", "invoice.read"), DENY),
    (
        "Only admin operators can edit charging stations. (Their advanced settings, the "
        "configuration keys, included.)",
        ("station.update", "station.configure"),
        DENY,
    ),
    # What the seed leaves to a basic operator.
    (
        "Charging groups are not in the basic operator's list of limitations.",
        ("group.read", "group.create", "group.update", "group.delete"),
        ALLOW,
    ),
    (
        "Basic operators view charging stations and send them remote commands.",
        ("station.read", "station.command"),
        ALLOW,
    ),
    (
        "Basic operators add and edit charging users (but not remove them).",
        ("user.read", "user.create", "user.update"),
        ALLOW,
    ),
    (
        "Basic operators add tokens to charging users (but not delete them).",
        ("token.read", "token.create", "token.update"),
        ALLOW,
    ),
    (
        "Basic operators see charging user groups (but not add or edit them).",
        ("user_group.read",),
        ALLOW,
    ),
    ("Reports are not in the basic operator's list of limitations.", ("report.read",), ALLOW),
    (
        "Charging sessions are what reports are made of: basic operators see them.",
        ("session.read",),
        ALLOW,
    ),
    # Decided by the project (DESIGN.md and the issues), not the seed's list.
    (
        "Deleting a charging user group is adding or editing it: admin only.",
        ("user_group.delete",),
        DENY,
    ),
    (
        "Adopting a discovered station is adding a charging station: admin only.",
        ("station.adopt",),
        DENY,
    ),
    ("The outbox holds invitation and reset links: admin only.", ("outbox.read",), DENY),
    (
        "Setting prices, fees, exceptions and access policies is admin only.",
        ("pricing.manage",),
        DENY,
    ),
    (
        "Organisation-wide settings reach beyond any base group: admin only to change.",
        ("organisation.update",),
        DENY,
    ),
    ("Operators see their organisation's settings.", ("organisation.read",), ALLOW),
    (
        "Tariffs, the management history and access checks are readable by basic operators.",
        ("tariff.read", "history.read", "access.check"),
        ALLOW,
    ),
]

CASES = [
    pytest.param(action, basic_may, id=action)
    for _, actions, basic_may in TABLE
    for action in actions
]


@pytest.mark.parametrize(("action", "basic_may"), CASES)
def test_basic_operator(action: str, basic_may: bool) -> None:
    assert action in ACTIONS, f"{action} is not a known action"
    assert allowed("basic", action) is basic_may


@pytest.mark.parametrize("action", ACTIONS)
def test_admin_operator_has_all_permissions(action: str) -> None:
    assert allowed("admin", action) is True


def test_every_action_is_decided_in_the_table() -> None:
    decided = [action for _, actions, _ in TABLE for action in actions]
    assert sorted(set(ACTIONS) - set(decided)) == []
    assert sorted(set(decided) - set(ACTIONS)) == []
    duplicates = sorted({a for a in decided if decided.count(a) > 1})
    assert duplicates == []


@pytest.mark.parametrize("role", ["", "guest", "Admin", "ADMIN", "operator", "system", "*"])
def test_unknown_role_is_denied(role: str) -> None:
    assert not any(allowed(role, action) for action in ACTIONS)


@pytest.mark.parametrize(
    "action", ["", "*", "station.*", "station.explode", "nonsense", "group.read ", "GROUP.READ"]
)
def test_unknown_action_is_denied(action: str) -> None:
    assert allowed("admin", action) is False
    assert allowed("basic", action) is False
