"""Test-only switch that kills the sync with SIGKILL at a chosen point, so the reliability suite can
prove that a crash anywhere loses and duplicates nothing.

`PIPEDRIVE_SYNC_CRASH_AT=<phase>:<n>` kills the process at the n-th event of that phase:
- `extract`, `normalize`, `load`: progress events dlt reports while it runs that step (a batch
  handed over, a file normalized, a load job done), counted by the collector below;
- `transform`: before each SQL model `transforms.run_transforms` runs (all in one transaction).

Never set it outside tests: unset (the normal case) every hook here does nothing. It lives at the
bottom of the imports (`shared/`) so that `transforms` can call it without importing `pipelines`.
"""

from __future__ import annotations

import os
import signal
import threading
from collections import Counter

CRASH_AT_ENV = "PIPEDRIVE_SYNC_CRASH_AT"
PHASES = ("extract", "normalize", "load", "transform")

_events: Counter = Counter()
_events_lock = threading.Lock()


def crash_target() -> tuple[str, int] | None:
    value = os.environ.get(CRASH_AT_ENV)
    if not value:
        return None
    phase, _, count = value.partition(":")
    if phase not in PHASES or not count.isdigit() or int(count) < 1:
        raise ValueError(f"{CRASH_AT_ENV} must be <phase>:<n> with phase in {PHASES} and n >= 1")
    return phase, int(count)


def crash_point(phase: str) -> None:
    """Count one event of `phase`; die on the one the switch names."""
    target = crash_target()
    if target is None or target[0] != phase:
        return
    with _events_lock:
        _events[phase] += 1
        reached = _events[phase] == target[1]
    if reached:
        os.kill(os.getpid(), signal.SIGKILL)


def pipeline_progress() -> dict:
    """Extra `dlt.pipeline(...)` arguments: the crash collector when the switch is set, else none."""
    return {"progress": crash_collector()} if crash_target() else {}


def crash_collector():
    """A dlt progress collector whose every update inside a step is a crash point of that step
    (dlt imported here, only when the switch is set)."""
    from dlt.common.runtime.collector import NullCollector

    class CrashCollector(NullCollector):
        def __init__(self) -> None:
            self.phase = ""

        def _start(self, step: str) -> None:
            self.phase = step.split(" ", 1)[0].lower()

        def update(self, name, inc=1, total=None, inc_total=None, message=None, label=None) -> None:
            crash_point(self.phase)

    return CrashCollector()
