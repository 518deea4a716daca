"""Deal history as `GET /v1/deals/{id}/changelog` serves it: one entry per changed field.

Every write to a deal through the store (HTTP writes, the control API, deletes, archiving) is
diffed against the record it replaces and appended to the deal's changelog. Seeded deals come with
a plausible past (stage progressions ending at `stage_change_time`, value and owner changes, the
won/lost close), derived from the seed and the deal only when first needed, so generating a big
account costs nothing extra. Entries are held in v1 terms (the changelog is a v1 endpoint):
`user_id` for the owner, `label` for label ids, values as strings.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from simulator.clock import parse_instant, v1_time

V1_KEYS = {"owner_id": "user_id", "label_ids": "label"}
# Deal keys whose changes the changelog records (custom fields are recorded by their hash key).
TRACKED = (
    "title",
    "value",
    "currency",
    "owner_id",
    "person_id",
    "org_id",
    "pipeline_id",
    "stage_id",
    "status",
    "probability",
    "lost_reason",
    "visible_to",
    "expected_close_date",
    "label_ids",
    "channel",
    "is_archived",
)
USER_AGENT = {"api": "pipedrive-sim/1.0", "app": "Mozilla/5.0 (pipedrive-sim)"}


@dataclass(frozen=True)
class Change:
    seq: int  # position in the deal's changelog, oldest first: the paging keyset
    ts: int
    field_key: str
    old_value: str | None
    new_value: str | None
    actor_user_id: int
    change_source: str

    def as_api(self) -> dict:
        return {
            "field_key": self.field_key,
            "old_value": self.old_value,
            "new_value": self.new_value,
            "actor_user_id": self.actor_user_id,
            "time": v1_time(self.ts),
            "change_source": self.change_source,
            "change_source_user_agent": USER_AGENT.get(self.change_source),
            "is_bulk_update_flag": False,
        }


def as_text(value) -> str | None:
    """A value the way the v1 changelog shows it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(item) for item in value) if value else None
    if isinstance(value, dict):
        return as_text(value.get("value", value.get("id")))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def diff(old: dict, new: dict) -> list[tuple[str, str | None, str | None]]:
    """(field_key, old_value, new_value) for every tracked field that differs."""
    changes = []
    old_status = "deleted" if old.get("is_deleted") else old.get("status")
    new_status = "deleted" if new.get("is_deleted") else new.get("status")
    for key in TRACKED:
        before, after = (old_status, new_status) if key == "status" else (old.get(key), new.get(key))
        if as_text(before) != as_text(after):
            changes.append((V1_KEYS.get(key, key), as_text(before), as_text(after)))
    old_custom, new_custom = old.get("custom_fields") or {}, new.get("custom_fields") or {}
    for code in sorted(set(old_custom) | set(new_custom)):
        before, after = as_text(old_custom.get(code)), as_text(new_custom.get(code))
        if before != after:
            changes.append((code, before, after))
    return changes


class DealHistory:
    """Changelogs of all deals, oldest entry first; seeded ones built on first use."""

    def __init__(self, store) -> None:
        self.store = store
        self.entries: dict[int, list[Change]] = {}

    def started_empty(self, deal_id: int) -> None:
        """A deal created after generation has no past."""
        self.entries[deal_id] = []

    def record(self, old: dict, new: dict, ts: int, source: str) -> None:
        changes = diff(old, new)
        if not changes:
            return
        log = self.of(old)
        actor = new.get("owner_id") if source == "app" else 1
        for field_key, before, after in changes:
            log.append(Change(len(log), ts, field_key, before, after, actor or 1, source))

    def of(self, deal: dict) -> list[Change]:
        """The deal's changelog (its current record gives the state the seeded past ends in)."""
        log = self.entries.get(deal["id"])
        if log is None:
            log = self.entries[deal["id"]] = seeded_past(self.store, deal)
        return log

    def forget(self, deal_id: int) -> None:
        self.entries.pop(deal_id, None)


