"""The cursor boundary: same-second updates across page boundaries, and updates made while a
sync is paging (the next run must catch them)."""

from __future__ import annotations

import pytest

from simulator.control import Simulator
from tests.sync.helpers import assert_matches_truth, raw_rows, sync

pytestmark = pytest.mark.slow

COUNTS = {"deals": 1100, "notes": 1100, "deal_products": 100, "activities": 50, "persons": 100}


@pytest.fixture
def sim():
    with Simulator.start(seed=11, counts=COUNTS) as simulator:
        yield simulator


def test_same_second_updates_across_page_boundaries_are_not_missed(sim, tmp_path):
    deal_ids = [deal["id"] for deal in sim.truth("deals", include_deleted=False) if not deal["is_archived"]]
    sim.advance(60)
    for deal_id in deal_ids[:700]:  # 700 deals share one second: the second spans two pages
        sim.update("deals", deal_id, {"probability": 10})
    assert sync(sim, tmp_path).complete
    # the clock has not moved: these updates land in the very second the cursor stopped at
    sim.update("deals", deal_ids[0], {"title": "same second, first page"})
    sim.update("deals", deal_ids[650], {"title": "same second, second page"})
    sim.create("deals", {"title": "same second, new"})
    result = sync(sim, tmp_path)
    assert_matches_truth(sim, tmp_path)
    assert result.rows_per_table["deals"] >= 701  # the whole shared second is re-read, inclusive


@pytest.mark.parametrize("clock_step", [0, 1], ids=["frozen-clock", "ticking-clock"])
def test_updates_made_while_paging_are_caught_by_the_next_run(sim, tmp_path, clock_step):
    deals = sorted(
        sim.truth("deals", include_deleted=False), key=lambda deal: (deal["update_time"], deal["id"])
    )
    notes = sim.truth("notes")
    fired, seen = [], []

    def mutate_mid_sync(request):
        # deals: the first backfill reads page one, asks for the newest record, then pages through
        # parallel windows: mutate once those are under way; notes: on the second offset page
        seen.append(request.path)
        deals_mid_backfill = request.path == "/api/v2/deals" and seen.count("/api/v2/deals") == 3
        notes_second_page = request.path == "/v1/notes" and request.query.get("start") not in (None, "0")
        if fired or not (deals_mid_backfill or notes_second_page):
            return
        fired.append(request.path)
        sim.advance(clock_step)
        sim.update("deals", deals[3]["id"], {"title": "changed after it was read"})
        sim.update("deals", deals[-3]["id"], {"title": "changed before it was read"})
        sim.update("notes", notes[0]["id"], {"content": "note changed while paging"})
        sim.update("notes", notes[-1]["id"], {"content": "another note changed while paging"})

    remove_hook = sim.on_request(mutate_mid_sync)
    assert sync(sim, tmp_path).complete
    remove_hook()
    assert fired
    stored_notes = {row["id"] for row in raw_rows(tmp_path, "notes")}
    changed = {notes[0]["id"], notes[-1]["id"]}  # may have moved to the front, behind the offset
    assert stored_notes >= {note["id"] for note in notes} - changed  # no unchanged note skipped
    sync(sim, tmp_path)
    assert_matches_truth(sim, tmp_path)
