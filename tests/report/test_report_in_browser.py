"""The dashboard opened in headless Chromium: no JS errors, four drawn charts, numbers equal the marts."""

from __future__ import annotations

from datetime import date, datetime, timezone

import duckdb
import pytest
from selenium.webdriver.support.ui import WebDriverWait

from report import build_report

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
FUNNEL = [  # pipeline_id, pipeline_name, stage_id, stage_name, order, open, reached, lost
    (1, "Sales", 11, "Qualified", 1, 5, 40, 3),
    (1, "Sales", 12, "Proposal", 2, 7, 25, 2),
    (1, "Sales", 13, "Negotiation", 3, 4, 12, 1),
    (2, "Renewals", 21, "Due", 1, 9, 9, 0),
]
REVENUE = [  # month, currency, won deals, won value
    (date(2026, 1, 1), "EUR", 3, 12500.5),
    (date(2026, 1, 1), "USD", 1, 800.0),
    (date(2026, 2, 1), "EUR", 5, 30250.25),
]
ACTIVITIES = [  # owner_id, owner_name, is_done, is_overdue
    (1, "Ana Ruiz", True, False),
    (1, "Ana Ruiz", False, True),
    (1, "Ana Ruiz", True, False),
    (2, "Bo Chen", False, False),
    (2, "Bo Chen", False, True),
]
EXTRACTED = {"deals": datetime(2026, 3, 10, 9, 0), "persons": datetime(2026, 3, 10, 11, 30)}


def make_mart_shaped_database(path) -> None:
    """Named pipedrive.duckdb on purpose: the catalog `pipedrive` then clashes with the schema, and
    only catalog-qualified names work (so they are used here, and the report must cope too)."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema pipedrive.pipedrive; create schema pipedrive.pipedrive_raw")
        con.execute(
            "create table pipedrive.pipedrive.pipeline_funnel (pipeline_id bigint, pipeline_name varchar,"
            " stage_id bigint, stage_name varchar, stage_order_nr integer,"
            " open_deals bigint, deals_reached bigint, lost_deals bigint)"
        )
        con.executemany(
            "insert into pipedrive.pipedrive.pipeline_funnel values (?, ?, ?, ?, ?, ?, ?, ?)", FUNNEL
        )
        con.execute(
            "create table pipedrive.pipedrive.revenue_by_month"
            " (month date, currency varchar, won_deals bigint, won_value double)"
        )
        con.executemany("insert into pipedrive.pipedrive.revenue_by_month values (?, ?, ?, ?)", REVENUE)
        con.execute(
            "create table pipedrive.pipedrive.activities_enriched"
            " (owner_id bigint, owner_name varchar, is_done boolean, is_overdue boolean)"
        )
        con.executemany("insert into pipedrive.pipedrive.activities_enriched values (?, ?, ?, ?)", ACTIVITIES)
        for entity, extracted_at in EXTRACTED.items():
            con.execute(
                f"create table pipedrive.pipedrive_raw.{entity} (id bigint, _extracted_at timestamptz)"
            )
            con.execute(
                f"insert into pipedrive.pipedrive_raw.{entity} select range, ? from range(3)", [extracted_at]
            )
        con.execute("create table pipedrive.pipedrive_raw._dlt_loads (load_id varchar)")


@pytest.fixture(scope="module")
def opened_report(tmp_path_factory, browser):
    """One page load shared by the checks below (loading 5 MB of inlined plotly.js takes seconds)."""
    tmp_path = tmp_path_factory.mktemp("report")
    database = tmp_path / "pipedrive.duckdb"
    make_mart_shaped_database(database)
    page = build_report(database, tmp_path / "report.html", now=NOW)
    browser.get(page.as_uri())
    charts_drawn = "return document.querySelectorAll('.js-plotly-plot .main-svg').length"
    WebDriverWait(browser, 20).until(lambda driver: driver.execute_script(charts_drawn) >= 4)
    return browser


def chart_traces(driver, chart_id: str) -> list[dict]:
    return driver.execute_script(
        "return document.getElementById(arguments[0]).data.map(t => ({name: t.name, x: t.x, y: t.y}))",
        chart_id,
    )


def table_rows(driver, table_id: str) -> list[list[str]]:
    return driver.execute_script(
        "return [...document.querySelectorAll('#' + arguments[0] + ' tbody tr')]"
        ".map(tr => [...tr.cells].map(td => td.textContent))",
        table_id,
    )


def test_page_loads_offline_without_javascript_errors(opened_report):
    assert opened_report.execute_script("return window.__pageErrors") == []
    severe = [entry for entry in opened_report.get_log("browser") if entry["level"] == "SEVERE"]
    assert severe == []
    external = opened_report.execute_script(
        "return [...document.querySelectorAll('script[src], link[href]')].map(e => e.src || e.href)"
    )
    assert external == []


def test_each_chart_is_drawn(opened_report):
    for chart in ("funnel", "revenue", "activities", "freshness"):
        drawn = opened_report.execute_script(
            "return document.querySelectorAll('#chart-' + arguments[0] + ' .trace').length", chart
        )
        assert drawn >= 1, chart
    revenue_bars = opened_report.execute_script(
        "return document.querySelectorAll('#chart-revenue .point').length"
    )
    assert revenue_bars == len(REVENUE)


def test_funnel_shows_the_marts_numbers(opened_report):
    traces = chart_traces(opened_report, "chart-funnel")
    expected = {}
    for _, pipeline, _, stage, _, _, reached, _ in FUNNEL:
        expected.setdefault(pipeline, ([], []))[0].append(stage)
        expected[pipeline][1].append(reached)
    assert {t["name"]: (t["y"], t["x"]) for t in traces} == expected
    assert table_rows(opened_report, "table-funnel") == [
        [pipeline, stage, str(reached), str(open_deals), str(lost)]
        for _, pipeline, _, stage, _, open_deals, reached, lost in FUNNEL
    ]


def test_revenue_shows_the_marts_numbers(opened_report):
    traces = chart_traces(opened_report, "chart-revenue")
    shown = {(t["name"], month): value for t in traces for month, value in zip(t["x"], t["y"], strict=True)}
    assert shown == {(currency, f"{month:%Y-%m}"): value for month, currency, _, value in REVENUE}
    assert table_rows(opened_report, "table-revenue") == [
        [f"{month:%Y-%m}", currency, str(deals), f"{value:.2f}"] for month, currency, deals, value in REVENUE
    ]


def test_activities_per_owner_are_counted_from_the_mart(opened_report):
    traces = {t["name"]: t for t in chart_traces(opened_report, "chart-activities")}
    assert traces["done"]["x"] == ["Ana Ruiz", "Bo Chen"]
    assert traces["done"]["y"] == [2, 0]
    assert traces["open"]["y"] == [1, 2]
    assert table_rows(opened_report, "table-activities") == [
        ["Ana Ruiz", "2", "1", "1"],
        ["Bo Chen", "0", "2", "1"],
    ]


def test_freshness_shows_every_raw_table_but_dlt_bookkeeping(opened_report):
    traces = chart_traces(opened_report, "chart-freshness")
    assert traces[0]["x"] == ["deals", "persons"]
    assert traces[0]["y"] == [3.0, 0.5]  # hours between extraction and NOW
    assert [row[:2] for row in table_rows(opened_report, "table-freshness")] == [
        ["deals", "3"],
        ["persons", "3"],
    ]
