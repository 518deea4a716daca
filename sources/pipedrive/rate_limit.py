"""One burst limiter shared by every thread of a sync.

Pipedrive allows a number of requests per rolling 2-second window per token and reports what is
left in `x-ratelimit-remaining` / `x-ratelimit-reset`. We pace ahead of time from those headers
instead of running into 429s, and after a 429 every thread waits out the penalty together.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping


class BurstLimiter:
    def __init__(
        self,
        reserve: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._reserve = reserve
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._remaining: int | None = None
        self._window_ends_at = 0.0
        self._blocked_until = 0.0

    def wait_for_turn(self) -> None:
        """Block until sending one more request stays within the burst window."""
        while True:
            with self._lock:
                now = self._clock()
                if now < self._blocked_until:
                    delay = self._blocked_until - now
                elif (
                    self._remaining is not None
                    and self._remaining <= self._reserve
                    and now < self._window_ends_at
                ):
                    delay = self._window_ends_at - now
                else:
                    if self._remaining is not None:
                        self._remaining -= 1
                    return
            self._sleep(delay)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Learn the window state from a response's rate-limit headers (absent headers: no pacing)."""
        remaining = _number(headers.get("x-ratelimit-remaining"))
        reset = _number(headers.get("x-ratelimit-reset"))
        if remaining is None:
            return
        with self._lock:
            self._remaining = int(remaining)
            self._window_ends_at = self._clock() + (reset if reset is not None else 2.0)

    def block_for(self, seconds: float) -> None:
        """After a 429: every thread pauses until the penalty is over."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock() + seconds)
            self._remaining = None


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
