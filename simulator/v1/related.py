"""Build the `Related` lookups of simulator.v1.convert from the store, once per request."""

from __future__ import annotations

from collections import Counter
from functools import cache

from simulator.fields import RECORD_TO_FIELD_ENTITY
from simulator.store import Store
from simulator.v1.convert import Related


def related_from_store(store: Store) -> Related:
    """Lookups over the live tables; the per-organization people count is built lazily once."""
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
        custom_fields={
            entity: store.fields[field_entity].custom()
            for entity, field_entity in RECORD_TO_FIELD_ENTITY.items()
            if field_entity in store.fields
        },
    )
