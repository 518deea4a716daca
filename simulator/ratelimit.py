"""Pipedrive's two rate limits: a rolling 2-second burst window per token (real, monotonic time)
and a daily token budget per company (simulated clock, resets at midnight UTC).

Ignoring 429s has a price: after `penalty_limit` requests inside the penalty the caller gets a
403 HTML page, as Pipedrive's edge does.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from simulator import PLAN_BURST
from simulator.clock import SECONDS_PER_DAY, SimClock
from simulator.errors import error_body

PLAN_MULTIPLIER = {"lite": 1, "growth": 2, "premium": 5, "ultimate": 7}
BASE_DAILY_TOKENS = 30_000
OAUTH_FACTOR = 4
WINDOW_SECONDS = 2.0

FORBIDDEN_HTML = (
    b"<!DOCTYPE html>\n<html><head><title>403 Forbidden</title></head>"
    b"<body><h1>Forbidden</h1><p>Too many requests were sent after being rate limited. "
    b"Request blocked.</p></body></html>\n"
)


@dataclass
class Verdict:
    status: int  # 0 = go ahead, else 429 or 403
    headers: dict[str, str]
    body: bytes = b""
    content_type: str = "application/json"


@dataclass
class _Bucket:
    sent: deque = field(default_factory=deque)
    penalty_until: float = 0.0
    ignored: int = 0


class RateLimiter:
    def __init__(
        self,
        plan: str | None,
        clock: SimClock,
        seats: int = 1,
        daily_budget: int | None = None,
        penalty_limit: int = 10,
        burst_limit: int | None = None,
    ) -> None:
        if plan is not None and plan not in PLAN_BURST:
            raise ValueError(f"unknown plan {plan!r}; choose one of {sorted(PLAN_BURST)} or None")
        self.plan = plan
        self.clock = clock
        self.burst_limit = burst_limit or (PLAN_BURST[plan] if plan else 0)
        self.daily_budget = daily_budget or (BASE_DAILY_TOKENS * PLAN_MULTIPLIER[plan] * seats if plan else 0)
        self.penalty_limit = penalty_limit
        self._buckets: dict[str, _Bucket] = {}
        self._spent = 0
        self._day = clock.now() // SECONDS_PER_DAY
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.plan is not None

    def daily_remaining(self) -> int:
        with self._lock:
            self._roll_day()
            return max(0, self.daily_budget - self._spent)

    def check(self, token_id: str, oauth: bool, cost: int) -> Verdict:
        """Admit (and charge) one request, or say why not."""
        if not self.enabled:
            return Verdict(0, {})
        limit = self.burst_limit * (OAUTH_FACTOR if oauth else 1)
        now = time.monotonic()
        with self._lock:
            self._roll_day()
            bucket = self._buckets.setdefault(token_id, _Bucket())
            while bucket.sent and bucket.sent[0] <= now - WINDOW_SECONDS:
                bucket.sent.popleft()
            if now < bucket.penalty_until:
                bucket.ignored += 1
                if bucket.ignored >= self.penalty_limit:
                    return Verdict(403, {}, FORBIDDEN_HTML, "text/html; charset=utf-8")
                return self._too_many(bucket, limit, now, "Request over limit")
            bucket.ignored = 0
            if len(bucket.sent) >= limit:
                bucket.penalty_until = bucket.sent[0] + WINDOW_SECONDS
                return self._too_many(bucket, limit, now, "Request over limit")
            if self._spent + cost > self.daily_budget:
                headers = self._headers(bucket, limit, now)
                headers["retry-after"] = str(self.clock.seconds_to_midnight())
                return Verdict(
                    429, headers, error_body("Daily API token budget exhausted", "Try again tomorrow")
                )
            bucket.sent.append(now)
            self._spent += cost
            return Verdict(0, self._headers(bucket, limit, now))

    def _too_many(self, bucket: _Bucket, limit: int, now: float, message: str) -> Verdict:
        headers = self._headers(bucket, limit, now)
        headers["retry-after"] = str(max(1, math.ceil(bucket.penalty_until - now)))
        return Verdict(429, headers, error_body(message, "Rate limit exceeded, see Retry-After"))

    def _headers(self, bucket: _Bucket, limit: int, now: float) -> dict[str, str]:
        reset = math.ceil(bucket.sent[0] + WINDOW_SECONDS - now) if bucket.sent else WINDOW_SECONDS
        return {
            "x-ratelimit-limit": str(limit),
            "x-ratelimit-remaining": str(max(0, limit - len(bucket.sent))),
            "x-ratelimit-reset": str(max(1, int(reset))),
            "x-daily-ratelimit-token-limit": str(self.daily_budget),
            "x-daily-ratelimit-token-remaining": str(max(0, self.daily_budget - self._spent)),
        }

    def _roll_day(self) -> None:
        today = self.clock.now() // SECONDS_PER_DAY
        if today != self._day:
            self._day = today
            self._spent = 0
