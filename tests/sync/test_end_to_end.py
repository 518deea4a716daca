"""Full and incremental syncs against the simulator, compared with its ground truth."""

from __future__ import annotations

import functools

import duckdb
import pytest

from simulator.control import Simulator
from tests.sync.helpers import assert_matches_truth, raw_rows, sync
from tests.sync.helpers import sync as sync_every_list
from transforms import run_transforms

pytestmark = pytest.mark.slow

COUNTS = {"deals": 1200, "persons": 600, "activities": 700, "deal_products": 900, "leads": 120}


@pytest.fixture
def sim():
    with Simulator.start(seed=3, counts=COUNTS) as simulator:
        yield simulator


def test_full_sync_equals_truth(sim, tmp_path):
    result = sync(sim, tmp_path)
    assert result.complete
    assert_matches_truth(sim, tmp_path)
    # parallel windows restart at the second page one ended on: a few rows are read twice, merged once
    assert sim.count("deals") <= result.rows_per_table["deals"] <= sim.count("deals") + 10
    # deal products come in batches of 100 deals, never one request per deal
    assert result.requests_per_endpoint["/api/v2/deals/products"] <= sim.count("deals") // 100 + 2


PER_CHANGED_RECORD = (
    "GET /api/v2/deals/installments",
    "GET /v1/deals/{id}/changelog",
    "GET /api/v2/products/{id}/variations",
    "GET /v1/deals/{id}/participants",
    "GET /api/v2/deals/{id}/followers",
)


def _streams_per_run() -> int:
    from sources.pipedrive.entities import ENTITIES

    return sum(len(entity.streams) for entity in ENTITIES)


def _streams_of() -> dict[str, int]:
    """endpoint -> how many streams read it (one page each when nothing else changed)"""
    from sources.pipedrive.entities import ENTITIES

    counts: dict[str, int] = {}
    for stream in (stream for entity in ENTITIES for stream in entity.streams):
        counts[f"GET {stream.path}"] = counts.get(f"GET {stream.path}", 0) + 1
    return counts


def _list_requests(endpoints: dict) -> int:
    """Requests of the lists read: one page per stream, nothing re-read."""
    lists = {
        name: endpoint["requests"] for name, endpoint in endpoints.items() if name not in PER_CHANGED_RECORD
    }
    pages = {name: count for name, count in lists.items() if count != _streams_of().get(name, 1)}
    assert not pages, pages  # e.g. /v1/goals/find: two streams (active, inactive), one page each
    assert len(lists) <= _streams_per_run() + 3  # + the probe, the account check, one products batch
    return sum(lists.values())


def _per_changed_record_requests(sim, deals_read: set) -> int:
    """Installments (one batch), history (one changelog per changed deal: 5 updated, 3 created,
    1 deleted, 1 archived, 1 re-priced), participants and followers (one read per deal read that
    has any) and variations (only products re-read at the cursor)."""
    endpoints = sim.stats["endpoints"]
    count = {name: endpoints.get(name, {"requests": 0})["requests"] for name in PER_CHANGED_RECORD}
    assert count["GET /api/v2/deals/installments"] <= 1
    assert count["GET /v1/deals/{id}/changelog"] == 11
    with sim.store.lock:
        with_participants = sum(bool(sim.store.participant_ids.get(deal)) for deal in deals_read)
        with_followers = sum(bool(sim.store.follower_ids.get(("deal", deal))) for deal in deals_read)
    assert count["GET /v1/deals/{id}/participants"] == with_participants
    assert count["GET /api/v2/deals/{id}/followers"] == with_followers
    newest = max(product["update_time"] for product in sim.truth("products"))
    at_cursor = sum(product["update_time"] == newest for product in sim.truth("products"))
    assert count["GET /api/v2/products/{id}/variations"] <= at_cursor
    return sum(count.values())


