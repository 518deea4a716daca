"""v2 list semantics: keyset cursors over the sorted indexes, time windows, filters.

A cursor is base64url JSON of the last row's keyset (sort field, direction, sort value, id);
clients must treat it as opaque. `updated_since` is inclusive, `updated_until` exclusive,
both compared as instants with the records' second-resolution update times.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass

import orjson

from simulator.clock import first_second_at_or_after, parse_instant
from simulator.errors import bad_request
from simulator.store import MAX_KEY, MIN_KEY, Table

DEFAULT_LIMIT = 100
MAX_LIMIT = 500


@dataclass
class PageRequest:
    sort_by: str = "id"
    descending: bool = False
    limit: int = DEFAULT_LIMIT
    after: tuple | None = None  # keyset of the last row served: (sort value, id)
    since: int | None = None  # first second included
    until: int | None = None  # first second excluded
    ids: list | None = None
    accept: Callable[[dict], bool] | None = None


def encode_cursor(sort_by: str, descending: bool, key: tuple) -> str:
    payload = orjson.dumps({"s": sort_by, "d": descending, "v": key[0], "id": key[1]})
    return base64.urlsafe_b64encode(payload).decode().rstrip("=")


def decode_cursor(cursor: str, sort_by: str, descending: bool) -> tuple:
    try:
        payload = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if payload["s"] != sort_by or payload["d"] != descending:
            raise bad_request("Cursor does not match sort_by/sort_direction of this request")
        return (payload["v"], payload["id"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise bad_request("Invalid cursor") from None


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise bad_request("limit must be an integer") from None
    if limit < 1 or limit > MAX_LIMIT:
        raise bad_request(f"limit must be between 1 and {MAX_LIMIT}")
    return limit


def parse_window(since: str | None, until: str | None) -> tuple[int | None, int | None]:
    def instant(name: str, text: str) -> int:
        try:
            return first_second_at_or_after(parse_instant(text))
        except ValueError:
            raise bad_request(f"{name} must be an RFC 3339 timestamp, e.g. 2025-01-01T10:20:00Z") from None

    return (
        instant("updated_since", since) if since else None,
        instant("updated_until", until) if until else None,
    )


def page(table: Table, request: PageRequest) -> tuple[list, str | None]:
    """Ids of one page and the next cursor (None on the last page)."""
    rows = table.rows
    accept = request.accept
    wanted = request.limit + 1
    keys: list[tuple] = []
    for key in _candidate_keys(table, request):
        record_id = key[1]
        if request.since is not None or request.until is not None:
            ts = table.update_ts[record_id]
            if (request.since is not None and ts < request.since) or (
                request.until is not None and ts >= request.until
            ):
                continue
        if accept is not None and not accept(rows[record_id]):
            continue
        keys.append(key)
        if len(keys) == wanted:
            break
    next_cursor = None
    if len(keys) == wanted:
        keys.pop()
        next_cursor = encode_cursor(request.sort_by, request.descending, keys[-1])
    return [key[1] for key in keys], next_cursor


def _candidate_keys(table: Table, request: PageRequest):
    """(sort value, id) keys in order, starting after the cursor, narrowed by the time window when cheap."""
    if request.ids is not None:
        return _sorted_after(table, request, (rid for rid in request.ids if rid in table.rows))
    windowed = request.since is not None or request.until is not None
    low = (request.since, MIN_KEY) if request.since is not None else None
    high = (request.until, MIN_KEY) if request.until is not None else None
    if request.sort_by == "update_time":
        return _index_range(table.by_update, low, high, request)
    if windowed and _window_size(table, request) * 4 < len(table):
        in_window = table.by_update.irange(low, high, inclusive=(True, False))
        return _sorted_after(table, request, (key[1] for key in in_window))
    if request.sort_by == "add_time":
        return _index_range(table.by_add, None, None, request)
    if request.sort_by == "id":
        return ((rid, rid) for rid in _id_range(table, request))
    # rarely used sort fields (name, order_nr, deal_id, due_date) on small tables: sort per request
    return _sorted_after(table, request, table.rows)


def _sorted_after(table: Table, request: PageRequest, ids) -> list[tuple]:
    keys = sorted(
        ((_sort_value(table, request.sort_by, rid), rid) for rid in ids), reverse=request.descending
    )
    return [key for key in keys if _after(key, request)]


def _index_range(index, low, high, request: PageRequest):
    after = request.after
    if after is not None:
        after = tuple(after)
        if request.descending:
            high = after if high is None or after < high else high
            return index.irange(low, high, inclusive=(True, False), reverse=True)
        low = (after[0], after[1], MAX_KEY) if low is None or after >= low else low
        # keys are 2-tuples: (v, id, MAX) sorts right after (v, id), so the cursor row is excluded.
    return index.irange(low, high, inclusive=(True, False), reverse=request.descending)


def _id_range(table: Table, request: PageRequest):
    after = request.after
    if after is None:
        return table.by_id.irange(reverse=request.descending)
    if request.descending:
        return table.by_id.irange(maximum=after[1], inclusive=(True, False), reverse=True)
    return table.by_id.irange(minimum=after[1], inclusive=(False, True))


def _window_size(table: Table, request: PageRequest) -> int:
    index = table.by_update
    start = index.bisect_left((request.since, MIN_KEY)) if request.since is not None else 0
    end = index.bisect_left((request.until, MIN_KEY)) if request.until is not None else len(index)
    return max(0, end - start)


def _sort_value(table: Table, sort_by: str, record_id):
    if sort_by == "update_time":
        return table.update_ts[record_id]
    if sort_by == "add_time":
        return table.add_ts[record_id]
    if sort_by == "id":
        return record_id
    value = table.rows[record_id].get(sort_by)
    return (value is not None, value)


def _after(key: tuple, request: PageRequest) -> bool:
    if request.after is None:
        return True
    after = tuple(request.after)
    if isinstance(key[0], tuple):
        after = (tuple(after[0]) if isinstance(after[0], list) else after[0], after[1])
    return key < after if request.descending else key > after
