"""The account's data: one indexed table per entity, the field registries and the write rules.

Every table keeps sorted keyset indexes on id, (update_ts, id) and (add_ts, id) so a page of
`updated_since` + cursor is a bisect, and caches each record's JSON bytes until it changes.
All access goes through `Store.lock` (re-entrant): writes are atomic with respect to reads.
"""

from __future__ import annotations

import copy
import itertools
import threading
import zlib
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import orjson
from sortedcontainers import SortedList

from simulator import DEFAULT_COMPANY_DOMAIN
from simulator.clock import SECONDS_PER_DAY, SimClock
from simulator.entities import ENTITIES, EntitySpec
from simulator.errors import ApiError, not_found
from simulator.fields import FIELD_ENTITIES, FieldRegistry
from simulator.history import DealHistory

PURGE_AFTER_SECONDS = 30 * SECONDS_PER_DAY


# Table versions: a new one at every change of any table, so a version names one state of one table.
_VERSIONS = itertools.count(1)


class Table:
    """Records of one entity by id, with sorted keyset indexes and a JSON byte cache."""

    def __init__(self, spec: EntitySpec) -> None:
        self.spec = spec
        self.version = next(_VERSIONS)  # changes with every record put, removed or loaded
        self.rows: dict = {}
        self.update_ts: dict = {}
        self.add_ts: dict = {}
        self.by_id = SortedList()
        self.by_update = SortedList()
        self.by_add = SortedList()
        self._json: dict = {}

    def __len__(self) -> int:
        return len(self.rows)

    def bulk_load(self, items: Iterable[tuple[dict, int, int]]) -> None:
        """Load (record, add_ts, update_ts) triples into an empty table: one sort per index."""
        self.version = next(_VERSIONS)
        for record, add_ts, update_ts in items:
            record_id = record["id"]
            self.rows[record_id] = record
            self.add_ts[record_id] = add_ts
            self.update_ts[record_id] = update_ts
        self.by_id = SortedList(self.rows)
        self.by_update = SortedList((ts, rid) for rid, ts in self.update_ts.items())
        self.by_add = SortedList((ts, rid) for rid, ts in self.add_ts.items())

    def load_generated(self, rows: list[tuple[dict, int, int]]) -> None:
        """`bulk_load` of generated records, each first given its add/update time in the entity's format."""
        spec = self.spec
        for record, add_ts, update_ts in rows:
            if spec.add_key:
                record[spec.add_key] = spec.time_format(add_ts)
            if spec.update_key:
                record[spec.update_key] = spec.time_format(update_ts)
        self.bulk_load(rows)

    def put(self, record: dict, add_ts: int, update_ts: int) -> None:
        self.version = next(_VERSIONS)
        record_id = record["id"]
        if record_id in self.rows:
            self.by_update.remove((self.update_ts[record_id], record_id))
            self.by_add.remove((self.add_ts[record_id], record_id))
        else:
            self.by_id.add(record_id)
        self.rows[record_id] = record
        self.add_ts[record_id] = add_ts
        self.update_ts[record_id] = update_ts
        self.by_update.add((update_ts, record_id))
        self.by_add.add((add_ts, record_id))
        self._json.pop(record_id, None)

    def remove(self, record_id) -> dict:
        self.version = next(_VERSIONS)
        record = self.rows.pop(record_id)
        self.by_id.remove(record_id)
        self.by_update.remove((self.update_ts.pop(record_id), record_id))
        self.by_add.remove((self.add_ts.pop(record_id), record_id))
        self._json.pop(record_id, None)
        return record

    def json_of(self, record_id) -> bytes:
        cached = self._json.get(record_id)
        if cached is None:
            cached = self._json[record_id] = orjson.dumps(self.rows[record_id])
        return cached

    def invalidate_all(self) -> None:
        self._json.clear()


def company_of(domain: str) -> dict:
    """The company fields of `/v1/users/me` for a simulated account. The id is derived from the
    domain: different domains are different accounts, the same domain is the same account."""
    return {
        "company_id": zlib.crc32(domain.encode()) % 90_000_000 + 10_000_000,
        "company_name": domain.replace("-", " ").title(),
        "company_domain": domain,
        "company_country": "EE",
        "company_industry": "Software",
    }


