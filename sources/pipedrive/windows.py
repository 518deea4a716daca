"""Pages of one v2 list, either read in order or, for a first backfill, split into `update_time`
windows fetched in parallel.

A backfill reads the first page in order. If there is more and the server sets no rate limit, it
asks for the newest record and splits [end of page one, newest] into windows once (`updated_since`
inclusive, `updated_until` exclusive, whole seconds, the last one open-ended so records updated
meanwhile still land in it), no more of them than the list has pages for (each window ends on a
part-filled page, one request more). Under a rate limit, chains beyond what the limit can serve
only cost such requests, so the backfill starts as one chain and splits only while the limiter
has room (see `BurstLimiter.has_room`); the newest record is asked for at the first split. The
first window goes on from page one's cursor. Worker threads page through the windows; pages reach
the caller as they arrive.

Records are rarely spread evenly over time (most were updated recently), so equal windows make
unequal chains of pages. Under a rate limit, a worker whose window is done therefore takes over
the second half of the unread rest of the window with the most pages left: that window's reader
stops at the split second (dropping rows at or after it from the page that crosses it) and the
idle worker reads from there on. The split second always lies after everything the reader has
already fetched, so no row is read twice or skipped.

The safe cursor: everything before the start of the first unfinished window is read, and inside
that window everything up to its newest record read so far (pages within a window come in
ascending order). A stop therefore never moves the cursor past unread data.
"""

from __future__ import annotations

import bisect
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sources.pipedrive.client import PipedriveClient
from sources.pipedrive.entities import Stream
from sources.pipedrive.rate_limit import BurstLimiter
from sources.pipedrive.timestamps import instant_of, latest_in, to_rfc3339_second

QUEUE_PAGES_PER_WORKER = 2
# Splitting costs about one extra request; only worth it when the rest is several pages long.
MIN_PAGES_LEFT_TO_SPLIT = 2.0
# Without a rate limit the windows are set once, at the start, each at least this many pages long.
MIN_PAGES_PER_WINDOW = 4


class InOrderPages:
    """A list read page after page; the cursor is simply the newest record handed over."""

    def __init__(self, pages: Iterator[list]) -> None:
        self._pages = pages

    def __iter__(self) -> Iterator[list]:
        return iter(self._pages)

    def safe_cursor(self, newest: datetime | None) -> datetime | None:
        return newest


@dataclass(eq=False)
class Window:
    """[since, until) of the cursor field; `until` None: open-ended. `until` only ever moves
    earlier (a split), and never to or before `fetched_upto`."""

    since: datetime
    until: datetime | None
    first_fetched: datetime | None = None  # oldest record fetched (density is measured from it)
    fetched_upto: datetime | None = None  # newest record of the pages fetched so far
    full_pages: int = 0
    resume: dict | None = None  # the next page of a chain already begun (instead of `since`)
    started: bool = False
    reading: bool = False  # a worker is paging through it
    finished: bool = False  # every page of it was handed over
    newest_read: datetime | None = None  # newest record handed over

    def pages_left(self, newest: datetime, seconds_per_page: float) -> float:
        """Pages still to read, from how many seconds a full page of this window covered so far
        (before its first full page: `seconds_per_page`, measured on page one of the list)."""
        if self.full_pages:
            seconds_per_page = (self.fetched_upto - self.first_fetched).total_seconds() / self.full_pages
        read_to = self.fetched_upto or self.since
        return max(((self.until or newest) - read_to).total_seconds(), 0.0) / max(seconds_per_page, 1.0)

    def split_second(self, newest: datetime) -> datetime | None:
        """A whole second halfway through the unread rest, after everything fetched (None: too
        narrow to split)."""
        end = self.until or newest
        read_to = self.fetched_upto or self.since
        first_free = read_to.replace(microsecond=0) + timedelta(seconds=1)
        middle = (read_to + (end - read_to) / 2).replace(microsecond=0)
        middle = max(middle, first_free)
        return middle if middle < end else None


