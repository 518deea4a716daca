"""`pipedrive_raw.sync_runs`: one row per run, complete, stopped or failed, with the run's rows,
requests and tokens as the simulator counted them, and the account's tokens left today."""

from __future__ import annotations

import json

import duckdb
import pytest

from pipelines.sync import run_sync
from shared.run_log import FAILED, pending_runs, pending_runs_path, recent_runs, todays_spend
from sources.pipedrive.client import RetryPolicy
from sources.pipedrive.errors import ApiError
from transforms import run_transforms

pytestmark = pytest.mark.slow

COUNTS = {"deals": 60, "persons": 40, "organizations": 20, "activities": 50}


def runs_in(database) -> list[dict]:
    with duckdb.connect(str(database), read_only=True) as con:
        cursor = con.execute("select * from pipedrive_raw.sync_runs order by started_at")
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_every_run_gets_a_row_with_what_the_api_counted(simulator, tmp_path):
    sim = simulator(seed=21, counts=COUNTS, plan="growth")
    database = tmp_path / "crm.duckdb"
    results = []
    for _ in range(2):
        before = sim.stats
        result = run_sync(sim.base_url, sim.token, database)
        after = sim.stats
        results.append((result, after["requests"] - before["requests"], after["tokens"] - before["tokens"]))
        sim.update("deals", 1, {"title": "changed between runs"})
    rows = runs_in(database)
    assert [row["run_id"] for row in rows] == [result.run_id for result, _, _ in results]
    for row, (result, requests, tokens) in zip(rows, results, strict=True):
        assert row["outcome"] == "complete" and row["message"] is None
        assert row["requests"] == result.requests == requests
        assert row["tokens"] == result.tokens == tokens
        assert json.loads(row["rows_per_entity"]) == result.rows_per_table
        assert row["rows"] == sum(result.rows_per_table.values())
        assert row["started_at"] < row["ended_at"]
    # the simulator's budget after the last request of the run: what the last answer said
    assert rows[-1]["tokens_left_today"] == results[-1][0].tokens_left_today == sim.daily_tokens_remaining()
    assert json.loads(rows[1]["rows_per_entity"])["deals"] >= 1


def test_a_stopped_run_is_recorded_with_its_reason(simulator, tmp_path):
    sim = simulator(seed=22, counts=COUNTS, plan="lite", daily_budget=120)
    database = tmp_path / "crm.duckdb"
    result = run_sync(sim.base_url, sim.token, database)
    assert not result.complete
    (row,) = runs_in(database)
    assert row["outcome"] == "stopped" and "budget" in row["message"]
    assert row["tokens"] == result.tokens and row["requests"] == result.requests


def test_a_failed_run_is_kept_pending_then_loaded_by_the_next(simulator, tmp_path):
    sim = simulator(seed=23, counts=COUNTS)
    database = tmp_path / "crm.duckdb"
    run_sync(sim.base_url, sim.token, database)
    sim.set_faults(error_rate=1.0, error_statuses=(500,), path_prefix="/v1/leads")  # read every run
    with pytest.raises(ApiError):
        run_sync(sim.base_url, sim.token, database, retry=RetryPolicy(attempts=2, backoff_s=0.01))
    (failed,) = pending_runs(database)
    assert failed.outcome == FAILED and "/v1/leads" in failed.message
    with duckdb.connect(str(database), read_only=True) as con:  # status shows it before it is loaded
        shown = recent_runs(con, database)
    assert [run.outcome for run in shown] == ["failed", "complete"] and not shown[0].loaded
    sim.set_faults()
    run_sync(sim.base_url, sim.token, database)
    assert not pending_runs_path(database).exists()
    assert [row["outcome"] for row in runs_in(database)] == ["complete", "failed", "complete"]
    with duckdb.connect(str(database)) as con:
        run_transforms(con)
        view = con.execute(
            "select outcome, duration_s >= 0 from pipedrive.sync_runs order by started_at"
        ).fetchall()
        spend = todays_spend(con, database)
    assert view == [("complete", True), ("failed", True), ("complete", True)]
    today = [row for row in runs_in(database) if row["started_at"].date().isoformat() == spend.day]
    assert spend.runs == len(today) and spend.tokens == sum(row["tokens"] for row in today) > 0
