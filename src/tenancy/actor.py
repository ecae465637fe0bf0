"""The Actor: who makes a request. Built once per request, passed explicitly everywhere."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import Enum

from tenancy.policy import allowed


class ActorKind(Enum):
    ANONYMOUS = "anonymous"
    OPERATOR = "operator"
    SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    organisation_id: uuid.UUID
    operator_id: uuid.UUID | None = None
    role: str = ""
    base_path: str = ""
    session_id: uuid.UUID | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.kind != ActorKind.ANONYMOUS

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def at_root(self) -> bool:
        """Based at the organisation's root group: a root path is "/<root id>/"."""
        return self.base_path.count("/") == 2

    def may(self, action: str) -> bool:
        return self.is_authenticated and allowed(self.role, action)


ANONYMOUS = Actor(kind=ActorKind.ANONYMOUS, organisation_id=uuid.UUID(int=0))


def system_actor(organisation_id: uuid.UUID, root_path: str) -> Actor:
    """A job acting for an organisation over its whole tree."""
    return Actor(
        kind=ActorKind.SYSTEM, organisation_id=organisation_id, role="admin", base_path=root_path
    )
