"""The benchmark harness end to end on a tiny account: every scenario runs and lands in the report."""

from __future__ import annotations

from bench.report import render
from bench.scenarios import run_scenarios

SCENARIO_KEYS = [
    "deals_full",
    "midsize_full",
    "incremental",
    "latency",
    "scale",
    "transforms",
    "startup",
    "frugal",
]


def test_every_scenario_runs_and_is_reported(tmp_path):
    results = run_scenarios("smoke", progress=lambda line: None, workdir=tmp_path)

    assert [result.key for result in results] == SCENARIO_KEYS
    for result in results:
        assert result.checks, result.key
        for _, run in result.runs:
            nothing_new = result.key == "frugal"  # its runs that find nothing new load (almost) no rows
            assert (nothing_new or run.rows > 0) and run.wall_s > 0 and run.requests > 0, (result.key, run)
    side_by_side = results[0]
    ours, baseline, floor, per_run, with_history = (run for _, run in side_by_side.runs)
    assert ours.requests == floor.requests  # the floor replays exactly our requests
    # measured without deal history (bench.scenarios.NO_HISTORY) nor participants and followers
    # (NO_PER_DEAL_CHILDREN); its row adds one changelog per deal and the children of the deals with any
    assert with_history.requests >= ours.requests + with_history.rows_per_table["deals"]
    assert with_history.requests_per_endpoint.get("GET /v1/deals/{id}/participants", 0) > 0
    assert ours.rows_per_table.get("deal_participants", 0) == 0
    assert per_run.rows == 10 and per_run.rows < ours.rows  # the cost of a run whatever its size
    assert baseline.requests > 0 and baseline.tokens == 10 * baseline.requests  # v2 lists cost 10

    report = render(results, "smoke")
    summary = report.split("## Summary", 1)[1].split("\n## ", 1)[0]
    for result in results:
        assert f"## {result.title}" in report
        for check in result.checks:
            assert f"| {result.title} | {check.target} | {check.result} |" in summary
    for machine_fact in ("| CPU |", "| cores |", "| RAM |", "| Python |", "| dlt |", "| duckdb |"):
        assert machine_fact in report
