"""Pages of one v2 list, either read in order or, for a first backfill, split into `update_time`
windows fetched in parallel.

A backfill reads the first page in order; if there is more, it asks for the newest record and
splits [end of page one, newest] into windows (`updated_since` inclusive, `updated_until`
exclusive, whole seconds, the last one open-ended so records updated meanwhile still land in it).
Worker threads page through the windows; pages reach the caller as they arrive.

The safe cursor: everything before the start of the first unfinished window is read, and inside
that window everything up to its newest record read so far (pages within a window come in
ascending order). A stop therefore never moves the cursor past unread data.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

from sources.pipedrive.client import PipedriveClient
from sources.pipedrive.pagination import MAX_PAGE_SIZE, iter_cursor_pages
from sources.pipedrive.timestamps import latest_instant, to_rfc3339_second

QUEUE_PAGES_PER_WORKER = 2


class InOrderPages:
    """A list read page after page; the cursor is simply the newest record handed over."""

    def __init__(self, pages: Iterator[list]) -> None:
        self._pages = pages

    def __iter__(self) -> Iterator[list]:
        return iter(self._pages)

    def safe_cursor(self, newest: datetime | None) -> datetime | None:
        return newest


class WindowedBackfill:
    def __init__(
        self, client: PipedriveClient, path: str, params: dict, cursor_field: str, windows: int
    ) -> None:
        self.client, self.path, self.params = client, path, params
        self.cursor_field = cursor_field
        self.window_count = windows
        self.starts: list[datetime] = []  # window starts, ascending
        self.finished: list[bool] = []
        self.newest_read: list[datetime | None] = []
        self._lock = threading.Lock()

    def __iter__(self) -> Iterator[list]:
        first = self.client.get_json(self.path, dict(self.params, limit=MAX_PAGE_SIZE))
        page = first.get("data") or []
        yield page
        if not (first.get("additional_data") or {}).get("next_cursor"):
            return
        newest_page = self.client.get_json(self.path, dict(self.params, sort_direction="desc", limit=1))
        newest = latest_instant(row.get(self.cursor_field) for row in newest_page.get("data") or [])
        page_end = latest_instant(row.get(self.cursor_field) for row in page)
        if newest is None or page_end is None:
            return
        bounds = _window_bounds(page_end, newest, self.window_count)
        self.starts = [since for since, _ in bounds]
        self.finished = [False] * len(bounds)
        self.newest_read = [None] * len(bounds)
        yield from self._fetch_in_parallel(bounds)

    def safe_cursor(self, newest: datetime | None) -> datetime | None:
        with self._lock:
            for start, finished, read in zip(self.starts, self.finished, self.newest_read, strict=True):
                if not finished:
                    return read or start
        return newest

    def _fetch_in_parallel(self, bounds: list[tuple[datetime, datetime | None]]) -> Iterator[list]:
        pages: queue.Queue = queue.Queue(maxsize=QUEUE_PAGES_PER_WORKER * len(bounds))
        stop = threading.Event()

        def hand_over(item) -> bool:
            while not stop.is_set():
                try:
                    pages.put(item, timeout=0.2)
                    return True
                except queue.Full:
                    continue
            return False

        def fetch(index: int, since: datetime, until: datetime | None) -> None:
            params = dict(self.params, updated_since=to_rfc3339_second(since))
            if until is not None:
                params["updated_until"] = to_rfc3339_second(until)
            try:
                for page in iter_cursor_pages(self.client, self.path, params):
                    if not hand_over(("page", index, page)):
                        return
                hand_over(("done", index, None))
            except BaseException as error:  # handed to the consuming thread, which raises it
                hand_over(("error", index, error))

        workers = [
            threading.Thread(
                target=fetch, args=(index, since, until), daemon=True, name=f"backfill-window-{index}"
            )
            for index, (since, until) in enumerate(bounds)
        ]
        for worker in workers:
            worker.start()
        try:
            open_windows = len(workers)
            while open_windows:
                kind, index, payload = pages.get()
                if kind == "error":
                    raise payload
                if kind == "done":
                    with self._lock:
                        self.finished[index] = True
                    open_windows -= 1
                    continue
                read = latest_instant(row.get(self.cursor_field) for row in payload)
                with self._lock:
                    if read and (self.newest_read[index] is None or read > self.newest_read[index]):
                        self.newest_read[index] = read
                yield payload
        finally:
            stop.set()


def _window_bounds(first: datetime, newest: datetime, count: int) -> list[tuple[datetime, datetime | None]]:
    """`count` whole-second windows from `first` (inclusive) past `newest`; the last is open-ended."""
    start = first.replace(microsecond=0)
    span = int((newest - start).total_seconds()) + 1
    step = max(1, span // count)
    starts = [start + timedelta(seconds=step * index) for index in range(count) if step * index < span]
    return [
        (since, starts[index + 1] if index + 1 < len(starts) else None) for index, since in enumerate(starts)
    ]
