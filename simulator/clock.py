"""The simulated clock and timestamp formats.

Pipedrive timestamps have second resolution, so the clock does too: many records share one
second, and tests can make an update land in the same second as a read on purpose.
"""

from __future__ import annotations

import functools
import math
import threading
import time
from datetime import datetime, timezone

from shared.instants import parse_instant as instant

DEFAULT_START = int(datetime(2026, 6, 1, 12, 0, 0, tzinfo=timezone.utc).timestamp())
SECONDS_PER_DAY = 86_400


class SimClock:
    """Epoch seconds (int). Frozen unless advanced; `follow_real_time` lets it tick like a wall clock."""

    def __init__(self, start: int = DEFAULT_START, follow_real_time: bool = False) -> None:
        self._base = int(start)
        self._follow = follow_real_time
        self._real_origin = time.monotonic()
        self._lock = threading.Lock()

    def now(self) -> int:
        with self._lock:
            if self._follow:
                return self._base + int(time.monotonic() - self._real_origin)
            return self._base

    def advance(self, seconds: int) -> int:
        with self._lock:
            self._base += int(seconds)
        return self.now()

    def seconds_to_midnight(self) -> int:
        now = self.now()
        return SECONDS_PER_DAY - now % SECONDS_PER_DAY


@functools.lru_cache(maxsize=4096)
def day_of(day_number: int) -> str:
    return datetime.fromtimestamp(day_number * SECONDS_PER_DAY, timezone.utc).strftime("%Y-%m-%d")


def iso(ts: int | None) -> str | None:
    """v2 timestamp: RFC 3339 UTC with a `Z` (hand-formatted: it runs millions of times)."""
    if ts is None:
        return None
    days, rest = divmod(int(ts), SECONDS_PER_DAY)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{day_of(days)}T{hours:02d}:{minutes:02d}:{seconds:02d}Z"


def v1_time(ts: int | None) -> str | None:
    """v1 timestamp: `YYYY-MM-DD HH:MM:SS` in UTC."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def iso_millis(ts: int | None) -> str | None:
    """Leads' timestamp flavour: `2020-10-14T11:30:36.000Z`."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def day(ts: int) -> str:
    return day_of(int(ts) // SECONDS_PER_DAY)


def parse_instant(text: str) -> float:
    """Epoch seconds of a v1 or v2 timestamp (fractions kept, for comparison); ValueError on garbage."""
    return instant(text).timestamp()


def first_second_at_or_after(instant: float) -> int:
    return math.ceil(instant)
