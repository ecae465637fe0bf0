"""A simulated connector and the car charging on it: energy register, power, current,
voltage and state of charge that move as a real three-phase AC charge does."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable
from typing import Any

PHASES = 3
NOMINAL_VOLTAGE = 230.0
BATTERIES_WH = (40_000, 58_000, 77_000, 100_000)
TAPER_FROM = 80.0  # state of charge (%) above which the car draws less and less
DEFAULT_MAX_POWER_W = 11_000.0


class Connector:
    """One connector: its status, its transaction and its meter."""

    def __init__(
        self, number: int, rng: random.Random, max_power_w: float = DEFAULT_MAX_POWER_W
    ) -> None:
        self.number = number
        self.random = rng
        self.max_power_w = max_power_w
        self.status = "Available"
        self.transaction_id: int | None = None
        self.id_tag: str | None = None
        self.register_wh = rng.randrange(0, 5_000_000)  # a meter that has seen some use
        self._energy_wh = float(self.register_wh)
        self.limit_w: float | None = None  # from a charging profile
        self.soc = 0.0
        self.capacity_wh = BATTERIES_WH[0]
        self.power_w = 0.0
        self.voltage = NOMINAL_VOLTAGE
        self.busy = False  # a session is running (or being set up) on it
        self.stop_reason = "Local"
        self._stop = asyncio.Event()

    @property
    def available(self) -> bool:
        return self.status != "Unavailable"

    def begin(self, transaction_id: int, id_tag: str) -> None:
        """A car is plugged in and its transaction started."""
        self.transaction_id = transaction_id
        self.id_tag = id_tag
        self.soc = self.random.uniform(15.0, 60.0)
        self.capacity_wh = self.random.choice(BATTERIES_WH)

    def end(self) -> None:
        self.transaction_id = None
        self.power_w = 0.0

    def ready(self) -> None:
        """A new session is about to start: no interruption pending."""
        self.stop_reason = "Local"
        self._stop.clear()

    @property
    def interrupted(self) -> bool:
        return self._stop.is_set()

    def interrupt(self, reason: str) -> None:
        """End the running session early (RemoteStop, unlock, reset, shutdown)."""
        self.stop_reason = reason
        self._stop.set()

    def advance(self, seconds: float) -> None:
        """Charge for `seconds` at the power the car draws now."""
        if self.transaction_id is None:
            self.power_w = 0.0
            return
        if seconds <= 0:  # a reading now (TriggerMessage): the power drawn stays
            return
        offered = min(self.max_power_w, self.limit_w or self.max_power_w)
        taper = 1.0 if self.soc < TAPER_FROM else max(0.0, (100.0 - self.soc) / (100 - TAPER_FROM))
        self.power_w = max(0.0, offered * taper * self.random.uniform(0.97, 1.0))
        self.voltage = NOMINAL_VOLTAGE + self.random.gauss(0.0, 1.5)
        delivered = self.power_w * seconds / 3600.0
        self._energy_wh += delivered
        self.register_wh = int(self._energy_wh)
        self.soc = min(100.0, self.soc + 100.0 * delivered / self.capacity_wh)

    def register_sample(self, context: str = "Sample.Periodic") -> dict[str, Any]:
        return {
            "value": str(self.register_wh),
            "context": context,
            "measurand": "Energy.Active.Import.Register",
            "location": "Outlet",
            "unit": "Wh",
        }

    def sampled_values(self) -> list[dict[str, Any]]:
        """Energy register, power, current, voltage and (while charging) state of charge."""
        current = self.power_w / (PHASES * self.voltage)
        values = [
            self.register_sample(),
            _sample(f"{self.power_w:.1f}", "Power.Active.Import", "W"),
            _sample(f"{current:.2f}", "Current.Import", "A"),
            _sample(f"{self.voltage:.1f}", "Voltage", "V"),
        ]
        if self.transaction_id is not None:
            values.append(_sample(f"{self.soc:.1f}", "SoC", "Percent", location="EV"))
        return values

    async def charge_until(
        self,
        seconds: float,
        interval: Callable[[], float],
        send: Callable[[int, float], Awaitable[None]],
    ) -> str:
        """Send meter values every `interval()` seconds for `seconds`, or until interrupted;
        the energy up to the end is on the register. Returns the stop reason."""
        loop = asyncio.get_running_loop()
        end = loop.time() + seconds
        last = loop.time()
        while True:
            wait = max(0.0, min(interval(), end - loop.time()))
            stopped = False
            with contextlib.suppress(TimeoutError):
                stopped = await asyncio.wait_for(self._stop.wait(), wait)
            now = loop.time()
            if stopped or now >= end:
                self.advance(now - last)
                return self.stop_reason if stopped else "Local"
            await send(self.number, now - last)
            last = now


def _sample(value: str, measurand: str, unit: str, location: str = "Outlet") -> dict[str, Any]:
    return {
        "value": value,
        "context": "Sample.Periodic",
        "measurand": measurand,
        "location": location,
        "unit": unit,
    }
