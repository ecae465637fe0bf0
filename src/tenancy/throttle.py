"""Throttle login attempts per username, in Redis so every node sees the same count.

An attempt is counted *before* its password is checked, in one atomic step: a burst of
parallel guesses cannot all pass the check together while none has been counted yet. A
successful login clears the count; a wrong password, and the right one of an inactive
operator (whose answer would confirm the guess), leave their attempt counted."""

from __future__ import annotations

from redis.asyncio import Redis


def _key(username: str) -> str:
    return f"evcms:login-failures:{username.strip().lower()}"


async def reserve(redis: Redis, username: str, *, max_attempts: int, window_seconds: int) -> bool:
    """Count one attempt; False when the window already holds `max_attempts` of them."""
    key = _key(username)
    async with redis.pipeline(transaction=True) as pipe:
        # SET NX starts the window once (EXPIRE NX needs Redis 7; the embedded one is 6.2).
        pipe.set(key, 0, ex=window_seconds, nx=True)
        pipe.incr(key)
        _, count = await pipe.execute()
    return int(count) <= max_attempts


async def clear(redis: Redis, username: str) -> None:
    await redis.delete(_key(username))
