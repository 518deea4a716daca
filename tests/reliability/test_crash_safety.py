"""SIGKILL the sync at seeded points of extract, normalize, load and the transforms `run` builds,
then run again: the database must equal the simulator's truth every time.

The incremental run also meets what only dlt writes since the after-load fixes are gone: a lead
deleted upstream (leads vanish at once; reconciliation runs every run here) is flagged from its
stored row, and a deal whose every product was removed gets a tombstone that empties its products.

The kill comes from the test-only switch `PIPEDRIVE_SYNC_CRASH_AT=<phase>:<n>` (see
`shared/crash_points.py`). A small account yields about 35 extract, 71 normalize and 90 load
events on a first run, 28, 41 and 52 on the incremental one (lists that did not change are not
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

RECONCILE_ENV = "SOURCES__PIPEDRIVE__RECONCILE_EVERY_HOURS"
# (which run is killed, where)
CRASH_POINTS = [
    ("first", "extract:3"),
    ("first", "extract:28"),
    ("first", "normalize:20"),
    ("first", "load:35"),
    ("first", "load:88"),
    ("incremental", "extract:1"),
    ("incremental", "extract:5"),
    ("incremental", "extract:12"),
    ("incremental", "extract:17"),
    ("incremental", "extract:21"),
    ("incremental", "extract:26"),
    ("incremental", "normalize:1"),
    ("incremental", "normalize:10"),
    ("incremental", "normalize:20"),
    ("incremental", "normalize:30"),
    ("incremental", "normalize:40"),
    ("incremental", "load:1"),
    ("incremental", "load:10"),
    ("incremental", "load:25"),
    ("incremental", "load:35"),
    ("incremental", "load:40"),
    ("incremental", "load:51"),
    ("incremental", "transform:5"),  # `run` builds the views after the load, inside its lock
    ("incremental", "transform:28"),
]
CI_POINTS = {("first", "load:35"), ("incremental", "extract:12"), ("incremental", "load:25")}
SELECTED = CRASH_POINTS if FULL_TESTS else [point for point in CRASH_POINTS if point in CI_POINTS]


def killed(outcome) -> bool:
    return outcome.returncode == -signal.SIGKILL


def delete_upstream(sim) -> None:
    """Deletes no list shows: a lead (hard-deleted at once), every product of a deal (then edited)."""
    sim.delete("leads", sim.truth("leads")[0]["id"])
    deal_id = sim.truth("deal_products")[0]["deal_id"]
    for attachment in [row for row in sim.truth("deal_products") if row["deal_id"] == deal_id]:
        sim.delete("deal_products", attachment["id"])
    sim.update("deals", deal_id, {"title": "Every product removed"})


@pytest.mark.parametrize(("killed_run", "crash_at"), SELECTED, ids=[f"{r}-{c}" for r, c in SELECTED])
def test_sigkill_then_rerun_equals_truth(simulator, tmp_path, monkeypatch, killed_run, crash_at):
    monkeypatch.setenv(RECONCILE_ENV, "0")  # the rerun too
    sim = simulator(seed=11, counts=SMALL_ACCOUNT, token=TOKEN)
    if killed_run == "incremental":
        assert sync(sim, tmp_path).complete
        change_account(sim)
        delete_upstream(sim)
    crashed = run_cli(
        tmp_path, *run_args(sim, tmp_path), PIPEDRIVE_SYNC_CRASH_AT=crash_at, **{RECONCILE_ENV: "0"}
    )
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
