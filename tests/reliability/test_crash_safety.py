"""SIGKILL the sync at seeded points of extract, normalize, load, the after-load fixes and the
transforms `run` builds, then run again: the database must equal the simulator's truth every time.

The kill comes from the test-only switch `PIPEDRIVE_SYNC_CRASH_AT=<phase>:<n>` (see
`shared/crash_points.py`). A small account yields about 30 extract, 64 normalize and 83 load
events on a first run, 21, 37 and 47 on the incremental one (lists that did not change are not
loaded again). `make test` runs a few points; `make test-full` runs them all.
"""

from __future__ import annotations

import signal

import duckdb
import pytest

from tests.reliability.helpers import (
    FULL_TESTS,
    SMALL_ACCOUNT,
    TOKEN,
    assert_views_consistent,
    build_views,
    change_account,
    cursors_ahead_of_data,
    db_path,
    duplicate_ids,
    run_args,
    run_cli,
    run_python,
)
from tests.sync.helpers import assert_matches_truth, sync
from transforms import run_transforms

# (which run is killed, where)
CRASH_POINTS = [
    ("first", "extract:3"),
    ("first", "normalize:20"),
    ("first", "load:35"),
    ("first", "fixes:1"),
    ("incremental", "extract:1"),
    ("incremental", "extract:5"),
    ("incremental", "extract:12"),
    ("incremental", "extract:17"),
    ("incremental", "extract:20"),
    ("incremental", "normalize:1"),
    ("incremental", "normalize:10"),
    ("incremental", "normalize:20"),
    ("incremental", "normalize:30"),
    ("incremental", "normalize:36"),
    ("incremental", "load:1"),
    ("incremental", "load:10"),
    ("incremental", "load:25"),
    ("incremental", "load:35"),
    ("incremental", "load:40"),
    ("incremental", "load:46"),
    ("incremental", "fixes:1"),
    ("incremental", "fixes:2"),
    ("incremental", "transform:5"),  # `run` builds the views after the load, inside its lock
    ("incremental", "transform:28"),
]
CI_POINTS = {("first", "load:35"), ("incremental", "extract:12"), ("incremental", "load:25")}
SELECTED = CRASH_POINTS if FULL_TESTS else [point for point in CRASH_POINTS if point in CI_POINTS]


def killed(outcome) -> bool:
    return outcome.returncode == -signal.SIGKILL


@pytest.mark.parametrize(("killed_run", "crash_at"), SELECTED, ids=[f"{r}-{c}" for r, c in SELECTED])
def test_sigkill_then_rerun_equals_truth(simulator, tmp_path, killed_run, crash_at):
    sim = simulator(seed=11, counts=SMALL_ACCOUNT, token=TOKEN)
    if killed_run == "incremental":
        assert sync(sim, tmp_path).complete
        change_account(sim)
    crashed = run_cli(tmp_path, *run_args(sim, tmp_path), PIPEDRIVE_SYNC_CRASH_AT=crash_at)
    assert killed(crashed), f"the run was not killed at {crash_at}:\n{crashed.stderr[-3000:]}"
    assert not cursors_ahead_of_data(sim, tmp_path)

    rerun = sync(sim, tmp_path)
    assert rerun.complete
    assert_matches_truth(sim, tmp_path)
    assert not duplicate_ids(db_path(tmp_path))
    assert_views_consistent(sim, build_views(db_path(tmp_path)))


@pytest.mark.skipif(not FULL_TESTS, reason="crash matrix: `make test-full` runs every point")
def test_killed_twice_in_a_row_then_converges(simulator, tmp_path):
    """A crash while recovering from a crash (pending packages from two runs) still converges."""
    sim = simulator(seed=12, counts=SMALL_ACCOUNT, token=TOKEN)
    assert sync(sim, tmp_path).complete
    change_account(sim, 1)
    assert killed(run_cli(tmp_path, *run_args(sim, tmp_path), PIPEDRIVE_SYNC_CRASH_AT="load:30"))
    change_account(sim, 2)
    assert killed(run_cli(tmp_path, *run_args(sim, tmp_path), PIPEDRIVE_SYNC_CRASH_AT="normalize:5"))
    assert not cursors_ahead_of_data(sim, tmp_path)
    final = run_cli(tmp_path, *run_args(sim, tmp_path))
    assert final.returncode == 0, final.stderr[-3000:]
    assert_matches_truth(sim, tmp_path)
    assert not duplicate_ids(db_path(tmp_path))


@pytest.mark.parametrize("crash_at", ["transform:3", "transform:30"] if FULL_TESTS else ["transform:30"])
def test_sigkill_during_transforms_keeps_previous_views_then_rebuilds(simulator, tmp_path, crash_at):
    """The transforms run in one transaction: a kill leaves the previous views readable."""
    sim = simulator(seed=13, counts=SMALL_ACCOUNT, token=TOKEN)
    assert sync(sim, tmp_path).complete
    views = build_views(db_path(tmp_path))
    with duckdb.connect(str(views)) as con:
        con.execute("DROP VIEW pipedrive.deals_enriched")  # so a half-done rebuild would show
        before = con.execute("SELECT count(*) FROM pipedrive.deals").fetchone()[0]
    script = f"from transforms import run_transforms; run_transforms({str(views)!r}, None)"
    crashed = run_python(tmp_path, script, token=None, PIPEDRIVE_SYNC_CRASH_AT=crash_at)
    assert killed(crashed), crashed.stderr[-3000:]
    with duckdb.connect(str(views), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM pipedrive.deals").fetchone()[0] == before
        missing = "SELECT count(*) FROM duckdb_views() WHERE view_name = 'deals_enriched'"
        assert con.execute(missing).fetchone()[0] == 0  # the killed run's work was rolled back
    run_transforms(views, None)
    assert_views_consistent(sim, views)


def test_crash_switch_rejects_a_malformed_value(simulator, tmp_path):
    sim = simulator(seed=14, counts={"deals": 5}, token=TOKEN)
    outcome = run_cli(tmp_path, *run_args(sim, tmp_path), PIPEDRIVE_SYNC_CRASH_AT="loadd:x")
    assert outcome.returncode not in (0, -signal.SIGKILL)
    assert "PIPEDRIVE_SYNC_CRASH_AT must be <phase>:<n>" in outcome.stderr
