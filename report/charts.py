"""One Plotly figure per dashboard panel. Values are passed as plain lists so the page carries
them as readable JSON numbers (Plotly packs numpy arrays into base64)."""

from __future__ import annotations

from datetime import datetime, timezone

import plotly.graph_objects as go

from report.data import EntityFreshness, FunnelStage, MonthRevenue, OwnerActivities

LAYOUT = {"margin": {"l": 60, "r": 20, "t": 40, "b": 60}, "template": "plotly_white", "height": 420}


def funnel_figure(stages: list[FunnelStage]) -> go.Figure:
    """Deals that reached each stage, one funnel per pipeline."""
    figure = go.Figure(layout={**LAYOUT, "title": "Deals reaching each stage"})
    for pipeline in dict.fromkeys(stage.pipeline for stage in stages):
        rows = [stage for stage in stages if stage.pipeline == pipeline]
        figure.add_trace(
            go.Funnel(
                name=pipeline,
                y=[stage.stage for stage in rows],
                x=[stage.deals_reached for stage in rows],
                textinfo="value+percent initial",
            )
        )
    return figure


def revenue_figure(months: list[MonthRevenue]) -> go.Figure:
    """Won value per month, one bar series per currency (values in different currencies never add up)."""
    figure = go.Figure(layout={**LAYOUT, "title": "Won deal value per month", "barmode": "group"})
    for currency in sorted({month.currency for month in months}):
        rows = [month for month in months if month.currency == currency]
        figure.add_trace(
            go.Bar(name=currency, x=[row.month for row in rows], y=[row.won_value for row in rows])
        )
    # one month axis in calendar order (per-currency categories would otherwise interleave)
    calendar = sorted({month.month for month in months})
    figure.update_xaxes(type="category", categoryorder="array", categoryarray=calendar)
    return figure


def activities_figure(owners: list[OwnerActivities]) -> go.Figure:
    figure = go.Figure(layout={**LAYOUT, "title": "Activities per owner", "barmode": "stack"})
    names = [owner.owner for owner in owners]
    figure.add_trace(go.Bar(name="done", x=names, y=[owner.done for owner in owners]))
    figure.add_trace(go.Bar(name="open", x=names, y=[owner.open for owner in owners]))
    return figure


def freshness_figure(entities: list[EntityFreshness], now: datetime) -> go.Figure:
    """Hours since each entity was last extracted: a stale bar means the sync is not running."""
    figure = go.Figure(layout={**LAYOUT, "title": "Hours since last extraction"})
    rows = [entity for entity in entities if entity.last_extracted_at is not None]
    hours = [round(hours_since(entity.last_extracted_at, now), 2) for entity in rows]
    # labelled, so a just-synced entity (a bar of height 0) still shows its age
    figure.add_trace(
        go.Bar(
            name="hours",
            x=[entity.entity for entity in rows],
            y=hours,
            text=[f"{value:.1f} h" for value in hours],
            textposition="outside",
        )
    )
    figure.update_yaxes(rangemode="tozero")
    return figure


def hours_since(moment: datetime, now: datetime) -> float:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, (now - moment).total_seconds() / 3600)
