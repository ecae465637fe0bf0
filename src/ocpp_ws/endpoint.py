"""The OCPP-J websocket endpoint `/ocpp/{organisation}/{identifier}`: subprotocol choice,
HTTP Basic auth (security profile 1), then the version's pipeline session until the socket ends."""

from __future__ import annotations

import base64
import binascii
import logging

from starlette.responses import PlainTextResponse
from starlette.websockets import WebSocket, WebSocketDisconnect
from tortoise.transactions import in_transaction

from domain.events.connection import Admission, admit, well_formed
from domain.stations.models import ChargingStation
from ocpp_ws import v16
from ocpp_ws.node import Node
from ocpp_ws.pipeline import Adapter, Session, Station

log = logging.getLogger("evcms.ocpp")
# The OCPP versions spoken here, one adapter each on the same pipeline (2.0.1 next).
ADAPTERS: tuple[Adapter, ...] = (v16.ADAPTER,)
RETRY_HANDSHAKE_SECONDS = 30  # told to a station whose handshake finds no database
MESSAGE_TOO_BIG = 1009  # websocket close code (RFC 6455 section 7.4.1)

DENIALS = {
    Admission.UNAUTHORIZED: (401, "Unauthorized"),
    Admission.FORBIDDEN: (403, "Forbidden"),
    Admission.NOT_FOUND: (404, "Not Found"),
}


class WebSocketLink:
    """The pipeline's Link over a Starlette websocket: text frames in and out, none larger
    than `max_frame_bytes` (past it the connection is closed with 1009, Message Too Big)."""

    def __init__(self, websocket: WebSocket, *, max_frame_bytes: int) -> None:
        self.websocket, self.max_frame_bytes = websocket, max_frame_bytes

    async def recv(self) -> str:
        message = await self.websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
        text = message.get("text")
        if text is None:  # a binary frame is not OCPP-J: the pipeline ignores it
            text = (message.get("bytes") or b"").decode("utf-8", "replace")
        if self._too_big(text):
            await self.websocket.close(MESSAGE_TOO_BIG, "frame too large")
            raise WebSocketDisconnect(MESSAGE_TOO_BIG, "frame too large")
        return str(text)

    def _too_big(self, text: str) -> bool:
        limit = self.max_frame_bytes
        # A character is 1 to 4 bytes in UTF-8: encode only when the count cannot tell.
        return len(text) > limit or (len(text) * 4 > limit and len(text.encode()) > limit)

    async def send(self, text: str) -> None:
        await self.websocket.send_text(text)


def basic_credentials(websocket: WebSocket) -> tuple[str, str] | None:
    """(username, password) of an `Authorization: Basic` header, or None."""
    scheme, _, encoded = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    username, sep, password = decoded.partition(":")
    return (username, password) if sep else None


async def deny(
    websocket: WebSocket, status: int, text: str, *, retry_after: int | None = None
) -> None:
    """Refuse the handshake with an HTTP status (the ASGI denial-response extension)."""
    headers = {"WWW-Authenticate": 'Basic realm="OCPP"'} if status == 401 else {}
    if retry_after is not None:
        headers["Retry-After"] = str(retry_after)
    await websocket.send_denial_response(PlainTextResponse(text, status, headers=headers))


def choose(subprotocols: list[str]) -> Adapter | None:
    """The version the station asks for: the first of its subprotocols we speak."""
    for name in subprotocols:
        for adapter in ADAPTERS:
            if adapter.subprotocol == name:
                return adapter
    return None


async def ocpp_endpoint(websocket: WebSocket) -> None:
    organisation = websocket.path_params["organisation"]
    identifier = websocket.path_params["identifier"]
    node: Node = websocket.app.state.node
    adapter = choose(websocket.scope.get("subprotocols", []))
    if adapter is None:
        offered = " or ".join(a.subprotocol for a in ADAPTERS)
        await deny(websocket, 400, f"Subprotocol {offered} required")
        return
    row = await _admitted(websocket, node, organisation, identifier)
    if row is None:
        return
    await websocket.accept(subprotocol=adapter.subprotocol)
    station = Station(row.id, row.organisation_id, identifier, node.writer)  # type: ignore[arg-type]
    link = WebSocketLink(websocket, max_frame_bytes=node.max_frame_bytes)
    session = Session(adapter, link, station, publish=node.publish, outages=node.outages)
    # A reconnecting station replaces its previous connection, which is closed.
    await node.attach(row.id, session, close=lambda: websocket.close(1000))
    try:
        await session.run()
    except WebSocketDisconnect as gone:
        log.info("station %s/%s disconnected (%s)", organisation, identifier, gone.code)
    finally:
        await node.detach(row.id, session)


async def _admitted(
    websocket: WebSocket, node: Node, organisation: str, identifier: str
) -> ChargingStation | None:
    """The station this handshake may connect as, or None once it is refused: a path that
    names no station (404), too many refused handshakes from its address (429), wrong or
    missing credentials (401, 403), no database to check them against (503)."""
    if not well_formed(organisation_slug=organisation, identifier=identifier):
        await deny(websocket, 404, "Not Found")
        return None
    source = websocket.client.host if websocket.client else "unknown"
    if not await node.handshakes.reserve(organisation, identifier, source):
        await deny(websocket, 429, "Too Many Requests", retry_after=node.handshakes.window)
        return None
    credentials = basic_credentials(websocket)
    # The username is the station's identity (OCPP 1.6 security profile 1).
    password = credentials[1] if credentials and credentials[0] == identifier else None
    try:
        async with in_transaction():
            admitted = await admit(
                organisation_slug=organisation, identifier=identifier, password=password
            )
    except Exception as error:
        if node.outages.failed(error) is None:
            raise
        await deny(websocket, 503, "Service Unavailable", retry_after=RETRY_HANDSHAKE_SECONDS)
        return None
    if admitted.outcome != Admission.ACCEPTED or admitted.station is None:
        await deny(websocket, *DENIALS.get(admitted.outcome, (403, "Forbidden")))
        return None
    await node.handshakes.refund(organisation, identifier, source)
    return admitted.station
