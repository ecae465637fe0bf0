"""Live status over Redis pub/sub: the domain's Publisher and LiveFeed (domain.events.live).

Changes are PUBLISHed on their organisation's channel (Redis pub/sub channels are global
across database numbers, hence the organisation id, a UUID, in the channel name).

One connection per process serves every live status subscriber on it.

A hub SUBSCRIBEs to an organisation's channel while at least one local subscriber wants it
(UNSUBSCRIBE after the last one leaves), reads every message in one task, decodes it once
and hands the event to each local subscriber of that channel through a bounded buffer of
its own.

Two tasks share the connection: the *reader* is the only one that reads from it, the
*manager* the only one that writes to it (SUBSCRIBE, UNSUBSCRIBE, PING) and the one that
(re)connects. Subscribers only change what is wanted and wait; they never touch the
socket, so a subscriber cancelled at any moment cannot break the connection for the others.

A subscriber too slow to keep up (its buffer of `limit` events full when the next one
arrives) is dropped: its buffer is emptied and its stream ends with `SubscriberTooSlow`.
Dropping events silently instead would leave it showing a station's old status as if it
were current; an end it can see lets it subscribe again and read the current state.

When the connection drops (or stays silent past two PINGs), the manager reconnects with a
growing delay and re-subscribes to every channel that still has subscribers; streams go on.
Events published while it was away are lost, as they are for any Redis subscriber."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import uuid
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.exceptions import RedisError

from domain.events.live import Change, LiveEvent, Publisher, SubscriberTooSlow, describe

log = logging.getLogger("evcms.live.hub")

LIMIT = 1000  # events buffered per subscriber before it counts as too slow
READY_TIMEOUT = 5.0  # seconds a new subscriber waits for Redis to confirm its channel
PING_INTERVAL = 15.0  # seconds of silence before the manager PINGs the connection
RECONNECT_DELAYS = (0.1, 0.5, 1.0, 2.0, 5.0)  # then 5 seconds between attempts
TASK_PREFIX = "evcms-background: live hub"  # a name tests counting SQL leave out
CHANNEL_PREFIX = "evcms:live:"

__all__ = ["LiveHub", "SubscriberTooSlow", "Subscription", "channel", "publish", "publisher"]


def channel(organisation_id: uuid.UUID | str) -> str:
    return f"{CHANNEL_PREFIX}{organisation_id}"


async def publish(redis: Redis, event: LiveEvent) -> int:
    """PUBLISH the event on its organisation's channel; how many subscribers got it."""
    return int(await redis.publish(channel(event.organisation_id), event.encode()))


def publisher(redis: Redis) -> Publisher:
    """The Publisher the OCPP side calls after a change is committed. Live status is best
    effort: a failure is logged and never fails the station's message (the feed has it)."""

    async def _publish(change: Change) -> None:
        try:
            event = await describe(change)
            if event is not None:
                await publish(redis, event)
        except Exception:
            log.exception("could not publish live status of %s", change.station_id)

    return _publish


class Subscription:
    """One local subscriber's stream: its organisation's events, and with `heartbeat` a
    None after that many seconds without one (a chance to check that it may still
    listen). Ends when the hub closes, or with SubscriberTooSlow when it was dropped."""

    def __init__(self, name: str, *, heartbeat: float | None, limit: int) -> None:
        self.channel = name
        self.heartbeat = heartbeat
        self.limit = limit
        self.dropped = 0  # events discarded when it was dropped
        self._events: deque[LiveEvent] = deque()
        self._wakeup = asyncio.Event()
        self._end: BaseException | None = None

    @property
    def pending(self) -> int:
        """Events buffered, not read yet."""
        return len(self._events)

    def offer(self, event: LiveEvent) -> bool:
        """Buffer the event; False (and the stream ends) when the buffer is full."""
        if len(self._events) >= self.limit:
            self.dropped = len(self._events) + 1
            self._events.clear()
            self.finish(SubscriberTooSlow(f"{self.dropped} live events behind"))
            return False
        self._events.append(event)
        self._wakeup.set()
        return True

    def finish(self, end: BaseException) -> None:
        if self._end is None:
            self._end = end
        self._wakeup.set()

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> LiveEvent | None:
        while True:
            if self._events:
                return self._events.popleft()
            if self._end is not None:
                raise self._end
            self._wakeup.clear()
            try:
                async with asyncio.timeout(self.heartbeat):
                    await self._wakeup.wait()
            except TimeoutError:
                return None


