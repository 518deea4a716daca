"""Pipedrive timestamps as instants: v1 `YYYY-MM-DD HH:MM:SS` (UTC), v2 RFC 3339 with or without
milliseconds. Cursors are compared as parsed instants, never as strings."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from shared.instants import parse_instant

# What a record without a timestamp counts as: before every real one.
EARLIEST = datetime.min.replace(tzinfo=timezone.utc)


def instant_of(row: dict, field: str) -> datetime:
    """The instant in `row[field]`; EARLIEST when it has none."""
    value = row.get(field)
    return parse_instant(value) if value else EARLIEST


def latest_instant(values: Iterable[str | None], floor: datetime | None = None) -> datetime | None:
    """The latest of some timestamp strings (None and empty strings ignored), or `floor` when it
    is later or there is none."""
    instants = [parse_instant(v) for v in values if v]
    if floor is not None:
        instants.append(floor)
    return max(instants) if instants else None


def latest_in(rows: Iterable[dict], field: str | None, floor: datetime | None = None) -> datetime | None:
    """The latest `field` of `rows` (or `floor`, see `latest_instant`)."""
    if not field:
        return floor
    return latest_instant((row.get(field) for row in rows), floor)


def to_rfc3339_second(instant: datetime) -> str:
    """Render an instant truncated to its second: the API's filters have second resolution, so
    restarting from the cursor's second (inclusive) re-reads same-second updates."""
    return instant.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
