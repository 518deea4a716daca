"""The `Related` lookups of simulator.v1.convert over the store, reused while nothing they
depend on has changed.

The derived counts (people per organization, done activities per deal/person/organization)
cost a pass over a table. They are rebuilt only when the fingerprint moves: the versions of the
person and activity tables (every record put, removed or loaded moves them) and the identities
of the field-definition objects (field edits replace the field list's members or change them in
place, which the lookups read live), so an unchanged fingerprint means unchanged inputs. The
fingerprint costs nothing per record: it is taken on every v1 request that converts records.
"""

from __future__ import annotations

import weakref
from collections import Counter
from functools import cache

from simulator.fields import RECORD_TO_FIELD_ENTITY
from simulator.store import Store
from simulator.v1.convert import Related

_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _fingerprint(store: Store) -> tuple:
    tables = store.tables
    return (
        tables["persons"].version,
        tables["activities"].version,
        tuple(tuple(map(id, registry.fields)) for registry in store.fields.values()),
    )


def related_from_store(store: Store) -> Related:
    """The store's lookups; call with `store.lock` held."""
    fingerprint = _fingerprint(store)
    cached = _CACHE.get(store)
    if cached is None or cached[0] != fingerprint:
        cached = _CACHE[store] = (fingerprint, _build(store))
    return cached[1]


def _build(store: Store) -> Related:
    """Lookups over the live tables; the derived counts are built lazily, once."""
    tables = store.tables

    @cache
    def people_per_org() -> Counter:
        return Counter(
            person["org_id"]
            for person in tables["persons"].rows.values()
            if person.get("org_id") and not person.get("is_deleted")
        )

    @cache
    def done_per(key: str) -> Counter:
        return Counter(
            activity[key]
            for activity in tables["activities"].rows.values()
            if activity.get(key) and activity.get("done") and not activity.get("is_deleted")
        )

    def activity_counts(key: str, record_id) -> tuple[int, int]:
        """(done, undone) activities of a deal/person/organization."""
        done = done_per(key)[record_id]
        return done, store.activity_counts[key][record_id] - done

    return Related(
        user=tables["users"].rows.get,
        person=tables["persons"].rows.get,
        organization=tables["organizations"].rows.get,
        stage=tables["stages"].rows.get,
        deal=tables["deals"].rows.get,
        people_count=lambda org_id: people_per_org()[org_id] if org_id is not None else 0,
        activity_counts=activity_counts,
        product_count=lambda deal_id: store.deal_product_counts[deal_id],
        participant_count=lambda deal_id: len(store.participant_ids.get(deal_id, ())),
        follower_count=lambda item_type, item_id: len(store.follower_ids.get((item_type, item_id), ())),
        custom_fields={
            entity: store.fields[field_entity].custom()
            for entity, field_entity in RECORD_TO_FIELD_ENTITY.items()
            if field_entity in store.fields
        },
    )
