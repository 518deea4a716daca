"""Progress while extracting: every few seconds one line with the pages read and rows handed to dlt
per entity so far, and the rate. Retries and rate-limit pauses come as their own lines (the client
logs them, `pipelines.sync` shows them); each entity's "done" line comes from the source."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from sources.pipedrive.context import SyncContext
from sources.pipedrive.entities import CHILDREN, ENTITIES

EVERY_S = 3.0


def entity_of_path() -> dict[str, str]:
    """Request path -> the table its pages fill."""
    paths = {
        stream.path: entity.name for entity in ENTITIES for stream in (*entity.streams, *entity.v1_streams)
    }
    paths.update({child.path: name for name, child in CHILDREN.items()})
    return paths


def progress_line(rows: Counter, requests: Counter, elapsed_s: float, paths: dict[str, str]) -> str | None:
    """'reading: deals 5,000 rows (11 pages), persons 0 rows (2 pages); 2,400 rows/s' (None: nothing yet)."""
    pages: Counter = Counter()
    for path, count in requests.items():
        if path in paths:
            pages[paths[path]] += count
    names = sorted(set(pages) | {name for name, count in rows.items() if count})
    if not names:
        return None
    parts = [f"{name} {rows.get(name, 0):,} rows ({pages.get(name, 0):,} pages)" for name in names]
    rate = sum(rows.values()) / elapsed_s if elapsed_s > 0 else 0.0
    return f"reading: {', '.join(parts)}; {rate:,.0f} rows/s"


@contextmanager
def extraction_progress(context: SyncContext, every_s: float | None = None) -> Iterator[None]:
    """Within the block, a line every `every_s` seconds (default EVERY_S) on context.progress."""
    done = threading.Event()
    started = time.monotonic()
    paths = entity_of_path()

    def report() -> None:
        while not done.wait(EVERY_S if every_s is None else every_s):
            try:  # copies of counters other threads update: a copy racing an update is skipped
                rows, requests = Counter(context.report.rows), Counter(context.client.usage.requests)
            except RuntimeError:
                continue
            line = progress_line(rows, requests, time.monotonic() - started, paths)
            if line:
                context.progress(line)

    ticker = threading.Thread(target=report, name="pipedrive-progress", daemon=True)
    ticker.start()
    try:
        yield
    finally:
        done.set()
        ticker.join()
