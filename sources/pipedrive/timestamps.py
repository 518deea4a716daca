"""Pipedrive timestamps as instants: v1 `YYYY-MM-DD HH:MM:SS` (UTC), v2 RFC 3339 with or without
milliseconds. Cursors are compared as parsed instants, never as strings."""

from __future__ import annotations

from datetime import datetime, timezone


def parse_instant(text: str) -> datetime:
    """Parse any Pipedrive timestamp into an aware UTC datetime."""
    value = text.strip().replace(" ", "T", 1)
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def latest_instant(values) -> datetime | None:
    """The latest of some timestamp strings (None and empty strings ignored)."""
    instants = [parse_instant(v) for v in values if v]
    return max(instants) if instants else None


def to_rfc3339_second(instant: datetime) -> str:
    """Render an instant truncated to its second: the API's filters have second resolution, so
    restarting from the cursor's second (inclusive) re-reads same-second updates."""
    return instant.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
