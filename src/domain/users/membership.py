"""Who may place a charging user in a charging user group: the one rule every path to
membership goes through (creating or editing a user, inviting drivers by e-mail, pasted list
or CSV, setting a group's members).

Membership is what the seed's "Edit charging user group" view edits, and seed 003 forbids
basic operators to "add or edit charging user groups": placing users needs
`user_group.update`. Leaving a user's group as it is needs nothing."""

from __future__ import annotations

import uuid

from domain.errors import ACCESS_DENIED
from domain.principal import Principal
from domain.scope import user_group_or_none
from domain.users.models import UserGroup

ACTION = "user_group.update"


def may_place(principal: Principal, field: str = "userGroupId") -> None:
    """Refuse (ACCESS_DENIED on `field`) a principal who may not place users in groups."""
    if not principal.may(ACTION):
        raise ACCESS_DENIED.error(field)


async def user_group_to_join(
    principal: Principal,
    user_group_id: str | uuid.UUID | None,
    field: str = "userGroupId",
    *,
    current: uuid.UUID | None = None,
) -> UserGroup | None:
    """The visible user group users are to join (None: no group), once the principal may
    place them there; `current` is the group they are in now, which they may keep. A group
    out of scope is missing, whoever asks (the answer tells nothing of it)."""
    found = await user_group_or_none(principal, user_group_id, field)
    if (found.id if found else None) != current:  # joining, or leaving, a group edits it
        may_place(principal, field)
    return found