def test_incremental_run_converges_and_reads_only_changed_pages(sim, tmp_path):
    assert sync(sim, tmp_path).complete
    sim.advance(3600)
    deals = [deal for deal in sim.truth("deals", include_deleted=False) if not deal["is_archived"]]
    for deal in deals[:5]:
        sim.update("deals", deal["id"], {"title": deal["title"] + " (renegotiated)", "value": 1234.5})
    created = [sim.create("deals", {"title": f"New deal {n}", "value": 100 + n}) for n in range(3)]
    sim.create("persons", {"name": "Ada Newcomer"})
    sim.delete("deals", deals[5]["id"])
    sim.delete("persons", sim.truth("persons", include_deleted=False)[0]["id"])
    sim.archive("deals", deals[6]["id"])
    # a product removed from a deal that changed disappears from deal_products
    attachment = next(
        row for row in sim.truth("deal_products") if row["deal_id"] not in {d["id"] for d in deals[:7]}
    )
    sim.delete("deal_products", attachment["id"])
    sim.update("deals", attachment["deal_id"], {"title": "Products changed"})
    # a new custom field shows up in custom_fields without a full refresh; a renamed one in deal_fields
    field = sim.add_field("deal_fields", "Renewal date", "date")
    sim.update("deals", created[0]["id"], {"custom_fields": {field["field_code"]: "2026-07-01"}})
    renamed = next(item for item in sim.fields("deal_fields") if item["is_custom_field"])
    sim.rename_field("deal_fields", renamed["field_code"], "Renamed field")
    lead = sim.truth("leads")[0]
    sim.update("leads", lead["id"], {"title": "Lead retitled"})
    sim.reset_stats()

    read_from = max(row["_extracted_at"] for row in raw_rows(tmp_path, "deals"))
    result = sync(sim, tmp_path)

    assert result.complete
    assert_matches_truth(sim, tmp_path)
    deals_read = {row["id"] for row in raw_rows(tmp_path, "deals") if row["_extracted_at"] > read_from}
    endpoints = sim.stats["endpoints"]
    assert endpoints["GET /api/v2/deals"]["requests"] == 1  # one page of changes, not a re-read
    assert endpoints["GET /api/v2/deals/products"]["requests"] == 1  # 9 changed deals in one batch
    # every list read reads one page (the change probe leaves unchanged lists unread), plus the
    # per-record reads of the deals and products that changed
    assert sim.stats["requests"] == _list_requests(endpoints) + _per_changed_record_requests(sim, deals_read)
    assert result.rows_per_table["deals"] < 20  # 11 changed, plus the re-read cursor second


def test_lists_read_whole_are_loaded_again_only_when_they_changed(sim, tmp_path):
    # every list read every run (slow_refresh_minutes 0): this is about loading, not reading
    sync = functools.partial(sync_every_list, slow_refresh_minutes=0)
    unused = sim.add_field("deal_fields", "Soon removed", "varchar")  # no deal has a value for it
    first = sync(sim, tmp_path)
    assert first.rows_per_table["stages"] > 0 and first.rows_per_table["deal_fields"] > 0

    unchanged = sync(sim, tmp_path)  # still read (one request each), but nothing to load

    assert unchanged.complete
    whole_lists = {"stages", "pipelines", "currencies", "activity_types", "deal_fields", "person_fields"}
    assert not whole_lists & set(unchanged.rows_per_table)
    assert_matches_truth(sim, tmp_path)  # the stored lists are still there and still right

    stage = sim.truth("stages")[0]
    sim.update("stages", stage["id"], {"name": stage["name"] + " (renamed)"})
    sim.delete_field("deal_fields", unused["field_code"])
    changed = sync(sim, tmp_path)

    assert changed.rows_per_table["stages"] == len(sim.truth("stages"))
    assert changed.rows_per_table["deal_fields"] == len(sim.fields("deal_fields"))
    assert changed.marked_deleted == {"deal_fields": 1}  # kept in the raw table, flagged
    assert "currencies" not in changed.rows_per_table and "person_fields" not in changed.rows_per_table
    assert_matches_truth(sim, tmp_path)
    run_transforms(tmp_path / "pipedrive.duckdb")  # the flagged field is gone from the readable layer
    with duckdb.connect(str(tmp_path / "pipedrive.duckdb"), read_only=True) as con:
        defined = con.execute(
            "select field_key from pipedrive_staging.field_definitions where field_entity = 'deal_fields'"
        ).fetchall()
    assert {row[0] for row in defined} == {field["field_code"] for field in sim.fields("deal_fields")}
