"""Ctrl-C and SIGTERM on a one-shot `run`: stop within seconds, keep what is loaded consistent,
print one line, exit 130 or 143.

The first signal asks everything to stop: dlt's own checkpoints (between extracted items, normalize
and load jobs) are told through dlt's signal flag, and the sync's waits (rate limits, retries) are
woken through `stop`, so a worker waiting out a penalty stops at once. dlt commits cursors only with
a completed load, and a load package left half-loaded is finished by the next run first, so the next
run resumes exactly. If the process is still running `GRACE_S` later (a request hanging on a slow
server), or on a second signal, it exits at once: as safe as a kill, which the crash tests cover.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from dlt.common.runtime import signals as dlt_signals

from shared.failures import EXIT_SIGINT, EXIT_SIGTERM

GRACE_S = 5.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
DLT_INTERCEPT_SIGNALS = "RUNTIME__INTERCEPT_SIGNALS"
EXIT_CODE = {signal.SIGINT: EXIT_SIGINT, signal.SIGTERM: EXIT_SIGTERM}


def stopped_line(signum: int) -> str:
    return (
        f"Stopped by {signal.Signals(signum).name}: what was loaded is kept and consistent; the next run "
        "resumes from there."
    )


@contextmanager
def stop_on_signal(stop: threading.Event) -> Iterator[dict]:
    """Within the block, SIGINT/SIGTERM set `stop` and dlt's signal flag; yields a dict whose
    "signum" says which signal arrived (None if none). dlt keeps its hands off the signals meanwhile."""
    received: dict = {"signum": None}

    def hard_exit(signum: int) -> None:
        os.write(sys.stderr.fileno(), (stopped_line(signum) + "\n").encode())
        os._exit(EXIT_CODE[signum])

    def handle(signum, frame) -> None:
        if received["signum"] is not None:
            hard_exit(received["signum"])
        received["signum"] = signum
        stop.set()
        dlt_signals.set_received_signal(signum)
        timer = threading.Timer(GRACE_S, hard_exit, args=(signum,))
        timer.daemon = True
        timer.start()

    with signals_handled_by(handle):
        yield received


@contextmanager
def signals_handled_by(handle) -> Iterator[None]:
    """SIGINT and SIGTERM go to `handle` within the block; pipelines created inside it leave the
    signals to us (dlt's `runtime.intercept_signals` off), and everything is restored after."""
    previous = {signum: signal.signal(signum, handle) for signum in STOP_SIGNALS}
    previous_intercept = os.environ.get(DLT_INTERCEPT_SIGNALS)
    os.environ[DLT_INTERCEPT_SIGNALS] = "false"
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if previous_intercept is None:
            os.environ.pop(DLT_INTERCEPT_SIGNALS, None)
        else:
            os.environ[DLT_INTERCEPT_SIGNALS] = previous_intercept
