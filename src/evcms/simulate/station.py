"""A simulated OCPP 1.6J charging station: a real websocket client that boots, reports its
connectors, sends heartbeats, charges (Authorize, StartTransaction, MeterValues,
StopTransaction) and answers the central system's CALLs (see `answers`).

Usable on its own (tests drive it step by step) or through `evcms simulate`:

    station = SimulatedStation("SIM-001", "ws://127.0.0.1:8000/ocpp/demo", "secret")
    await station.connect()
    await station.boot()
    transaction_id = await station.start_transaction(1)
    await station.send_meter_values(1)
    await station.stop_transaction(1)
    await station.close()

or `await station.run(stop_event)` for the whole life cycle with reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import websockets

from evcms.simulate import answers
from evcms.simulate.client import CallError, OcppClient, Stats
from evcms.simulate.meter import Connector

__all__ = ["CallError", "SimulatedStation", "StationSettings", "Stats"]


@dataclass
class StationSettings:
    """How every simulated station behaves."""

    connectors: int = 2
    id_tag: str = "SIM-TOKEN"
    meter_interval: float = 10.0  # seconds between MeterValues of a transaction
    session_seconds: float = 120.0  # how long a charging session lasts (jittered)
    pause_seconds: float = 10.0  # idle time between sessions on a connector (jittered)
    charge: bool = True  # start sessions by itself (else only on RemoteStartTransaction)
    heartbeat_interval: float | None = None  # None: what the BootNotification answer says
    refuse: frozenset[str] = frozenset()  # actions to refuse; "*": all of them
    vendor: str = "evcms"
    model: str = "Simulator"
    firmware_version: str = "sim-1.0"
    max_power_w: float = 11_000.0
    call_timeout: float = 30.0
    step_seconds: float = 1.0  # pause between the steps of firmware and diagnostics flows

    def refuses(self, action: str) -> bool:
        return "*" in self.refuse or action in self.refuse


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class SimulatedStation(OcppClient):
    """One station and its connectors; one CALL in flight at a time, as OCPP-J requires."""

    def __init__(
        self,
        identifier: str,
        base_url: str,
        password: str | None,
        settings: StationSettings | None = None,
        stats: Stats | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(identifier, base_url, password, stats or Stats())
        self.settings = settings or StationSettings()
        self.call_timeout = self.settings.call_timeout
        self.random = random.Random(seed if seed is not None else identifier)
        self.connectors = {
            n: Connector(n, self.random, self.settings.max_power_w)
            for n in range(1, self.settings.connectors + 1)
        }
        self.configuration = answers.default_configuration(self.settings)
        self.local_list: dict[str, Any] = {}
        self.local_list_version = 0
        self.profiles: dict[int, tuple[int, dict[str, Any]]] = {}  # id -> (connector, profile)
        self.reservations: dict[int, int] = {}  # reservation id -> connector
        self.firmware = "Idle"  # the last FirmwareStatusNotification status
        self.diagnostics = "Idle"
        self.registration = ""  # the last BootNotification status
        self.heartbeat_interval = self.settings.heartbeat_interval or 300.0
        self.meter_interval = self.settings.meter_interval  # ChangeConfiguration may change it
        self.reboot_requested: str | None = None  # "Soft" / "Hard" after an accepted Reset
        self._rebooting = asyncio.Event()
        self.stopping = False  # finishing: no new sessions
        self._charging: set[asyncio.Task[Any]] = set()  # the tasks running a session

    def answer_call(self, action: str, payload: dict[str, Any]) -> answers.Answer:
        return answers.answer(self, action, payload)

    # --- messages ---------------------------------------------------------------------

    async def boot(self) -> str:
        """BootNotification; returns its status (Accepted, Pending or Rejected)."""
        result = await self.call(
            "BootNotification",
            {
                "chargePointVendor": self.settings.vendor,
                "chargePointModel": self.settings.model,
                "chargePointSerialNumber": f"S-{self.identifier}"[:25],
                "firmwareVersion": self.settings.firmware_version,
            },
        )
        was_accepted = self.registration == "Accepted"
        self.registration = str(result["status"])
        if self.settings.heartbeat_interval is None and result.get("interval"):
            self.heartbeat_interval = float(result["interval"])
        if self.registration == "Accepted" and not was_accepted:
            self.stats.accepted += 1
        return self.registration

    async def heartbeat(self) -> str:
        return str((await self.call("Heartbeat", {}))["currentTime"])

    async def send_status(self, number: int, status: str | None = None) -> None:
        """StatusNotification of a connector (0: the station)."""
        connector = self.connectors.get(number)
        if status is not None and connector is not None:
            connector.status = status
        current = status or (connector.status if connector else "Available")
        payload = {
            "connectorId": number,
            "errorCode": "NoError",
            "status": current,
            "timestamp": now_iso(),
        }
        await self.call("StatusNotification", payload)

    async def send_all_statuses(self) -> None:
        await self.send_status(0, "Available")
        for number in self.connectors:
            await self.send_status(number)

    async def authorize(self, id_tag: str | None = None) -> str:
        result = await self.call("Authorize", {"idTag": id_tag or self.settings.id_tag})
        return str(result["idTagInfo"]["status"])

    async def start_transaction(self, number: int, id_tag: str | None = None) -> int | None:
        """StartTransaction on a connector; its transaction id, or None when refused."""
        connector = self.connectors[number]
        tag = id_tag or self.settings.id_tag
        result = await self.call(
            "StartTransaction",
            {
                "connectorId": number,
                "idTag": tag,
                "meterStart": connector.register_wh,
                "timestamp": now_iso(),
            },
        )
        if result["idTagInfo"]["status"] != "Accepted":
            return None
        connector.begin(int(result["transactionId"]), tag)
        self.stats.transactions_started += 1
        return connector.transaction_id

    async def send_meter_values(self, number: int, seconds: float | None = None) -> None:
        """MeterValues of a connector after `seconds` of charging (default: the interval)."""
        connector = self.connectors[number]
        connector.advance(self.meter_interval if seconds is None else seconds)
        payload: dict[str, Any] = {
            "connectorId": number,
            "meterValue": [{"timestamp": now_iso(), "sampledValue": connector.sampled_values()}],
        }
        if connector.transaction_id is not None:
            payload["transactionId"] = connector.transaction_id
        await self.call("MeterValues", payload)

    async def stop_transaction(self, number: int, reason: str = "Local") -> None:
        connector = self.connectors[number]
        if connector.transaction_id is None:
            return
        transaction_id = connector.transaction_id
        connector.end()
        stamp = now_iso()
        final = connector.register_sample("Transaction.End")
        await self.call(
            "StopTransaction",
            {
                "transactionId": transaction_id,
                "idTag": connector.id_tag or self.settings.id_tag,
                "meterStop": connector.register_wh,
                "timestamp": stamp,
                "reason": reason,
                "transactionData": [{"timestamp": stamp, "sampledValue": [final]}],
            },
        )
        self.stats.transactions_stopped += 1

    async def send_firmware_status(self, status: str) -> None:
        await self.call("FirmwareStatusNotification", {"status": status})

    async def send_diagnostics_status(self, status: str) -> None:
        await self.call("DiagnosticsStatusNotification", {"status": status})

    # --- behaviour ---------------------------------------------------------------------

    async def charge(self, number: int, *, id_tag: str | None = None, remote: bool = False) -> None:
        """One charging session: (Authorize), Preparing, StartTransaction, Charging with
        MeterValues until it ends (time is up, RemoteStop, unlock), StopTransaction."""
        connector = self.connectors[number]
        connector.busy = True
        connector.ready()
        task = asyncio.current_task()
        if task is not None:
            self._charging.add(task)
        try:
            tag = id_tag or self.settings.id_tag
            if not remote and await self.authorize(tag) != "Accepted":
                return
            await self.send_status(number, "Preparing")
            if self.stopping or connector.interrupted:  # unplugged before it started
                await self.send_status(number, "Available")
                return
            if await self.start_transaction(number, tag) is None:
                await self.send_status(number, "Available")
                return
            await self.send_status(number, "Charging")
            length = self.settings.session_seconds * self.random.uniform(0.8, 1.2)
            reason = await connector.charge_until(
                length, lambda: self.meter_interval, self.send_meter_values
            )
            await self.stop_transaction(number, reason)
            await self.send_status(number, "Finishing")
            await self.send_status(number, "Available")
        finally:
            connector.busy = False
            if task is not None:
                self._charging.discard(task)

    async def _heartbeats(self) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_interval)
            await self.heartbeat()

    async def _sessions(self, number: int) -> None:
        connector = self.connectors[number]
        await asyncio.sleep(self.random.uniform(0, self.settings.pause_seconds))
        while not self.stopping:
            if not connector.busy and connector.available:
                await self.charge(number)
            if self.stopping:
                return
            await asyncio.sleep(self.settings.pause_seconds * self.random.uniform(0.5, 1.5))

    async def run_once(self, stop: asyncio.Event) -> None:
        """Connect, boot until Accepted, report, then heartbeat and charge until `stop` or
        the connection ends; on `stop`, end open transactions and close."""
        await self.connect()
        self.stopping = False
        try:
            while await self.boot() != "Accepted":
                if await _wait(stop, self.closed, timeout=self.heartbeat_interval):
                    return
            await self.send_all_statuses()
            self.spawn(self._heartbeats())
            if self.settings.charge:
                for number in self.connectors:
                    self.spawn(self._sessions(number))
            await _wait(stop, self.closed, self._rebooting)
            if self._rebooting.is_set() and not self.closed.is_set():
                await self.finish(f"{self.reboot_requested}Reset")
            elif stop.is_set() and not self.closed.is_set():
                await self.finish("Other")
        finally:
            self._rebooting.clear()
            await self.close()

    def reboot(self, kind: str) -> None:
        """After an accepted Reset: end the transactions, disconnect, boot again."""
        self.reboot_requested = kind
        self._rebooting.set()

    async def finish(self, reason: str) -> None:
        """End every session (before a shutdown or a reset): each stops its transaction
        with `reason`; whatever is left after the call timeout is cancelled."""
        self.stopping = True
        for connector in self.connectors.values():
            connector.interrupt(reason)
        charging = [t for t in self._charging if t is not asyncio.current_task()]
        if charging:
            await asyncio.wait(charging, timeout=self.call_timeout)
        self._cancel_tasks()
        for number, connector in self.connectors.items():
            if connector.transaction_id is not None:
                with contextlib.suppress(CallError, TimeoutError, ConnectionError):
                    await self.stop_transaction(number, reason)

    async def run(self, stop: asyncio.Event, backoff: float = 1.0) -> None:
        """`run_once` again after a lost connection or a reset, with a growing back-off."""
        delay = backoff
        while not stop.is_set():
            try:
                await self.run_once(stop)
                delay = backoff
            except (OSError, websockets.WebSocketException, CallError, TimeoutError) as error:
                self.stats.connection_failures += 1
                self.stats.last_error = f"{self.identifier}: {error}"
                delay = min(delay * 2, 30.0)
            if self.reboot_requested:
                self.reboot_requested = None
                delay = backoff
            await _wait(stop, timeout=delay * self.random.uniform(0.5, 1.0))


async def _wait(*events: asyncio.Event, timeout: float | None = None) -> bool:  # noqa: ASYNC109
    """Wait until one of the events is set (True) or the timeout passes (False)."""
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        done, _ = await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
    return bool(done)
