"""Pipedrive's timestamps as instants, for the sync and the simulator alike: v1 `YYYY-MM-DD
HH:MM:SS` (UTC), v2 RFC 3339 with or without milliseconds; a naive one is UTC."""

from __future__ import annotations

from datetime import datetime, timezone


def parse_instant(text: str) -> datetime:
    """An aware UTC datetime; ValueError on garbage."""
    value = text.strip().replace(" ", "T", 1)
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)
