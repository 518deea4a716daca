"""Bad token, spent budget, storms of 5xx/429/resets, and the token never leaking anywhere."""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager

import duckdb
import pytest
import requests
from click.testing import CliRunner

from pipelines.commands import run as run_command
from simulator.control import Simulator
from sources.pipedrive.errors import AuthenticationError
from tests.sync.helpers import FEW_FOLLOWED, assert_matches_truth, mismatches, raw_rows, sync

pytestmark = pytest.mark.slow

TOKEN = "tok-7f3c9a51d2e84b06-secret"
COUNTS = {"deals": 900, "persons": 200, "activities": 200, "deal_products": 300, "notes": 100, **FEW_FOLLOWED}


def test_bad_token_one_request_one_clear_message(tmp_path):
    with Simulator.start(seed=2, counts={"deals": 50}, token=TOKEN) as sim:
        (tmp_path / "api").mkdir()  # a missing folder is refused before any request
        with pytest.raises(AuthenticationError, match="401"):
            sync(sim, tmp_path / "api", api_token="wrong-token")
        assert sim.stats["requests"] == 1
        sim.reset_stats()
        outcome = CliRunner().invoke(
            run_command,
            ["--base-url", sim.base_url, "--duckdb", str(tmp_path / "cli.duckdb")],
            env={"PIPEDRIVE_API_TOKEN": "wrong-token"},
        )
        assert outcome.exit_code == 1
        assert outcome.output.count("401") == 1 and "wrong-token" not in outcome.output
        assert sim.stats["requests"] == 1


def test_spent_budget_stops_cleanly_and_resumes_after_midnight(tmp_path):
    # deals alone: a full sync costs ~170 tokens (10 deal pages, archived, product batches), the
    # daily budget is 120, a resumed run needs the rest plus ~25 tokens of fixed overhead (no
    # participants or followers: their per-deal requests would need more days, not another test)
    counts = {**COUNTS, "deals": 5000, "deal_participants": 0, "followers": 0}
    with Simulator.start(
        seed=5, counts=counts, token=TOKEN, plan="lite", daily_budget=120, burst_limit=200
    ) as sim:
        first = sync(sim, tmp_path, resources=["deals"], max_budget_share=1.0)  # Pipedrive's own limit
        assert not first.complete
        assert "budget" in first.message and "resets at" in first.message
        budget_429s = sum(item["statuses"].get(429, 0) for item in sim.stats["endpoints"].values())
        assert 1 <= budget_429s <= 4  # stopped at once (a few requests in flight), no retry loop
        # what was loaded stays loaded and is exact
        loaded = raw_rows(tmp_path, "deals")
        assert loaded and not mismatches(tmp_path, "deals", [sim.get("deals", row["id"]) for row in loaded])
        sim.advance(sim.clock.seconds_to_midnight() + 60)
        second = sync(sim, tmp_path, resources=["deals"], max_budget_share=1.0)
        assert second.complete, second.message
        assert not mismatches(tmp_path, "deals", sim.truth("deals"))
        assert not mismatches(tmp_path, "deal_products", sim.truth("deal_products"))


def test_storms_of_errors_resets_truncations_and_429s_are_survived(tmp_path, monkeypatch):
    # the entities' sync is under test: deal history's 900 changelogs would only add minutes at 3 requests/s
    monkeypatch.setenv("SOURCES__PIPEDRIVE__HISTORY_BUDGET_SHARE", "0")
    with Simulator.start(seed=6, counts=COUNTS, token=TOKEN, plan="growth", burst_limit=6) as sim:
        sim.set_faults(error_rate=0.15, reset_rate=0.05, truncate_rate=0.05, html_rate=0.05, seed=9)
        with _another_integration_using_the_token(sim) as neighbour:  # it spends the burst window
            result = sync(sim, tmp_path)
            sent_during_sync = neighbour[0]
        sim.set_faults()
        assert result.complete
        assert sent_during_sync > 20  # the neighbour kept going through the faults, not only at first
        statuses = [status for item in sim.stats["endpoints"].values() for status in item["statuses"]]
        assert 429 in statuses and any(status >= 500 for status in statuses)
        assert_matches_truth(sim, tmp_path)


@contextmanager
def _another_integration_using_the_token(sim):
    stop = threading.Event()
    requests_sent = [0]

    def hammer() -> None:
        with requests.Session() as session:
            pause = 0.05
            while not stop.wait(pause):  # a polite neighbour: it honours Retry-After
                try:
                    answer = session.get(f"{sim.base_url}/api/v2/stages", headers={"x-api-token": sim.token})
                except requests.RequestException:  # the resets and truncations hit it too: it goes on
                    pause = 0.05
                    continue
                pause = float(answer.headers.get("retry-after", 0.05))
                requests_sent[0] += 1

    worker = threading.Thread(target=hammer, daemon=True)
    worker.start()
    try:
        yield requests_sent
    finally:
        stop.set()
        worker.join()


def test_token_appears_in_no_output_log_state_trace_or_table(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    # a budget whose max_budget_share covers a whole first sync (variations: one request per product)
    with Simulator.start(
        seed=4, counts={"deals": 300, **FEW_FOLLOWED}, token=TOKEN, plan="lite", daily_budget=4000
    ) as sim:
        sim.set_faults(error_rate=0.1, truncate_rate=0.05, seed=3)
        outcome = CliRunner().invoke(
            run_command,
            ["--base-url", sim.base_url, "--duckdb", str(tmp_path / "pipedrive.duckdb"), "--reconcile"],
            env={"PIPEDRIVE_API_TOKEN": TOKEN},
        )
        assert outcome.exit_code == 0, outcome.output
        assert not mismatches(tmp_path, "deals", sim.truth("deals"))
    assert TOKEN not in outcome.output and TOKEN not in caplog.text
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert any(path.name.endswith("trace.pickle") for path in files)  # dlt's trace exists and was scanned
    for path in files:
        assert TOKEN.encode() not in path.read_bytes(), path
    with duckdb.connect(str(tmp_path / "pipedrive.duckdb"), read_only=True) as con:
        text_columns = con.execute(
            "SELECT table_catalog, table_schema, table_name, column_name FROM information_schema.columns "
            "WHERE data_type = 'VARCHAR'"
        ).fetchall()
        for catalog, schema, table, column in text_columns:  # catalog-qualified: the file is pipedrive.duckdb
            hits = con.execute(
                f'SELECT count(*) FROM "{catalog}"."{schema}"."{table}" WHERE "{column}" LIKE ?',
                [f"%{TOKEN}%"],
            ).fetchone()[0]
            assert hits == 0, (schema, table, column)
