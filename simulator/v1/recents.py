"""`GET /v1/recents`: changes after `since_timestamp`, across entities, oldest first.

Since 2024-12-01 Pipedrive serves at most one month of history here: an older
`since_timestamp` is not refused, it is silently moved up to one month before now
(Pipedrive's changelog: "limited to retrieving a maximum of 1 month of past data, even if
they request data from a date further in the past"). Tools that backfilled through this
endpoint lost everything older without an error, and the simulator reproduces exactly that.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import datetime, timezone

from simulator.errors import bad_request
from simulator.fields import ADDRESS_PARTS
from simulator.store import MAX_KEY, Store
from simulator.v1.convert import CONVERTERS, Related
from simulator.v1.pagination import parse_page
from simulator.v1.related import related_from_store

#: `items` value -> entity.
RECENT_ITEMS = {
    "activity": "activities",
    "activityType": "activity_types",
    "deal": "deals",
    "file": "files",
    "filter": "filters",
    "note": "notes",
    "person": "persons",
    "organization": "organizations",
    "pipeline": "pipelines",
    "product": "products",
    "stage": "stages",
    "user": "users",
    # not in the spec's enum (strict mode refuses them), answered as accounts with Projects do
    "project": "projects",
    "task": "tasks",
}
#: Only when asked for: the spec does not list them, an account with Projects answers them.
ASKED_FOR_ONLY = ("project", "task")
#: Items whose recents flavour keeps ids flat instead of v1's nested objects.
FLAT_ID_ITEMS = {"deal", "person", "product"}
#: Keys of the list/get-one v1 records that the recents flavour of an item does not carry.
RECENTS_OMITS = {
    "deal": ("archive_time",),
    "organization": ("delete_time",),
    "activity": ("priority",),
    "file": ("file_type",),
    "person": (
        "delete_time", "primary_email", "marketing_status", "im", "birthday", "job_title", "notes",
        "postal_address", *(f"postal_address_{part}" for part in ADDRESS_PARTS),
    ),
}  # fmt: skip
V1_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def one_month_before(epoch_seconds: int) -> int:
    """The same wall-clock time one calendar month earlier (day clamped to the month's end)."""
    now = datetime.fromtimestamp(epoch_seconds, timezone.utc)
    year, month = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
    for day in range(now.day, 0, -1):
        try:
            return int(now.replace(year=year, month=month, day=day).timestamp())
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has a day 28")


def parse_since(text: str | None) -> int:
    if not text:
        raise bad_request("Parameter since_timestamp is required")
    try:
        parsed = datetime.strptime(text.strip(), V1_TIME_FORMAT)
    except ValueError:
        raise bad_request("since_timestamp must be in the format YYYY-MM-DD HH:MM:SS") from None
    return int(parsed.replace(tzinfo=timezone.utc).timestamp())


def effective_since(requested: int, now: int) -> int:
    """The one-month cap: never earlier than one month before the simulated now."""
    return max(requested, one_month_before(now))


def _wanted_items(raw: str | None) -> list[str]:
    if not raw:
        return [item for item in RECENT_ITEMS if item not in ASKED_FOR_ONLY]
    items = [item.strip() for item in raw.split(",") if item.strip()]
    unknown = [item for item in items if item not in RECENT_ITEMS]
    if unknown:
        raise bad_request(f"Unknown items: {', '.join(unknown)}")
    return items


def recents(store: Store, query) -> dict:
    page = parse_page(query)
    requested = parse_since(query.get("since_timestamp"))
    items = _wanted_items(query.get("items"))
    with store.lock:
        since = effective_since(requested, store.clock.now())
        streams = []
        for order, item in enumerate(items):
            entity = RECENT_ITEMS[item]
            streams.append(_changes(store, item, entity, order, since))
        changes = list(heapq.merge(*streams))
        chunk, more = page.slice(changes)
        related = related_from_store(store)
        data = [
            {"item": item, "id": record_id, "data": _item_data(store, related, item, entity, record_id)}
            for _, _, record_id, item, entity in chunk
        ]
    last_ts = chunk[-1][0] if chunk else None
    return {
        "success": True,
        "data": data,
        "additional_data": {
            "since_timestamp": _v1_text(since),
            "last_timestamp_on_page": _v1_text(last_ts) if last_ts is not None else None,
            "pagination": page.pagination(more),
        },
    }


def _changes(store: Store, item: str, entity: str, order: int, since: int) -> Iterator[tuple]:
    """(update_ts, item order, id, item, entity) for records changed strictly after `since`."""
    changed = store.table(entity).by_update.irange((since, MAX_KEY), inclusive=(False, True))
    return ((ts, order, record_id, item, entity) for ts, record_id in changed)


def _item_data(store: Store, related: Related, item: str, entity: str, record_id) -> dict:
    record = store.tables[entity].rows[record_id]
    convert = CONVERTERS.get(entity)
    omitted = RECENTS_OMITS.get(item, ())
    if convert is None:  # stored in v1 shape already
        return {key: value for key, value in record.items() if key not in omitted} if omitted else record
    data = convert(record, related, nested=item not in FLAT_ID_ITEMS)
    for key in omitted:
        data.pop(key, None)
    return data


def _v1_text(epoch_seconds: int) -> str:
    return datetime.fromtimestamp(epoch_seconds, timezone.utc).strftime(V1_TIME_FORMAT)