class Store:
    """All tables and field registries of one simulated Pipedrive company."""

    def __init__(self, clock: SimClock, seed: int, company_domain: str = DEFAULT_COMPANY_DOMAIN) -> None:
        self.clock = clock
        self.seed = seed
        self.company = company_of(company_domain)
        self.lock = threading.RLock()
        self.tables: dict[str, Table] = {name: Table(spec) for name, spec in ENTITIES.items()}
        self.fields: dict[str, FieldRegistry] = {
            name: FieldRegistry(name, []) for name in (*FIELD_ENTITIES, "project_fields")
        }
        self.lead_sources: list[dict] = []
        self.next_option_id = 1000
        self.activity_counts: dict[str, Counter] = {
            "deal_id": Counter(),
            "person_id": Counter(),
            "org_id": Counter(),
        }
        self.deal_product_ids: defaultdict[int, set] = defaultdict(set)  # deal id -> attachment ids
        self.participant_ids: defaultdict[int, set] = defaultdict(set)  # deal id -> participant ids
        # (item type, item id) -> follower ids: ("deal", 7) -> {3, 9}
        self.follower_ids: defaultdict[tuple[str, int], set] = defaultdict(set)
        self.deal_history = DealHistory(self)
        self.change_source = "api"  # who writes: "api" (HTTP) or "app" (the control API, as a user would)
        # What the v2 lists of persons, organizations, activities and products do with soft-deleted
        # records (the specs do not say): "flagged" lists them with is_deleted true, "hidden" leaves
        # them out. Deals always keep status=deleted.
        self.deleted_listing = "flagged"
        # Filled by simulator.v1: entity -> function(store, record) -> v1 record, used by truth(version="v1").
        self.v1_converters: dict[str, Callable[[Store, dict], dict]] = {}

    @property
    def deal_product_counts(self) -> _CountView:
        """Products per deal id (reads like a Counter)."""
        return _CountView(self.deal_product_ids)

    # ---- reading -------------------------------------------------------------------------

    def table(self, entity: str) -> Table:
        try:
            return self.tables[entity]
        except KeyError:
            raise ValueError(f"unknown entity {entity!r}; known: {sorted(self.tables)}") from None

    def get(self, entity: str, record_id) -> dict:
        table = self.table(entity)
        record = table.rows.get(record_id)
        if record is None:
            raise not_found(table.spec.label)
        return record

    def field_registry(self, field_entity: str) -> FieldRegistry:
        try:
            return self.fields[field_entity]
        except KeyError:
            raise ValueError(f"unknown field entity {field_entity!r}; known: {sorted(self.fields)}") from None

    # ---- writing -------------------------------------------------------------------------

    def stamp(self, entity: str, record: dict, add_ts: int | None, update_ts: int) -> None:
        """Write the entity's timestamps in its own format and store the record."""
        table = self.table(entity)
        spec = table.spec
        if add_ts is None:
            add_ts = table.add_ts.get(record["id"], update_ts)
        if spec.add_key:
            record[spec.add_key] = spec.time_format(add_ts)
        if spec.update_key:
            record[spec.update_key] = spec.time_format(update_ts)
        old = table.rows.get(record["id"])
        self._track_links(entity, old, record)
        if entity == "deals":
            if old is None:
                self.deal_history.started_empty(record["id"])
            else:
                self.deal_history.record(old, record, update_ts, self.change_source)
        table.put(record, add_ts, update_ts)

    def insert(self, entity: str, record: dict) -> dict:
        now = self.clock.now()
        self.stamp(entity, record, now, now)
        return record

    def replace(self, entity: str, record: dict) -> dict:
        """Store a changed copy of an existing record; update_time moves to now."""
        self.stamp(entity, record, None, self.clock.now())
        return record

    def soft_delete(self, entity: str, record_id) -> dict:
        table = self.table(entity)
        record = copy.deepcopy(self.get(entity, record_id))
        if table.spec.soft_delete:
            if record.get("is_deleted"):
                raise ApiError(410, f"{table.spec.label} is already deleted")
            record["is_deleted"] = True
            return self.replace(entity, record)
        self._track_links(entity, table.rows[record_id], None)
        return table.remove(record_id)

    def purge(self) -> int:
        """Hard-delete soft-deleted records deleted more than 30 simulated days ago."""
        horizon = self.clock.now() - PURGE_AFTER_SECONDS
        purged = 0
        gone: dict[str, set] = {}
        for entity, table in self.tables.items():
            if not table.spec.soft_delete:
                continue
            stale = [
                rid
                for ts, rid in table.by_update.irange(maximum=(horizon, MAX_KEY))
                if table.rows[rid].get("is_deleted")
            ]
            for record_id in stale:
                self._track_links(entity, table.rows[record_id], None)
                table.remove(record_id)
                if entity == "deals":
                    self.deal_history.forget(record_id)
            purged += len(stale)
            gone[entity] = set(stale)
        self._drop_links_to(gone)
        return purged

    def _drop_links_to(self, gone: dict[str, set]) -> None:
        """Participants and followers go with the record they link: a purged deal, the person a
        participant is, a purged followed record (a participant never names a missing person)."""
        followed = {
            (FOLLOWED_TYPE[entity], record_id)
            for entity in FOLLOWED_TYPE
            for record_id in gone.get(entity, ())
        }
        dependents = {
            "deal_participants": lambda row: (
                row["deal_id"] in gone.get("deals", ()) or row["person_id"] in gone.get("persons", ())
            ),
            "followers": lambda row: (row["item_type"], row["item_id"]) in followed,
        }
        for entity, linked_to_gone in dependents.items():
            table = self.tables[entity]
            for row in [row for row in table.rows.values() if linked_to_gone(row)]:
                self._track_links(entity, row, None)
                table.remove(row["id"])

    def next_id(self, entity: str) -> int:
        table = self.table(entity)
        return (table.by_id[-1] + 1) if len(table.by_id) else 1

    def new_option_id(self) -> int:
        self.next_option_id += 1
        return self.next_option_id

    @contextmanager
    def changes_from(self, source: str) -> Iterator[None]:
        """Record deal changes made inside the block as coming from `source` ("app": a user)."""
        with self.lock:
            previous, self.change_source = self.change_source, source
            try:
                yield
            finally:
                self.change_source = previous

    def _track_links(self, entity: str, old: dict | None, new: dict | None) -> None:
        """Keep the per-deal/person/org counts behind `include_fields` (activities_count, products_count,
        participants_count, followers_count) and the indexes the child endpoints read."""
        if entity == "activities":
            for key, counter in self.activity_counts.items():
                if old and old.get(key) and not old.get("is_deleted"):
                    counter[old[key]] -= 1
                if new and new.get(key) and not new.get("is_deleted"):
                    counter[new[key]] += 1
        elif entity in LINKS:
            index, parent_of = LINKS[entity](self)
            if old:
                index[parent_of(old)].discard(old["id"])
            if new:
                index[parent_of(new)].add(new["id"])

    def rebuild_links(self) -> None:
        for counter in self.activity_counts.values():
            counter.clear()
        for link in LINKS.values():
            link(self)[0].clear()
        for entity in ("activities", *LINKS):
            for record in self.tables[entity].rows.values():
                self._track_links(entity, None, record)


