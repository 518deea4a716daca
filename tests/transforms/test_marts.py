"""Each mart equals the same aggregate computed independently in pandas from the simulator's truth."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import duckdb
import pandas as pd
import pytest

from tests.transforms.conftest import load_raw
from tests.transforms.raw_layout import write_raw_table
from transforms import run_transforms


def parse(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None) if text else None


@pytest.fixture(scope="module")
def marts(sim, tmp_path_factory):
    con = duckdb.connect()
    tmp = tmp_path_factory.mktemp("marts")
    load_raw(con, sim, tmp)
    write_raw_table(con, "deal_snapshots", snapshot_rows(sim), "v2", tmp)
    run_transforms(con, None)
    yield con
    con.close()


def names(sim, entity: str, key: str = "name") -> dict:
    return {record["id"]: record[key] for record in sim.truth(entity)}


def live_deals(sim) -> list[dict]:
    return [deal for deal in sim.truth("deals") if not deal["is_deleted"]]


def test_deals_enriched(sim, marts):
    stages, pipelines, users = names(sim, "stages"), names(sim, "pipelines"), names(sim, "users")
    orgs, persons = names(sim, "organizations"), names(sim, "persons")
    today = datetime.now(timezone.utc).date()
    rows = {
        row["id"]: row
        for row in marts.execute("select * from pipedrive.deals_enriched").df().to_dict("records")
    }
    deals = live_deals(sim)
    assert sorted(rows) == sorted(deal["id"] for deal in deals)
    for deal in deals:
        row = rows[deal["id"]]
        assert (
            row["stage_name"] == stages[deal["stage_id"]]
            and row["pipeline_name"] == pipelines[deal["pipeline_id"]]
        )
        assert row["owner_name"] == users[deal["owner_id"]]
        assert (row["organization_name"] if deal["org_id"] else None) == orgs.get(deal["org_id"])
        assert (row["person_name"] if deal["person_id"] else None) == persons.get(deal["person_id"])
        assert (row["is_open"], row["is_won"], row["is_lost"]) == tuple(
            deal["status"] == s for s in ("open", "won", "lost")
        )
        assert row["age_days"] == (today - parse(deal["add_time"]).date()).days
        entered = parse(deal["stage_change_time"]) or parse(deal["add_time"])
        assert row["days_in_stage"] == (today - entered.date()).days
    assert {row["pipeline_name"] for row in rows.values()} == set(pipelines.values())


def test_pipeline_funnel(sim, marts):
    stages = pd.DataFrame([s for s in sim.truth("stages") if not s["is_deleted"]])
    order = dict(zip(stages["id"], stages["order_nr"], strict=True))
    # "reached" also counts the stages a deal was in earlier (here: the snapshots' stage moves)
    furthest: dict[int, int] = {}
    for row in snapshot_rows(sim):
        furthest[row["id"]] = max(furthest.get(row["id"], 0), order.get(row["stage_id"], 0))
    deals = pd.DataFrame(live_deals(sim)).merge(
        stages[["id", "order_nr"]].rename(columns={"id": "stage_id", "order_nr": "deal_stage_order"}),
        on="stage_id",
    )
    deals["deal_stage_order"] = [
        max(current, furthest.get(deal_id, 0))
        for deal_id, current in zip(deals["id"], deals["deal_stage_order"], strict=True)
    ]
    expected = []
    for stage in stages.itertuples():
        in_pipeline = deals[deals["pipeline_id"] == stage.pipeline_id]
        in_stage = in_pipeline[in_pipeline["stage_id"] == stage.id]
        reached = (in_pipeline["status"] == "won") | (in_pipeline["deal_stage_order"] >= stage.order_nr)
        expected.append((stage.id, int((in_stage["status"] == "open").sum()), int(reached.sum()),
                         int((in_stage["status"] == "lost").sum())))  # fmt: skip
    actual = marts.execute(
        "select stage_id, open_deals, deals_reached, lost_deals from pipedrive.pipeline_funnel order by all"
    ).fetchall()
    assert actual == sorted(expected)
    assert sum(row[1] for row in actual) == int((deals["status"] == "open").sum()) > 0


def test_activities_enriched(sim, marts):
    activities = [a for a in sim.truth("activities") if not a["is_deleted"]]
    types = names(sim, "activity_types", "name")
    type_names = {t["key_string"]: t["name"] for t in sim.truth("activity_types")}
    users, deals = names(sim, "users"), names(sim, "deals", "title")
    today = datetime.now(timezone.utc).date().isoformat()
    rows = {
        r["id"]: r
        for r in marts.execute("select * from pipedrive.activities_enriched").df().to_dict("records")
    }
    assert types and sorted(rows) == sorted(a["id"] for a in activities)
    for activity in activities:
        row = rows[activity["id"]]
        assert (
            row["type_name"] == type_names[activity["type"]]
            and row["owner_name"] == users[activity["owner_id"]]
        )
        assert (row["deal_title"] if activity["deal_id"] else None) == deals.get(activity["deal_id"])
        overdue = not activity["done"] and activity["due_date"] is not None and activity["due_date"] < today
        assert bool(row["is_overdue"]) == overdue


def test_revenue_by_month(sim, marts):
    won = pd.DataFrame([d for d in live_deals(sim) if d["status"] == "won"])
    won["month"] = won["won_time"].map(lambda text: parse(text).date().replace(day=1))
    expected = won.groupby(["month", "currency"]).agg(won_deals=("id", "count"), won_value=("value", "sum"))
    actual = marts.execute("select * from pipedrive.revenue_by_month").df().set_index(["month", "currency"])
    actual.index = actual.index.set_levels(actual.index.levels[0].map(lambda ts: ts.date()), level=0)
    assert len(actual) == len(expected) > 1
    pd.testing.assert_frame_equal(actual.sort_index(), expected.sort_index(), check_dtype=False)


# ---- stage history -----------------------------------------------------------------------------------


def snapshot_rows(sim) -> list[dict]:
    """Three sync runs: every deal, then a stage move for every third deal, then a move back for some."""
    stages = {stage["id"]: stage for stage in sim.truth("stages")}
    by_pipeline = {}
    for stage in stages.values():
        by_pipeline.setdefault(stage["pipeline_id"], []).append(stage["id"])
    rows, start = [], datetime(2026, 6, 2, tzinfo=timezone.utc)
    deals = sim.truth("deals")
    for run, extracted in enumerate(start + timedelta(days=day) for day in (0, 7, 14)):
        for deal in deals:
            stage_id = deal["stage_id"]
            if run >= 1 and deal["id"] % 3 == 0:
                siblings = by_pipeline[deal["pipeline_id"]]
                stage_id = siblings[(siblings.index(stage_id) + 1) % len(siblings)]
            if run == 2 and deal["id"] % 6 == 0:
                stage_id = deal["stage_id"]
            if run > 0 and deal["id"] % 3:
                continue  # not updated: an incremental run does not extract it again
            updated = (extracted - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            rows.append({
                "id": deal["id"], "stage_id": stage_id, "pipeline_id": deal["pipeline_id"],
                "status": deal["status"], "value": deal["value"], "currency": deal["currency"],
                "is_deleted": deal["is_deleted"], "_archived": False, "_extracted_at": extracted.isoformat(),
                "update_time": updated if run else deal["update_time"],
            })  # fmt: skip
    return rows


def test_deal_stage_history(sim, marts):
    snapshots = pd.DataFrame(snapshot_rows(sim))
    snapshots["update_time"] = snapshots["update_time"].map(parse)
    expected = []
    for deal_id, history in snapshots.sort_values(["update_time", "_extracted_at"]).groupby("id"):
        visits = history[history["stage_id"] != history["stage_id"].shift()]
        for number, visit in enumerate(visits.itertuples(), start=1):
            left = visits["update_time"].shift(-1).iloc[number - 1]
            expected.append(
                (deal_id, number, visit.stage_id, visit.update_time, None if pd.isna(left) else left)
            )
    actual = marts.execute(
        "select deal_id, visit_nr, stage_id, entered_at, left_at from pipedrive.deal_stage_history"
    ).fetchall()
    assert sorted(actual) == sorted(expected)
    visits_per_deal = pd.Series([row[0] for row in actual]).value_counts()
    assert set(visits_per_deal) == {1, 2, 3}  # unchanged, moved once, moved and back
