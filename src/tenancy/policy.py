"""Casbin decides whether a role may perform an action; the files sit beside this module."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import casbin

HERE = Path(__file__).parent

# Every action the product names (seed 003 and the issues). A policy test checks each.
ACTIONS: tuple[str, ...] = (
    "me.read", "me.update",
    "operator.read", "operator.invite", "operator.update", "operator.set_status",
    "operator.set_role", "operator.remind", "operator.reset_password", "operator.delete",
    "operator.unlock",
    "group.read", "group.create", "group.update", "group.delete",
    "station.read", "station.create", "station.update", "station.delete", "station.adopt",
    "station.command", "station.configure", "firmware.update",
    "user.read", "user.create", "user.update", "user.delete",
    "token.read", "token.create", "token.update", "token.delete",
    "user_group.read", "user_group.create", "user_group.update", "user_group.delete",
    "schedule.read", "schedule.manage",
    "invoice.read", "invoice.manage",
    "report.read",
    "outbox.read",
    "tariff.read", "pricing.manage",
    "history.read", "access.check",
    "organisation.read", "organisation.update",
    "session.read",
)  # fmt: skip


@lru_cache
def enforcer() -> casbin.Enforcer:
    return casbin.Enforcer(str(HERE / "model.conf"), str(HERE / "policy.csv"))


@lru_cache(maxsize=1024)
def allowed(role: str, action: str) -> bool:
    """Whether `role` may perform `action`; unknown roles and actions are denied."""
    if action not in ACTIONS:
        return False
    return bool(enforcer().enforce(role, action))