# followed entity -> the `item_type` its followers name
FOLLOWED_TYPE = {"deals": "deal", "persons": "person", "organizations": "organization", "products": "product"}
# child entity -> (its index in the store: parent -> child ids, the parent of a child record)
LINKS: dict[str, Callable[[Store], tuple[defaultdict, Callable[[dict], object]]]] = {
    "deal_products": lambda store: (store.deal_product_ids, lambda row: row["deal_id"]),
    "deal_participants": lambda store: (store.participant_ids, lambda row: row["deal_id"]),
    "followers": lambda store: (store.follower_ids, lambda row: (row["item_type"], row["item_id"])),
}


class _CountView:
    def __init__(self, sets: dict) -> None:
        self._sets = sets

    def __getitem__(self, key) -> int:
        return len(self._sets.get(key, ()))

    def get(self, key, default: int = 0) -> int:
        return len(self._sets[key]) if key in self._sets else default


class _MaxKey:
    """Sorts after every id (int or str) so an index range can end at a timestamp."""

    def __lt__(self, other) -> bool:
        return False

    __le__ = __lt__

    def __gt__(self, other) -> bool:
        return True

    __ge__ = __gt__


class _MinKey:
    """Sorts before every id."""

    def __lt__(self, other) -> bool:
        return True

    __le__ = __lt__

    def __gt__(self, other) -> bool:
        return False

    __ge__ = __gt__


MAX_KEY = _MaxKey()
MIN_KEY = _MinKey()
