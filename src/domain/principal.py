"""What the domain needs to know about whoever is acting (tenancy's Actor fits it)."""

from __future__ import annotations

import uuid
from typing import Protocol


class Principal(Protocol):
    @property
    def organisation_id(self) -> uuid.UUID: ...

    @property
    def operator_id(self) -> uuid.UUID | None: ...

    @property
    def is_admin(self) -> bool: ...

    @property
    def base_path(self) -> str:
        """Materialised path of the base group; everything below it is in scope."""
        ...

    @property
    def at_root(self) -> bool:
        """Based at the organisation's root group (whose path is "/<root id>/")."""
        ...

    def may(self, action: str) -> bool:
        """Whether the principal's role allows `action` (decided by tenancy's Casbin policy)."""
        ...
