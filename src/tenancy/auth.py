"""Log in, log out, and turn a bearer token into an Actor on every request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redis.asyncio import Redis

from domain.errors import (
    OPERATOR_INACTIVE,
    OPERATOR_NOT_FOUND,
    THROTTLED,
    WRONG_CREDENTIALS,
)
from domain.operators import service as operators
from domain.operators.models import Operator, OperatorSession, OperatorStatus
from domain.operators.passwords import new_token, token_hash, verify_password_off_loop
from domain.principal import Principal
from tenancy import throttle
from tenancy.actor import ANONYMOUS, Actor, ActorKind

MAX_SESSION = timedelta(hours=2)


@dataclass(frozen=True)
class LoginPolicy:
    session_ttl: timedelta = MAX_SESSION
    max_failures: int = 5
    lockout_seconds: int = 900


@dataclass(frozen=True)
class Login:
    token: str
    expires_at: datetime
    operator: Operator


async def login(*, username: str, password: str, redis: Redis, policy: LoginPolicy) -> Login:
    """Check the credentials and open a session of at most 2 hours."""
    username = username.strip()
    window = policy.lockout_seconds
    if not await throttle.reserve(
        redis, username, max_attempts=policy.max_failures, window_seconds=window
    ):
        raise THROTTLED.error("username")
    operator = await Operator.get_or_none(username__iexact=username)
    if not await verify_password_off_loop(operator.password_hash if operator else None, password):
        raise WRONG_CREDENTIALS.error()
    assert operator is not None
    if operator.status != OperatorStatus.ACTIVE:  # still counted: it confirms the password
        raise OPERATOR_INACTIVE.error()
    await throttle.clear(redis, username)
    token, digest = new_token()
    expires_at = datetime.now(UTC) + min(policy.session_ttl, MAX_SESSION)
    await OperatorSession.create(operator=operator, token_hash=digest, expires_at=expires_at)
    return Login(token=token, expires_at=expires_at, operator=operator)


async def unlock_login(*, principal: Principal, operator_id: str, redis: Redis) -> Operator:
    """Lift the throttle on an operator's username (another's wrong passwords locked it)."""
    operator = await operators.get(principal=principal, operator_id=operator_id)
    if operator is None:
        raise OPERATOR_NOT_FOUND.error("id")
    await throttle.clear(redis, operator.username)
    return operator


async def logout(*, actor: Actor) -> None:
    if actor.session_id is not None:
        await OperatorSession.filter(id=actor.session_id, revoked_at=None).update(
            revoked_at=datetime.now(UTC)
        )


async def authenticate(token: str | None) -> Actor:
    """The Actor behind a bearer token, read fresh so status and role changes apply at once."""
    if not token:
        return ANONYMOUS
    now = datetime.now(UTC)
    session = (
        await OperatorSession.filter(
            token_hash=token_hash(token),
            revoked_at=None,
            expires_at__gt=now,
            created_at__gt=now - MAX_SESSION,  # whatever expires_at says: 2 hours at most
        )
        .select_related("operator__base_group")
        .first()
    )
    if session is None:
        return ANONYMOUS
    operator = session.operator
    if operator.status != OperatorStatus.ACTIVE:
        return ANONYMOUS
    return Actor(
        kind=ActorKind.OPERATOR,
        organisation_id=operator.organisation_id,  # type: ignore[arg-type]
        operator_id=operator.id,
        role=operator.role.value,
        base_path=operator.base_group.path,
        session_id=session.id,
    )
