"""Deal history marts against the simulator's recorded changelogs: stage visits from real history
(snapshots only for deals whose history was not read), readable field history, time in stage and
conversion, and a funnel whose "reached" counts history."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import duckdb
import pytest

from simulator.control import Simulator
from sources.pipedrive.history import change_id
from tests.transforms.conftest import SMALL_ACCOUNT, load_raw
from tests.transforms.raw_layout import write_raw_table
from transforms import run_transforms

UNREAD_EVERY = 10  # every tenth deal's history was not read: its stage history comes from snapshots


def parse(text: str) -> datetime:
    text = text.replace(" ", "T") + ("" if text.endswith("Z") else "Z")
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


@pytest.fixture(scope="module")
def account():
    with Simulator.start(seed=21, counts=SMALL_ACCOUNT) as sim:
        deals = sim.truth("deals")
        region = next(f for f in sim.fields("deal_fields") if f["field_name"] == "Region" and f["options"])
        moved = next(d for d in deals if not d["is_deleted"] and d["id"] % UNREAD_EVERY)
        stages = [s["id"] for s in sim.truth("stages") if s["pipeline_id"] == moved["pipeline_id"]]
        sim.advance(60)
        sim.update(
            "deals",
            moved["id"],
            {
                "stage_id": stages[-1],
                "label_ids": [1, 3],
                "custom_fields": {region["field_code"]: region["options"][1]["id"]},
            },
        )
        sim.advance(60)
        sim.update("deals", moved["id"], {"stage_id": stages[0]})  # and back: still "reached" the last
        yield sim, moved["id"], region


@pytest.fixture(scope="module")
def marts(account, tmp_path_factory):
    sim, _, _ = account
    con = duckdb.connect()
    tmp = tmp_path_factory.mktemp("history")
    load_raw(con, sim, tmp)
    read = [deal for deal in sim.truth("deals") if deal["id"] % UNREAD_EVERY]
    changes = [
        {"id": change_id(deal["id"], entry), "deal_id": deal["id"], **entry}
        for deal in read
        for entry in sim.deal_changelog(deal["id"])
    ]
    write_raw_table(con, "deal_changes", changes, "v1", tmp)
    reads = [{"deal_id": deal["id"], "deal_update_time": deal["update_time"]} for deal in read]
    write_raw_table(con, "deal_history_reads", reads, "v1", tmp)
    snapshots = [
        {"id": deal["id"], "stage_id": deal["stage_id"], "pipeline_id": deal["pipeline_id"],
         "status": deal["status"], "update_time": deal["update_time"], "is_deleted": deal["is_deleted"],
         "_archived": False, "_extracted_at": "2026-06-01T00:00:00+00:00"}
        for deal in sim.truth("deals")
    ]  # fmt: skip
    write_raw_table(con, "deal_snapshots", snapshots, "v2", tmp)
    run_transforms(con, None)
    yield con
    con.close()


def expected_visits(sim) -> dict[int, list[tuple]]:
    """Per deal: (stage_id, entered_at, left_at), from the changelog (read deals) or the snapshot."""
    visits = {}
    for deal in sim.truth("deals"):
        if deal["id"] % UNREAD_EVERY == 0:
            visits[deal["id"]] = [(deal["stage_id"], parse(deal["update_time"]), None)]
            continue
        moves = [e for e in reversed(sim.deal_changelog(deal["id"])) if e["field_key"] == "stage_id"]
        entries = [(int(moves[0]["old_value"]) if moves else deal["stage_id"], parse(deal["add_time"]))]
        entries += [(int(move["new_value"]), parse(move["time"])) for move in moves]
        visits[deal["id"]] = [
            (stage, entered, entries[index + 1][1] if index + 1 < len(entries) else None)
            for index, (stage, entered) in enumerate(entries)
        ]
    return visits


def test_stage_history_comes_from_real_history_with_snapshots_only_for_unread_deals(account, marts):
    sim, moved, _ = account
    rows = marts.execute(
        "select deal_id, stage_id, entered_at, left_at, source from pipedrive.deal_stage_history"
        " order by deal_id, visit_nr"
    ).fetchall()
    actual = defaultdict(list)
    sources = defaultdict(set)
    for deal_id, stage_id, entered, left, source in rows:
        actual[deal_id].append((stage_id, entered, left))
        sources[deal_id].add(source)
    assert dict(actual) == expected_visits(sim)
    assert all(len(found) == 1 for found in sources.values())  # never both sources for one deal
    assert {deal for deal, found in sources.items() if found == {"snapshots"}} == {
        deal["id"] for deal in sim.truth("deals") if deal["id"] % UNREAD_EVERY == 0
    }
    assert sum(len(visits) > 1 for visits in actual.values()) > 30  # moves made before any sync
    assert len(actual[moved]) >= 3


def test_field_history_resolves_names_and_labels(account, marts):
    sim, moved, region = account
    stages = {stage["id"]: stage["name"] for stage in sim.truth("stages")}
    users = {user["id"]: user["name"] for user in sim.truth("users")}
    rows = marts.execute(
        "select field_key, field_name, column_name, old_value, new_value, old_label, new_label, actor_name"
        " from pipedrive.deal_field_history where deal_id = ? order by changed_at, field_key",
        [moved],
    ).fetchall()
    by_field = defaultdict(list)
    for row in rows:
        by_field[row[0]].append(row)
    stage_row = by_field["stage_id"][-1]
    assert stage_row[1] == "Stage" and stage_row[6] == stages[int(stage_row[4])]
    assert stage_row[5] == stages[int(stage_row[3])]
    assert by_field["label_ids"][-1][1:3] == ("Label", "label_ids")
    assert by_field["label_ids"][-1][6] == "Hot, Cold"
    region_row = by_field[region["field_code"]][-1]
    assert region_row[1] == "Region" and region_row[6] == region["options"][1]["label"]
    assert region_row[2].startswith("region")  # the column of pipedrive.deals that shows it
    owner_changes = marts.execute(
        "select old_value, new_value, old_label, new_label from pipedrive.deal_field_history"
        " where field_key = 'owner_id'"
    ).fetchall()
    assert owner_changes
    assert all((users[int(old)], users[int(new)]) == (ol, nl) for old, new, ol, nl in owner_changes)


def _entered_and_went_on(visits: dict, live: dict, stages: dict) -> tuple[dict, dict]:
    """Per stage: the live deals that entered it, and those that went on to a later stage or won."""
    entered, went_on = defaultdict(set), defaultdict(set)
    for deal_id, deal_visits in visits.items():
        for index, (stage_id, _, _) in enumerate(deal_visits):
            entered[stage_id].add(deal_id)
            later = max(stages[s]["order_nr"] for s, _, _ in deal_visits[index:])
            if live[deal_id]["status"] == "won" or later > stages[stage_id]["order_nr"]:
                went_on[stage_id].add(deal_id)
    return entered, went_on


def _reached(visits: dict, live: dict, stages: dict, stage: dict) -> int:
    """Live deals of the stage's pipeline that were won or were ever in it or a later stage."""
    return sum(
        1
        for deal_id, deal in live.items()
        if deal["pipeline_id"] == stage["pipeline_id"]
        and (
            deal["status"] == "won"
            or any(stages[s]["order_nr"] >= stage["order_nr"] for s, _, _ in visits[deal_id])
        )
    )


