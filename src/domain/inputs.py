"""Shapes of service inputs shared by several areas."""

from __future__ import annotations

from enum import Enum


class Keep(Enum):
    """An argument that was not given: leave the setting as it is (None means "clear it")."""

    KEEP = "keep"


KEEP = Keep.KEEP
