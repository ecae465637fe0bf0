"""OCPP 1.6 payload validation: the `ocpp` library's path against the compiled validator.

    python bench/ocpp_validation.py [--seconds N] [--rounds R]

For three payloads a station sends all the time (BootNotification, StatusNotification, and
MeterValues with 10 sampled values) it measures, in one process and one thread:

* `library`: `await ocpp.messages.validate_payload(Call(...), "1.6")`, the stock path of
  `ocpp.charge_point.ChargePoint` (jsonschema Draft4Validator in the default thread pool),
  awaited one message after the other as a connection's handler does;
* `library_inline`: the same validator without the thread hop
  (`ocpp.messages.ASYNC_VALIDATION = False`), to tell jsonschema's cost from the pool's;
* `ours`: `ocpp_ws.validation.validate("1.6", action, payload)`.

Each is run for N seconds in all, split into R interleaved rounds, and the best round is
kept. Prints JSON (messages per second, `ratio` = ours / library, `inline_ratio` = ours /
library_inline, first-use compile time) on stdout, progress on stderr. Every payload is
checked to be valid on both paths first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from ocpp import messages

from ocpp_ws import validation

DATE = "2024-05-01T10:00:00Z"

PAYLOADS: dict[str, dict[str, Any]] = {
    "BootNotification": {
        "chargePointVendor": "VendorX",
        "chargePointModel": "SingleSocketCharger",
        "chargePointSerialNumber": "SN-0001",
        "firmwareVersion": "1.2.3",
        "meterType": "AC",
    },
    "StatusNotification": {
        "connectorId": 1,
        "errorCode": "NoError",
        "status": "Charging",
        "timestamp": DATE,
    },
    "MeterValues": {
        "connectorId": 1,
        "transactionId": 42,
        "meterValue": [
            {
                "timestamp": DATE,
                "sampledValue": [
                    {
                        "value": f"{230.0 + i * 1.5:.1f}",
                        "context": "Sample.Periodic",
                        "format": "Raw",
                        "measurand": measurand,
                        "phase": phase,
                        "location": "Outlet",
                        "unit": unit,
                    }
                    for i, (measurand, phase, unit) in enumerate(
                        [
                            ("Energy.Active.Import.Register", "L1", "Wh"),
                            ("Power.Active.Import", "L1", "W"),
                            ("Power.Active.Import", "L2", "W"),
                            ("Power.Active.Import", "L3", "W"),
                            ("Current.Import", "L1", "A"),
                            ("Current.Import", "L2", "A"),
                            ("Current.Import", "L3", "A"),
                            ("Voltage", "L1-N", "V"),
                            ("Voltage", "L2-N", "V"),
                            ("SoC", "L1", "Percent"),
                        ]
                    )
                ],
            }
        ],
    },
}


def log(*args: object) -> None:
    print(*args, file=sys.stderr, flush=True)


async def _rate(step: Callable[[], Awaitable[None]], seconds: float) -> float:
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(50):
            await step()
        count += 50
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


async def main_async(seconds: float, rounds: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for action, payload in PAYLOADS.items():
        t0 = time.perf_counter()
        validation.validate("1.6", action, payload)
        compile_ms = (time.perf_counter() - t0) * 1000
        messages.ASYNC_VALIDATION = True
        await messages.validate_payload(messages.Call("1", action, payload), "1.6")

        async def library(action: str = action, payload: dict[str, Any] = payload) -> None:
            await messages.validate_payload(messages.Call("1", action, payload), "1.6")

        async def ours(action: str = action, payload: dict[str, Any] = payload) -> None:
            validation.validate("1.6", action, payload)

        best = {"library": 0.0, "library_inline": 0.0, "ours": 0.0}
        for r in range(rounds):
            for name, step, threaded in (
                ("library", library, True),
                ("library_inline", library, False),
                ("ours", ours, True),
            ):
                messages.ASYNC_VALIDATION = threaded
                rate = await _rate(step, seconds / rounds / 3)
                best[name] = max(best[name], rate)
                log(f"{action} round {r + 1}/{rounds} {name}: {rate:,.0f} msg/s")
        messages.ASYNC_VALIDATION = True
        results[action] = {
            "library_msgs_per_s": round(best["library"]),
            "library_inline_msgs_per_s": round(best["library_inline"]),
            "ours_msgs_per_s": round(best["ours"]),
            "ratio": round(best["ours"] / best["library"], 1),
            "inline_ratio": round(best["ours"] / best["library_inline"], 1),
            "first_use_compile_ms": round(compile_ms, 2),
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=9.0, help="per payload, all paths")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results = asyncio.run(main_async(args.seconds, args.rounds))
    print(
        json.dumps(
            {
                "python": platform.python_version(),
                "seconds_per_payload": args.seconds,
                "rounds": args.rounds,
                "payloads": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