class LiveHub:
    """The process's live status subscriptions over one Redis pub/sub connection. `redis`
    should be a client of its own, without a socket timeout (a quiet channel is normal)
    and without redis-py's health checks (they would read from the shared connection
    outside the reader)."""

    def __init__(
        self,
        redis: Redis,
        *,
        limit: int = LIMIT,
        ready_timeout: float = READY_TIMEOUT,
        ping_interval: float = PING_INTERVAL,
        owns_client: bool = False,
        name: str | None = None,
    ) -> None:
        self.redis = redis
        self.name = name  # its connection's CLIENT SETNAME, if any
        self.limit = limit
        self.ready_timeout = ready_timeout
        self.ping_interval = ping_interval
        self.reconnects = 0  # times the connection was lost and made again
        self._owns_client = owns_client
        self._subscribers: dict[str, set[Subscription]] = {}
        self._pubsub: PubSub | None = None  # the current connection, None while down
        self._sent: set[str] = set()  # channels subscribed on the current connection
        self._unconfirmed: dict[str, int] = {}  # SUBSCRIBEs sent, not yet confirmed
        self._dirty = asyncio.Event()  # what is wanted changed, or the connection was lost
        self._changed = asyncio.Event()  # a confirmation arrived or the connection changed
        self._connected = asyncio.Event()
        self._lost: PubSub | None = None  # a connection the reader saw fail
        self._tasks: list[asyncio.Task[Any]] = []
        self._closing = False

    @classmethod
    def from_url(cls, url: str, *, name: str | None = None, **kwargs: Any) -> LiveHub:
        """A hub with a client of its own (closed with it); `name` is its CLIENT SETNAME."""
        if name is not None:  # Redis refuses a name with spaces or control characters
            name = re.sub(r"[^!-~]", "_", name)
        # TCP keepalive notices a peer that vanished; a unix socket (the embedded Redis)
        # has no such option, and its connection class refuses the argument.
        keepalive = {} if url.startswith("unix:") else {"socket_keepalive": True}
        client = Redis.from_url(url, client_name=name, **keepalive)
        return cls(client, owns_client=True, name=name, **kwargs)

    async def start(self) -> None:
        """Connect in the background (a Redis that is down now is retried)."""
        if not self._tasks:
            self._dirty.set()
            self._tasks = [
                asyncio.create_task(self._manage(), name=f"{TASK_PREFIX} manager"),
                asyncio.create_task(self._read(), name=f"{TASK_PREFIX} reader"),
            ]

    async def close(self) -> None:
        """Stop reading, end every stream, close the connection."""
        self._closing = True
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        for subscribers in self._subscribers.values():
            for subscriber in subscribers:
                subscriber.finish(StopAsyncIteration())
        self._subscribers.clear()
        for pubsub in (self._pubsub, self._lost):
            if pubsub is not None:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
        self._pubsub = self._lost = None
        self._notify()
        if self._owns_client:
            await self.redis.aclose()

    def subscribers(self, organisation_id: uuid.UUID | str) -> int:
        """How many local subscribers the organisation's channel has."""
        return len(self._subscribers.get(channel(organisation_id), ()))

    def listening(self, organisation_id: uuid.UUID | str) -> bool:
        """Whether Redis has confirmed the hub's subscription to the organisation."""
        return self._live(channel(organisation_id))

    @contextlib.asynccontextmanager
    async def subscription(
        self, organisation_id: uuid.UUID | str, *, heartbeat: float | None = None
    ) -> AsyncIterator[Subscription]:
        """The organisation's live events, from when Redis confirmed the channel (or
        `ready_timeout` passed: then from when the connection is back)."""
        if self._closing or not self._tasks:
            raise RuntimeError("the live hub is not running")
        name = channel(organisation_id)
        subscriber = Subscription(name, heartbeat=heartbeat, limit=self.limit)
        self._subscribers.setdefault(name, set()).add(subscriber)
        self._dirty.set()
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.ready_timeout):
                    while not (self._live(name) or self._closing):
                        await self._changed.wait()
            yield subscriber
        finally:
            self._detach(subscriber)

    def _detach(self, subscriber: Subscription) -> None:
        subscribers = self._subscribers.get(subscriber.channel)
        if subscribers is not None and subscriber in subscribers:
            subscribers.discard(subscriber)
            if not subscribers:
                del self._subscribers[subscriber.channel]
                self._dirty.set()

    def _live(self, name: str) -> bool:
        return name in self._sent and not self._unconfirmed.get(name)

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    # The manager: the only task that writes to the connection.

    async def _manage(self) -> None:
        loop = asyncio.get_running_loop()
        next_ping = loop.time() + self.ping_interval
        while True:
            try:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout_at(next_ping):
                        await self._dirty.wait()
                self._dirty.clear()
                if self._lost is not None:
                    lost, self._lost = self._lost, None
                    with contextlib.suppress(Exception):
                        await lost.aclose()
                if self._pubsub is None:
                    await self._connect()
                    next_ping = loop.time() + self.ping_interval
                    continue
                await self._write(self._reconcile)
                if loop.time() >= next_ping:
                    next_ping = loop.time() + self.ping_interval
                    await self._write(self._ping)
            except Exception:  # a bug, not Redis: keep the hub alive, and say so
                log.exception("live hub manager failed; going on")
                await asyncio.sleep(RECONNECT_DELAYS[-1])

    async def _connect(self) -> None:
        attempt = 0
        while True:
            pubsub = self.redis.pubsub()
            wanted = set(self._subscribers)
            try:
                await pubsub.connect()
                self._sent, self._unconfirmed = wanted, dict.fromkeys(wanted, 1)
                if wanted:
                    await pubsub.subscribe(*sorted(wanted))
            except (RedisError, OSError) as error:
                self._sent, self._unconfirmed = set(), {}
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
                delay = RECONNECT_DELAYS[min(attempt, len(RECONNECT_DELAYS) - 1)]
                attempt += 1
                log.warning("live hub cannot reach Redis (%s); retrying in %ss", error, delay)
                await asyncio.sleep(delay)
                continue
            if self.reconnects or attempt:
                log.warning("live hub reconnected to Redis; re-subscribed %d channels", len(wanted))
            self._pubsub = pubsub
            self._connected.set()
            self._notify()
            self._dirty.set()  # subscribers may have come or gone meanwhile
            return

    async def _write(self, write: Any) -> None:
        pubsub = self._pubsub
        if pubsub is None:
            return
        try:
            await write(pubsub)
        except (RedisError, OSError) as error:
            self._lose(pubsub, error)

    async def _reconcile(self, pubsub: PubSub) -> None:
        wanted = set(self._subscribers)
        add, remove = sorted(wanted - self._sent), sorted(self._sent - wanted)
        self._sent = wanted  # before the writes: the reader may see confirmations first
        for name in add:
            self._unconfirmed[name] = self._unconfirmed.get(name, 0) + 1
        if add:
            await pubsub.subscribe(*add)
        if remove:
            await pubsub.unsubscribe(*remove)

    async def _ping(self, pubsub: PubSub) -> None:
        await pubsub.ping()  # its answer comes to the reader, and shows the line is up

    def _lose(self, pubsub: PubSub, error: BaseException) -> None:
        """The connection failed: the manager closes it and makes a new one."""
        if pubsub is not self._pubsub:
            return
        log.warning("live hub lost its Redis connection (%s); reconnecting", error)
        self.reconnects += 1
        self._pubsub, self._lost = None, pubsub
        self._sent, self._unconfirmed = set(), {}
        self._connected.clear()
        self._notify()
        self._dirty.set()

    # The reader: the only task that reads from the connection.

    async def _read(self) -> None:
        while True:
            await self._connected.wait()
            pubsub = self._pubsub
            if pubsub is None:
                await asyncio.sleep(0)
                continue
            try:
                # Two PING intervals without a word (not even a PING's answer): gone.
                message = await pubsub.get_message(timeout=self.ping_interval * 2.5)
                if message is None:
                    raise TimeoutError("no answer to PING")
                if pubsub is self._pubsub:
                    self._handle(message)
                # Messages read in one go come without a pause: a burst must not keep
                # the rest of the event loop (the subscribers too) waiting.
                await asyncio.sleep(0)
            except (RedisError, OSError) as error:
                self._lose(pubsub, error)
            except Exception as error:  # a bug, not Redis: a new connection, and say so
                log.exception("live hub reader failed; reconnecting")
                self._lose(pubsub, error)

    def _handle(self, message: dict[str, Any]) -> None:
        kind, name = message.get("type"), message.get("channel")
        if isinstance(name, bytes):
            name = name.decode()
        if kind == "message" and isinstance(name, str):
            subscribers = self._subscribers.get(name)
            if not subscribers:
                return
            event = LiveEvent.decode(message["data"])
            if event is None:
                return
            for subscriber in list(subscribers):
                if not subscriber.offer(event):
                    log.warning(
                        "dropped a live status subscriber of %s: %d events behind",
                        name,
                        subscriber.dropped,
                    )
                    self._detach(subscriber)
        elif kind == "subscribe" and isinstance(name, str):
            left = self._unconfirmed.get(name, 0) - 1
            if left > 0:
                self._unconfirmed[name] = left
            else:
                self._unconfirmed.pop(name, None)
            self._notify()
