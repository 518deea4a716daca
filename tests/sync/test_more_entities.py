"""Projects, tasks, boards, phases, project fields, installments, variations, call logs, goals,
lead sources, files, filters and note fields: after a default sync every raw table equals the
simulator's truth; later runs read per-parent children only for parents that changed."""

from __future__ import annotations

import logging

import pytest
import requests

from tests.sync.helpers import mismatches, raw_rows, sync

pytestmark = pytest.mark.slow  # whole syncs

V1_TABLES = ("call_logs", "goals")
WHOLE_LISTS = ("projects", "tasks", "boards", "phases", "call_logs", "goals", "deal_installments",
               "product_variations")  # fmt: skip
# set on some rows only: deletions and tombstones (merged away) flags
BOOKKEEPING_COLUMNS = {"is_deleted", "_tombstone"}


def _requests(sim, fragment: str) -> int:
    return sum(endpoint["requests"] for name, endpoint in sim.stats["endpoints"].items() if fragment in name)


class Collected(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage()[:200])


def test_a_default_sync_lands_every_entity_as_upstream(simulator, tmp_path):
    sim = simulator(seed=9, counts={"deals": 150})
    dlt_log = Collected()  # dlt's logger writes to stderr and does not propagate
    logging.getLogger("dlt").addHandler(dlt_log)
    try:
        assert sync(sim, tmp_path).complete
    finally:
        logging.getLogger("dlt").removeHandler(dlt_log)
    # every table handed to dlt agrees with its schema: no warning per batch in a scheduled run's log
    assert dlt_log.messages == []
    problems = []
    for table in WHOLE_LISTS:
        truth = sim.truth(table)
        assert truth, table
        problems += mismatches(tmp_path, table, truth, v1=table in V1_TABLES)
    problems += mismatches(tmp_path, "project_fields", sim.fields("project_fields"), key="field_code")
    problems += mismatches(tmp_path, "lead_sources", sim.store.lead_sources, key="name", v1=True)
    assert not problems, "\n".join(problems)
    archived = {row["id"]: row["_archived"] for row in raw_rows(tmp_path, "projects")}
    assert archived == {
        project["id"]: project["archive_time"] is not None for project in sim.truth("projects")
    }
    # one request per parent only where no batch form exists: variations per product, phases per board
    assert _requests(sim, "/variations") == sim.count("products")
    assert _requests(sim, "GET /api/v2/phases") == sim.count("boards")
    assert _requests(sim, "GET /api/v2/deals/installments") == -(-sim.count("deals") // 100)


def test_later_runs_read_children_only_for_changed_parents(simulator, tmp_path):
    sim = simulator(seed=9, counts={"deals": 150})
    sync(sim, tmp_path)
    sim.reset_stats()
    sync(sim, tmp_path)  # nothing changed
    # a run that reads products re-reads those of its cursor's second (same-second updates), so their
    # children too; this one reads none: the change probe shows no product change (issue 15's tiers)
    newest = max(product["update_time"] for product in sim.truth("products"))
    at_cursor = sum(product["update_time"] == newest for product in sim.truth("products"))
    assert _requests(sim, "/variations") == 0 < at_cursor < sim.count("products")
    assert _requests(sim, "/installments") <= 1
    for fragment in ("/participants", "/followers", "/changelog"):
        assert _requests(sim, fragment) == 0, fragment

    product = next(p for p in sim.truth("products") if not p["is_deleted"])
    deal = next(d for d in sim.truth("deals") if not d["is_deleted"])
    sim.advance(60)
    sim.update("products", product["id"], {"name": "Renamed product"})
    sim.update("deals", deal["id"], {"value": 12_345})
    sim.create(
        "deal_installments",
        {"id": 10_000, "amount": 99.5, "billing_date": "2027-01-01", "deal_id": deal["id"]},
    )
    sim.reset_stats()
    sync(sim, tmp_path)
    assert _requests(sim, "/variations") == at_cursor + 1  # the changed one, and those at the cursor
    assert _requests(sim, "/installments") == 1
    assert not mismatches(tmp_path, "deal_installments", sim.truth("deal_installments"))


def _note_fields_served(sim) -> list[dict]:
    """`/v1/noteFields` as the API answers it (the simulator derives it, holds no table of it)."""
    answer = requests.get(f"{sim.base_url}/v1/noteFields", headers={"x-api-token": sim.token}, timeout=10)
    answer.raise_for_status()
    return answer.json()["data"]


def test_files_filters_and_note_fields_land_as_upstream_and_files_are_read_from_their_cursor(
    simulator, tmp_path
):
    sim = simulator(seed=4, counts={"deals": 150})
    assert sync(sim, tmp_path).complete
    served_note_fields = _note_fields_served(sim)
    problems = mismatches(tmp_path, "files", sim.truth("files"), v1=True)
    problems += mismatches(tmp_path, "filters", sim.truth("filters"), v1=True)
    problems += mismatches(tmp_path, "note_fields", served_note_fields, key="key", v1=True)
    assert not problems, "\n".join(problems)
    assert sim.truth("files") and sim.truth("filters") and served_note_fields

    newest = max(sim.truth("files"), key=lambda row: (row["update_time"], row["id"]))
    oldest = min(sim.truth("files"), key=lambda row: (row["update_time"], row["id"]))
    sim.advance(60)
    sim.update("files", oldest["id"], {"description": "signed copy"})
    sim.reset_stats()
    result = sync(sim, tmp_path)
    assert result.complete
    # newest first down to the cursor: the changed file and those of the cursor's second, not the list
    assert _requests(sim, "GET /v1/files") == 1
    at_cursor = sum(row["update_time"] == newest["update_time"] for row in sim.truth("files"))
    assert result.rows_per_table["files"] == 1 + at_cursor < sim.count("files")
    stored = {row["id"]: row for row in raw_rows(tmp_path, "files")}
    assert stored[oldest["id"]]["description"] == "signed copy"
    assert stored[newest["id"]]["update_time"] == newest["update_time"]
    assert not mismatches(tmp_path, "files", sim.truth("files"), v1=True)


# The raw tables issue 14 lists: after a default simulator sync, each exists and holds rows.
ISSUE_14_TABLES = (
    "projects", "tasks", "deal_installments", "call_logs", "files", "filters", "goals", "deal_participants",
    "deal_followers", "product_variations", "note_fields", "lead_sources",
)  # fmt: skip


def _children_upstream(sim) -> tuple[set, set]:
    """(deal id, participant id) and (deal id, follower user id) pairs the simulator holds."""
    with sim.store.lock:
        participants = {
            (row["deal_id"], row["id"]) for row in sim.store.tables["deal_participants"].rows.values()
        }
        followers = {
            (row["item_id"], row["user_id"])
            for row in sim.store.tables["followers"].rows.values()
            if row["item_type"] == "deal"
        }
    return participants, followers


def test_every_table_the_issue_lists_has_rows_after_a_default_sync(simulator, tmp_path):
    sim = simulator(seed=14)  # the default account
    assert sync(sim, tmp_path).complete

    assert all(raw_rows(tmp_path, table) for table in ISSUE_14_TABLES)
    problems = []
    for table in ("projects", "tasks", "deal_installments", "product_variations", "call_logs", "goals"):
        problems += mismatches(tmp_path, table, sim.truth(table), v1=table in V1_TABLES)
    for table in ("files", "filters"):
        problems += mismatches(tmp_path, table, sim.truth(table), v1=True)
    problems += mismatches(tmp_path, "note_fields", _note_fields_served(sim), key="key", v1=True)
    problems += mismatches(tmp_path, "lead_sources", sim.store.lead_sources, key="name", v1=True)
    assert not problems, "\n".join(problems)

    participants, followers = _children_upstream(sim)
    stored_participants = {(row["deal_id"], row["id"]) for row in raw_rows(tmp_path, "deal_participants")}
    stored_followers = {(row["deal_id"], row["user_id"]) for row in raw_rows(tmp_path, "deal_followers")}
    assert stored_participants == participants
    assert stored_followers == followers
    # one request per deal that has any (its count field says so), none for the others
    assert _requests(sim, "/participants") == len({deal for deal, _ in participants}) < sim.count("deals")
    assert _requests(sim, "GET /api/v2/deals/{id}/followers") == len({deal for deal, _ in followers})
    # each child table of deals holds its own columns only, none learned from a sibling (deal
    # followers once got deal products' `id`, `sum`, `tax`, ... as columns of nulls)
    for table in ("deal_products", "deal_installments", "deal_participants", "deal_followers"):
        rows = raw_rows(tmp_path, table)
        empty = {column for column in rows[0] if all(row[column] is None for row in rows)}
        assert not empty - BOOKKEEPING_COLUMNS, (table, sorted(empty))
