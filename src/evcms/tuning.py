"""Process settings for a server node."""

from __future__ import annotations

import gc

# Allocations between young collections (default 700), and the older generations' ratios.
GC_THRESHOLDS = (20_000, 20, 20)


def tune_gc() -> None:
    """A server node keeps many long-lived objects (a set per connected station) and makes
    many short-lived ones per message; with the default thresholds the cyclic collector took
    about a third of the CPU of a MeterValues. What start-up made is never collected again."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
