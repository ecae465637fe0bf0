"""The one path of every OCPP-J message, for every version: frame, parse once, validate
once, handler, encode. A version adapter (`ocpp_ws.v16`; 2.0.1 next) brings its
subprotocol, its actions and a table of handlers; the pipeline owns the rest, as
`gql/policy.py` does for GraphQL:

- a CALL from the station: its schema checked (`ocpp_ws.validation`), its handler run in
  one database transaction (or through the group-commit writer, for the messages every
  station sends all the time), live changes published once committed, then the CALLRESULT;
  any failure a CALLERROR with the code the specification gives it;
- a CALL to the station (`Session.call`, from remote commands, never from a handler: the
  answer is read by the same receive loop): one at a time per station, its payload and the
  station's answer checked against the version's schemas.

Frames are handled one after the other, as they arrive: a station that sends CALL after
CALL without waiting gets its answers in order, and never more than one in progress."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from tortoise.transactions import in_transaction

from domain.events import live
from ocpp_ws import frames
from ocpp_ws.batching import GroupCommit
from ocpp_ws.frames import CallError
from ocpp_ws.outage import DATABASE, REDIS, Outages
from ocpp_ws.validation import ValidationFailure, validate

log = logging.getLogger("evcms.ocpp")


class Link(Protocol):
    """A websocket as the pipeline sees it: text frames in and out."""

    async def recv(self) -> str: ...

    async def send(self, text: str) -> None: ...


@dataclass
class Station:
    """The station a connection speaks for, as handlers see it."""

    station_id: uuid.UUID
    organisation_id: uuid.UUID
    identifier: str
    writer: GroupCommit  # the node's group-commit writer
    changes: list[live.Change] = field(default_factory=list)

    def after_commit(self, change: live.Change) -> None:
        """Publish `change` once the handler's transaction has committed."""
        self.changes.append(change)


Handle = Callable[[Station, dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Handler:
    handle: Handle
    # Writes through `Station.writer` (committed before it returns) instead of in a
    # transaction of its own.
    group_commit: bool = False


class Adapter(Protocol):
    """One OCPP version."""

    version: str  # as `ocpp_ws.validation` names it: "1.6", "2.0.1"
    subprotocol: str  # the websocket subprotocol: "ocpp1.6", "ocpp2.0.1"
    actions: frozenset[str]  # every action of the version, handled or not
    handlers: Mapping[str, Handler]  # the CALLs a station may send us

    def unavailable(self, action: str) -> dict[str, Any] | None:
        """The answer to `action` while the database is out of reach, when the version has
        one that makes the station try again later (None: a CALLERROR, after which a
        station resends its transaction-related messages)."""
        ...


class Session:
    """One connected station: its receive loop and its outgoing calls."""

    def __init__(
        self,
        adapter: Adapter,
        link: Link,
        station: Station,
        *,
        publish: live.Publisher | None = None,
        outages: Outages | None = None,
    ) -> None:
        self.adapter, self.link, self.station = adapter, link, station
        self.publish = publish
        self.outages = outages or Outages()
        self._calling = asyncio.Lock()  # OCPP-J: one CALL at a time in each direction
        self._pending: dict[str, asyncio.Future[frames.Frame]] = {}

    async def run(self) -> None:
        """Handle frames until the link ends (its recv raises)."""
        while True:
            await self.receive(await self.link.recv())

    async def receive(self, text: str) -> None:
        try:
            frame = frames.parse(text)
        except frames.Unreadable as unreadable:
            log.debug("station %s sent %s: ignored", self.station.identifier, unreadable)
            if unreadable.answer is not None:
                await self.link.send(unreadable.answer)
            return
        if frame.kind == frames.CALL:
            await self.link.send(await self._answer(frame))
            return
        waiting = self._pending.get(frame.unique_id)
        if waiting is not None and not waiting.done():
            waiting.set_result(frame)
        else:
            log.debug("station %s answered a call nobody waits for", self.station.identifier)

    async def _answer(self, frame: frames.Frame) -> str:
        action, payload = frame.rest
        try:
            handler = self._handler(action)
            validate(self.adapter.version, action, payload)
            answer = await self._run(handler, payload)
        except ValidationFailure as failure:
            error = CallError(failure.code, failure.description, {"path": failure.path})
            return frames.call_error(frame.unique_id, error.code, error.description, error.details)
        except CallError as error:
            return frames.call_error(frame.unique_id, error.code, error.description, error.details)
        except Exception as error:
            if self.outages.failed(error) is None:
                log.exception("%s from station %s failed", action, self.station.identifier)
                return frames.call_error(frame.unique_id, frames.INTERNAL_ERROR, frames.UNEXPECTED)
            later = self.adapter.unavailable(action)
            if later is not None:
                return frames.call_result(frame.unique_id, later)
            return frames.call_error(frame.unique_id, frames.INTERNAL_ERROR, frames.RETRY_LATER)
        self.outages.recovered(DATABASE)
        return frames.call_result(frame.unique_id, answer)

    def _handler(self, action: Any) -> Handler:
        # OCPP-J section 4.2.3: NotImplemented for an action not known, NotSupported for one
        # known but not handled.
        handler = self.adapter.handlers.get(action) if type(action) is str else None
        if handler is not None:
            return handler
        version = self.adapter.version
        if type(action) is str and action in self.adapter.actions:
            raise CallError(
                "NotSupported",
                "Requested Action is recognized but not supported",
                {"cause": f"{action} is not handled by this central system"},
            )
        raise CallError(
            "NotImplemented",
            "Requested Action is not known by receiver",
            {"cause": f"{str(action)[:64]} is not an OCPP {version} action"},
        )

    async def _run(self, handler: Handler, payload: dict[str, Any]) -> dict[str, Any]:
        if handler.group_commit:
            return await handler.handle(self.station, payload)
        changes = self.station.changes
        try:
            async with in_transaction():
                answer = await handler.handle(self.station, payload)
            if self.publish is not None and changes:
                await self._publish(changes)
        finally:
            changes.clear()
        return answer

    async def _publish(self, changes: list[live.Change]) -> None:
        """Live status of what is committed: lost while Redis is, never failing the answer."""
        assert self.publish is not None
        try:
            for change in changes:
                await self.publish(change)
        except Exception as error:
            if self.outages.failed(error) is None:
                log.exception("publishing live status of %s failed", self.station.identifier)
        else:
            self.outages.recovered(REDIS)

    async def call(self, action: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Send a CALL and return the station's answer (wire form). Raises
        ValidationFailure for a payload or answer its schema refuses, CallError for a
        CALLERROR; waits until answered or cancelled (the caller owns the timeout)."""
        version = self.adapter.version
        async with self._calling:
            validate(version, action, payload)
            unique_id = str(uuid.uuid4())
            answered = asyncio.get_running_loop().create_future()
            self._pending[unique_id] = answered
            try:
                await self.link.send(frames.call(unique_id, action, payload))
                frame = await answered
            finally:
                del self._pending[unique_id]
        if frame.kind == frames.CALLERROR:
            code, description, details = frame.rest
            raise CallError(str(code), str(description), details if type(details) is dict else {})
        answer = frame.rest[0]
        validate(version, action, answer, response=True)
        return dict(answer)
