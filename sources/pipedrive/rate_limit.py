"""One limiter shared by every thread of a sync: Pipedrive's burst window and daily token budget.

Burst: Pipedrive admits `x-ratelimit-limit` requests per rolling 2-second window per token. We
remember when we sent each request and keep at most `limit - reserve` of them inside any window
(stretched by a small margin, since the server counts a request when it arrives, a little after
we send it). Requests are therefore spread evenly over the window instead of being sent in a rush
and then held until a whole window has passed, and we do not run into 429s ourselves. If someone
else spends the same token's window we still get 429s: every thread then waits out the penalty.

Share of the day: a run may spend only a share of the tokens that were left today when it began
(`BudgetShare`, e.g. `max_budget_share` 0.5; the deal-history backfill may hold its own share).
Past it, requests are refused before they are sent (`BudgetShareSpentError`), and the run stops
cleanly as on a spent budget.

Daily budget: every answer says how many tokens are left today. A request is only sent while the
tokens left cover it plus every request still in flight; otherwise it waits for those answers. So
once the budget runs out, at most one request learns it (the 429 that stops the run cleanly),
instead of every thread's request in flight.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sources.pipedrive.errors import BudgetShareSpentError, RunInterrupted

BURST_WINDOW_S = 2.0
# Chains of pages wanted in flight: enough to keep the burst limit busy while each waits its round
# trip, with some slack for the time between a page's answer and the next request.
CHAINS_PER_ROUND_TRIP = 1.0
# Before the first answer says what the limit is, send no more than the smallest plan allows.
FIRST_WINDOW_REQUESTS = 20
STOP_POLL_S = 0.2  # how often a request waiting for tokens in flight checks for a stop


@dataclass
class BudgetShare:
    """At most `share` of the tokens left today when the run began, for the requests it `claims`
    (by path; the first share claiming a path counts it). Without a daily-budget header the
    allowance stays unknown and nothing is refused."""

    name: str
    share: float
    claims: Callable[[str | None], bool] = lambda path: True
    setting: str = "max_budget_share"  # named in the stop message
    allowance: int | None = None
    spent: int = 0


class BurstLimiter:
    def __init__(
        self,
        reserve: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
        margin_s: float = 0.1,
        shares: Sequence[BudgetShare] = (),
        stop: threading.Event | None = None,
    ) -> None:
        self._reserve = reserve
        self._clock = clock
        # `stop` set (Ctrl-C, SIGTERM): every wait ends at once and raises RunInterrupted
        self._stop = stop or threading.Event()
        self._sleep = sleep or self._stop.wait
        self._span = BURST_WINDOW_S + margin_s
        self._lock = threading.Lock()
        self._answered = threading.Condition(self._lock)
        self._sent: deque[float] = deque()  # our send times inside the current span
        self._limit: int | None = FIRST_WINDOW_REQUESTS + reserve
        self._limit_learned = False  # afterwards, answers without the headers (faults) change nothing
        self._blocked_until = 0.0
        self._daily_left: int | None = None
        self._tokens_in_flight = 0
        self._requests_wanted = 0  # waiting for their turn or in flight
        self._round_trip_s: float | None = None  # moving average, send to answer
        self._sent_at: dict[int, float] = {}  # thread -> its request's send time
        self._shares = list(shares)
        self._tokens_sent = 0  # by this run, so far

    def wait_for_turn(self, cost: int = 0, path: str | None = None) -> None:
        """Block until one more request (costing `cost` daily tokens) stays within both limits.
        Raises `BudgetShareSpentError`, sending nothing, when it would pass its share of the day."""
        with self._lock:
            share = self._share_of(path)
            if share is not None and share.allowance is not None and share.spent + cost > share.allowance:
                raise BudgetShareSpentError(
                    f"Stopped cleanly: this run spent its share of today's API tokens ({share.setting} "
                    f"{share.share:g}: {share.allowance:,} tokens). Everything read so far is loaded and the "
                    "cursors stay behind unloaded data; the next run goes on from there."
                )
            if share is not None:
                share.spent += cost
            self._tokens_sent += cost
            self._requests_wanted += 1
            while True:
                self._raise_if_stopped()
                if not self._budget_allows(cost):
                    self._answered.wait(timeout=STOP_POLL_S)
                    continue
                delay = self._burst_delay(self._clock())
                if delay <= 0:
                    now = self._clock()
                    self._sent.append(now)
                    self._sent_at[threading.get_ident()] = now
                    self._tokens_in_flight += cost
                    return
                self._lock.release()
                try:
                    self._sleep(delay)
                finally:
                    self._lock.acquire()

    def observe(self, headers: Mapping[str, str] | None, cost: int = 0) -> None:
        """An answer came back (`headers` None: the request failed below HTTP): learn the limits
        it reports and free its share of the tokens in flight. Answers without a limit before any
        with one: the server does not limit, no pacing."""
        with self._lock:
            self._tokens_in_flight = max(0, self._tokens_in_flight - cost)
            self._requests_wanted = max(0, self._requests_wanted - 1)
            sent_at = self._sent_at.pop(threading.get_ident(), None)
            if sent_at is not None and headers is not None:
                took = self._clock() - sent_at
                self._round_trip_s = (
                    took if self._round_trip_s is None else 0.8 * self._round_trip_s + 0.2 * took
                )
            if headers is not None:
                limit = _number(headers.get("x-ratelimit-limit"))
                if limit is not None:
                    self._limit, self._limit_learned = int(limit), True
                elif not self._limit_learned:
                    self._limit = None
                daily_left = _number(headers.get("x-daily-ratelimit-token-remaining"))
                if daily_left is not None:
                    self._daily_left = int(daily_left)
                    self._set_allowances(int(daily_left))
            self._answered.notify_all()

    @property
    def daily_tokens_left(self) -> int | None:
        """Today's tokens left for the whole account, from the last answer that said (None: no
        answer carried `x-daily-ratelimit-token-remaining`)."""
        with self._lock:
            return self._daily_left

    def tokens_left_for_run(self) -> int | None:
        """What this run may still spend: today's tokens left and every budget share's allowance
        left, whichever is smaller (None: no answer said yet)."""
        with self._lock:
            limits = [share.allowance - share.spent for share in self._shares if share.allowance is not None]
            if self._daily_left is not None:
                limits.append(self._daily_left - self._tokens_in_flight)
            return min(limits) if limits else None

    @property
    def limited(self) -> bool:
        """The server reported a burst limit."""
        with self._lock:
            return self._limit_learned

    def has_room(self) -> bool:
        """Would one more chain of pages make the sync faster? Not once the requests in flight or
        waiting for their turn fill the burst limit (more chains would only cost more requests);
        always when the server does not limit."""
        with self._lock:
            if self._limit is None or not self._limit_learned or self._round_trip_s is None:
                return self._limit is None
            per_second = max(1, self._limit - self._reserve) / self._span
            return self._requests_wanted < per_second * self._round_trip_s * CHAINS_PER_ROUND_TRIP

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def pause(self, seconds: float) -> None:
        """A retry's backoff: over at once when a stop is asked for."""
        if self._stop.wait(seconds):
            raise RunInterrupted("the run was asked to stop")

    def _raise_if_stopped(self) -> None:
        """Called with the lock held: a request that has not been sent is not sent any more."""
        if self._stop.is_set():
            self._requests_wanted -= 1
            raise RunInterrupted("the run was asked to stop")

    def block_for(self, seconds: float) -> None:
        """After a 429: every thread pauses until the penalty is over."""
        with self._lock:
            self._blocked_until = max(self._blocked_until, self._clock() + seconds)

    def _share_of(self, path: str | None) -> BudgetShare | None:
        return next((share for share in self._shares if share.claims(path)), None)

    def _set_allowances(self, daily_left: int) -> None:
        """At the first answer that says what is left today: what was left when the run began
        (the answer already counts the tokens this run sent) times each share."""
        for share in self._shares:
            if share.allowance is None:
                share.allowance = int(share.share * (daily_left + self._tokens_sent))

    def _budget_allows(self, cost: int) -> bool:
        """Tokens left cover this request and those in flight; with nothing in flight, go (an
        insufficient budget then answers 429 once, which stops the run with the reset time)."""
        if self._daily_left is None or self._tokens_in_flight == 0:
            return True
        return self._daily_left - self._tokens_in_flight >= cost

    def _burst_delay(self, now: float) -> float:
        if now < self._blocked_until:
            return self._blocked_until - now
        while self._sent and self._sent[0] <= now - self._span:
            self._sent.popleft()
        if self._limit is None or len(self._sent) < max(1, self._limit - self._reserve):
            return 0.0
        return self._sent[0] + self._span - now


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
