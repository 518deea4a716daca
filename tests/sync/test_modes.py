"""v1 list mode (deprecated endpoints, switchable per entity) and id reconciliation."""

from __future__ import annotations

import pytest

from simulator.control import Simulator
from simulator.v1.endpoints import lead_to_v1
from tests.sync.helpers import V1_LIST_ENTITIES, assert_matches_truth, mismatches, raw_rows, sync

pytestmark = pytest.mark.slow

COUNTS = {"deals": 700, "persons": 200, "activities": 300, "deal_products": 200, "notes": 100}


def test_v1_list_mode_full_and_incremental_equal_truth(tmp_path):
    with Simulator.start(seed=8, counts=COUNTS) as sim:
        assert sync(sim, tmp_path, v1_list_entities=V1_LIST_ENTITIES).complete
        assert_matches_truth(sim, tmp_path, version="v1")
        deals = raw_rows(tmp_path, "deals")
        assert {row["_source_api"] for row in deals} == {"v1"}
        sim.advance(120)
        # v1 activities repeat their deal's title (denormalized, their update_time does not move):
        # change deals no activity points at, that staleness is a property of the v1 shapes
        with_activities = {activity["deal_id"] for activity in sim.truth("activities")}
        open_deals = [
            deal
            for deal in sim.truth("deals", include_deleted=False)
            if not deal["is_archived"] and deal["id"] not in with_activities
        ]
        sim.update("deals", open_deals[0]["id"], {"title": "v1 mode update"})
        sim.delete("deals", open_deals[1]["id"])
        sim.archive("deals", open_deals[2]["id"])
        sim.create("persons", {"name": "v1 newcomer"})
        sim.reset_stats()
        assert sync(sim, tmp_path, v1_list_entities=V1_LIST_ENTITIES).complete
        assert_matches_truth(sim, tmp_path, version="v1")
        # newest first, stopping at the cursor: one page per v1 stream (`status` takes one value:
        # not deleted, deleted), not a re-read of 700 deals
        assert sim.stats["endpoints"]["GET /v1/deals"]["requests"] == 2


def test_reconcile_flags_hard_deleted_records(tmp_path):
    with Simulator.start(seed=9, counts=COUNTS) as sim:
        only = {"resources": ["deals", "leads"]}
        assert sync(sim, tmp_path, **only).complete
        deal = sim.truth("deals", include_deleted=False)[0]
        sim.delete("deals", deal["id"])
        sim.advance(31 * 86_400)  # purged before any sync saw the soft delete: gone from every list
        lead = sim.truth("leads")[0]
        sim.delete("leads", lead["id"])  # leads are hard-deleted at once
        # leads have no delete feed: their last listing (the first run) is 31 days old, so this
        # run lists their ids by itself; deals report deletes in their list and are not listed
        scheduled = sync(sim, tmp_path, **only)
        assert scheduled.marked_deleted == {"leads": 1}
        assert scheduled.reconcile_requests == 2 and scheduled.reconcile_tokens == 20 + 40  # leads, archived
        flagged = sync(sim, tmp_path, reconcile=True, **only)  # `--reconcile` lists every chosen entity
        assert flagged.marked_deleted == {"deals": 1}
        assert "/api/v2/persons" not in flagged.requests_per_endpoint  # only the chosen resources
        stored_lead = next(row for row in raw_rows(tmp_path, "leads") if row["id"] == lead["id"])
        assert stored_lead["is_deleted"] is True
        stored_deal = next(row for row in raw_rows(tmp_path, "deals") if row["id"] == deal["id"])
        assert stored_deal["is_deleted"] is True
        assert not mismatches(tmp_path, "deals", sim.truth("deals"))
        assert not mismatches(
            tmp_path, "leads", [lead_to_v1(sim.store, row) for row in sim.truth("leads")], v1=True
        )