def seeded_past(store, deal: dict) -> list[Change]:
    """A deterministic past ending in the deal's current state: the stages it went through up to
    its current one (the last move at `stage_change_time`), an earlier value, an earlier owner,
    and the close. Times lie between the deal's add time and its update time."""
    deal_id = deal["id"]
    table = store.tables["deals"]
    add_ts = table.add_ts.get(deal_id)
    update_ts = table.update_ts.get(deal_id)
    if add_ts is None or update_ts is None or update_ts <= add_ts:
        return []
    rng = random.Random(f"{store.seed}:deal-history:{deal_id}")
    owner = deal.get("owner_id") or 1
    # the dice are thrown in this order: stages, owner, value (the same seed gives the same past)
    events = [
        *_stage_events(store, deal, rng, add_ts, update_ts, owner),
        *_owner_event(store, rng, add_ts, update_ts, owner),
        *_value_event(deal, rng, add_ts, update_ts, owner),
        *_end_events(deal, add_ts, update_ts, owner),
    ]
    events.sort(key=lambda event: event[0])
    return [
        Change(seq, ts, key, before, after, actor, "app")
        for seq, (ts, key, before, after, actor) in enumerate(events)
    ]


Event = tuple[int, str, "str | None", "str | None", int]  # (ts, field key, old, new, actor)


def _stage_events(store, deal: dict, rng, add_ts: int, update_ts: int, owner: int) -> list[Event]:
    stage_moved = deal.get("stage_change_time")
    path = _stage_path(store, deal, rng) if stage_moved else []
    if len(path) < 2:
        return []
    last_move = max(add_ts + 1, min(update_ts, int(parse_instant(stage_moved))))
    span = last_move - add_ts
    moments = sorted(add_ts + int(rng.random() * span) for _ in range(len(path) - 2))
    moves = zip(path, path[1:], strict=False)
    return [
        (ts, "stage_id", str(before), str(after), owner)
        for (before, after), ts in zip(moves, [*moments, last_move], strict=True)
    ]


def _owner_event(store, rng, add_ts: int, update_ts: int, owner: int) -> list[Event]:
    users = len(store.tables["users"]) or 1
    if users > 1 and rng.random() < 0.2:
        previous = 1 + (owner + int(rng.random() * (users - 1))) % users
        return [(_moment(rng, add_ts, update_ts), "user_id", str(previous), str(owner), previous)]
    return []


def _value_event(deal: dict, rng, add_ts: int, update_ts: int, owner: int) -> list[Event]:
    value = deal.get("value") or 0
    if value and rng.random() < 0.35:
        earlier = as_text(round(value * (0.5 + rng.random()), 2))
        return [(_moment(rng, add_ts, update_ts), "value", earlier, as_text(value), owner)]
    return []


def _end_events(deal: dict, add_ts: int, update_ts: int, owner: int) -> list[Event]:
    """The close, the delete and the archiving, as the deal's current state says."""
    events: list[Event] = []
    closed = deal.get("close_time")
    if deal.get("status") in ("won", "lost") and closed:
        ts = max(add_ts + 1, min(update_ts, int(parse_instant(closed))))
        events.append((ts, "status", "open", deal["status"], owner))
        if deal.get("is_deleted"):
            events.append((update_ts, "status", deal["status"], "deleted", owner))
    elif deal.get("is_deleted"):
        events.append((update_ts, "status", deal.get("status") or "open", "deleted", owner))
    if deal.get("is_archived"):
        events.append((update_ts, "is_archived", "false", "true", owner))
    return events


def _stage_path(store, deal: dict, rng) -> list[int]:
    """Stage ids visited: forward from the pipeline's first stage to the current one; a deal in
    the first stage was moved back from a later one."""
    stages = sorted(
        (stage["order_nr"], stage["id"])
        for stage in store.tables["stages"].rows.values()
        if stage["pipeline_id"] == deal["pipeline_id"]
    )
    ids = [stage_id for _, stage_id in stages]
    current = deal["stage_id"]
    if current not in ids or len(ids) < 2:
        return [current]
    position = ids.index(current)
    if position == 0:
        return [ids[1 + int(rng.random() * (len(ids) - 1))], current]
    first = 0 if rng.random() < 0.8 else int(rng.random() * position)
    return ids[first : position + 1]


def _moment(rng, add_ts: int, update_ts: int) -> int:
    return add_ts + 1 + int(rng.random() * (update_ts - add_ts))
