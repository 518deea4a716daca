"""Full and incremental syncs against the simulator, compared with its ground truth."""

from __future__ import annotations

import pytest

from simulator.control import Simulator
from tests.sync.helpers import assert_matches_truth, sync

COUNTS = {"deals": 1200, "persons": 600, "activities": 700, "deal_products": 900, "leads": 120}


@pytest.fixture
def sim():
    with Simulator.start(seed=3, counts=COUNTS) as simulator:
        yield simulator


def test_full_sync_equals_truth(sim, tmp_path):
    result = sync(sim, tmp_path)
    assert result.complete
    assert_matches_truth(sim, tmp_path)
    assert result.rows_per_table["deals"] == sim.count("deals")
    # deal products come in batches of 100 deals, never one request per deal
    assert result.requests_per_endpoint["/api/v2/deals/products"] <= sim.count("deals") // 100 + 2