class WindowedBackfill:
    """The pages of `stream` (a v2 list sorted ascending by `cursor_field`), read by up to
    `windows` workers. `limiter` is the client's: it tells whether more chains would help."""

    def __init__(
        self,
        client: PipedriveClient,
        limiter: BurstLimiter,
        stream: Stream,
        cursor_field: str,
        windows: int,
    ) -> None:
        self.client, self.limiter = client, limiter
        self.path, self.params, self.paginator = stream.path, stream.params, stream.paginator
        self.cursor_field = cursor_field
        self.window_count = windows
        self.windows: list[Window] = []  # contiguous, ascending by `since`
        self.newest: datetime | None = None
        self.seconds_per_page = 1.0  # of page one, until a window measures its own
        self._asking_newest = False
        self._lock = threading.Lock()
        self._progress = threading.Condition(self._lock)  # a page fetched, a window read to its end
        self._stop = threading.Event()

    def __iter__(self) -> Iterator[list]:
        first = self.paginator.fetch(self.client, self.path, self.paginator.first_params(self.params))
        page = first.rows
        yield page
        if first.next_params is None:
            return
        page_end = latest_in(page, self.cursor_field)
        if page_end is None:  # no timestamps to split by: the rest in order
            yield from self.paginator.follow(self.client, self.path, first.next_params)
            return
        self.seconds_per_page = (page_end - instant_of(page[0], self.cursor_field)).total_seconds()
        bounds = [(page_end.replace(microsecond=0), None)]
        # Under a rate limit more chains than it needs only cost requests: start with one chain
        # and split while the limiter has room.
        if not self.limiter.limited and self._learn_newest():
            bounds = _window_bounds(page_end, self.newest, self._unlimited_window_count(page_end))
        self.windows = [Window(since, until) for since, until in bounds]
        # the first window goes on from page one's cursor: nothing of page one is read again
        self.windows[0].resume = first.next_params
        yield from self._fetch_in_parallel()

    def _unlimited_window_count(self, page_end: datetime) -> int:
        """As many windows as workers, unless the list is too short for them to pay their extra
        request each (page one's span estimates the rest)."""
        if self.seconds_per_page <= 0:
            return self.window_count
        pages_left = (self.newest - page_end).total_seconds() / self.seconds_per_page
        return max(1, min(self.window_count, int(pages_left // MIN_PAGES_PER_WINDOW)))

    def _learn_newest(self) -> bool:
        """Ask for the newest record (the end of the open window, needed to split it)."""
        newest_page = self.paginator.fetch(
            self.client, self.path, dict(self.params, sort_direction="desc", limit=1)
        )
        self.newest = latest_in(newest_page.rows, self.cursor_field)
        return self.newest is not None

    def safe_cursor(self, newest: datetime | None) -> datetime | None:
        with self._lock:
            for window in self.windows:
                if not window.finished:
                    return window.newest_read or window.since
        return newest

    def _next_window(self) -> Window | None:
        """An idle worker's next window: one nobody has started, else the second half of the rest
        of the window with the most pages left, as soon as one is worth splitting (None: every
        window is fetched)."""
        with self._progress:
            for window in self.windows:
                if not window.started:
                    window.started = window.reading = True
                    return window
            if not self.limiter.limited:
                return None  # without a rate limit the windows were set at the start
            while not self._stop.is_set():
                reading = [window for window in self.windows if window.reading]
                if not reading:
                    return None
                if self.newest is None:
                    if self._asking_newest or not self.limiter.has_room():
                        self._progress.wait(timeout=0.2)
                        continue
                    self._asking_newest = True  # once, by this worker, without holding the lock
                    self._progress.release()
                    try:
                        known = self._learn_newest()
                    finally:
                        self._progress.acquire()
                    if not known:
                        return None
                    continue
                longest = max(reading, key=self._pages_left)
                worth_it = self._pages_left(longest) >= MIN_PAGES_LEFT_TO_SPLIT
                second = longest.split_second(self.newest) if worth_it else None
                if second is not None and self.limiter.has_room():
                    tail = Window(second, longest.until, started=True, reading=True)
                    longest.until = second
                    self.windows.insert(self.windows.index(longest) + 1, tail)
                    return tail
                self._progress.wait(timeout=0.2)
            return None

    def _pages_left(self, window: Window) -> float:
        return window.pages_left(self.newest, self.seconds_per_page)

    def _read_window(self, window: Window) -> Iterator[list]:
        """The window's pages, each cut at the window's `until` as it is when the page arrives."""
        params = window.resume or self.paginator.first_params(self._bounds(window))
        while params is not None:
            page = self.paginator.fetch(self.client, self.path, params)
            with self._progress:
                kept = _before(page.rows, window.until, self.cursor_field)
                if kept and kept[-1].get(self.cursor_field):
                    window.first_fetched = window.first_fetched or instant_of(kept[0], self.cursor_field)
                    window.fetched_upto = instant_of(kept[-1], self.cursor_field)
                params = page.next_params if len(kept) == len(page.rows) else None
                if params is None:  # last page, or cut short by a split
                    window.reading = False
                else:
                    window.full_pages += 1
                self._progress.notify_all()
            if kept:
                yield kept

    def _bounds(self, window: Window) -> dict:
        params = dict(self.params, updated_since=to_rfc3339_second(window.since))
        if window.until is not None:
            params["updated_until"] = to_rfc3339_second(window.until)
        return params

    def _fetch_in_parallel(self) -> Iterator[list]:
        pages: queue.Queue = queue.Queue(maxsize=QUEUE_PAGES_PER_WORKER * self.window_count)
        stop = self._stop

        def hand_over(item) -> bool:
            while not stop.is_set():
                try:
                    pages.put(item, timeout=0.2)
                    return True
                except queue.Full:
                    continue
            return False

        def work() -> None:
            try:
                while (window := self._next_window()) is not None:
                    for page in self._read_window(window):
                        if not hand_over(("page", window, page)):
                            return
                    if not hand_over(("done", window, None)):
                        return
                hand_over(("idle", None, None))
            except BaseException as error:  # handed to the consuming thread, which raises it
                hand_over(("error", None, error))

        workers = [
            threading.Thread(target=work, daemon=True, name=f"backfill-window-{index}")
            for index in range(self.window_count)
        ]
        for worker in workers:
            worker.start()
        try:
            busy_workers = len(workers)
            while busy_workers:
                kind, window, payload = pages.get()
                if kind == "error":
                    raise payload
                if kind == "idle":
                    busy_workers -= 1
                    continue
                with self._lock:
                    if kind == "done":
                        window.finished = True
                        continue
                    read = latest_in(payload, self.cursor_field)
                    if read and (window.newest_read is None or read > window.newest_read):
                        window.newest_read = read
                yield payload
        finally:
            stop.set()


def _before(rows: list[dict], until: datetime | None, cursor_field: str) -> list[dict]:
    """The leading rows (ascending by `cursor_field`) earlier than `until`."""
    if until is None or not rows or instant_of(rows[-1], cursor_field) < until:
        return rows
    return rows[: bisect.bisect_left(rows, until, key=lambda row: instant_of(row, cursor_field))]


def _window_bounds(first: datetime, newest: datetime, count: int) -> list[tuple[datetime, datetime | None]]:
    """`count` whole-second windows from `first` (inclusive) past `newest`; the last is open-ended."""
    start = first.replace(microsecond=0)
    span = int((newest - start).total_seconds()) + 1
    step = max(1, span // count)
    starts = [start + timedelta(seconds=step * index) for index in range(count) if step * index < span]
    return [
        (since, starts[index + 1] if index + 1 < len(starts) else None) for index, since in enumerate(starts)
    ]
