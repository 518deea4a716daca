"""`pipedrive-sync run --every 15m`: run the sync again and again in one long-lived process.

Each run is an ordinary run (same lock, same state), so a scheduled process and a manual run never
write at the same time. After a failure the next attempt waits longer (exponential, capped) instead
of hammering an API that is down or a budget that is spent. SIGTERM/SIGINT end the loop cleanly:
a run in progress is finished (its data and cursors are committed together), then the process
exits 0. A second signal aborts the run at once; dlt only moves cursors with a completed load,
so the next run re-reads what the aborted one had not committed.
"""

from __future__ import annotations

import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from pipelines.interrupt import signals_handled_by

UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
INTERVAL_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd])\s*$")


def parse_interval(text: str) -> float:
    """'90s', '15m', '2h', '1d' -> seconds. The unit is required: a bare `15` meant 15 seconds to
    the code and 15 minutes to the user who typed it."""
    match = INTERVAL_PATTERN.match(text)
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"not an interval: {text!r} (a number and a unit: 30s, 15m, 2h, 1d)")
    return float(match.group(1)) * UNIT_SECONDS[match.group(2)]


@dataclass(frozen=True)
class Backoff:
    """Wait after the n-th failure in a row: first_s * 2**(n-1), never more than max_s."""

    first_s: float = 30.0
    max_s: float = 3600.0

    def delay(self, failures_in_a_row: int) -> float:
        return min(self.max_s, self.first_s * 2 ** (failures_in_a_row - 1))


@dataclass
class ScheduleStats:
    runs: int = 0
    failures: int = 0


def run_every(
    run_once: Callable[[], None],
    interval_s: float,
    stop: threading.Event,
    backoff: Backoff = Backoff(),
    log: Callable[[str], None] = lambda message: None,
    clock: Callable[[], float] = time.monotonic,
) -> ScheduleStats:
    """Call run_once every interval_s (start to start) until `stop` is set.

    run_once raising means the run failed: the next attempt comes after the backoff delay instead.
    Waiting is `stop.wait`, so a stop request ends a wait at once.
    """
    stats = ScheduleStats()
    failures_in_a_row = 0
    while not stop.is_set():
        started = clock()
        stats.runs += 1
        try:
            run_once()
        except Exception as error:  # noqa: BLE001 - any failure of one run must not end the schedule
            failures_in_a_row += 1
            stats.failures += 1
            wait_s = backoff.delay(failures_in_a_row)
            log(f"run failed ({failures_in_a_row} in a row): {error}; next attempt in {wait_s:.0f}s")
        else:
            failures_in_a_row = 0
            wait_s = max(0.0, interval_s - (clock() - started))
            log(f"run finished; next run in {wait_s:.0f}s")
        if stop.is_set():
            break
        stop.wait(wait_s)
    log("stopped")
    return stats


def run_scheduled(run_once: Callable[[], None], every: str, log: Callable[[str], None]) -> int:
    """The `run --every` loop for a command line: returns the exit code (0 after a clean stop)."""
    try:
        interval_s = parse_interval(every)
    except ValueError as error:
        log(f"Error: --every: {error}")
        return 2
    stop = threading.Event()
    log(f"syncing every {every}; SIGTERM or Ctrl-C stops after the current run")
    with stop_on_signals(stop, log):
        run_every(run_once, interval_s, stop, backoff=Backoff(max_s=max(interval_s, Backoff.max_s)), log=log)
    return 0


@contextmanager
def stop_on_signals(stop: threading.Event, log: Callable[[str], None]) -> Iterator[None]:
    """First SIGTERM/SIGINT: set `stop` (the current run finishes). Second: abort via KeyboardInterrupt.

    dlt would otherwise swap in its own handlers during normalize and load, and fail the run on the
    first signal without `stop` ever hearing of it; pipelines created inside this block leave the
    signals to it (dlt's `runtime.intercept_signals` off).
    """

    def handle(signum, frame) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        log(f"{signal.Signals(signum).name} received: finishing the current run, then exiting")

    with signals_handled_by(handle):
        yield