def test_stage_conversion_and_funnel_count_history(account, marts):
    sim, moved, _ = account
    live = {deal["id"]: deal for deal in sim.truth("deals") if not deal["is_deleted"]}
    stages = {stage["id"]: stage for stage in sim.truth("stages")}
    visits = {deal_id: v for deal_id, v in expected_visits(sim).items() if deal_id in live}
    entered, went_on = _entered_and_went_on(visits, live, stages)
    rows = marts.execute(
        "select stage_id, deals_entered, deals_went_on, median_days_in_stage from pipedrive.stage_conversion"
    ).fetchall()
    assert {row[0]: row[1:3] for row in rows} == {
        stage: (len(entered[stage]), len(went_on[stage])) for stage in stages
    }
    assert all(row[3] is None or row[3] >= 0 for row in rows)

    last_stage = max(
        (s for s in stages.values() if s["pipeline_id"] == live[moved]["pipeline_id"]),
        key=lambda s: s["order_nr"],
    )
    reached = marts.execute(
        "select deals_reached from pipedrive.pipeline_funnel where stage_id = ?", [last_stage["id"]]
    ).fetchone()[0]
    assert reached == _reached(visits, live, stages, last_stage)
    assert live[moved]["stage_id"] != last_stage["id"]  # moved back, still counted as having reached it
