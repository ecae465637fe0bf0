"""Throttle repeated failed logins per username, in Redis so every node sees the same count."""

from __future__ import annotations

from redis.asyncio import Redis


def _key(username: str) -> str:
    return f"evcms:login-failures:{username.strip().lower()}"


async def is_throttled(redis: Redis, username: str, *, max_failures: int) -> bool:
    count = await redis.get(_key(username))
    return count is not None and int(count) >= max_failures


async def record_failure(redis: Redis, username: str, *, window_seconds: int) -> None:
    key = _key(username)
    async with redis.pipeline(transaction=True) as pipe:
        # SET NX starts the window once (EXPIRE NX needs Redis 7; the embedded one is 6.2).
        pipe.set(key, 0, ex=window_seconds, nx=True)
        pipe.incr(key)
        await pipe.execute()


async def clear(redis: Redis, username: str) -> None:
    await redis.delete(_key(username))
