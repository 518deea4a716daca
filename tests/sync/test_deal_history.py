"""Deal history: `pipedrive_raw.deal_changes` holds every deal's changelog exactly as the simulator
recorded it, read within a budget of its own that spreads a backfill over days."""

from __future__ import annotations

from collections import Counter

import duckdb
import pytest

from pipelines.history import DEFAULT_HISTORY_BUDGET_SHARE, history_budget
from pipelines.status import read_status, report_lines
from shared.deal_history import describe, history_progress
from simulator.clock import SECONDS_PER_DAY
from simulator.control import Simulator
from sources.pipedrive.history import change_id
from tests.sync.helpers import FEW_FOLLOWED, raw_rows, sync

CHANGELOG = "/v1/deals/{id}/changelog"


def _truth(sim) -> dict[str, dict]:
    return {
        change_id(deal["id"], entry): {"deal_id": deal["id"], **entry}
        for deal in sim.truth("deals")
        for entry in sim.deal_changelog(deal["id"])
    }


def _stored(tmp_path) -> dict[str, dict]:
    rows = raw_rows(tmp_path, "deal_changes")
    assert len({row["id"] for row in rows}) == len(rows)
    return {row["id"]: row for row in rows}


def _changelog_reads(sim) -> Counter:
    """Deals whose changelog was requested, with how often."""
    reads = Counter()
    for name, endpoint in sim.stats["endpoints"].items():
        if name == f"GET {CHANGELOG}":
            reads["requests"] += endpoint["requests"]
    return reads


def _matches(stored: dict, truth: dict) -> bool:
    columns = ("deal_id", "field_key", "old_value", "new_value", "actor_user_id", "time", "change_source")
    return stored.keys() == truth.keys() and all(
        [stored[key][column] for column in columns] == [truth[key][column] for column in columns]
        for key in truth
    )


def test_first_sync_reads_the_whole_history_then_only_changed_deals(simulator, tmp_path):
    sim = simulator(seed=12, counts={"deals": 80})
    result = sync(sim, tmp_path)
    truth = _truth(sim)
    assert result.complete and truth
    assert _matches(_stored(tmp_path), truth)
    # stage moves made long before the first sync are there
    moves = [row for row in truth.values() if row["field_key"] == "stage_id"]
    assert len(moves) > 20
    assert _changelog_reads(sim)["requests"] == sim.count("deals")

    sim.reset_stats()
    changed = [deal["id"] for deal in sim.truth("deals", include_deleted=False)[:3]]
    sim.advance(120)
    for deal_id in changed:
        sim.update("deals", deal_id, {"value": 999, "title": "Changed after the first sync"})
    sync(sim, tmp_path)
    endpoints = sim.stats["endpoints"]
    assert endpoints[f"GET {CHANGELOG}"]["requests"] == len(changed)
    assert _matches(_stored(tmp_path), _truth(sim))

    sim.reset_stats()
    sync(sim, tmp_path)  # nothing changed: no history request at all
    assert f"GET {CHANGELOG}" not in sim.stats["endpoints"]


def test_a_replayed_read_never_doubles_a_change(simulator, tmp_path):
    sim = simulator(seed=12, counts={"deals": 30})
    sync(sim, tmp_path)
    before = _stored(tmp_path)
    with duckdb.connect(str(tmp_path / "pipedrive.duckdb")) as con:  # forget that history was read
        con.execute("DELETE FROM pipedrive_raw.deal_history_reads")
    sync(sim, tmp_path)
    assert _stored(tmp_path).keys() == before.keys()


@pytest.mark.parametrize(
    ("left", "main", "expected"),
    [(None, 500, None), (10_000, 500, 2_500), (1_000, 900, 100), (1_000, 1_200, 0)],
)
def test_budget_is_a_share_of_what_is_left_never_eating_what_the_main_sync_needs(left, main, expected):
    assert history_budget(left, main, DEFAULT_HISTORY_BUDGET_SHARE) == expected
    assert history_budget(left, main, 0) == 0


def _check_history_within_its_share(sim, daily_budget: int = 2_500) -> int:
    """History never spends more than its share of what the main sync left; its requests."""
    history = sim.stats["endpoints"].get(f"GET {CHANGELOG}", {"requests": 0, "tokens": 0})
    main_tokens = sim.stats["tokens"] - history["tokens"]
    assert history["tokens"] <= DEFAULT_HISTORY_BUDGET_SHARE * (daily_budget - main_tokens)
    return history["requests"]


def _progress_and_new_reads(tmp_path, read_before: list) -> tuple:
    with duckdb.connect(str(tmp_path / "pipedrive.duckdb"), read_only=True) as con:
        progress = history_progress(con, "pipedrive_raw")
        rows = con.execute(
            "SELECT deal_id FROM pipedrive_raw.deal_history_reads ORDER BY _extracted_at, deal_id"
        ).fetchall()
    return progress, [row[0] for row in rows if row[0] not in read_before]


def test_a_backfill_under_a_small_budget_spreads_over_days_newest_first_and_ends_exact(tmp_path):
    deals = 60
    with Simulator.start(
        seed=13, counts={"deals": deals, **FEW_FOLLOWED}, plan="lite", daily_budget=2_500
    ) as sim:
        newest_first = [
            deal["id"]
            for deal in sorted(
                sim.truth("deals"), key=lambda deal: (deal["update_time"], deal["id"]), reverse=True
            )
        ]
        days, read_order, first_day = 0, [], None
        while True:
            sim.reset_stats()
            result = sync(sim, tmp_path)
            days += 1
            assert result.complete
            history_requests = _check_history_within_its_share(sim)
            progress, read_now = _progress_and_new_reads(tmp_path, read_order)
            read_order += read_now
            first_day = first_day if first_day is not None else read_now
            shown = describe(progress)
            status = read_status(tmp_path / "pipedrive.duckdb", tmp_path / "state")
            assert status.deal_history == progress  # `pipedrive-sync status` shows the same line
            assert shown[0].upper() + shown[1:] in report_lines(status)
            if progress.backfill_done:
                assert shown.startswith(f"deal history: complete for {deals} deals")
                break
            assert f"backfill {progress.read} of {deals} deals" in shown
            assert 0 < history_requests < deals
            assert days < 10
            sim.advance(SECONDS_PER_DAY)  # the daily budget resets at midnight
        assert days >= 3
        # newest-changed deals first
        assert set(first_day) == set(newest_first[: len(first_day)])
        assert _matches(_stored(tmp_path), _truth(sim))


def test_full_refresh_keeps_the_history_and_does_not_read_it_again(simulator, tmp_path):
    sim = simulator(seed=12, counts={"deals": 30})
    sync(sim, tmp_path)
    before = _stored(tmp_path)
    sim.reset_stats()
    assert sync(sim, tmp_path, full_refresh=True).complete
    assert _stored(tmp_path).keys() == before.keys() == _truth(sim).keys()
    assert f"GET {CHANGELOG}" not in sim.stats["endpoints"]  # no deal changed: nothing to read again
