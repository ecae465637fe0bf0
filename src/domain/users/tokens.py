"""RFID tokens of charging users (seed 003): add, edit (never the uid), delete.

Callers own the transaction. A token's uid is unique in the organisation among live tokens,
compared case-insensitively (`uid_key`); concurrent adds of the same uid serialise on an
advisory lock so the loser still gets "Token already exists." instead of a constraint error.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum

from tortoise.functions import Count

from domain import db, rows
from domain.errors import (
    ENDS_BEFORE_START,
    TOKEN_EXISTS,
    TOKEN_NAME_TOO_LONG,
    TOKEN_NOT_FOUND,
    UID_CHARACTERS,
    UID_REQUIRED,
    UID_TOO_LONG,
    USER_NOT_FOUND,
)
from domain.principal import Principal
from domain.scope import organisation_rows, visible_tokens, visible_users
from domain.users.models import ChargingUser, Token, TokenStatus

UID_MAX = 36
NAME_MAX = 100


class Unchanged(Enum):
    """An update argument that was not given: keep the current value."""

    UNCHANGED = "unchanged"


UNCHANGED = Unchanged.UNCHANGED


@dataclass(frozen=True)
class TokenData:
    uid: str
    name: str = ""
    status: TokenStatus = TokenStatus.ACTIVE
    valid_from: datetime | None = None
    # None: valid indefinitely.
    valid_to: datetime | None = None


@dataclass(frozen=True)
class TokenChanges:
    """What to change on a token; the uid is not among them (it is never edited)."""

    name: str | None = None
    status: TokenStatus | None = None
    valid_from: datetime | Unchanged | None = UNCHANGED
    valid_to: datetime | Unchanged | None = UNCHANGED


def clean_uid(uid: str, field: str = "uid") -> str:
    uid = uid.strip()
    if not uid:
        raise UID_REQUIRED.error(field)
    if len(uid) > UID_MAX:
        raise UID_TOO_LONG.error(field)
    # What a station reads off a card: printable ASCII without blanks.
    if not all("!" <= ch <= "~" for ch in uid):
        raise UID_CHARACTERS.error(field)
    return uid


def clean_name(name: str, field: str = "name") -> str:
    name = name.strip()
    if len(name) > NAME_MAX:
        raise TOKEN_NAME_TOO_LONG.error(field)
    return name


def utc(value: datetime | None) -> datetime | None:
    """Client times without a zone are taken as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def check_window(valid_from: datetime | None, valid_to: datetime | None, field: str) -> None:
    if valid_from is not None and valid_to is not None and valid_to < valid_from:
        raise ENDS_BEFORE_START.error(field)


def check(data: TokenData, prefix: str = "") -> TokenData:
    """Validate a new token's fields; error fields get `prefix` (e.g. "tokens[0].")."""
    uid = clean_uid(data.uid, f"{prefix}uid")
    name = clean_name(data.name, f"{prefix}name")
    valid_from, valid_to = utc(data.valid_from), utc(data.valid_to)
    check_window(valid_from, valid_to, f"{prefix}validTo")
    return TokenData(
        uid=uid, name=name, status=data.status, valid_from=valid_from, valid_to=valid_to
    )


async def advisory_locks(keys: Iterable[str]) -> None:
    """Transaction-scoped advisory locks, taken in sorted order so two callers cannot
    deadlock; a uniqueness check made while holding one cannot race another insert."""
    for key in sorted(set(keys)):
        await db.advisory_lock(key)


async def insert(user: ChargingUser, tokens: Sequence[TokenData], prefix: str = "") -> list[Token]:
    """Add checked tokens to `user`; `prefix` names the input list in errors ("tokens")."""
    checked = [check(data, f"{prefix}[{n}]." if prefix else "") for n, data in enumerate(tokens)]
    await advisory_locks(f"token-uid:{user.organisation_id}:{d.uid.upper()}" for d in checked)
    made: list[Token] = []
    for n, data in enumerate(checked):
        key = data.uid.upper()
        if (
            await organisation_rows(Token, user.organisation_id)
            .filter(uid_key=key, deleted_at=None)
            .exists()
        ):
            raise TOKEN_EXISTS.error(f"{prefix}[{n}].uid" if prefix else "uid")
        made.append(
            await Token.create(
                organisation_id=user.organisation_id,
                user=user,
                uid=data.uid,
                uid_key=key,
                name=data.name,
                status=data.status,
                valid_from=data.valid_from,
                valid_to=data.valid_to,
            )
        )
    return made


async def add(*, principal: Principal, user_id: str, data: TokenData) -> Token:
    """Add a token to a charging user the principal sees."""
    user = await rows.require(
        visible_users(principal), user_id, message=USER_NOT_FOUND, field="userId"
    )
    (token,) = await insert(user, [data])
    return token


async def _require(principal: Principal, token_id: str) -> Token:
    return await rows.lock(visible_tokens(principal), token_id, message=TOKEN_NOT_FOUND, field="id")


async def update(*, principal: Principal, token_id: str, changes: TokenChanges) -> Token:
    """Edit name, status and validity; the uid stays as it is."""
    token = await _require(principal, token_id)
    valid_from = token.valid_from if changes.valid_from is UNCHANGED else utc(changes.valid_from)
    valid_to = token.valid_to if changes.valid_to is UNCHANGED else utc(changes.valid_to)
    if changes.name is not None:
        token.name = clean_name(changes.name)
    check_window(valid_from, valid_to, "validTo")
    if changes.status is not None:
        token.status = changes.status
    token.valid_from, token.valid_to = valid_from, valid_to
    await token.save()
    return token


async def delete(*, principal: Principal, token_id: str) -> None:
    """Mark the token deleted: it stops working and its uid can be used again."""
    token = await _require(principal, token_id)
    token.deleted_at = datetime.now(UTC)
    await token.save(update_fields=["deleted_at"])


async def retire_all(user: ChargingUser, at: datetime) -> None:
    """Mark every live token of a removed user deleted."""
    await Token.filter(user_id=user.id, deleted_at=None).update(deleted_at=at)


async def tokens_of(user_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Token]]:
    """Live tokens per user, in one statement (dataloaders)."""
    out: dict[uuid.UUID, list[Token]] = {uid: [] for uid in user_ids}
    for token in await Token.filter(user_id__in=user_ids, deleted_at=None).order_by(
        "created_at", "uid_key"
    ):
        out[token.user_id].append(token)  # type: ignore[index]
    return out


async def token_counts(user_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Number of live tokens per user, in one statement (dataloaders)."""
    rows = (
        await Token.filter(user_id__in=user_ids, deleted_at=None)
        .annotate(n=Count("id"))
        .group_by("user_id")
        .values("user_id", "n")
    )
    return {row["user_id"]: row["n"] for row in rows}
