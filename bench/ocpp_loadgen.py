"""The load generator of bench/ocpp_load.py, run in a process of its own: N stations as raw
websocket connections (asyncio protocols on uvloop, no websocket library), so that one CPU
drives far more messages than a server can answer.

Cheap on purpose: every frame a station sends is serialised once (its BootNotification,
StartTransaction and MeterValues; client frames are masked with the all-zero key, which
leaves the payload as is), and an answer is recognised by its first bytes. Only the answers
to StartTransaction are parsed (for the transaction id).

    python bench/ocpp_loadgen.py --target evcms=ws://127.0.0.1:8000/ocpp/bench@1234 \
        [--target bare=...] --stations 5000 --password secret [--seconds 10] [--rate 1000]

prints one JSON object with each server's figures by phase; progress on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import random
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from benchkit import cpu_seconds, log, rss_kib

TIMESTAMP = "2025-01-01T12:00:00.000Z"
PING, PONG, CLOSE, TEXT = 0x9, 0xA, 0x8, 0x1
ANSWER_SECONDS = 120.0


def frame(payload: bytes, opcode: int = TEXT) -> bytes:
    """A masked client frame; the zero mask key leaves the payload unchanged."""
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x80 | opcode, 0x80 | size)
    elif size < 65536:
        head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, size)
    else:
        head = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, size)
    return head + b"\x00\x00\x00\x00" + payload


def call(unique_id: str, action: str, payload: dict[str, Any]) -> bytes:
    return frame(json.dumps([2, unique_id, action, payload], separators=(",", ":")).encode())


def meter_values(connector: int, transaction_id: int, rng: random.Random) -> bytes:
    """A MeterValues as the simulator sends it: energy register, power, current, voltage, SoC."""
    from evcms.simulate.meter import Connector

    meter = Connector(connector, rng)
    meter.begin(transaction_id, "BENCH")
    meter.advance(60.0)
    sampled = {"timestamp": TIMESTAMP, "sampledValue": meter.sampled_values()}
    payload = {"connectorId": connector, "transactionId": transaction_id, "meterValue": [sampled]}
    return call("mv", "MeterValues", payload)


class Link(asyncio.BufferedProtocol):
    """One station's websocket: handshake, then frames; answers go to `on_answer`. The
    event loop reads straight into `chunk` (a buffered protocol: no bytes object per read)."""

    def __init__(self, request: bytes) -> None:
        self.request = request
        self.transport: Any = None  # uvloop's transports are not asyncio.Transport
        self.buffer = bytearray()
        self.open = False
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.on_answer: Callable[[Link, bytes], None] = lambda link, payload: None
        self.busy = False
        self.sent_at = 0.0
        self.frame = b""  # its MeterValues frame
        self.chunk = bytearray(65536)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        transport.write(self.request)

    def get_buffer(self, sizehint: int) -> memoryview:
        return memoryview(self.chunk)

    def buffer_updated(self, nbytes: int) -> None:
        self.buffer += memoryview(self.chunk)[:nbytes]
        if not self.open:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(self.buffer[:end]).split(b"\r\n", 1)[0]
            del self.buffer[: end + 4]
            if b" 101 " not in status + b" ":
                if not self.opened.done():  # not given up on already
                    self.opened.set_exception(ConnectionError(status.decode(errors="replace")))
                self.transport.close()
                return
            self.open = True
            if not self.opened.done():
                self.opened.set_result(None)
        self._frames()

    def _frames(self) -> None:
        buffer = self.buffer
        while len(buffer) >= 2:
            opcode, size, start = buffer[0] & 0x0F, buffer[1] & 0x7F, 2
            if size == 126:
                if len(buffer) < 4:
                    return
                size, start = struct.unpack_from("!H", buffer, 2)[0], 4
            elif size == 127:
                if len(buffer) < 10:
                    return
                size, start = struct.unpack_from("!Q", buffer, 2)[0], 10
            if len(buffer) < start + size:
                return
            payload = bytes(buffer[start : start + size])
            del buffer[: start + size]
            if opcode == TEXT:
                self.on_answer(self, payload)
            elif opcode == PING:
                self.send(frame(payload, PONG))
            elif opcode == CLOSE and self.transport is not None:
                self.transport.close()

    def send(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.write(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.open = False
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(str(exc or "connection closed")))


def handshake(host: str, path: str, identifier: str, password: str) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    auth = base64.b64encode(f"{identifier}:{password}".encode()).decode()
    return (
        f"GET {path}/{identifier} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Sec-WebSocket-Protocol: ocpp1.6\r\nAuthorization: Basic {auth}\r\n\r\n"
    ).encode()


async def ask(link: Link, data: bytes) -> bytes:
    """Send one CALL and wait (at most ANSWER_SECONDS) for the answer."""
    answer: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
    link.on_answer = lambda _, payload: answer.done() or answer.set_result(payload)
    link.send(data)
    return await asyncio.wait_for(answer, ANSWER_SECONDS)


def stolen_seconds() -> float:
    """CPU time the hypervisor gave to others, all CPUs (steal in /proc/stat)."""
    with open("/proc/stat") as stat:
        fields = stat.readline().split()
    return int(fields[8]) / os.sysconf("SC_CLK_TCK") if len(fields) > 8 else 0.0


class Meter:
    """Wall time, this process's and the server's CPU time, and the CPU time stolen from
    this machine, over one phase."""

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        self.server_cpu = cpu_seconds(server_pid)
        self.stolen = stolen_seconds()

    def report(self) -> dict[str, float]:
        wall = time.perf_counter() - self.wall
        return {
            "seconds": round(wall, 3),
            "generator_cpu_share": round((time.process_time() - self.cpu) / wall, 3),
            "server_cpu_share": round((cpu_seconds(self.server_pid) - self.server_cpu) / wall, 3),
            "stolen_cpu_share": round((stolen_seconds() - self.stolen) / wall, 3),
        }


@dataclass
class Target:
    """A server under test: its OCPP URL (ws://host:port/ocpp/{organisation}) and pid."""

    name: str
    url: str
    pid: int
    links: list[Link] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)


