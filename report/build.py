"""Assemble the dashboard: data from the marts, Plotly charts, and the same numbers as tables,
in one HTML file with plotly.js inlined so it opens offline (a mail attachment, a file share)."""

from __future__ import annotations

import html
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from string import Template

import duckdb
import plotly.offline

from report import charts
from report.data import ReportData, read_report_data

CHART_CONFIG = {"displaylogo": False, "responsive": True}


def build_report(duckdb_path: str | Path, output_path: str | Path, now: datetime | None = None) -> Path:
    """Write the dashboard for a transformed DuckDB file to output_path and return that path."""
    now = now or datetime.now(timezone.utc)
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        data = read_report_data(con, duckdb_path)
    output = Path(output_path)
    output.write_text(render(data, now, source_name=Path(duckdb_path).name), encoding="utf-8")
    return output


def render(data: ReportData, now: datetime, source_name: str) -> str:
    panels = [
        ("funnel", "Pipeline funnel", charts.funnel_figure(data.funnel), funnel_table(data)),
        ("revenue", "Revenue by month", charts.revenue_figure(data.revenue), revenue_table(data)),
        (
            "activities",
            "Activities per owner",
            charts.activities_figure(data.activities),
            owners_table(data),
        ),
        ("freshness", "Data freshness", charts.freshness_figure(data.freshness, now), freshness_table(data)),
    ]
    sections = "\n".join(
        f'<section id="{key}"><h2>{title}</h2>{chart_html(figure, f"chart-{key}")}{table}</section>'
        for key, title, figure, table in panels
    )
    sections += f'\n<section id="runs"><h2>Sync runs</h2>{runs_section(data)}</section>'
    template = Template(resources.files("report").joinpath("templates", "report.html").read_text("utf-8"))
    return template.substitute(
        generated_at=f"{now:%Y-%m-%d %H:%M} UTC",
        source=html.escape(source_name),
        plotly_js=plotly.offline.get_plotlyjs(),
        sections=sections,
    )


def chart_html(figure, div_id: str) -> str:
    return figure.to_html(full_html=False, include_plotlyjs=False, div_id=div_id, config=CHART_CONFIG)


def table(table_id: str, header: list[str], rows: list[list[object]], folded: bool = True) -> str:
    head = "".join(f"<th>{html.escape(name)}</th>" for name in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(format_cell(cell))}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    table_html = f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    if not folded:
        return table_html
    return f"<details><summary>The numbers ({len(rows)} rows)</summary>{table_html}</details>"


def format_cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    return str(value)


def funnel_table(data: ReportData) -> str:
    rows = [[s.pipeline, s.stage, s.deals_reached, s.open_deals, s.lost_deals] for s in data.funnel]
    return table("table-funnel", ["pipeline", "stage", "reached", "open", "lost"], rows)


def revenue_table(data: ReportData) -> str:
    rows = [[m.month, m.currency, m.won_deals, m.won_value] for m in data.revenue]
    return table("table-revenue", ["month", "currency", "won deals", "won value"], rows)


def owners_table(data: ReportData) -> str:
    rows = [[o.owner, o.done, o.open, o.overdue] for o in data.activities]
    return table("table-activities", ["owner", "done", "open", "overdue"], rows)


def freshness_table(data: ReportData) -> str:
    rows = [[e.entity, e.rows, e.last_extracted_at] for e in data.freshness]
    return table("table-freshness", ["entity", "rows", "last extracted (UTC)"], rows)


def runs_section(data: ReportData) -> str:
    """Today's spend in one sentence, then the last runs (shown, not folded: the point of the panel)."""
    spend = data.spend
    left = f"; the account had {spend.tokens_left:,} tokens left" if spend.tokens_left is not None else ""
    summary = (
        f'<p id="spend-today">Today ({spend.day}, UTC): {spend.runs} run{"" if spend.runs == 1 else "s"} '
        f"spent {spend.tokens:,} API tokens"
        f"{html.escape(left)}.</p>"
    )
    header = ["started (UTC)", "outcome", "seconds", "rows", "requests", "tokens", "tokens left", "message"]
    rows = [
        [
            run.started_at,
            run.outcome if run.loaded else f"{run.outcome} (not loaded yet)",
            round((run.ended_at - run.started_at).total_seconds(), 1) if run.ended_at else None,
            run.rows,
            run.requests,
            run.tokens,
            run.tokens_left_today,
            run.message or None,
        ]
        for run in data.runs
    ]
    return summary + table("table-runs", header, rows, folded=False)
