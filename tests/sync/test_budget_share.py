"""`max_budget_share`: one run spends at most that share of the tokens left today when it began,
then stops cleanly as on a spent budget (nothing refused by Pipedrive), and the next runs go on
exactly where it stopped."""

from __future__ import annotations

import pytest

from pipelines.settings import resolve_max_budget_share
from shared.run_log import STOPPED
from sources.pipedrive.errors import ConfigurationError
from tests.sync.helpers import FEW_FOLLOWED, assert_matches_truth, raw_rows, sync

COUNTS = {
    "deals": 3000,
    "persons": 600,
    "activities": 600,
    "deal_products": 800,
    "notes": 200,
    **FEW_FOLLOWED,
}


@pytest.mark.slow
def test_a_run_stops_at_its_share_and_the_next_runs_resume_exactly(simulator, tmp_path):
    # half of it covers a run's lists read whole (~430 tokens) with room to go on
    sim = simulator(seed=31, counts=COUNTS, plan="lite", daily_budget=1200, burst_limit=200)
    outcomes = []
    for _ in range(12):
        left_before = sim.daily_tokens_remaining()
        result = sync(sim, tmp_path, max_budget_share=0.5)
        outcomes.append(result)
        assert result.tokens <= left_before // 2  # never past its share ...
        if result.complete:
            break
        assert "max_budget_share" in result.message
        assert sim.daily_tokens_remaining() >= left_before - left_before // 2  # ... the rest left to others
        if sim.daily_tokens_remaining() < 100:
            sim.advance(sim.clock.seconds_to_midnight() + 60)  # the next day's budget
    assert not outcomes[0].complete and outcomes[-1].complete
    statuses = [status for item in sim.stats["endpoints"].values() for status in item["statuses"]]
    assert 429 not in statuses  # stopped by us, not refused by Pipedrive
    runs = raw_rows(tmp_path, "sync_runs")
    assert sum(run["outcome"] == STOPPED for run in runs) == len(outcomes) - 1
    assert_matches_truth(sim, tmp_path)


@pytest.mark.parametrize("value", ["0", "-0.1", "1.5", "half"])
def test_a_share_outside_0_to_1_is_refused_clearly(value):
    with pytest.raises(ConfigurationError, match="max_budget_share"):
        resolve_max_budget_share(value)


def test_the_share_defaults_to_half(monkeypatch):
    monkeypatch.delenv("SOURCES__PIPEDRIVE__MAX_BUDGET_SHARE", raising=False)
    assert resolve_max_budget_share() == 0.5
    monkeypatch.setenv("SOURCES__PIPEDRIVE__MAX_BUDGET_SHARE", "0.25")
    assert resolve_max_budget_share() == 0.25
