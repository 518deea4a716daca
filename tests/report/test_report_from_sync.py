"""End to end: simulator -> sync -> transforms -> report, opened in headless Chromium; what the page
shows equals what the marts hold."""

from __future__ import annotations

import duckdb
import pytest
from selenium.webdriver.support.ui import WebDriverWait

from pipelines.sync import run_sync
from report import build_report
from simulator.control import Simulator
from tests.report.test_report_in_browser import chart_traces, table_rows
from transforms import run_transforms


@pytest.fixture(scope="module")
def synced_database(tmp_path_factory):
    path = tmp_path_factory.mktemp("synced") / "crm.duckdb"
    with Simulator.start(seed=11, counts={"deals": 300, "activities": 200}) as sim:
        assert run_sync(base_url=sim.base_url, api_token=sim.token, duckdb_path=path).complete
    run_transforms(path, None)
    return path


def test_report_of_a_synced_account_shows_the_marts(synced_database, browser, tmp_path):
    page = build_report(synced_database, tmp_path / "report.html")
    browser.get(page.as_uri())
    charts_drawn = "return document.querySelectorAll('.js-plotly-plot .main-svg').length"
    WebDriverWait(browser, 20).until(lambda driver: driver.execute_script(charts_drawn) >= 4)
    assert browser.execute_script("return window.__pageErrors") == []

    with duckdb.connect(str(synced_database), read_only=True) as con:
        funnel = con.execute(
            "select pipeline_name, stage_name, deals_reached from pipedrive.pipeline_funnel"
            " order by pipeline_id, stage_order_nr, stage_id"
        ).fetchall()
        revenue = con.execute(
            "select strftime(month, '%Y-%m'), currency, won_deals, won_value from pipedrive.revenue_by_month"
        ).fetchall()
        activities = con.execute(
            "select owner_name, count(*) filter (where is_done), count(*) filter (where not is_done)"
            " from pipedrive.activities_enriched group by owner_name"
        ).fetchall()
        raw_deals = con.execute("select count(*) from pipedrive_raw.deals").fetchone()[0]

    assert len(funnel) > 3 and len(revenue) > 3 and len(activities) > 1
    shown_funnel = [(t["name"], stage, reached) for t in chart_traces(browser, "chart-funnel")
                    for stage, reached in zip(t["y"], t["x"], strict=True)]  # fmt: skip
    assert shown_funnel == funnel
    shown_revenue = {(t["name"], month): value for t in chart_traces(browser, "chart-revenue")
                     for month, value in zip(t["x"], t["y"], strict=True)}  # fmt: skip
    assert shown_revenue == pytest.approx({(currency, month): value for month, currency, _, value in revenue})
    assert sorted(tuple(row[:3]) for row in table_rows(browser, "table-activities")) == sorted(
        (owner, str(done), str(open_)) for owner, done, open_ in activities
    )
    freshness = {row[0]: row[1] for row in table_rows(browser, "table-freshness")}
    assert freshness["deals"] == str(raw_deals)


def test_report_shows_the_last_runs_and_todays_spend(synced_database, browser, tmp_path):
    page = build_report(synced_database, tmp_path / "report.html")
    browser.get(page.as_uri())
    with duckdb.connect(str(synced_database), read_only=True) as con:
        runs = con.execute(
            "select outcome, rows, requests, tokens from pipedrive_raw.sync_runs order by started_at desc"
        ).fetchall()
    shown = [(row[1], row[3], row[4], row[5]) for row in table_rows(browser, "table-runs")]
    assert shown == [
        (outcome, str(rows), str(requests), str(tokens)) for outcome, rows, requests, tokens in runs
    ]
    spend = browser.find_element("id", "spend-today").text
    assert f"1 run spent {runs[0][3]:,} API tokens" in spend
