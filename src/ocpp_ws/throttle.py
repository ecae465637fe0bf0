"""Refused station handshakes, throttled in Redis: per source address, and per station
identity from one source address.

Every handshake counts before its password is checked (a Redis INCR, atomic), so a burst of
parallel guesses gets no more than the limit; an accepted one is refunded, so a station that
reconnects often never runs into it. A flood of wrong passwords for a station from one
address throttles that address, never the real station connecting from its own."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis

PREFIX = "evcms:ocpp-handshake:"


@dataclass(frozen=True)
class Limits:
    window_seconds: int = 300
    per_source: int = 100  # refused handshakes from one address, any station
    per_station_source: int = 10  # refused handshakes for one station from one address


class HandshakeThrottle:
    def __init__(self, redis: Redis, limits: Limits | None = None) -> None:
        self.redis, self.limits = redis, limits or Limits()

    @property
    def window(self) -> int:
        """Seconds until a throttled source may try again, at most."""
        return self.limits.window_seconds

    def _keys(self, organisation: str, identifier: str, source: str) -> tuple[str, str]:
        return (
            f"{PREFIX}source:{source}",
            f"{PREFIX}station:{organisation}/{identifier}:{source}",
        )

    async def reserve(self, organisation: str, identifier: str, source: str) -> bool:
        """Count this handshake; False when the source has had too many refused."""
        keys = self._keys(organisation, identifier, source)
        window = self.limits.window_seconds
        async with self.redis.pipeline(transaction=True) as pipe:
            for key in keys:
                pipe.incr(key)
                pipe.expire(key, window, nx=True)  # a fixed window from the first refusal
            counts = await pipe.execute()
        by_source, by_station = int(counts[0]), int(counts[2])
        return by_source <= self.limits.per_source and by_station <= self.limits.per_station_source

    async def refund(self, organisation: str, identifier: str, source: str) -> None:
        """The handshake was accepted: it does not count."""
        async with self.redis.pipeline(transaction=True) as pipe:
            for key in self._keys(organisation, identifier, source):
                pipe.decr(key)
            await pipe.execute()
