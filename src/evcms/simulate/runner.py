"""`evcms simulate`: N simulated stations against a server, with a progress line every few
seconds, until the duration is over or Ctrl-C (SIGINT/SIGTERM) ends it cleanly: open
transactions are stopped, websockets closed."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from evcms.simulate.provision import provision
from evcms.simulate.station import SimulatedStation, StationSettings, Stats


class SimulationError(Exception):
    """Bad options or a failed provisioning step: reported without a stack trace."""


@dataclass
class Options:
    url: str = "http://127.0.0.1:8000"
    organisation: str = "demo"
    stations: int = 10
    prefix: str = "SIM-"
    duration: float = 0.0  # seconds; 0: until stopped
    station_password: str | None = None
    login: str | None = None  # provision over GraphQL as this operator
    password: str | None = None
    connect_rate: float = 100.0  # new connections per second
    progress_seconds: float = 5.0
    station: StationSettings = field(default_factory=StationSettings)


def ws_base(url: str, organisation: str) -> str:
    """http://host:port[/prefix] -> ws://host:port[/prefix]/ocpp/{organisation}."""
    parts = urlsplit(url)
    scheme = {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}.get(parts.scheme)
    if scheme is None or not parts.netloc:
        raise SimulationError(f"--url must be an http(s):// or ws(s):// URL, not {url!r}")
    path = parts.path.rstrip("/")
    if not path.endswith("/ocpp"):
        path += "/ocpp"
    return urlunsplit((scheme, parts.netloc, f"{path}/{organisation}", "", ""))


def http_base(url: str) -> str:
    parts = urlsplit(url)
    scheme = {"ws": "http", "wss": "https"}.get(parts.scheme, parts.scheme)
    path = parts.path.rstrip("/").removesuffix("/ocpp")
    return urlunsplit((scheme, parts.netloc, path, "", ""))


def identifiers(prefix: str, count: int) -> list[str]:
    width = max(3, len(str(count)))
    return [f"{prefix}{n:0{width}d}" for n in range(1, count + 1)]


class Progress:
    """One compact line: stations, messages per second, transactions, errors."""

    def __init__(self, stats: Stats, say: Callable[[str], None]) -> None:
        self.stats = stats
        self.say = say
        self.started = self.last = time.monotonic()
        self.last_messages = 0

    def line(self) -> str:
        now, s = time.monotonic(), self.stats
        rate = (s.messages - self.last_messages) / max(now - self.last, 1e-6)
        self.last, self.last_messages = now, s.messages
        text = (
            f"[{now - self.started:6.0f}s] stations {s.connected}/{s.stations} connected, "
            f"{s.accepted} accepted | {rate:.1f} msg/s | transactions {s.active_transactions} "
            f"active, {s.transactions_stopped} done | commands answered {s.calls_answered} "
            f"| errors {s.call_errors + s.connection_failures}"
        )
        return text + (f" (last: {s.last_error})" if s.last_error else "")

    def summary(self) -> str:
        s = self.stats
        elapsed = time.monotonic() - self.started
        return (
            f"simulated {s.stations} stations for {elapsed:.0f}s: {s.messages} messages "
            f"({s.messages / max(elapsed, 1e-6):.1f}/s), {s.transactions_started} transactions "
            f"started, {s.transactions_stopped} stopped, {s.calls_answered} commands answered, "
            f"{s.call_errors} call errors, {s.connection_failures} connection failures"
        )


async def prepare(options: Options, say: Callable[[str], None]) -> dict[str, str | None]:
    """Each station's password: provisioned over GraphQL with --login, else the one given."""
    names = identifiers(options.prefix, options.stations)
    if options.login:
        if not options.password:
            raise SimulationError("--login needs --password or the EVCMS_PASSWORD variable")
        say(f"provisioning {len(names)} stations as {options.login} at {http_base(options.url)}")
        done = await provision(
            http_base(options.url),
            username=options.login,
            password=options.password,
            identifiers=names,
            connectors=options.station.connectors,
            id_tag=options.station.id_tag,
            say=say,
        )
        if not done.token_authorized:
            say(f"warning: token {options.station.id_tag} may not charge: {done.explanation}")
        return dict(done.passwords)
    if options.station_password is None:
        raise SimulationError("give --station-password, or --login to provision the stations")
    return dict.fromkeys(names, options.station_password)


async def simulate(
    options: Options,
    *,
    stop: asyncio.Event | None = None,
    say: Callable[[str], None] = print,
    stats: Stats | None = None,
) -> Stats:
    """Run the simulation until `stop` is set or the duration is over; returns the counters."""
    if options.stations < 1:
        raise SimulationError("--stations must be at least 1")
    base = ws_base(options.url, options.organisation)
    passwords = await prepare(options, say)
    stats = stats or Stats()
    stats.stations = len(passwords)
    stop = stop or asyncio.Event()
    progress = Progress(stats, say)
    say(f"connecting {stats.stations} stations to {base}/{{identifier}} (Ctrl-C stops)")
    tasks: list[asyncio.Task[None]] = []
    reporter = asyncio.create_task(_report(progress, stop, options.progress_seconds))
    loop = asyncio.get_running_loop()
    timer = loop.call_later(options.duration, stop.set) if options.duration else None
    try:
        for identifier, password in passwords.items():
            station = SimulatedStation(identifier, base, password, options.station, stats)
            tasks.append(asyncio.create_task(station.run(stop)))
            if await _sleep_or_stop(stop, 1.0 / options.connect_rate):
                break
        await stop.wait()
    finally:
        if timer is not None:
            timer.cancel()
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        reporter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reporter
    say(progress.summary())
    return stats


async def _sleep_or_stop(stop: asyncio.Event, seconds: float | None) -> bool:
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return False
    return True


async def _report(progress: Progress, stop: asyncio.Event, every: float) -> None:
    while not await _sleep_or_stop(stop, every):
        progress.say(progress.line())


async def main(options: Options, say: Callable[[str], None] = print) -> Stats:
    """`simulate` with SIGINT/SIGTERM ending it cleanly (a second one stops at once)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    main_task = asyncio.current_task()

    def on_signal() -> None:
        if stop.is_set() and main_task is not None:
            main_task.cancel()
            return
        say("stopping: ending transactions and closing connections (Ctrl-C again to force)")
        stop.set()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    try:
        return await simulate(options, stop=stop, say=say)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