async def connect_all(target: Target, args: argparse.Namespace) -> dict[str, Any]:
    """Connect and boot every station, `--handshakes` at a time."""
    loop = asyncio.get_running_loop()
    parts = urlsplit(target.url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    gate = asyncio.Semaphore(args.handshakes)
    boot = call("b", "BootNotification", {"chargePointVendor": "bench", "chargePointModel": "load"})
    failures: list[str] = []
    connected_at: list[float] = []
    meter = Meter(target.pid)

    async def one(n: int) -> None:
        identifier = f"{args.prefix}{n:05d}"
        request = handshake(f"{host}:{port}", parts.path.rstrip("/"), identifier, args.password)
        async with gate:
            try:
                _, link = await loop.create_connection(lambda: Link(request), host, port)
                await asyncio.wait_for(link.opened, ANSWER_SECONDS)
                connected_at.append(time.perf_counter())
                answer = await ask(link, boot)
            except (OSError, ConnectionError, TimeoutError) as error:
                failures.append(f"{identifier}: {error!r}")
                return
        if b'"Accepted"' not in answer:
            failures.append(f"{identifier}: boot answered {answer[:200]!r}")
            return
        target.links.append(link)

    await asyncio.gather(*(one(n) for n in range(1, args.stations + 1)))
    report = meter.report()
    report["connect_seconds"] = round(max(connected_at, default=meter.wall) - meter.wall, 3)
    report.update(booted=len(target.links), failures=len(failures))
    if failures:
        report["first_failures"] = failures[:5]
    return report


async def start_transactions(target: Target, args: argparse.Namespace) -> dict[str, Any]:
    gate = asyncio.Semaphore(args.handshakes)
    rng = random.Random(1)
    meter = Meter(target.pid)
    payload = {"connectorId": 1, "idTag": args.id_tag, "meterStart": 0, "timestamp": TIMESTAMP}
    start = call("s", "StartTransaction", payload)

    async def one(link: Link) -> None:
        async with gate:
            answer = json.loads(await ask(link, start))
        link.frame = meter_values(1, int(answer[2]["transactionId"]), rng)

    await asyncio.gather(*(one(link) for link in target.links))
    return meter.report()


async def saturate(target: Target, args: argparse.Namespace, seconds: float) -> dict[str, Any]:
    """Each station sends its next MeterValues as soon as the previous one is answered (at
    most `--window` in flight in all); counts the answers of the measured seconds."""
    state = {"counting": False, "sending": True, "answers": 0, "errors": 0, "in_flight": 0}

    def on_answer(link: Link, payload: bytes) -> None:
        state["in_flight"] -= 1
        if state["counting"]:
            state["answers"] += 1
            if not payload.startswith(b"[3,"):
                state["errors"] += 1
        if state["sending"]:
            state["in_flight"] += 1
            link.send(link.frame)

    for link in target.links[: args.window or len(target.links)]:
        link.on_answer = on_answer
        state["in_flight"] += 1
        link.send(link.frame)
    await asyncio.sleep(args.warmup)
    meter = Meter(target.pid)
    state["counting"] = True
    await asyncio.sleep(seconds)
    state["counting"] = False
    report: dict[str, Any] = meter.report()
    state["sending"] = False
    await drain(lambda: state["in_flight"] > 0)
    report.update(answers=state["answers"], errors=state["errors"])
    return report


async def fixed_rate(target: Target, args: argparse.Namespace, seconds: float) -> dict[str, Any]:
    """MeterValues at `--rate` per second in all, round robin over the stations; latency of
    each from send to answer. A station still waiting for its answer is skipped."""
    latencies: list[float] = []
    counts = {"errors": 0, "skipped_busy": 0, "answered_in_time": 0}
    end = time.perf_counter() + seconds

    def on_answer(link: Link, payload: bytes) -> None:
        link.busy = False
        now = time.perf_counter()
        latencies.append(now - link.sent_at)
        counts["answered_in_time"] += int(now <= end)  # a backlog: fewer answers in time
        if not payload.startswith(b"[3,"):
            counts["errors"] += 1

    links = target.links
    for link in links:
        link.on_answer, link.busy = on_answer, False
    meter = Meter(target.pid)
    start, sent = end - seconds, 0
    while (now := time.perf_counter()) - start < seconds:
        for _ in range(int((now - start) * args.rate) - sent):
            link = links[sent % len(links)]
            sent += 1
            if link.busy:
                counts["skipped_busy"] += 1
                continue
            link.busy, link.sent_at = True, time.perf_counter()
            link.send(link.frame)
        await asyncio.sleep(0.001)
    report: dict[str, Any] = meter.report()
    await drain(lambda: any(link.busy for link in links))
    return {**report, **counts, "latencies": latencies}


async def drain(waiting: Callable[[], bool], seconds: float = 60.0) -> None:
    """Poll until the answers still in flight have come (or `seconds` passed)."""
    deadline = time.monotonic() + seconds
    while waiting() and time.monotonic() < deadline:  # noqa: ASYNC110 - callbacks, no event
        await asyncio.sleep(0.02)


def combined(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Rounds of one phase as one: sums, and CPU shares weighted by time."""
    seconds = sum(r["seconds"] for r in rounds)
    out: dict[str, Any] = {"seconds": round(seconds, 3)}
    for share in ("generator_cpu_share", "server_cpu_share", "stolen_cpu_share"):
        out[share] = round(sum(r[share] * r["seconds"] for r in rounds) / seconds, 3)
    for count in ("answers", "errors", "skipped_busy", "answered_in_time"):
        if count in rounds[0]:
            out[count] = sum(r[count] for r in rounds)
    return out


def saturation_report(rounds: list[dict[str, Any]], window: int) -> dict[str, Any]:
    out = combined(rounds)
    out["messages_per_second"] = round(out["answers"] / out["seconds"], 1)
    cpu = out["server_cpu_share"] * out["seconds"]
    out["server_cpu_us_per_message"] = round(1e6 * cpu / max(1, out["answers"]), 1)
    out["per_round"] = [round(r["answers"] / r["seconds"], 1) for r in rounds]
    out["in_flight"] = window
    return out


def fixed_report(rounds: list[dict[str, Any]], rate: float) -> dict[str, Any]:
    out = combined(rounds)
    latencies = sorted(x for r in rounds for x in r["latencies"])

    def ms(p: float) -> float | None:
        if not latencies:
            return None
        return round(1000 * latencies[min(len(latencies) - 1, int(p * len(latencies)))], 2)

    out.update(
        rate_asked=rate,
        rate_answered=round(out["answered_in_time"] / out["seconds"], 1),
        p50_ms=ms(0.50),
        p99_ms=ms(0.99),
        max_ms=ms(1.0),
    )
    return out


async def run(targets: list[Target], args: argparse.Namespace) -> dict[str, Any]:
    """Connect and boot (one server after the other), then the measured phases in
    interleaved rounds, so that whatever else the machine does hits every server alike."""
    for target in targets:
        rss_before = rss_kib(target.pid)
        log(f"{target.name}: connecting and booting {args.stations} stations")
        boot = await connect_all(target, args)
        log(f"{target.name}: booted {boot['booted']} in {boot['seconds']} s")
        await asyncio.sleep(args.idle_seconds)
        rss_idle = rss_kib(target.pid)
        per_link = (rss_idle - rss_before) / max(1, len(target.links))
        target.report["connect_and_boot"] = boot
        target.report["memory"] = {
            "server_rss_kib_before": rss_before,
            "server_rss_kib_idle": rss_idle,
            "kib_per_idle_connection": round(per_link, 2),
        }
    live = [t for t in targets if t.links]
    for target in live:
        log(f"{target.name}: a StartTransaction on every station")
        target.report["start_transactions"] = await start_transactions(target, args)
    slice_seconds = args.seconds / args.rounds
    saturated: dict[str, list[Any]] = {t.name: [] for t in live}
    fixed: dict[str, list[Any]] = {t.name: [] for t in live}
    for n in range(args.rounds):
        for target in live:
            saturated[target.name].append(await saturate(target, args, slice_seconds))
            answers = saturated[target.name][-1]["answers"]
            log(f"{target.name}: saturation round {n + 1}: {answers / slice_seconds:.0f}/s")
    for n in range(args.rounds):
        for target in live:
            fixed[target.name].append(await fixed_rate(target, args, slice_seconds))
            log(f"{target.name}: fixed rate round {n + 1} done")
    for target in live:
        window = min(args.window or len(target.links), len(target.links))
        target.report["saturation"] = saturation_report(saturated[target.name], window)
        target.report["fixed_rate"] = fixed_report(fixed[target.name], args.rate)
        for link in target.links:
            if link.transport is not None:
                link.transport.close()
    return {target.name: target.report for target in targets}


def target(text: str) -> Target:
    """NAME=ws://host:port/ocpp/org@PID"""
    name, _, rest = text.partition("=")
    url, _, pid = rest.rpartition("@")
    return Target(name, url, int(pid))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", type=target, action="append", required=True,
                        help="NAME=ws://host:port/ocpp/ORGANISATION@SERVER_PID")  # fmt: skip
    parser.add_argument("--stations", type=int, default=5000)
    parser.add_argument("--prefix", default="BENCH-")
    parser.add_argument("--password", required=True)
    parser.add_argument("--id-tag", default="BENCHTAG")
    parser.add_argument("--seconds", type=float, default=10.0, help="each phase, all rounds")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--warmup", type=float, default=1.0, help="before each saturation round")
    parser.add_argument("--rate", type=float, default=1000.0)
    parser.add_argument("--window", type=int, default=0, help="in flight in all (0: N)")
    parser.add_argument("--handshakes", type=int, default=100, help="connections opened at once")
    parser.add_argument("--idle-seconds", type=float, default=3.0)
    args = parser.parse_args()
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(run(args.target, args))
        result["loop"] = "asyncio"
    else:
        result = uvloop.run(run(args.target, args))
        result["loop"] = "uvloop"
    print(json.dumps(result))


if __name__ == "__main__":
    main()
