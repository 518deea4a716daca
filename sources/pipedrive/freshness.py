"""Freshness tiers and the change probe: what a run may leave unread, and why that stays exact.

A run that finds nothing new should cost almost nothing. So, before the entities are read, one
request to `/v1/recents` (20 tokens; it also serves as the connection check) lists what changed
since the last run across the entities it covers (`Entity.recents_item`): deals, persons,
organizations, activities, products, notes, pipelines, stages, users, activity types, files and
filters. A stream whose entity shows no change is not read this run.

Tiers (`Entity.tier`):
- "core" (deals, persons, organizations, activities, products, leads, notes and their children):
  checked every run, through the probe where it covers them, else by reading them (leads).
- "reference" (field definitions, pipelines, stages, users, reference data and the long tail):
  read when the probe shows a change, when a changed record holds a custom-field key the field
  list does not know, and at least every `slow_refresh_minutes`.
The lists the probe vouches for are also read (from their cursors) at least every
`COVERED_LISTING_FACTOR` x `slow_refresh_minutes` (a day by default), whatever the probe says: a
change `/v1/recents` leaves out is then seen within that time. `--full-refresh`, `--resources`
and `--since` read everything. If the probe fails (5xx after retries), every list is read.

Why a skip is exact. Each entity keeps, in its dlt resource state (committed with the load that
carries its rows, so a failed or stopped run changes nothing), a `horizon`: one second before the
server's clock (`Date` header) at the probe of the last run that completed it. Every change of
it up to then is loaded, except those the probe saw at or after the horizon, which it keeps as
`handled` keys (item, id, update time). The next probe asks for changes since the earliest horizon
(exclusive, so one second before it); an entity is unchanged when none of its items is at or
after its horizon other than those handled. `/v1/recents` serves one month at most: an entity
whose horizon lies before what the server served (`additional_data.since_timestamp`) is read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sources.pipedrive.entities import ENTITY_BY_NAME, Entity, Stream
from sources.pipedrive.timestamps import parse_instant

RECENTS_PATH = "/v1/recents"
RECENTS_PAGE = 500
V1_TIME = "%Y-%m-%d %H:%M:%S"
# Pipedrive serves a month of recents; below that the answer may not say where it clamped.
RECENTS_REACH = timedelta(days=28)
STATE_KEY = "freshness"
CUSTOM_KEY = re.compile(r"^[0-9a-f]{40}")
CORE, REFERENCE = "core", "reference"
# Lists the probe vouches for are still read every this many `slow_refresh_minutes` (a day by
# default): whatever /v1/recents might leave out is then seen within that time.
COVERED_LISTING_FACTOR = 24


@dataclass(frozen=True)
class Change:
    item: str  # recents item type, e.g. "deal"
    id: object
    at: datetime  # the record's update time
    archived: bool | None  # deals: which list holds it now (None: not said)
    custom_keys: frozenset[str]  # custom-field keys (40 hex) the record carries

    @property
    def key(self) -> str:
        return f"{self.item}:{self.id}:{self.at.isoformat()}"


@dataclass
class Probe:
    """What `/v1/recents` answered: the changes after `since`, and the server's clock."""

    since: datetime  # what the server served from (exclusive)
    server_now: datetime
    changes: list[Change] = field(default_factory=list)


def changes_from(items: Iterable[Mapping]) -> list[Change]:
    changes = []
    for item in items:
        data = item.get("data") or {}
        stamp = data.get("update_time") or data.get("modified")
        if not stamp:
            continue  # without a time it cannot be placed: the entity's periodic read covers it
        archived = data.get("is_archived")
        changes.append(
            Change(
                item=item.get("item"),
                id=item.get("id"),
                at=parse_instant(stamp),
                archived=None if archived is None else bool(archived),
                custom_keys=frozenset(key[:40] for key in data if CUSTOM_KEY.match(key)),
            )
        )
    return changes


@dataclass(frozen=True)
class EntityFreshness:
    """One entity's stored freshness (`STATE_KEY` in its resource state)."""

    horizon: datetime | None = None
    handled: frozenset[str] = frozenset()
    refreshed_at: datetime | None = None  # server time of the last run that read it whole
    known_keys: frozenset[str] | None = None  # field lists: the custom-field keys they hold

    @classmethod
    def read(cls, raw: Mapping | None) -> EntityFreshness:
        raw = (raw or {}).get(STATE_KEY) or {}
        known = raw.get("known_keys")
        return cls(
            horizon=parse_instant(raw["horizon"]) if raw.get("horizon") else None,
            handled=frozenset(raw.get("handled") or ()),
            refreshed_at=parse_instant(raw["refreshed_at"]) if raw.get("refreshed_at") else None,
            known_keys=None if known is None else frozenset(known),
        )


