"""The options of `evcms simulate` (kept apart so that `evcms --help` imports nothing heavy)."""

from __future__ import annotations

import argparse
import os
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from evcms.simulate.runner import Options

IDENTIFIER_PREFIX = re.compile(r"[A-Za-z0-9_-]{0,56}")

SUMMARY = "run simulated OCPP 1.6J charging stations against a server"
DETAILS = """\
Each station is a real websocket client (subprotocol ocpp1.6, HTTP Basic auth with the
station identifier as username): BootNotification, StatusNotification of every connector,
Heartbeat, then charging sessions on every connector (Authorize, StartTransaction,
MeterValues every --meter-interval seconds with the energy register, power, current,
voltage and state of charge, StopTransaction). It answers the central system's commands
(Reset, UnlockConnector, ClearCache, ChangeAvailability, GetConfiguration,
ChangeConfiguration, TriggerMessage, RemoteStart/StopTransaction, UpdateFirmware,
GetDiagnostics, Set/ClearChargingProfile, SendLocalList, GetLocalListVersion, DataTransfer)
accepting them, or refusing those named with --refuse, and then does what was asked.

With --login the stations are first provisioned over GraphQL as that operator (password
from --password or EVCMS_PASSWORD): missing stations are created (discovered ones adopted)
with --connectors charging points, each gets a new OCPP password, and a charging user
holding the --id-tag token is created with access to the operator's base group. Without
--login every station connects with --station-password.

A progress line is printed every few seconds; Ctrl-C (or --duration) stops the open
transactions and closes the connections; a second Ctrl-C stops at once."""
EXAMPLES = """\
examples:
  evcms serve                                   # in one terminal
  EVCMS_PASSWORD=... evcms simulate --login admin --stations 5 --meter-interval 5
  evcms simulate --station-password SECRET --prefix CP- --stations 1 --refuse Reset"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add = parser.add_argument
    add("--url", default="http://127.0.0.1:8000", help="the server (http://127.0.0.1:8000)")
    add("--organisation", default="demo", metavar="SLUG", help="organisation slug (demo)")
    add("--stations", type=int, default=10, metavar="N", help="how many stations (10)")
    add("--prefix", default="SIM-", help="identifiers are PREFIX001, PREFIX002, ... (SIM-)")
    add("--connectors", type=int, default=2, help="connectors per station (2)")
    add("--meter-interval", type=float, default=10.0, metavar="SECONDS",
        help="MeterValues interval during a transaction (10)")  # fmt: skip
    add("--session-seconds", type=float, default=120.0, metavar="SECONDS",
        help="length of a charging session, +-20%% (120)")  # fmt: skip
    add("--pause-seconds", type=float, default=10.0, metavar="SECONDS",
        help="idle time between sessions on a connector, +-50%% (10)")  # fmt: skip
    add("--no-charging", action="store_true",
        help="start no sessions by themselves (only on RemoteStartTransaction)")  # fmt: skip
    add("--heartbeat", type=float, metavar="SECONDS",
        help="heartbeat interval (default: what the BootNotification answer says)")  # fmt: skip
    add("--duration", type=float, default=0.0, metavar="SECONDS",
        help="stop after this long; 0 runs until Ctrl-C (0)")  # fmt: skip
    add("--id-tag", default="SIM-TOKEN", help="the RFID token the stations charge with")
    add("--refuse", nargs="?", const="*", default="", metavar="ACTION,...",
        help="refuse these commands (Reset,ClearCache,...); alone: refuse all")  # fmt: skip
    add("--station-password", help="the OCPP password of every station (without --login)")
    add("--login", metavar="USERNAME", help="provision the stations over GraphQL as this operator")
    add("--password", help="the operator's password (default: the EVCMS_PASSWORD variable)")
    add("--connect-rate", type=float, default=100.0, metavar="PER_SECOND",
        help="new connections per second (100)")  # fmt: skip
    add("--progress", type=float, default=5.0, metavar="SECONDS",
        help="seconds between progress lines (5)")  # fmt: skip


def options_from(args: argparse.Namespace) -> Options:
    """The runner's Options from parsed arguments."""
    from evcms.simulate.runner import Options, SimulationError
    from evcms.simulate.station import StationSettings

    positive = {
        "--connectors": args.connectors,
        "--meter-interval": args.meter_interval,
        "--session-seconds": args.session_seconds,
        "--connect-rate": args.connect_rate,
        "--progress": args.progress,
    }
    for name, value in positive.items():
        if value <= 0:
            raise SimulationError(f"{name} must be more than 0")
    if args.pause_seconds < 0 or args.duration < 0 or (args.heartbeat or 1) <= 0:
        raise SimulationError("--pause-seconds, --duration and --heartbeat cannot be negative")
    if not IDENTIFIER_PREFIX.fullmatch(args.prefix):
        raise SimulationError("--prefix may hold letters, digits, - and _ (at most 56)")
    refuse = frozenset(a.strip() for a in args.refuse.split(",") if a.strip())
    return Options(
        url=args.url,
        organisation=args.organisation,
        stations=args.stations,
        prefix=args.prefix,
        duration=args.duration,
        station_password=args.station_password,
        login=args.login,
        password=args.password or os.environ.get("EVCMS_PASSWORD"),
        connect_rate=args.connect_rate,
        progress_seconds=args.progress,
        station=StationSettings(
            connectors=args.connectors,
            id_tag=args.id_tag,
            meter_interval=args.meter_interval,
            session_seconds=args.session_seconds,
            pause_seconds=args.pause_seconds,
            charge=not args.no_charging,
            heartbeat_interval=args.heartbeat,
            refuse=refuse,
        ),
    )
