"""What one sync run shares between its resources: the client and its limiter, settings, a report."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sources.pipedrive.client import PipedriveClient
from sources.pipedrive.errors import BudgetExhaustedError
from sources.pipedrive.freshness import Plan
from sources.pipedrive.rate_limit import BurstLimiter

DEFAULT_RECONCILE_EVERY_HOURS = 24.0


@dataclass
class RunReport:
    """Filled while resources extract; read by the pipeline after the load."""

    rows: Counter = field(default_factory=Counter)
    stopped: BudgetExhaustedError | None = None
    # table -> rows flagged `is_deleted` this run because their ids vanished upstream
    vanished: Counter = field(default_factory=Counter)
    # entity -> requests and tokens its id listing (reconciliation) cost this run
    reconcile_requests: Counter = field(default_factory=Counter)
    reconcile_tokens: Counter = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add_rows(self, table: str, count: int) -> None:
        with self._lock:
            self.rows[table] += count

    def add_vanished(self, table: str, count: int) -> None:
        with self._lock:
            self.vanished[table] += count

    def add_reconcile_cost(self, entity: str, requests: int, tokens: int) -> None:
        with self._lock:
            self.reconcile_requests[entity] += requests
            self.reconcile_tokens[entity] += tokens


@dataclass
class SyncContext:
    client: PipedriveClient
    limiter: BurstLimiter  # the one the client paces with; backfill windows ask it for room
    v1_list_entities: frozenset[str] = frozenset()
    since: datetime | None = None  # overrides stored cursors when set
    # rows per Arrow table handed to dlt: the rows wait as Python dicts (several KB a wide deal)
    # until then; 2,000 keeps that under about 20 MB a stream at no measurable cost in speed
    batch_rows: int = 2000
    backfill_windows: int = 4  # a first backfill of one list is read as this many parallel windows
    # Entities without a delete feed have their ids listed when the last listing is older than
    # this (0: every run); None: the source's setting (`sources.pipedrive.reconcile_every_hours`).
    reconcile_every_hours: float | None = None
    force_reconcile: bool = False  # list the ids of every selected entity this run (`--reconcile`)
    progress: Callable[[str], None] = lambda message: None
    report: RunReport = field(default_factory=RunReport)
    slow_refresh: timedelta | None = None  # freshness tiers on: reference lists' refresh interval
    plan: Plan | None = None  # which streams this run may leave unread (None: read everything)
    _last_stamp: datetime = field(default_factory=lambda: datetime.fromtimestamp(0, timezone.utc))
    _stamp_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def extracted_at(self) -> datetime:
        """A strictly increasing timestamp per batch: merge keeps the row extracted last."""
        with self._stamp_lock:
            now = datetime.now(timezone.utc)
            self._last_stamp = max(now, self._last_stamp + timedelta(microseconds=1))
            return self._last_stamp