@dataclass
class Plan:
    """Which streams this run reads; built once before the extract, read by every resource."""

    probe: Probe | None = None  # None: no probe this run (first run, or tiers off)
    server_now: datetime | None = None  # the server's clock at the run's first answer
    skipped_streams: dict[str, set[str]] = field(default_factory=dict)  # entity -> stream keys

    def reads(self, entity: Entity, stream: Stream) -> bool:
        return stream.key not in self.skipped_streams.get(entity.name, ())

    def skips_all(self, entity: Entity, streams: Iterable[Stream]) -> bool:
        return all(not self.reads(entity, stream) for stream in streams)

    @property
    def skipped_entities(self) -> list[str]:
        return sorted(name for name, keys in self.skipped_streams.items() if keys)

    def completed(
        self, entity: Entity, raw_state: dict, read: bool, known_keys: Iterable | None = None
    ) -> None:
        """Record, in the entity's resource state, that this run saw all of its changes (`read`:
        every stream of it was read; `known_keys`: a field list's keys, the custom ones are kept)."""
        if self.server_now is None:
            return
        horizon = self.server_now - timedelta(seconds=1)
        item = entity.recents_item
        handled = sorted(
            change.key
            for change in (self.probe.changes if self.probe else ())
            if change.item == item and change.at >= horizon
        )
        previous = raw_state.get(STATE_KEY) or {}
        stored = {"horizon": horizon.isoformat(), "handled": handled}
        refreshed = self.server_now if read else previous.get("refreshed_at")
        if refreshed:
            stored["refreshed_at"] = refreshed if isinstance(refreshed, str) else refreshed.isoformat()
        if known_keys is not None and entity.primary_key == "field_code":
            stored["known_keys"] = sorted(key for key in known_keys if key and CUSTOM_KEY.match(str(key)))
        elif previous.get("known_keys") is not None:
            stored["known_keys"] = previous["known_keys"]
        raw_state[STATE_KEY] = stored


def probe_since(freshness: Mapping[str, EntityFreshness], entities: Iterable[Entity]) -> datetime | None:
    """Where the probe must start (exclusive) to decide every covered entity: one second before
    the earliest horizon. None: no covered entity has one yet (a first run), no probe needed."""
    horizons = [
        freshness[entity.name].horizon
        for entity in entities
        if entity.recents_item and entity.name in freshness and freshness[entity.name].horizon
    ]
    return min(horizons) - timedelta(seconds=1) if horizons else None


def build_plan(
    entities: Iterable[Entity],
    freshness: Mapping[str, EntityFreshness],
    probe: Probe | None,
    server_now: datetime | None,
    slow_refresh: timedelta,
    streams_of,
) -> Plan:
    """Decide, per stream, whether this run reads it (see the module docstring)."""
    entities = list(entities)
    plan = Plan(probe=probe, server_now=server_now)
    if server_now is None:
        return plan
    stale_fields = _fields_with_unknown_keys(entities, freshness, probe)
    for entity in entities:
        state = freshness.get(entity.name, EntityFreshness())
        streams = streams_of(entity)
        every = slow_refresh * (COVERED_LISTING_FACTOR if entity.recents_item else 1)
        if state.refreshed_at is None or server_now - state.refreshed_at >= every:
            continue  # due for its periodic read (or never read since tiers began)
        if entity.name in stale_fields:
            continue
        if entity.recents_item:
            if probe is None or state.horizon is None or state.horizon <= probe.since:
                continue  # the probe does not reach back to it
            changed = [
                change
                for change in probe.changes
                if change.item == entity.recents_item and change.at >= state.horizon
                and change.key not in state.handled
            ]  # fmt: skip
            skipped = {stream.key for stream in streams if not _touches(stream, changed)}
        elif entity.tier == REFERENCE:
            skipped = {stream.key for stream in streams}
        else:
            continue  # a core entity the probe cannot see: read every run
        if skipped:
            plan.skipped_streams[entity.name] = skipped
    return plan


def _touches(stream: Stream, changes: list[Change]) -> bool:
    """A change belongs to a stream unless the record says it sits in the other (archived) list."""
    return any(
        stream.archived is None or change.archived is None or change.archived == stream.archived
        for change in changes
    )


def _fields_with_unknown_keys(entities, freshness, probe: Probe | None) -> set[str]:
    """Field lists a changed record holds a custom-field key of that they do not know."""
    if probe is None:
        return set()
    by_item = {entity.recents_item: entity for entity in entities if entity.recents_item}
    stale = set()
    for change in probe.changes:
        owner = by_item.get(change.item)
        if owner is None or not owner.fields_entity or not change.custom_keys:
            continue
        known = freshness.get(owner.fields_entity, EntityFreshness()).known_keys
        if known is None or not change.custom_keys <= known:
            stale.add(owner.fields_entity)
    return stale


def v1_time(instant: datetime) -> str:
    return instant.astimezone(timezone.utc).strftime(V1_TIME)


def entity_of_item(item: str) -> Entity | None:
    return next((entity for entity in ENTITY_BY_NAME.values() if entity.recents_item == item), None)


def run_probe(client, since: datetime) -> Probe:
    """Every change after `since` (exclusive) that `/v1/recents` reports, oldest first, all pages.
    The server's clock comes from the first answer's `Date` header (else our own clock)."""
    changes: list[Change] = []
    start, served_since, server_now = 0, since, None
    while True:
        params = {"since_timestamp": v1_time(since), "start": start, "limit": RECENTS_PAGE}
        body = client.get_json(RECENTS_PATH, params)
        server_now = server_now or client.server_time() or datetime.now(timezone.utc)
        additional = body.get("additional_data") or {}
        if start == 0:
            served_since = _served_since(additional.get("since_timestamp"), since, server_now)
        data = body.get("data") or []
        changes += changes_from(data)
        pagination = additional.get("pagination", additional)
        if not data or not pagination.get("more_items_in_collection"):
            return Probe(since=served_since, server_now=server_now, changes=changes)
        start = pagination.get("next_start") or start + len(data)


def _served_since(answered: str | None, asked: datetime, server_now: datetime) -> datetime:
    """Where the server really started: it silently moves a `since_timestamp` older than a month up
    (the answer says so in `additional_data.since_timestamp`). Without that field, anything older
    than `RECENTS_REACH` counts as not served."""
    if answered:
        try:
            return max(asked, parse_instant(answered))
        except ValueError:
            pass
    return max(asked, server_now - RECENTS_REACH)
